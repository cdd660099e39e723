import { describe, expect, it } from "vitest";
import { InputError } from "@mmsim/base";
import { X86_PF_INSTR, X86_PF_PROT, X86_PF_USER, X86_PF_WRITE } from "@mmsim/hardware";
import { Kernel } from "./kernel";
import { explainFault, formatFault, parseFaultAddress } from "./fault-explain";
import { FAULT_DEMO_LAYOUT, FAULT_DEMO_LAYOUT_I386, spawnFaultDemo } from "./fault-demo";

const MiB = 1024 * 1024;
const region = (name: string) => FAULT_DEMO_LAYOUT.find((r) => r.name === name)!;
const boot = (levels: 4 | 5 = 4) => Kernel.boot({ ram: 256 * MiB, pagingLevels: levels });

describe("the built-in process", () => {
  it("has the documented layout in /proc/<pid>/maps", () => {
    const k = boot();
    const { task } = spawnFaultDemo(k);
    expect(k.cat(`/proc/${task.pid}/maps`)).toBe(
      "555555554000-555555558000 r-xp 00000000 00:00 0 \n" +
        "555555559000-555555561000 rw-p 00000000 00:00 0                          [heap]\n" +
        "7f1234560000-7f1234570000 rw-p 00000000 00:00 0 \n" +
        "7f1234570000-7f1234571000 ---p 00000000 00:00 0 \n" +
        "7f1234571000-7f1234575000 r--p 00000000 00:00 0 \n" +
        "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n",
    );
    expect(FAULT_DEMO_LAYOUT.map((r) => r.perms)).toEqual(["r-xp", "rw-p", "rw-p", "---p", "r--p", "rw-p"]);
  });
});

