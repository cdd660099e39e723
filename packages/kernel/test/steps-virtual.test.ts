// The task and address-space scenario steps: the example file's whole output, strace-style
// results with Linux's errno names, address expressions (buf+20KiB), task names in /proc
// paths, expect's three forms, and input errors naming file:line and field.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";
import { inputError } from "./input-error";

const EXAMPLE = new URL("../../../examples/scenarios/mprotect-vma.yaml", import.meta.url);

function run(steps: string, file = "t.yaml"): string {
  return formatResults(runScenario(loadScenario(`machine: { ram: 1GiB }\nsteps:\n${steps}`, file), { verify: true }).results);
}

describe("examples/scenarios/mprotect-vma.yaml", () => {
  it("runs with --verify and prints exactly this", () => {
    const out = formatResults(runScenario(loadScenario(readFileSync(EXAMPLE, "utf8"), "mprotect-vma.yaml"), { verify: true }).results);
    const maps1 = "7ffff7ff5000-7ffff7ffa000 rw-p 00000000 00:00 0 \n7ffff7ffa000-7ffff7fff000 r--p 00000000 00:00 0 \n";
    const merged = "7ffff7ff5000-7ffff7fff000 rw-p 00000000 00:00 0 \n";
    const heap = "555555554000-555555575000 rw-p 00000000 00:00 0" + " ".repeat(26) + "[heap]\n";
    expect(out).toBe(
      "$ spawn app\npid 1 on CPU 0\n" +
        "$ app: mmap(NULL, 40960, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) as buf\n= 0x7ffff7ff5000\n" +
        "$ app: mprotect(buf+0x5000, 20480, PROT_READ)\n= 0\n" +
        `$ cat /proc/app/maps\n${maps1}` +
        "$ expect /proc/app/maps at buf+0x5000 perms = r--p\nok\n" +
        "$ expect /proc/app/status VmData = 20 kB\nok\n" +
        "$ app: mprotect(buf+0x5000, 20480, PROT_READ|PROT_WRITE)\n= 0\n" +
        `$ cat /proc/app/maps\n${merged}` +
        "$ app: mmap(buf, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0)\n= -1 EEXIST (File exists)\n" +
        "$ expect errno EEXIST\nok\n" +
        "$ app: brk(brk+0x21000)\n= 0x555555575000\n" +
        `$ cat /proc/app/maps\n${heap}${merged}` +
        "$ cat /proc/app/statm\n43 0 0 0 0 43 0\n" +
        "$ expect /proc/meminfo Committed_AS = 172 kB\nok\n" +
        "$ kill -KILL app\napp: killed by SIGKILL\n" +
        "$ expect app received SIGKILL\nok\n" +
        "$ expect /proc/meminfo Committed_AS = 0 kB\nok\n",
    );
  });
});

describe("examples/scenarios/mprotect.yaml (issue 16's example)", () => {
  it("runs as written: one page stored, the VMA split, Rss 4 kB at buf", () => {
    const text = readFileSync(new URL("../../../examples/scenarios/mprotect.yaml", import.meta.url), "utf8");
    expect(formatResults(runScenario(loadScenario(text, "mprotect.yaml"), { verify: true }).results)).toBe(
      "$ spawn app\npid 1 on CPU 0\n" +
        "$ app: mmap(NULL, 40960, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) as buf\n= 0x7ffff7ff5000\n" +
        "$ app: store 4096 bytes of 0xaa at buf\n" +
        "$ app: mprotect(buf+0x5000, 20480, PROT_READ)\n= 0\n" +
        "$ cat /proc/app/maps\n7ffff7ff5000-7ffff7ffa000 rw-p 00000000 00:00 0 \n7ffff7ffa000-7ffff7fff000 r--p 00000000 00:00 0 \n" +
        "$ expect /proc/app/smaps at buf Rss = 4 kB\nok\n",
    );
  });
});

