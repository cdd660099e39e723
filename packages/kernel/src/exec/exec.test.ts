// exec's layout: the full /proc/<pid>/maps of the built-in program without randomization (the
// addresses Linux computes under `setarch -R`), the stack's argv/envp/auxv read back through
// user loads, the randomization ranges and their seeding, randomize_va_space 0/1/2, the heap
// malloc grows after the bss, and exec replacing a task's address space.
import { MiB } from "@mmsim/base";
import { userLoad } from "@mmsim/virtual";
import { describe, expect, it } from "vitest";
import { Kernel, execOf, formatResults, loadScenario, runScenario, virtualOf, type ExecResult, type Task } from "../index";
import {
  AT_BASE, AT_ENTRY, AT_EXECFN, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHNUM, AT_PLATFORM, AT_RANDOM, AT_SYSINFO_EHDR,
} from "./stack";

function run(steps: string): string {
  return formatResults(runScenario(loadScenario(`machine: { ram: 1GiB }\nsteps:\n${steps}`, "e.yaml"), { verify: true }).results);
}

/** The text of one step's output (after its "$ ..." line). */
function section(out: string, cmd: string): string {
  const i = out.indexOf(`$ ${cmd}\n`);
  const rest = out.slice(i + cmd.length + 3);
  const j = rest.indexOf("\n$ ");
  return j < 0 ? rest : rest.slice(0, j + 1);
}

function spawnExec(k: Kernel, name: string, opts: Parameters<ReturnType<typeof execOf>["execve"]>[1] = {}): [Task, ExecResult] {
  const t = virtualOf(k).spawn(name);
  if (typeof t === "number") throw new Error(`spawn: ${t}`);
  const r = execOf(k).execve(t, opts);
  if (typeof r === "number") throw new Error(`execve: ${r}`);
  return [t, r];
}

function u64(k: Kernel, t: Task, addr: number): number {
  const b = new Uint8Array(8);
  expect(userLoad(virtualOf(k).vmm, t.mm!, k.hw.cpus[t.cpu]!, addr, b)).toBeNull();
  const dv = new DataView(b.buffer);
  return dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
}

function cstr(k: Kernel, t: Task, addr: number): string {
  const b = new Uint8Array(1);
  let s = "";
  for (let a = addr; ; a++) {
    expect(userLoad(virtualOf(k).vmm, t.mm!, k.hw.cpus[t.cpu]!, a, b)).toBeNull();
    if (b[0] === 0) return s;
    s += String.fromCharCode(b[0]!);
  }
}

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const LD = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";
const pad = (s: string) => s.padEnd(73, " ");