describe("explainFault (arch/x86/mm/fault.c do_user_addr_fault, mm/memory.c handle_mm_fault)", () => {
  it("a first write in an untouched PGD slot allocates the PUD, PMD and PTE tables, then a zeroed page", () => {
    const k = boot();
    const { task } = spawnFaultDemo(k);
    const va = region("mmap").start + 0x1234;
    const e = explainFault(k, task, va, "write");
    expect(e.rounds).toHaveLength(1);
    const r = e.rounds[0]!;
    // not present, write, user (arch/x86/include/asm/trap_pf.h)
    expect(r.errorCode).toBe(X86_PF_WRITE | X86_PF_USER);
    expect(r.cr2).toBe(va);
    expect(r.hwWalk.map((s) => s.name)).toEqual(["PGD"]);
    expect(r.path).toBe("anonymous");
    expect(r.anonVmaPrepared).toBe(true);
    expect(r.levels.map((l) => l.name)).toEqual(["PGD", "PUD", "PMD", "PTE"]);
    // each empty entry now points at the table the walk allocated for the level below
    expect(r.levels.slice(0, 3).every((l) => l.allocatedPfn > 0)).toBe(true);
    expect(r.levels[1]!.entryPa).toBe(r.levels[0]!.allocatedPfn * 4096 + r.levels[1]!.index * 8);
    expect(r.levels[3]!.allocatedPfn).toBe(-1);
    expect(r.page).toEqual({ pfn: r.page!.pfn, refcount: 1, mapcount: 1 });
    expect(e.result!.pa).toBe(r.page!.pfn * 4096 + 0x234);
    expect(e.result!.flags).toEqual(["P", "RW", "US", "A", "D", "NX"]);
    expect(e.counters.map((c) => [c.name, c.after - c.before])).toEqual([["pgfault", 1], ["nr_page_table_pages", 3]]);
    expect(e.pageTablesKb.after - e.pageTablesKb.before).toBe(12);
    expect([e.rssAnonKb.before, e.rssAnonKb.after]).toEqual([8, 12]);
  });

  it("with 5-level paging the PGD entry gets a P4D table (p4d_alloc)", () => {
    const k = boot(5);
    const { task } = spawnFaultDemo(k);
    const e = explainFault(k, task, region("mmap").start, "write");
    expect(e.rounds[0]!.levels.map((l) => [l.name, l.allocatedPfn > 0])).toEqual([["PGD", false], ["P4D", true], ["PUD", true], ["PMD", true], ["PTE", false]]);
    expect(formatFault(e)).toContain("was empty → pud_alloc: a new PUD table at pfn");
  });

  it("a read maps the zero page; a write to it then copies from zero (do_wp_page)", () => {
    const k = boot();
    const { task } = spawnFaultDemo(k);
    const va = region("mmap").start;
    const read = explainFault(k, task, va, "read");
    expect(read.rounds[0]!.path).toBe("zero-page");
    expect(read.rounds[0]!.page).toBeNull();
    expect(read.result!.pa).toBe(read.zeroPfn * 4096);
    expect(read.result!.flags).toEqual(["P", "US", "A", "SPECIAL", "NX"]);
    expect(read.rssAnonKb.after).toBe(read.rssAnonKb.before);
    const write = explainFault(k, task, va, "write");
    const r = write.rounds[0]!;
    expect(r.errorCode).toBe(X86_PF_PROT | X86_PF_WRITE | X86_PF_USER);
    expect(r.path).toBe("wp-copy-zero");
    expect(r.page!.refcount).toBe(1);
    expect(write.rssAnonKb.after - write.rssAnonKb.before).toBe(4);
    // the fault is counted once each time (count_vm_event(PGFAULT) in handle_mm_fault)
    expect(write.counters.find((c) => c.name === "pgfault")!.after - read.counters.find((c) => c.name === "pgfault")!.before).toBe(2);
  });

  it("after fork, the child's write copies the shared page and the parent's then reuses its own (pgreuse)", () => {
    const k = boot();
    const { task: child, parent } = spawnFaultDemo(k, { afterFork: true });
    const heap = region("[heap]").start;
    const c = explainFault(k, child, heap, "write");
    const r = c.rounds[0]!;
    expect(r.errorCode).toBe(X86_PF_PROT | X86_PF_WRITE | X86_PF_USER);
    expect(r.path).toBe("wp-copy");
    // the shared page had refcount 2 and mapcount 2; the copy leaves it to the parent alone
    expect(r.oldPage).toEqual({ pfn: r.oldPage!.pfn, refcount: 1, mapcount: 1 });
    expect(r.page!.pfn).not.toBe(r.oldPage!.pfn);
    expect(c.rssAnonKb.after).toBe(c.rssAnonKb.before);
    const p = explainFault(k, parent!, heap, "write");
    expect(p.rounds[0]!.path).toBe("wp-reuse");
    expect(p.rounds[0]!.page!.pfn).toBe(r.oldPage!.pfn);
    expect(p.counters.map((x) => [x.name, x.after - x.before])).toEqual([["pgfault", 1], ["pgreuse", 1]]);
    // the narration ran the real fault path: the machine's invariants hold (CONFIG_DEBUG_VM)
    k.verify();
    expect(formatFault(c)).toContain(`wp_page_copy copies pfn ${r.oldPage!.pfn} into a new page, pfn ${r.page!.pfn} (refcount 1, mapcount 1)`);
  });

  it("a read of a present page takes no fault", () => {
    const k = boot();
    const { task } = spawnFaultDemo(k);
    const e = explainFault(k, task, region("[heap]").start + 8, "read");
    expect(e.rounds).toHaveLength(0);
    expect(e.counters).toEqual([]);
    expect(formatFault(e)).toContain("No page fault: the page is present and allows the access.");
  });

  it("a write below the stack grows it (expand_downwards)", () => {
    const k = boot();
    const { task } = spawnFaultDemo(k);
    const st = region("[stack]").start;
    const r = explainFault(k, task, st - 4096, "write").rounds[0]!;
    expect(r.stackGrown).toEqual({ from: st, to: st - 4096 });
    expect(r.path).toBe("anonymous");
  });

  it("SIGSEGV: SEGV_ACCERR on a write to a read-only VMA, a PROT_NONE VMA, an exec of an NX page; SEGV_MAPERR outside every VMA", () => {
    const cases: [string, number, "read" | "write" | "exec", string, string][] = [
      ["rodata", 0, "write", "accerr", "a write to a VMA without VM_WRITE"],
      ["guard", 0, "read", "accerr", "an access to a PROT_NONE VMA"],
      ["[heap]", 0, "exec", "accerr", "an instruction fetch from a present no-execute page"],
    ];
    for (const [name, off, access, path, why] of cases) {
      const k = boot();
      const { task } = spawnFaultDemo(k);
      const e = explainFault(k, task, region(name).start + off, access);
      const r = e.rounds[e.rounds.length - 1]!;
      expect([r.path, r.accessError, r.signal?.name, r.signal?.codeName], name).toEqual([path, why, "SIGSEGV", "SEGV_ACCERR"]);
      expect(task.alive).toBe(false);
      expect(e.result).toBeNull();
    }
    const k = boot();
    const { task } = spawnFaultDemo(k);
    const e = explainFault(k, task, 0x1000, "read");
    expect([e.rounds[0]!.path, e.rounds[0]!.signal!.codeName, e.rounds[0]!.vmaAbove]).toEqual(["maperr", "SEGV_MAPERR", true]);
    expect(formatFault(e)).toContain("find_vma → 555555554000-555555558000 r-xp 00000000 00:00 0  (above the address)\n  the VMA starts above the address");
    expect(formatFault(e)).toContain("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x1000} ---\n+++ killed by SIGSEGV +++\n");
    k.verify();
  });

  it("an exec in the r-x text maps the zero page, then the fetch succeeds; a user access to the kernel half is SEGV_MAPERR", () => {
    const k = boot();
    const { task } = spawnFaultDemo(k);
    const e = explainFault(k, task, region("text").start, "exec");
    expect(e.rounds.map((r) => r.errorCode)).toEqual([X86_PF_INSTR | X86_PF_USER]);
    expect(e.rounds[0]!.path).toBe("zero-page");
    expect(e.result!.flags).toEqual(["P", "US", "A", "SPECIAL"]);
    const kern = explainFault(k, task, parseFaultAddress(k, "ffff888000001000"), "read");
    expect([kern.rounds[0]!.path, kern.rounds[0]!.signal!.codeName]).toEqual(["kernel-address", "SEGV_MAPERR"]);
  });

  it("parseFaultAddress: hex only, canonical for the paging mode", () => {
    const k = boot();
    expect(parseFaultAddress(k, "0x7f1234560000")).toBe(0x7f1234560000);
    expect(() => parseFaultAddress(k, "banana")).toThrow(InputError);
    expect(() => parseFaultAddress(k, "0x800000000000")).toThrow(/invalid virtual address "0x800000000000": expected a canonical 48-bit address/);
    expect(parseFaultAddress(boot(5), "0x800000000000")).toBe(0x800000000000);
  });
});

