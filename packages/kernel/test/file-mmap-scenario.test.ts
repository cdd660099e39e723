// examples/scenarios/file-mmap.yaml: mmap of a file descriptor (the mmap step's fd: and offset:),
// fault-around filling Mapped and RssFile, a shared write dirtying the page cache, a private write
// leaving the file alone, truncate unmapping, SIGBUS past EOF.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";

const EXAMPLE = new URL("../../../examples/scenarios/file-mmap.yaml", import.meta.url);

describe("examples/scenarios/file-mmap.yaml", () => {
  it("runs with --verify: shared writes reach read(), private ones do not, truncate unmaps, SIGBUS past EOF", () => {
    const out = formatResults(runScenario(loadScenario(readFileSync(EXAMPLE, "utf8"), "file-mmap.yaml"), { verify: true }).results);
    expect(out).not.toContain("FAILED");
    expect(out.match(/^ok$/gm)!.length).toBe(6);
    expect(out).toContain("$ app: mmap(0x10000000, 65536, PROT_READ|PROT_WRITE, MAP_SHARED, f, 0) as shared\n= 0x10000000\n");
    // the shared write is in the page cache: read() returns it
    expect(out).toContain("$ app: pread64(f, buf, 1, 0)\n= 1\n$ app: load 1 bytes at buf\n7ffff7fef000: 7a\n");
    // the private write is not
    expect(out).toContain("$ app: pread64(f, buf, 1, 4096)\n= 1\n$ app: load 1 bytes at buf\n7ffff7fef000: 61\n");
    // 16 buffer pages and the private copy; the shared mapping's two pages left after truncate
    expect(out).toContain("RssAnon:\t      68 kB\nRssFile:\t       8 kB\n");
    expect(out).toContain("--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x10004000} ---\n+++ killed by SIGBUS +++\n");
  });

  it("mmap of a descriptor that is not open is EBADF; a read-only descriptor cannot be mapped shared and writable (EACCES)", () => {
    const steps = `machine: { ram: 1GiB }
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 4KiB, prot: [read], flags: [shared], fd: 7 }
  - expect: { errno: EBADF }
  - create: { task: app, path: /f, as: w }
  - close: { task: app, fd: w }
  - open: { task: app, path: /f, flags: [rdonly], as: r }
  - mmap: { task: app, length: 4KiB, prot: [read, write], flags: [shared], fd: r }
  - expect: { errno: EACCES }
  - mmap: { task: app, length: 4KiB, prot: [read, write], flags: [private], fd: r, as: p }
  - cat: /sys/kernel/debug/fault_around_bytes
  - load: { task: app, addr: p, length: 1 }`;
    const out = formatResults(runScenario(loadScenario(steps, "t.yaml"), { verify: true }).results);
    expect(out).toContain("$ app: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 7, 0)\n= -1 EBADF (Bad file descriptor)\n");
    expect(out).toContain("$ app: mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, r, 0)\n= -1 EACCES (Permission denied)\n");
    // debugfs fault_around_bytes: 64 KiB by default (mm/memory.c)
    expect(out).toContain("$ cat /sys/kernel/debug/fault_around_bytes\n65536\n");
    // an empty file: the private mapping exists, its first page is past EOF
    expect(out).toContain("--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x7ffff7ffe000} ---\n");
  });
});