describe("fork, store, load and faults", () => {
  it("a forked child shares the pages (Shared_Dirty, Pss halved) until it writes one; reads see the parent's bytes", () => {
    const out = run(
      "  - spawn: { name: p }\n" +
        "  - mmap: { task: p, length: 16KiB, prot: [read, write], flags: [private, anonymous], as: b }\n" +
        "  - store: { task: p, addr: b, length: 8KiB, byte: 0x5a }\n" +
        "  - fork: { task: p, name: c }\n" +
        "  - expect: { path: /proc/c/smaps, at: b, field: Shared_Dirty, equals: 8 kB }\n" +
        "  - expect: { path: /proc/c/smaps, at: b, field: Pss, equals: 4 kB }\n" +
        "  - store: { task: c, addr: b, length: 1, byte: 1 }\n" +
        "  - expect: { path: /proc/c/smaps, at: b, field: Private_Dirty, equals: 4 kB }\n" +
        "  - expect: { path: /proc/p/smaps_rollup, field: Pss, equals: 6 kB }\n" +
        "  - load: { task: c, addr: b, length: 4 }\n" +
        "  - load: { task: p, addr: b, length: 4 }\n" +
        "  - expect: { path: /proc/c/status, field: PPid, equals: 1 }\n" +
        "  - exit: { task: c }\n" +
        "  - exit: { task: p }\n" +
        "  - expect: { path: /proc/meminfo, field: AnonPages, equals: 0 kB }\n",
    );
    expect(out).toContain("$ p: fork() as c\n= 2 (on CPU 1)\n");
    expect(out).toContain("$ c: load 4 bytes at b\n7ffff7ffb000: 01 5a 5a 5a\n$ p: load 4 bytes at b\n7ffff7ffb000: 5a 5a 5a 5a\n");
  });

  it("a store to a read-only mapping delivers SIGSEGV (SEGV_ACCERR) and the task dies", () => {
    const out = run(
      "  - spawn: { name: p }\n" +
        "  - mmap: { task: p, length: 4KiB, prot: [read], flags: [private, anonymous], as: b }\n" +
        "  - store: { task: p, addr: b+16, length: 1 }\n" +
        "  - expect: { task: p, signal: SIGSEGV }\n",
    );
    expect(out).toContain("$ p: store 1 bytes of 0xaa at b+0x10\n--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x7ffff7ffe010} ---\n+++ killed by SIGSEGV +++\n");
  });
});

describe("transparent huge pages", () => {
  it("the sysfs files print Linux's choices, the thp step writes them, and a 4 MiB mapping written twice gets two THPs", () => {
    const out = run(
      "  - cat: /sys/kernel/mm/transparent_hugepage/enabled\n" +
        "  - thp: { enabled: always, defrag: defer, use_zero_page: 0 }\n" +
        "  - cat: /sys/kernel/mm/transparent_hugepage/enabled\n" +
        "  - cat: /sys/kernel/mm/transparent_hugepage/defrag\n" +
        "  - cat: /sys/kernel/mm/transparent_hugepage/use_zero_page\n" +
        "  - spawn: { name: app }\n" +
        "  - mmap: { task: app, length: 4MiB, prot: [read, write], flags: [private, anonymous], as: buf }\n" +
        "  - store: { task: app, addr: buf, length: 1, byte: 1 }\n" +
        "  - store: { task: app, addr: buf+2MiB, length: 1, byte: 2 }\n" +
        "  - expect: { path: /proc/meminfo, field: AnonHugePages, equals: 4096 kB }\n" +
        "  - expect: { path: /proc/app/smaps, at: buf, field: AnonHugePages, equals: 4096 kB }\n" +
        "  - expect: { path: /proc/app/smaps, at: buf, field: THPeligible, equals: 1 }\n" +
        "  - mprotect: { task: app, addr: buf+3MiB, length: 4KiB, prot: [read] }\n" +
        "  - expect: { path: /proc/meminfo, field: AnonHugePages, equals: 2048 kB }\n" +
        "  - cat: /proc/vmstat\n" +
        "  - exit: { task: app }\n" +
        "  - expect: { path: /proc/meminfo, field: AnonHugePages, equals: 0 kB }\n" +
        "  - expect: { path: /proc/meminfo, field: AnonPages, equals: 0 kB }\n",
    );
    // enabled_show / defrag_show (mm/huge_memory.c): the active choice in brackets
    expect(out).toContain("$ cat /sys/kernel/mm/transparent_hugepage/enabled\nalways [madvise] never\n");
    expect(out).toContain(
      "$ echo always > /sys/kernel/mm/transparent_hugepage/enabled; echo defer > /sys/kernel/mm/transparent_hugepage/defrag; echo 0 > /sys/kernel/mm/transparent_hugepage/use_zero_page\n" +
        "$ cat /sys/kernel/mm/transparent_hugepage/enabled\n[always] madvise never\n" +
        "$ cat /sys/kernel/mm/transparent_hugepage/defrag\nalways [defer] defer+madvise madvise never\n" +
        "$ cat /sys/kernel/mm/transparent_hugepage/use_zero_page\n0\n",
    );
    expect(out).toContain("\nnr_anon_transparent_hugepages 1\n");
    expect(out).toContain("\nthp_fault_alloc 2\nthp_fault_fallback 0\n");
    expect(out).toContain("\nthp_split_pmd 1\n");
  });

  it("a bad value for a THP file is an input error naming the field", () => {
    expect(inputError(() => loadScenario("machine: { ram: 1GiB }\nsteps:\n  - thp: { enabled: sometimes }\n", "t.yaml"))).toContain("enabled");
  });
});