describe("exec without randomization (setarch -R)", () => {
  it("maps the program, libc, ld.so, the vDSO and the stack where Linux computes them", () => {
    const out = run("  - exec: { spawn: app, aslr: false }\n  - cat: /proc/app/maps\n");
    const line = (range: string, perms: string, off: string, ino: number, path: string) => `${pad(`${range} ${perms} ${off} fe:00 ${ino}`)}${path}`;
    const anon = (range: string) => `${range} rw-p 00000000 00:00 0 `;
    const special = (range: string, perms: string, name: string) => `${pad(`${range} ${perms} 00000000 00:00 0`)}${name}`;
    expect(section(out, "cat /proc/app/maps")).toBe([
      // ELF_ET_DYN_BASE = DEFAULT_MAP_WINDOW / 3 * 2 = 0x555555554aaa, aligned to p_align (4 KiB):
      // 0x555555554000; segments as cat's (real-proc/self-maps.txt), RELRO made r--p by ld.so
      line("555555554000-555555556000", "r--p", "00000000", 12, "/usr/bin/app"),
      line("555555556000-55555555b000", "r-xp", "00002000", 12, "/usr/bin/app"),
      line("55555555b000-55555555e000", "r--p", "00007000", 12, "/usr/bin/app"),
      line("55555555e000-55555555f000", "r--p", "00009000", 12, "/usr/bin/app"),
      line("55555555f000-555555560000", "rw-p", "0000a000", 12, "/usr/bin/app"),
      // the static TLS block ld.so maps after libc (3 pages, directly below it)
      anon("7ffff7dd2000-7ffff7dd5000"),
      // libc: 0x1e2000 bytes top-down below ld.so.cache's 9 pages (unmapped since)
      line("7ffff7dd5000-7ffff7dfb000", "r--p", "00000000", 15, LIBC),
      line("7ffff7dfb000-7ffff7f51000", "r-xp", "00026000", 15, LIBC),
      line("7ffff7f51000-7ffff7fa4000", "r--p", "0017c000", 15, LIBC),
      line("7ffff7fa4000-7ffff7fa8000", "r--p", "001cf000", 15, LIBC),
      line("7ffff7fa8000-7ffff7faa000", "rw-p", "001d3000", 15, LIBC),
      anon("7ffff7faa000-7ffff7fb7000"),
      // ld.so's minimal malloc: 2 pages directly below [vvar]
      anon("7ffff7fc0000-7ffff7fc2000"),
      // map_vdso: 4 + 2 + 2 pages top-down directly below ld.so
      special("7ffff7fc2000-7ffff7fc6000", "r--p", "[vvar]"),
      special("7ffff7fc6000-7ffff7fc8000", "r--p", "[vvar_vclock]"),
      special("7ffff7fc8000-7ffff7fca000", "r-xp", "[vdso]"),
      // mmap_base = DEFAULT_MAP_WINDOW - max(RLIMIT_STACK 8 MiB + stack_guard_gap 1 MiB, 128 MiB)
      // = 0x7ffff7fff000 (arch/x86/mm/mmap.c): ld.so's 0x35000 bytes end there
      line("7ffff7fca000-7ffff7fcb000", "r--p", "00000000", 13, LD),
      line("7ffff7fcb000-7ffff7ff1000", "r-xp", "00001000", 13, LD),
      line("7ffff7ff1000-7ffff7ffb000", "r--p", "00027000", 13, LD),
      line("7ffff7ffb000-7ffff7ffd000", "r--p", "00031000", 13, LD),
      line("7ffff7ffd000-7ffff7fff000", "rw-p", "00033000", 13, LD),
      // STACK_TOP = TASK_SIZE_LOW = 0x7ffffffff000; one argument page + stack_expand 128 KiB (fs/exec.c)
      special("7ffffffde000-7ffffffff000", "rw-p", "[stack]"),
      // the gate area of a 64-bit exec (gate_vma; vsyscall=xonly, the 6.18 default), not a VMA
      special("ffffffffff600000-ffffffffff601000", "--xp", "[vsyscall]"),
      "",
    ].join("\n"));
  });

  it("writes argc, argv, envp and the auxiliary vector on the stack (create_elf_tables)", () => {
    const k = Kernel.boot({ ram: 256 * MiB, cpus: 2 });
    const [t, r] = spawnExec(k, "app", { aslr: false, argv: ["app", "-n", "hello"], envp: ["A=1", "HOME=/root"] });
    const sp = r.stack.sp;
    expect(sp % 16).toBe(0);
    expect(t.mm!.startStack).toBe(sp);
    expect(u64(k, t, sp)).toBe(3);
    expect([0, 1, 2].map((i) => cstr(k, t, u64(k, t, sp + 8 + 8 * i)))).toEqual(["app", "-n", "hello"]);
    expect(u64(k, t, sp + 32)).toBe(0);
    expect([0, 1].map((i) => cstr(k, t, u64(k, t, sp + 40 + 8 * i)))).toEqual(["A=1", "HOME=/root"]);
    expect(u64(k, t, sp + 56)).toBe(0);
    const aux = new Map<number, number>();
    for (let a = sp + 64; ; a += 16) {
      const type = u64(k, t, a);
      aux.set(type, u64(k, t, a + 8));
      if (type === AT_NULL) break;
    }
    expect(aux.get(AT_SYSINFO_EHDR)).toBe(0x7ffff7fc8000);
    expect(aux.get(AT_PAGESZ)).toBe(4096);
    // phdr_addr = load_bias + e_phoff (64) in the first segment; e_entry + load_bias
    expect(aux.get(AT_PHDR)).toBe(0x555555554040);
    expect(aux.get(AT_PHNUM)).toBe(13);
    expect(aux.get(AT_ENTRY)).toBe(0x555555556c80);
    expect(aux.get(AT_BASE)).toBe(0x7ffff7fca000);
    expect(cstr(k, t, aux.get(AT_EXECFN)!)).toBe("/usr/bin/app");
    expect(cstr(k, t, aux.get(AT_PLATFORM)!)).toBe("x86_64");
    expect(aux.get(AT_RANDOM)).toBe(r.stack.random);
    // the filename sits right below the 8 bytes at the top (bprm->p = vm_end - sizeof(void *))
    expect(aux.get(AT_EXECFN)).toBe(0x7ffffffff000 - 8 - "/usr/bin/app".length - 1);
    // argument strings in argv, envp order, then the filename
    expect(r.stack.argStart).toBe(u64(k, t, sp + 8));
    expect(r.stack.envStart).toBe(r.stack.argEnd);
    expect(r.stack.envEnd).toBe(aux.get(AT_EXECFN));
    // the stack's top page holds everything (VmStk 132 kB); padzero copied the page .bss shares
    // with .data in the program and ld.so, and ld.so's zero fill libc's (do_cow_fault): 4 anonymous pages
    const status = k.cat(`/proc/${t.pid}/status`);
    expect(/^VmStk:\s+(\d+) kB/m.exec(status)![1]).toBe("132");
    expect(/^RssAnon:\s+(\d+) kB/m.exec(status)![1]).toBe("16");
    expect(/^RssFile:\s+(\d+) kB/m.exec(status)![1]).toBe("0");
    expect(t.comm).toBe("app");
  });

  it("the heap malloc grows starts right after the bss page (no arch_randomize_brk)", () => {
    const out = run("  - exec: { spawn: app, aslr: false }\n  - malloc: { task: app, size: 100, as: p }\n  - expect: { path: /proc/app/maps, at: p, field: range, equals: 555555560000-555555581000 }\n  - expect: { path: /proc/app/maps, at: p, field: pathname, equals: '[heap]' }\n");
    expect(out).toContain("$ app: execve(\"/usr/bin/app\", [\"/usr/bin/app\"], /* 3 vars */) (setarch -R)\npid 1 on CPU 0\n= 0 (pid 1: load 0x555555554000, ld.so 0x7ffff7fca000, vdso 0x7ffff7fc8000, brk 0x555555560000, sp 0x");
  });

  it("smaps ends with the gate area's block (Size 4 kB, nothing resident, VmFlags ex); smaps_rollup leaves it out", () => {
    const k = Kernel.boot({ ram: 256 * MiB, cpus: 2 });
    const [t] = spawnExec(k, "app", { aslr: false });
    const smaps = k.cat(`/proc/${t.pid}/smaps`);
    const block = smaps.slice(smaps.indexOf("ffffffffff600000-"));
    // real-proc/self-smaps.txt's [vsyscall] entry, line for line
    expect(block).toBe([
      `${pad("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0")}[vsyscall]`,
      "Size:                  4 kB", "KernelPageSize:        4 kB", "MMUPageSize:           4 kB",
      ...["Rss", "Pss", "Pss_Dirty", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty", "Referenced", "Anonymous", "KSM",
        "LazyFree", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb", "Swap", "SwapPss", "Locked"]
        .map((f) => `${f}:`.padEnd(16) + "       0 kB"),
      "THPeligible:           0", "VmFlags: ex ", "",
    ].join("\n"));
    // the rollup spans the VMAs only: it ends at the stack's end
    expect(k.cat(`/proc/${t.pid}/smaps_rollup`).split(" ")[0]).toBe("555555554000-7ffffffff000");
  });

  it("kernel.randomize_va_space=0 gives the same layout as aslr: false", () => {
    const a = run("  - exec: { spawn: app, aslr: false }\n  - cat: /proc/app/maps\n");
    const b = run("  - sysctl: { kernel.randomize_va_space: 0 }\n  - exec: { spawn: app }\n  - cat: /proc/app/maps\n");
    expect(section(b, "cat /proc/app/maps")).toBe(section(a, "cat /proc/app/maps"));
  });
});

describe("exec with randomization", () => {
  const layout = (seed: number, vaSpace = 2) => {
    const k = Kernel.boot({ ram: 256 * MiB, cpus: 2 }, { seed });
    execOf(k).randomizeVaSpace = vaSpace;
    const [t, r] = spawnExec(k, "app");
    return { maps: k.cat(`/proc/${t.pid}/maps`), r, brkEnd: 0x55555555f000 };
  };

  it("the same seed gives the same layout; other seeds differ", () => {
    expect(layout(7).maps).toBe(layout(7).maps);
    const seen = new Set([1, 2, 3, 4, 5].map((s) => layout(s).maps));
    expect(seen.size).toBe(5);
  });

  it("offsets stay in Linux's ranges (mmap_rnd_bits 28, STACK_RND_MASK 22 bits, brk 1 GiB)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { r } = layout(seed);
      // load bias: ELF_ET_DYN_BASE + 28 random page bits
      expect(r.loadBias).toBe(0x555555554000 + r.random.loadRnd);
      expect(r.random.loadRnd).toBeLessThan(2 ** 28 * 4096);
      expect(r.random.loadRnd % 4096).toBe(0);
      // mmap_base = DEFAULT_MAP_WINDOW - (8 MiB + 1 MiB + stack_maxrandom_size 0x3fffff pages) - rnd
      expect(r.mmapBase).toBe(0x7ffffffff000 - (8 * MiB + MiB + 0x3fffff * 4096) - r.random.mmapRnd);
      // ld.so ends at mmap_base; the vDSO right below it
      expect(r.interpBase + 0x35000).toBe(r.mmapBase);
      expect(r.vdso + 0x2000).toBe(r.interpBase);
      // stack top: PAGE_ALIGN(arch_align_stack(STACK_TOP - stack random)), random below 16 GiB
      expect(r.random.stackRnd).toBeLessThan(0x400000 * 4096);
      expect(r.stackTop).toBe(Math.ceil(Math.floor((0x7ffffffff000 - r.random.stackRnd - r.random.alignRnd1) / 16) * 16 / 4096) * 4096);
      expect(r.stackTop - r.stackStart).toBe(0x21000);
      // the break: page-aligned end of the bss plus up to 1 GiB
      expect(r.startBrk - (r.loadBias + 0xc000)).toBe(r.random.brkRnd);
      expect(r.random.brkRnd).toBeLessThan(2 ** 30);
    }
  });

  it("randomize_va_space=1 keeps the break right after the bss", () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { r } = layout(seed, 1);
      expect(r.randomized).toBe(true);
      expect(r.startBrk).toBe(r.loadBias + 0xc000);
      expect(r.loadBias).not.toBe(0x555555554000);
    }
  });
});

