// i386 tasks' page tables: the 2-level 32-bit format (pgtable-2level_types.h: 1024 4-byte
// entries per table, VA 31:22 / 21:12 / 11:0) and PAE (pgtable-3level_types.h: the 4-entry pgd,
// then 512-entry PMD and PTE tables of 8-byte entries), read back from RAM entry by entry; the
// 3G/1G user layout; seed 001's arithmetic; fork, munmap and exit on those tables.
import { describe, expect, test } from "vitest";
import { PAGING_32BIT, PAGING_PAE, WalkResult, walkPageTableI386, ACCESS_READ, ACCESS_USER } from "@mmsim/hardware";
import { bootVirtual, freePagesNow, newMm } from "../test/boot";
import type { VirtualMemory } from "./virtual-memory";
import type { MmStruct } from "./mm-types";
import { sysMmap, sysMunmap } from "./syscalls";
import { doMprotect } from "./mprotect";
import { verifyVirtual } from "./verify";
import { mmRss, showMaps, showSmapsRollup } from "./task-mmu";
import { MAP_ANONYMOUS, MAP_FIXED, MAP_NORESERVE, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "./mm-flags";
import { mmapBase } from "./mmap";
import { ptePfn } from "./pte";
import { I386_TASK_SIZE } from "./pgtable-types";
import { VmFile } from "./mm-types";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MiB = 1048576;
const GiB = 1024 * MiB;

/** An i386 mm with the non-randomized 32-bit mmap_base. */
function i386Mm(vmm: VirtualMemory): MmStruct {
  const mm = newMm(vmm);
  mm.mmapBase = mmapBase(mm.taskSize, 8 * MiB, vmm.sysctl.stackGuardGap);
  return mm;
}

describe("i386 without PAE: 2 levels of 4-byte entries", () => {
  test("a write fault at 0x08048123 fills PGD entry 32 and PTE entry 72 of a 1024-entry table, 4 bytes each", () => {
    const vmm = bootVirtual({ arch: "i386" });
    expect([vmm.pgtLevels, vmm.entryShift, vmm.pteIndexMask, vmm.pmdShift, vmm.pmdSize]).toEqual([2, 2, 1023, 22, 4 * MiB]);
    expect(vmm.cpus.map((c) => c.pagingFormat)).toEqual([PAGING_32BIT, PAGING_32BIT]);
    const mm = i386Mm(vmm);
    expect(mm.pgtablesBytes).toBe(4096); // the page directory alone
    expect(sysMmap(vmm, mm, 0x08048000, 8192, RW, ANON | MAP_FIXED, null, 0)).toBe(0x08048000);
    const cpu = vmm.cpus[0];
    expect(vmm.store(mm, cpu, 0x08048123, new Uint8Array([0xab]))).toBeNull();
    // one PTE table below the pgd: 0x08048123 >> 22 = 32, (0x08048123 >> 12) & 1023 = 72
    expect(mm.pgtablesBytes).toBe(2 * 4096);
    const ram = vmm.ram;
    const pde = ram.readU32(mm.pgd + 32 * 4);
    expect(pde & 0xfff).toBe(0x67); // _PAGE_TABLE: P RW US A D
    expect([ram.readU32(mm.pgd + 31 * 4), ram.readU32(mm.pgd + 33 * 4)]).toEqual([0, 0]);
    const table = (pde & 0xfffff000) >>> 0;
    const pte = ram.readU32(table + 72 * 4);
    const pfn = ptePfn(vmm, mm, 0x08048000);
    expect(pte >>> 12).toBe(pfn);
    expect(pte & 0xfff).toBe(0x67); // P RW US A D: written by the fault, dirty
    expect([ram.readU32(table + 71 * 4), ram.readU32(table + 73 * 4)]).toEqual([0, 0]); // no high word
    // the hardware's 32-bit walk of these tables finds the same byte
    const out = new WalkResult();
    expect(walkPageTableI386(ram, mm.pgd, 0x08048123, ACCESS_READ | ACCESS_USER, false, out)).toBe(true);
    expect(out.pa).toBe(pfn * 4096 + 0x123);
    expect(ram.read(out.pa, 1)[0]).toBe(0xab);
    // the next page is in the same table: no new table
    expect(vmm.store(mm, cpu, 0x08049000, new Uint8Array([1]))).toBeNull();
    expect(mm.pgtablesBytes).toBe(2 * 4096);
    verifyVirtual(vmm, [mm]);
  });

  test("seed 001: one page in every 4 MiB of the 3 GiB user space takes 768 PTE tables and one page directory", () => {
    const vmm = bootVirtual({ arch: "i386" }, 64);
    const mm = i386Mm(vmm);
    // the whole user space but page 0 (mmap_min_addr 4096), not accounted (MAP_NORESERVE)
    expect(sysMmap(vmm, mm, 0x1000, I386_TASK_SIZE - 0x1000, RW, ANON | MAP_FIXED | MAP_NORESERVE, null, 0)).toBe(0x1000);
    const cpu = vmm.cpus[0];
    for (let a = 0x1000; a < I386_TASK_SIZE; a += 4 * MiB) expect(vmm.store(mm, cpu, a, new Uint8Array([1]))).toBeNull();
    // 768 = 3 GiB / 4 MiB PTE tables (each 1024 entries x 4 bytes, arch/x86/include/asm/pgtable-2level_types.h)
    // + the pgd: 4 MiB of PTEs would map the whole 4 GiB, the user 3/4 of it is 3 MiB
    expect(mm.pgtablesBytes).toBe((768 + 1) * 4096);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(769);
    // VmPTE (mm_pgtables_bytes) counts the PTE tables, not the pgd
    expect(mmRss(mm).pgtablesBytes).toBe(768 * 4096);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(0);
  });

  test("TASK_SIZE is 0xc0000000: mmap past it is ENOMEM, mmap_base is 128 MiB below it, a hint-less mmap lands below mmap_base", () => {
    const vmm = bootVirtual({ arch: "i386" });
    const mm = i386Mm(vmm);
    expect(mm.taskSize).toBe(0xc0000000);
    // mmap_base: TASK_SIZE - max(RLIMIT_STACK + stack_guard_gap, 128 MiB) (arch/x86/mm/mmap.c)
    expect(mm.mmapBase).toBe(0xb8000000);
    expect(sysMmap(vmm, mm, 0, 4 * MiB, RW, ANON, null, 0)).toBe(0xb8000000 - 4 * MiB);
    expect(sysMmap(vmm, mm, 0xbffff000, 8192, RW, ANON | MAP_FIXED, null, 0)).toBe(-12);
    expect(sysMmap(vmm, mm, 0xc0000000, 4096, RW, ANON | MAP_FIXED, null, 0)).toBe(-12);
    expect(sysMmap(vmm, mm, 0, 3 * GiB + 4096, RW, ANON, null, 0)).toBe(-12);
    expect(sysMmap(vmm, mm, 0xbffff000, 4096, RW, ANON | MAP_FIXED, null, 0)).toBe(0xbffff000);
    // the last user page faults into the last PTE of PGD entry 767
    expect(vmm.store(mm, vmm.cpus[1], 0xbffffffc, new Uint8Array([1, 2, 3, 4]))).toBeNull();
    const pde = vmm.ram.readU32(mm.pgd + 767 * 4);
    expect(vmm.ram.readU32(((pde & 0xfffff000) >>> 0) + 1023 * 4) & 1).toBe(1);
    verifyVirtual(vmm, [mm]);
  });

  test("maps pads the name to column 49 on an i386 kernel (seq_setwidth 25 + sizeof(void *) * 6 - 1 = 48)", () => {
    const vmm = bootVirtual({ arch: "i386" });
    const mm = i386Mm(vmm);
    const f = new VmFile("/usr/lib/i386-linux-gnu/libc.so.6", { writable: false });
    expect(sysMmap(vmm, mm, 0xb7e00000, 8192, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0)).toBe(0xb7e00000);
    expect(sysMmap(vmm, mm, 0xb7f00000, 4096, RW, ANON | MAP_FIXED, null, 0)).toBe(0xb7f00000);
    const line = showMaps(mm).split("\n")[0]!;
    expect(line.indexOf("/usr/lib")).toBe(49);
    expect(line.slice(0, 49)).toBe("b7e00000-b7e02000 r--p 00000000 00:00 0" + " ".repeat(10));
    expect(showMaps(mm).split("\n")[1]).toBe("b7f00000-b7f01000 rw-p 00000000 00:00 0 ");
    expect(showSmapsRollup(vmm, mm).split("\n")[0]).toBe("b7e00000-b7f01000 ---p 00000000 00:00 0" + " ".repeat(10) + "[rollup]");
  });

  test("THP stays off on i386 (no CONFIG_TRANSPARENT_HUGEPAGE in i386_defconfig): a 4 MiB-aligned write gets a 4 KiB page", () => {
    const vmm = bootVirtual({ arch: "i386", thpEnabled: "always" });
    expect(vmm.thp).toBe(false);
    const mm = i386Mm(vmm);
    expect(sysMmap(vmm, mm, 0x40000000, 8 * MiB, RW, ANON | MAP_FIXED, null, 0)).toBe(0x40000000);
    expect(vmm.store(mm, vmm.cpus[0], 0x40000000, new Uint8Array([1]))).toBeNull();
    expect(vmm.phys.counters.get("nr_anon_pages")).toBe(1);
    expect(vmm.phys.counters.get("thp_fault_alloc")).toBe(0);
    expect(mm.pmdHugePte.size).toBe(0);
  });

  test("fork shares pages copy-on-write in 4-byte PTEs; mprotect, munmap and exit give every page and table back", () => {
    const vmm = bootVirtual({ arch: "i386" });
    const boot = freePagesNow(vmm);
    const mm = i386Mm(vmm);
    const cpu = vmm.cpus[0];
    // 6 MiB across two PTE tables (the 4 MiB line at 0x10400000)
    expect(sysMmap(vmm, mm, 0x10200000, 6 * MiB, RW, ANON | MAP_FIXED, null, 0)).toBe(0x10200000);
    for (let a = 0x10200000; a < 0x10800000; a += 256 * 1024) expect(vmm.store(mm, cpu, a, new Uint8Array([a >>> 18]))).toBeNull();
    const child = vmm.fork(mm)!;
    expect(child.pgtablesBytes).toBe(3 * 4096);
    verifyVirtual(vmm, [mm, child]);
    const pfn = ptePfn(vmm, mm, 0x10400000);
    expect(ptePfn(vmm, child, 0x10400000)).toBe(pfn);
    expect(vmm.pages.refCount(pfn)).toBe(2);
    // the child's write copies; the parent keeps its byte
    expect(vmm.store(child, vmm.cpus[1], 0x10400000, new Uint8Array([99]))).toBeNull();
    const b = new Uint8Array(1);
    expect(vmm.load(mm, cpu, 0x10400000, b)).toBeNull();
    expect(b[0]).toBe(0x10400000 >>> 18 & 0xff);
    expect(ptePfn(vmm, child, 0x10400000)).not.toBe(pfn);
    expect(doMprotect(vmm, child, 0x10200000, 2 * MiB, PROT_READ)).toBe(0);
    expect(vmm.store(child, vmm.cpus[1], 0x10200000, new Uint8Array([1]))?.code).toBe(2); // SEGV_ACCERR
    verifyVirtual(vmm, [mm, child]);
    // munmap of the whole first 4 MiB table's part frees that table (free_pgtables)
    expect(sysMunmap(vmm, mm, 0x10200000, 2 * MiB)).toBe(0);
    expect(mm.pgtablesBytes).toBe(2 * 4096);
    verifyVirtual(vmm, [mm, child]);
    vmm.exitMm(child);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(0);
    expect(freePagesNow(vmm)).toBe(boot);
  });
});

describe("i386 with PAE: the 4-entry PDPT, then 512-entry tables of 8-byte entries", () => {
  test("pgd_alloc preallocates the four PMDs (PDPTEs carry P only); a fault adds one PTE table", () => {
    const vmm = bootVirtual({ arch: "i386", pae: true });
    expect([vmm.pgtLevels, vmm.entryShift, vmm.pteIndexMask, vmm.pmdShift, vmm.pmdSize]).toEqual([3, 3, 511, 21, 2 * MiB]);
    expect(vmm.cpus[0].pagingFormat).toBe(PAGING_PAE);
    const mm = i386Mm(vmm);
    // the pgd page + 4 PMDs (arch/x86/mm/pgtable.c: PREALLOCATED_PMDS = PTRS_PER_PGD)
    expect(mm.pgtablesBytes).toBe(5 * 4096);
    expect(mmRss(mm).pgtablesBytes).toBe(4 * 4096);
    const ram = vmm.ram;
    for (let i = 0; i < 4; i++) expect([ram.readU32(mm.pgd + i * 8) & 0xfff, ram.readU32(mm.pgd + i * 8 + 4)]).toEqual([0x1, 0]); // pud_populate: _PAGE_PRESENT only
    expect(sysMmap(vmm, mm, 0x08048000, 4096, RW, ANON | MAP_FIXED, null, 0)).toBe(0x08048000);
    expect(vmm.store(mm, vmm.cpus[0], 0x08048123, new Uint8Array([7]))).toBeNull();
    expect(mm.pgtablesBytes).toBe(6 * 4096);
    // PGD index 0 (VA 31:30), PMD index 0x40 (VA 29:21), PTE index 0x48 (VA 20:12)
    const pmdTable = (ram.readU32(mm.pgd) & 0xfffff000) >>> 0;
    const pmde = ram.readU32(pmdTable + 0x40 * 8);
    expect(pmde & 0xfff).toBe(0x67);
    const pteTable = (pmde & 0xfffff000) >>> 0;
    const pfn = ptePfn(vmm, mm, 0x08048000);
    expect(ram.readU32(pteTable + 0x48 * 8) >>> 12).toBe(pfn);
    // NX (bit 63) of a non-executable private mapping, in the PTE's high word
    expect(ram.readU32(pteTable + 0x48 * 8 + 4)).toBe(0x80000000);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(0);
  });

  test("seed 001 with PAE: one page per 2 MiB of the 3 GiB needs 1536 PTE tables (8-byte entries double the PTE memory)", () => {
    const vmm = bootVirtual({ arch: "i386", pae: true }, 64);
    const mm = i386Mm(vmm);
    expect(sysMmap(vmm, mm, 0x1000, I386_TASK_SIZE - 0x1000, RW, ANON | MAP_FIXED | MAP_NORESERVE, null, 0)).toBe(0x1000);
    const cpu = vmm.cpus[0];
    for (let a = 0x1000; a < I386_TASK_SIZE; a += 4 * MiB) expect(vmm.store(mm, cpu, a, new Uint8Array([1]))).toBeNull();
    // one page per 4 MiB: 768 PTE tables + 4 PMDs (VmPTE, pgtable-3level_types.h) + the pgd page
    expect(mmRss(mm).pgtablesBytes).toBe((768 + 4) * 4096);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(768 + 4 + 1);
    for (let a = 0x200000; a < I386_TASK_SIZE; a += 4 * MiB) expect(vmm.store(mm, cpu, a, new Uint8Array([1]))).toBeNull();
    // one page per 2 MiB: all 1536 PTE tables of the user 3 GiB (6 MiB of PTEs, 8 MiB for all 4 GiB)
    expect(mmRss(mm).pgtablesBytes).toBe((1536 + 4) * 4096);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(0);
  });

  test("munmap of a whole GiB frees its PMD (free_pgtables); the next fault there installs a new one with P only", () => {
    const vmm = bootVirtual({ arch: "i386", pae: true });
    const mm = i386Mm(vmm);
    expect(sysMmap(vmm, mm, 0x40000000, 4096, RW, ANON | MAP_FIXED, null, 0)).toBe(0x40000000);
    expect(vmm.store(mm, vmm.cpus[0], 0x40000000, new Uint8Array([1]))).toBeNull();
    expect(mm.pgtablesBytes).toBe(6 * 4096);
    expect(sysMunmap(vmm, mm, 0x40000000, 4096)).toBe(0);
    // no VMA is left: the PTE table and the PMD of 1-2 GiB go (the other three stay, never in range)
    expect(mm.pgtablesBytes).toBe(4 * 4096);
    expect(vmm.ram.readU32(mm.pgd + 8)).toBe(0);
    expect(sysMmap(vmm, mm, 0x40000000, 4096, RW, ANON | MAP_FIXED, null, 0)).toBe(0x40000000);
    expect(vmm.store(mm, vmm.cpus[0], 0x40000000, new Uint8Array([1]))).toBeNull();
    expect(vmm.ram.readU32(mm.pgd + 8) & 0xfff).toBe(0x1);
    expect(mm.pgtablesBytes).toBe(6 * 4096);
    verifyVirtual(vmm, [mm]);
  });
});