describe("system-call steps", () => {
  it("print errors as strace does, with Linux's errno names, and keep the errno for expect", () => {
    const out = run(
      "  - spawn: { name: a }\n" +
        "  - munmap: { task: a, addr: 0x1001, length: 4KiB }\n" +
        "  - expect: { errno: EINVAL }\n" +
        "  - mmap: { task: a, length: 0, prot: [read], flags: [private, anonymous] }\n" +
        "  - expect: { errno: EINVAL }\n" +
        "  - mprotect: { task: a, addr: 0x10000, length: 4KiB, prot: [read] }\n" +
        "  - expect: { errno: ENOMEM }\n" +
        "  - madvise: { task: a, addr: 0x10000, length: 4KiB, advice: dontneed }\n" +
        "  - expect: { errno: ENOMEM }\n",
    );
    expect(out).toContain("$ a: munmap(0x1001, 4096)\n= -1 EINVAL (Invalid argument)\n");
    expect(out).toContain("$ a: mprotect(0x10000, 4096, PROT_READ)\n= -1 ENOMEM (Cannot allocate memory)\n");
    expect(out).toContain("$ a: madvise(0x10000, 4096, MADV_DONTNEED)\n= -1 ENOMEM (Cannot allocate memory)\n");
  });

  it("mremap moves with maymove when the range above is taken, binding the new address; mlock splits and counts in VmLck", () => {
    const out = run(
      "  - spawn: { name: a }\n" +
        "  - mmap: { task: a, length: 8KiB, prot: [read, write], flags: [private, anonymous], as: x }\n" +
        "  - mmap: { task: a, addr: x+8KiB, length: 4KiB, prot: [read], flags: [private, anonymous, fixed_noreplace] }\n" +
        "  - mremap: { task: a, addr: x, old_length: 8KiB, new_length: 64KiB, flags: [maymove], as: y }\n" +
        "  - mlock: { task: a, addr: y, length: 16KiB }\n" +
        "  - expect: { path: /proc/a/status, field: VmLck, equals: 16 kB }\n" +
        "  - expect: { path: /proc/a/maps, at: y, field: range, equals: 7ffff7fed000-7ffff7ff1000 }\n" +
        "  - expect: { path: /proc/a/maps, at: y+60KiB, field: range, equals: 7ffff7ff1000-7ffff7ffd000 }\n" +
        "  - exit: { task: a }\n",
    );
    expect(out).toContain("$ a: mremap(x, 8192, 65536, MREMAP_MAYMOVE) as y\n= 0x7ffff7fed000\n");
  });

  it("a task's name stands for its pid in /proc paths", () => {
    const out = run("  - spawn: { name: a }\n  - spawn: { name: b }\n  - cat: /proc/2/statm\n  - cat: /proc/b/statm\n");
    expect(out).toContain("$ cat /proc/2/statm\n0 0 0 0 0 0 0\n$ cat /proc/b/statm\n0 0 0 0 0 0 0\n");
  });
});