describe("explainFault on i386: 2-level tables (pgtable-2level_types.h) and PAE (pgtable-3level_types.h)", () => {
  const GiB = 1024 * MiB;
  const boot386 = (pae: boolean) => Kernel.boot({ ram: GiB, arch: "i386", pae });
  const mmap386 = FAULT_DEMO_LAYOUT_I386.find((r) => r.name === "mmap")!;
  /** The first HighMem pfn: ZONE_HIGHMEM starts at 896 MiB (MAXMEM of the 3G/1G split). */
  const HIGHMEM_PFN = (896 * MiB) / 4096;

  it("lays the process out below TASK_SIZE (0xc0000000), with 8-digit maps addresses", () => {
    const k = boot386(false);
    const { task } = spawnFaultDemo(k);
    expect(k.cat(`/proc/${task.pid}/maps`)).toBe(
      "00400000-00404000 r-xp 00000000 00:00 0 \n" +
        "00405000-0040d000 rw-p 00000000 00:00 0          [heap]\n" +
        "b7f01000-b7f11000 rw-p 00000000 00:00 0 \n" +
        "b7f11000-b7f12000 ---p 00000000 00:00 0 \n" +
        "b7f12000-b7f16000 r--p 00000000 00:00 0 \n" +
        "bffdf000-c0000000 rw-p 00000000 00:00 0          [stack]\n",
    );
  });

  it("2-level: the walk stops at the empty page-directory entry; the fault allocates one PTE table (4-byte entries, 10-bit indexes)", () => {
    const k = boot386(false);
    const { task } = spawnFaultDemo(k);
    const va = mmap386.start + 0x234;
    const e = explainFault(k, task, va, "write");
    expect([e.arch, e.pae, e.levels, e.vaText]).toEqual(["i386", false, 2, "b7f01234"]);
    const r = e.rounds[0]!;
    expect(r.errorCode).toBe(X86_PF_WRITE | X86_PF_USER);
    expect(r.hwWalk.map((st) => [st.name, st.index])).toEqual([["PGD", 0xb7f01234 >>> 22]]);
    expect(r.path).toBe("anonymous");
    expect(r.levels.map((l) => [l.name, l.index])).toEqual([["PGD", 735], ["PTE", 769]]);
    const [pgd, pte] = r.levels as [(typeof r.levels)[0], (typeof r.levels)[0]];
    expect(pgd.entryPa).toBe(task.mm!.pgd + 735 * 4);
    expect(pgd.allocatedPfn).toBeGreaterThan(0);
    expect(pgd.allocatedPfn).toBeLessThan(HIGHMEM_PFN); // page tables from lowmem (no CONFIG_HIGHPTE)
    expect(pte.entryPa).toBe(pgd.allocatedPfn * 4096 + 769 * 4);
    expect(r.page!.pfn).toBeGreaterThanOrEqual(HIGHMEM_PFN); // the user page from ZONE_HIGHMEM (GFP_HIGHUSER_MOVABLE)
    expect(pte.after).toEqual({ lo: (r.page!.pfn * 4096 + 0x67) >>> 0, hi: 0 });
    expect(e.result!.flags).toEqual(["P", "RW", "US", "A", "D"]); // no NX bit without PAE
    expect(e.counters.map((c) => [c.name, c.after - c.before])).toEqual([["pgfault", 1], ["nr_page_table_pages", 1]]);
    expect(e.pageTablesKb.after - e.pageTablesKb.before).toBe(4);
    const text = formatFault(e);
    expect(text).toContain("user write at b7f01234 (i386 32-bit paging, 2 levels)\n");
    expect(text).toContain(`  PGD index  735: was empty → pte_alloc: a new PTE table at pfn ${pgd.allocatedPfn}, entry 0x${((pgd.allocatedPfn * 4096 + 0x67) >>> 0).toString(16).padStart(8, "0")}  [P RW US A D]\n`);
    expect(text).toContain(`  PTE index  769: 0x00000000 → 0x${pte.after.lo.toString(16).padStart(8, "0")}  [P RW US A D] pfn ${r.page!.pfn}\n`);
    k.verify();
  });

  it("PAE: the pgd's PMDs exist from the start, so the walk stops at the PMD entry and the fault allocates only the PTE table", () => {
    const k = boot386(true);
    const { task } = spawnFaultDemo(k);
    const e = explainFault(k, task, mmap386.start, "write");
    expect([e.arch, e.pae, e.levels]).toEqual(["i386", true, 3]);
    const r = e.rounds[0]!;
    expect(r.hwWalk.map((st) => [st.name, st.index])).toEqual([["PGD", 2], ["PMD", 447]]);
    expect(r.levels.map((l) => [l.name, l.index, l.allocatedPfn > 0])).toEqual([["PGD", 2, false], ["PMD", 447, true], ["PTE", 257, false]]);
    expect(r.levels[0]!.entryPa).toBe(task.mm!.pgd + 2 * 8);
    expect(e.result!.flags).toEqual(["P", "RW", "US", "A", "D", "NX"]); // PAE's 8-byte entries carry NX
    expect(e.counters.map((c) => [c.name, c.after - c.before])).toEqual([["pgfault", 1], ["nr_page_table_pages", 1]]);
    expect(formatFault(e)).toContain("user write at b7f01000 (i386 PAE paging, 3 levels)\n");
    k.verify();
  });

  it("a read maps the zero page, a write below the stack grows it, and an access above TASK_SIZE is SEGV_MAPERR", () => {
    const k = boot386(false);
    const { task } = spawnFaultDemo(k);
    expect(explainFault(k, task, mmap386.start + 0x5000, "read").rounds[0]!.path).toBe("zero-page");
    const stack = FAULT_DEMO_LAYOUT_I386.find((r) => r.name === "[stack]")!;
    const grow = explainFault(k, task, stack.start - 0x1000, "write").rounds[0]!;
    expect([grow.path, grow.stackGrown]).toEqual(["anonymous", { from: 0xbffdf000, to: 0xbffde000 }]);
    const kern = explainFault(k, task, parseFaultAddress(k, "c0001000"), "read").rounds[0]!;
    expect([kern.path, kern.signal!.codeName]).toEqual(["kernel-address", "SEGV_MAPERR"]);
    k.verify();
  });

  it("parseFaultAddress: a 32-bit address in hex on an i386 machine", () => {
    const k = boot386(false);
    expect(parseFaultAddress(k, "0xb7f01000")).toBe(0xb7f01000);
    expect(parseFaultAddress(k, "0000_0000_c000_0000")).toBe(0xc0000000);
    expect(() => parseFaultAddress(k, "0x1b7f01000")).toThrow(/invalid virtual address "0x1b7f01000": expected a 32-bit address in hex/);
    expect(() => parseFaultAddress(k, "0x")).toThrow(InputError);
    expect(() => parseFaultAddress(k, "-1")).toThrow(InputError);
  });
});