describe("described programs", () => {
  const seg = (o: number, v: number, f: number, m: number, p: string) => `{ offset: ${o}, vaddr: ${v}, filesz: ${f}, memsz: ${m}, prot: ${p} }`;
  it("a non-PIE (ET_EXEC) program maps at its link addresses; bss pages past the file are anonymous; the break follows them", () => {
    const prog = `{ path: /usr/bin/old, pie: false, entry: 0x401000, segments: [${seg(0, 0x400000, 0x800, 0x800, "r")}, ${seg(0x1000, 0x401000, 0x2345, 0x2345, "rx")}, ${seg(0x4000, 0x404000, 0x300, 0x3300, "rw")}] }`;
    const out = run(`  - exec: { spawn: old, program: ${prog}, aslr: false }\n  - cat: /proc/old/maps\n  - malloc: { task: old, size: 10, as: p }\n  - expect: { path: /proc/old/maps, at: p, field: range, equals: 00408000-00429000 }\n`);
    const maps = section(out, "cat /proc/old/maps").split("\n");
    expect(maps.slice(0, 3)).toEqual([
      `${pad("00400000-00401000 r--p 00000000 fe:00 12")}/usr/bin/old`,
      `${pad("00401000-00404000 r-xp 00001000 fe:00 12")}/usr/bin/old`,
      `${pad("00404000-00405000 rw-p 00004000 fe:00 12")}/usr/bin/old`,
    ]);
    // the bss pages past the file's (vm_brk_flags); its name column is left out: mmsim's
    // vma_is_initial_heap is the inclusive pre-6.11 test, which calls a VMA ending at start_brk
    // [heap] (6.18 compares strictly: vm_start < brk && vm_end > start_brk)
    expect(maps[3]!.slice(0, 40)).toBe("00405000-00408000 rw-p 00000000 00:00 0 ");
  });

  it("a described PIE gets ELF_ET_DYN_BASE and the built-in ld.so and libc", () => {
    const prog = `{ path: /usr/bin/tiny, entry: 0x1000, segments: [${seg(0, 0, 0x500, 0x500, "r")}, ${seg(0x1000, 0x1000, 0x100, 0x100, "rx")}] }`;
    const out = run(`  - exec: { spawn: tiny, program: ${prog}, aslr: false }\n  - cat: /proc/tiny/maps\n`);
    const maps = section(out, "cat /proc/tiny/maps");
    expect(maps.startsWith(`${pad("555555554000-555555555000 r--p 00000000 fe:00 12")}/usr/bin/tiny\n${pad("555555555000-555555556000 r-xp 00001000 fe:00 12")}/usr/bin/tiny\n`)).toBe(true);
    expect(maps).toContain(`${pad("7ffff7fca000-7ffff7fcb000 r--p 00000000 fe:00 13")}${LD}\n`);
  });
});