describe("expect", () => {
  it("a field that differs stops the run at its line, saying what it got", () => {
    const s = "  - spawn: { name: a }\n  - expect: { path: /proc/a/status, field: VmSize, equals: 4 kB }\n";
    expect(inputError(() => run(s, "e.yaml"))).toBe('e.yaml:4: steps[1].expect: expected VmSize to be "4 kB", got "0 kB"');
    const sig = "  - spawn: { name: a }\n  - kill: { task: a, signal: SIGTERM }\n  - expect: { task: a, signal: SIGKILL }\n";
    expect(inputError(() => run(sig, "e.yaml"))).toBe("e.yaml:5: steps[2].expect: expected a to have received SIGKILL; it received SIGTERM");
    const err = "  - spawn: { name: a }\n  - brk: { task: a, increment: 4KiB }\n  - expect: { errno: ENOMEM }\n";
    expect(inputError(() => run(err, "e.yaml"))).toBe("e.yaml:5: steps[2].expect: expected errno ENOMEM, the previous call left 0");
  });

  it("an address with no mapping is reported", () => {
    const s = "  - spawn: { name: a }\n  - expect: { path: /proc/a/maps, at: 0x10000, field: perms, equals: r--p }\n";
    expect(inputError(() => run(s, "e.yaml"))).toBe("e.yaml:4: steps[1].expect: /proc/a/maps has no mapping at 0x10000");
  });
});

describe("input errors name the file, line and field before anything runs", () => {
  const cases: [string, string][] = [
    ["  - spawn: { name: a }\n  - mmap: { task: a, length: 4KiB, prot: [read, wrte], flags: [private] }\n",
      "b.yaml:4: steps[1].mmap.prot[1]: expected one of read, write, exec, got \"wrte\""],
    ["  - spawn: { name: a }\n  - mmap: { task: a, length: 4KiB, flags: [private, anon] }\n",
      "b.yaml:4: steps[1].mmap.flags[1]: expected one of private, shared, anonymous, fixed, fixed_noreplace, populate, noreserve, growsdown, locked, got \"anon\""],
    ["  - spawn: { name: a }\n  - munmap: { task: a, addr: buf+4KiB, length: 4KiB }\n",
      "b.yaml:4: steps[1].munmap.addr: no earlier step bound \"buf\" (bind one with as: buf)"],
    ["  - spawn: { name: a }\n  - munmap: { task: a, addr: a, length: 4KiB }\n",
      "b.yaml:4: steps[1].munmap.addr: \"a\" is a task, expected a address"],
    ["  - spawn: { name: a }\n  - munmap: { task: a, addr: 0x1000, length: 4 parsecs }\n",
      "b.yaml:4: steps[1].munmap.length: invalid size \"4 parsecs\": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB"],
    ["  - mmap: { task: ghost, length: 4KiB }\n", "b.yaml:3: steps[0].mmap.task: no earlier step bound \"ghost\" (bind one with as: ghost)"],
    ["  - spawn: { name: a }\n  - kill: { task: a, signal: SIGFOO }\n",
      "b.yaml:4: steps[1].kill.signal: expected a signal name such as SIGKILL, SIGTERM or SIGSEGV, got SIGFOO"],
    ["  - spawn: { name: a }\n  - expect: { errno: ENOTREAL }\n",
      "b.yaml:4: steps[1].expect.errno: expected 0 or an errno name (EPERM, ENOENT, ESRCH, EIO, ENOEXEC, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, ENODEV, EISDIR, EINVAL, EMFILE, EFBIG, ENOSPC, ESPIPE, ENAMETOOLONG, EOVERFLOW), got \"ENOTREAL\""],
    ["  - spawn: { name: averyveryverylongname }\n", "b.yaml:3: steps[0].spawn.name: expected at most 15 characters (TASK_COMM_LEN - 1), got 21"],
    ["  - spawn: { name: a }\n  - munmap: { task: a, addr: \"buf+\", length: 4KiB }\n",
      "b.yaml:4: steps[1].munmap.addr: expected an address like buf, buf+20KiB or 0x7f0000000000, got \"buf+\""],
    ["  - spawn: { name: a }\n  - brk: { task: a }\n", "b.yaml:4: steps[1].brk: expected exactly one of addr (the new break) and increment (a size added to the break)"],
  ];
  for (const [steps, message] of cases) {
    it(message.slice(message.indexOf(" ") + 1, message.indexOf(":", 10)), () => {
      expect(inputError(() => loadScenario(`machine: { ram: 1GiB }\nsteps:\n${steps}`, "b.yaml"))).toBe(message);
    });
  }

  it("using a task after it exited is a runtime error at the step's line", () => {
    const s = "  - spawn: { name: a }\n  - exit: { task: a }\n  - munmap: { task: a, addr: 0x1000, length: 4KiB }\n";
    expect(inputError(() => run(s, "x.yaml"))).toBe("x.yaml:5: steps[2].munmap: task a (pid 1) has exited");
  });
});
