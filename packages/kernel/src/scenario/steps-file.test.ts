// The file steps: strace-style results with the file errnos, descriptors bound with as:, and
// the write-back sysctls with Linux's defaults (the example scenario: test/page-cache-scenario.test.ts).
import { describe, expect, it } from "vitest";
import { Kernel } from "../kernel";
import { formatResults, loadScenario, runScenario } from "./scenario";

function run(steps: string): string {
  return formatResults(runScenario(loadScenario(`machine: { ram: 1GiB }\nsteps:\n${steps}`, "t.yaml"), { verify: true }).results);
}

describe("file steps", () => {
  it("print strace's results and errnos, and bind descriptors with as:", () => {
    const out = run(`  - spawn: { name: app }
  - mmap: { task: app, length: 8KiB, prot: [read, write], flags: [private, anonymous], as: buf }
  - open: { task: app, path: /nope, flags: [rdonly] }
  - expect: { errno: ENOENT }
  - create: { task: app, path: /f, as: f }
  - pwrite: { task: app, fd: f, addr: buf, length: 8KiB, offset: 4KiB }
  - read: { task: app, fd: f, addr: buf, length: 1 }
  - expect: { errno: EBADF }
  - lseek: { task: app, fd: f, offset: -1, whence: end }
  - ftruncate: { task: app, fd: f, length: 100 }
  - fsync: { task: app, fd: f }
  - close: { task: app, fd: f }
  - close: { task: app, fd: 3 }
  - unlink: { task: app, path: /f }
  - unlink: { task: app, path: /f }
  - sleep: 500ms
  - cat: /sys/kernel/debug/mmsim/io`);
    expect(out).toBe(
      "$ spawn app\npid 1 on CPU 0\n" +
        "$ app: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) as buf\n= 0x7ffff7ffd000\n" +
        "$ app: open(\"/nope\", O_RDONLY)\n= -1 ENOENT (No such file or directory)\n" +
        "$ expect errno ENOENT\nok\n" +
        "$ app: creat(\"/f\", 0644) as f\n= 3\n" +
        "$ app: pwrite64(f, buf, 8192, 4096)\n= 8192\n" +
        "$ app: read(f, buf, 1)\n= -1 EBADF (Bad file descriptor)\n" +
        "$ expect errno EBADF\nok\n" +
        "$ app: lseek(f, -1, SEEK_END)\n= 12287\n" +
        "$ app: ftruncate(f, 100)\n= 0\n" +
        "$ app: fsync(f)\n= 0\n" +
        "$ app: close(f)\n= 0\n" +
        "$ app: close(3)\n= -1 EBADF (Bad file descriptor)\n" +
        "$ app: unlink(\"/f\")\n= 0\n" +
        "$ app: unlink(\"/f\")\n= -1 ENOENT (No such file or directory)\n" +
        "$ sleep 500ms\n" +
        // 11 calls, 2 mode switches each; the pwrite's CPU copy of 8 KiB; no DMA: ftruncate to 100
        // bytes dropped the two dirty pages (1 and 2) before they were ever written, and page 0
        // is a hole, so fsync had nothing to write
        "$ cat /sys/kernel/debug/mmsim/io\nmmsim_syscalls 11\nmmsim_mode_switches 22\nmmsim_cpu_copies 1\nmmsim_cpu_copy_bytes 8192\nmmsim_dma_copies 0\nmmsim_dma_copy_bytes 0\nmmsim_dirty_throttled 0\nmmsim_net_tx_bytes 0\nmmsim_net_tx_packets 0\nmmsim_net_dma_copies 0\nmmsim_net_dma_copy_bytes 0\n",
    );
  });

  it("the write-back sysctls have Linux's defaults; a ratio and its bytes form clear each other", () => {
    const k = Kernel.boot({ ram: 1 << 30 });
    const get = (n: string) => k.cat(`/proc/sys/vm/${n}`);
    // mm/page-writeback.c: dirty_background_ratio 10, dirty_ratio 20, dirty_expire_interval 30 s, dirty_writeback_interval 5 s
    expect(["dirty_background_ratio", "dirty_background_bytes", "dirty_ratio", "dirty_bytes", "dirty_expire_centisecs", "dirty_writeback_centisecs", "drop_caches"].map(get)).toEqual(
      ["10\n", "0\n", "20\n", "0\n", "3000\n", "500\n", "0\n"],
    );
    k.sysctl.set({ "vm.dirty_bytes": "1048576" });
    expect([get("dirty_ratio"), get("dirty_bytes")]).toEqual(["0\n", "1048576\n"]);
    k.sysctl.set({ "vm.dirty_ratio": "15" });
    expect([get("dirty_ratio"), get("dirty_bytes")]).toEqual(["15\n", "0\n"]);
    expect(() => k.sysctl.set({ "vm.dirty_bytes": "4096" })).toThrow(/from 8192/);
    expect(() => k.sysctl.set({ "vm.dirty_ratio": "101" })).toThrow(/from 0 to 100/);
    k.verify();
  });

  it("sync writes everything; a new dirty_writeback_centisecs wakes the flusher at once", () => {
    const out = run(`  - spawn: { name: app }
  - mmap: { task: app, length: 16KiB, prot: [read, write], flags: [private, anonymous], as: buf }
  - create: { task: app, path: /a, as: a }
  - write: { task: app, fd: a, addr: buf, length: 16KiB }
  - sync: { task: app }
  - expect: { path: /proc/vmstat, field: nr_written, equals: 4 }
  - write: { task: app, fd: a, addr: buf, length: 8KiB }
  - expect: { path: /proc/meminfo, field: Dirty, equals: 8 kB }
  - sysctl: { vm.dirty_writeback_centisecs: 500 }
  - expect: { path: /proc/meminfo, field: Dirty, equals: 8 kB }
  - sysctl: { vm.dirty_writeback_centisecs: 1000 }
  - expect: { path: /proc/meminfo, field: Dirty, equals: 0 kB }`);
    expect(out.match(/^ok$/gm)!.length).toBe(4);
    expect(out).toContain("$ app: sync()\n= 0\n");
  });
});