describe("exec in a running task", () => {
  it("replaces the address space (exec_mmap) and the comm; the old mappings are gone", () => {
    const out = run([
      "  - spawn: { name: sh }",
      "  - mmap: { task: sh, length: 64KiB, prot: [read, write], flags: [private, anonymous], as: buf }",
      "  - store: { task: sh, addr: buf, length: 64KiB }",
      "  - exec: { task: sh, argv: [app] }",
      "  - cat: /proc/sh/status",
    ].join("\n") + "\n");
    const status = section(out, "cat /proc/sh/status");
    expect(/^Name:\s+(\S+)/m.exec(status)![1]).toBe("app");
    // the 64 KiB written before are gone: the stack page and the three padzero copies remain
    expect(/^RssAnon:\s+(\d+) kB/m.exec(status)![1]).toBe("16");
  });

  it("a forked child of a task without malloc state execs; both exit cleanly", () => {
    const out = run("  - exec: { spawn: a, aslr: false }\n  - fork: { task: a, name: c }\n  - exec: { task: c, argv: [c], aslr: false }\n  - exit: { task: a }\n  - malloc: { task: c, size: 64, as: p }\n  - expect: { path: /proc/c/maps, at: p, field: range, equals: 555555560000-555555581000 }\n  - exit: { task: c }\n");
    expect(out).not.toContain("= -1");
  });

  it("kernel.randomize_va_space reads back what was written (proc_dointvec)", () => {
    const out = run("  - sysctl: { kernel.randomize_va_space: 1 }\n  - cat: /proc/sys/kernel/randomize_va_space\n");
    expect(section(out, "cat /proc/sys/kernel/randomize_va_space")).toBe("1\n");
  });

  it("parse errors name the field", () => {
    expect(() => loadScenario("steps:\n  - exec: { task: a, spawn: b }\n", "x.yaml")).toThrow(/exactly one of task/);
    expect(() => loadScenario("steps:\n  - exec: { spawn: a, program: { path: /bin/x, entry: 0, segments: [{ offset: 1, vaddr: 2, filesz: 1, memsz: 1, prot: r }] } }\n", "x.yaml")).toThrow(/congruent/);
  });
});
