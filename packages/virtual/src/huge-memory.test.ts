// Anonymous THP (mm/huge_memory.c, 6.18): the huge fault on write and read (huge zero folio),
// do_huge_zero_wp_pmd, fork's copy_huge_pmd and the split-then-COW of a shared THP, partial
// munmap and MADV_DONTNEED splitting a PMD (deferred split), the fallback to 4 KiB pages, the
// enabled modes with MADV_HUGEPAGE/NOHUGEPAGE, smaps and pagemap of a PMD-mapped page.
import { describe, expect, test } from "vitest";
import { GFP_HIGHUSER_MOVABLE, PG_head } from "@mmsim/physical";
import { bootVirtual, freePagesNow, newMm } from "../test/boot";
import { sysMmap, sysMunmap } from "./syscalls";
import { doMadvise } from "./madvise";
import { doMremap } from "./mremap";
import { verifyVirtual } from "./verify";
import { MADV_DONTNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, MREMAP_FIXED, MREMAP_MAYMOVE, PROT_READ, PROT_WRITE } from "./mm-flags";
import { mappedPfn, pmdOffset, PTE_PSE, PTE_RW } from "./pte";
import { MM_ANONPAGES } from "./memory";
import { shrinkHugeZeroFolio } from "./huge-memory";
import { HPAGE_PMD_ORDER, HPAGE_PMD_SIZE } from "./huge-mm";
import { MemSizeStats, pagemapRead, PM_MMAP_EXCLUSIVE, PM_PRESENT, showSmaps, smapGatherStats } from "./task-mmu";
import type { VirtualMemory } from "./virtual-memory";
import type { MmStruct } from "./mm-types";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const MIB2 = HPAGE_PMD_SIZE;

function count(vmm: VirtualMemory, name: string): number {
  return vmm.phys.counters.get(name);
}

/** The PMD entry's low word at addr (0 when there is no PMD table). */
function pmdLo(vmm: VirtualMemory, mm: MmStruct, addr: number): number {
  const pmd = pmdOffset(vmm, mm, addr);
  return pmd < 0 ? 0 : vmm.ram.readU32(pmd);
}

function byte(vmm: VirtualMemory, mm: MmStruct, addr: number, cpu = 0): number {
  const out = new Uint8Array(1);
  expect(vmm.load(mm, vmm.cpus[cpu], addr, out)).toBeNull();
  return out[0];
}

function put(vmm: VirtualMemory, mm: MmStruct, addr: number, v: number, cpu = 0): void {
  expect(vmm.store(mm, vmm.cpus[cpu], addr, new Uint8Array([v]))).toBeNull();
}

function smaps(vmm: VirtualMemory, mm: MmStruct): MemSizeStats {
  const mss = new MemSizeStats();
  for (const vma of mm.mmMt.vmas) smapGatherStats(vmm, vma, mss);
  return mss;
}

describe("the anonymous huge fault (do_huge_pmd_anonymous_page)", () => {
  test("a write in a 2 MiB-aligned eligible range maps a zeroed order-9 folio by a PMD and deposits a table", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    const boot = freePagesNow(vmm);
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, MIB2, RW, ANON, null, 0);
    expect(a % MIB2).toBe(0); // thp_get_unmapped_area
    put(vmm, mm, a + 4096 * 7 + 5, 42);
    const lo = pmdLo(vmm, mm, a);
    expect(lo & PTE_PSE).toBe(PTE_PSE);
    expect(lo & PTE_RW).toBe(PTE_RW);
    const head = mappedPfn(vmm, mm, a);
    expect(head % 512).toBe(0);
    expect(vmm.pages.testFlag(head, PG_head)).toBe(true);
    expect(vmm.phys.compoundOrder(head)).toBe(HPAGE_PMD_ORDER);
    expect(mappedPfn(vmm, mm, a + 4096 * 7)).toBe(head + 7);
    expect(byte(vmm, mm, a + 4096 * 7 + 5)).toBe(42);
    expect(byte(vmm, mm, a + MIB2 - 1)).toBe(0);
    expect(count(vmm, "thp_fault_alloc")).toBe(1);
    expect(count(vmm, "nr_anon_transparent_hugepages")).toBe(1);
    expect(count(vmm, "nr_anon_pages")).toBe(512);
    expect(count(vmm, "pgfault")).toBe(1);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(512);
    // pgd, pud, pmd table and the deposited PTE table (pgtable_trans_huge_deposit, mm_inc_nr_ptes)
    expect(mm.pgtablesBytes).toBe(4 * 4096);
    expect(count(vmm, "nr_page_table_pages")).toBe(4);
    const mss = smaps(vmm, mm);
    expect(mss.anonymousThp).toBe(MIB2);
    expect(mss.resident).toBe(MIB2);
    expect(showSmaps(vmm, mm, "always")).toContain("AnonHugePages:      2048 kB\n");
    // pagemap of a PMD-mapped page: the subpage's pfn, present, mapped once
    const [e] = pagemapRead(vmm, mm, a + 4096 * 3, 1);
    expect(e).toBe(PM_PRESENT | PM_MMAP_EXCLUSIVE | BigInt(head + 3));
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
    expect(count(vmm, "nr_anon_transparent_hugepages")).toBe(0);
    expect(freePagesNow(vmm)).toBe(boot);
  });

  test("a read maps the huge zero folio once; a write replaces it by a new THP (do_huge_zero_wp_pmd)", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    const boot = freePagesNow(vmm);
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, MIB2, RW, ANON, null, 0);
    expect(byte(vmm, mm, a + 100)).toBe(0);
    const zero = vmm.thpState.hugeZeroPfn;
    expect(zero).toBeGreaterThanOrEqual(0);
    expect(mappedPfn(vmm, mm, a + 4096)).toBe(zero + 1);
    expect(pmdLo(vmm, mm, a) & PTE_RW).toBe(0);
    expect(count(vmm, "thp_zero_page_alloc")).toBe(1);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(0);
    expect(smaps(vmm, mm).resident).toBe(0);
    // a second mm takes a reference, no second allocation
    const mm2 = newMm(vmm);
    const b = sysMmap(vmm, mm2, 0, MIB2, RW, ANON, null, 0);
    expect(byte(vmm, mm2, b)).toBe(0);
    expect(count(vmm, "thp_zero_page_alloc")).toBe(1);
    expect(vmm.thpState.hugeZeroRefcount).toBe(3);
    verifyVirtual(vmm, [mm, mm2]);
    put(vmm, mm, a + 100, 7);
    expect(mappedPfn(vmm, mm, a)).not.toBe(zero);
    expect(pmdLo(vmm, mm, a) & PTE_PSE).toBe(PTE_PSE);
    expect(count(vmm, "thp_fault_alloc")).toBe(1);
    expect(byte(vmm, mm, a + 100)).toBe(7);
    expect(byte(vmm, mm2, b + 100)).toBe(0);
    verifyVirtual(vmm, [mm, mm2]);
    vmm.exitMm(mm);
    vmm.exitMm(mm2);
    // the folio stays until its shrinker finds it unused
    expect(vmm.thpState.hugeZeroRefcount).toBe(1);
    expect(shrinkHugeZeroFolio(vmm)).toBe(512);
    verifyVirtual(vmm, []);
    expect(freePagesNow(vmm)).toBe(boot);
  });

  test("use_zero_page 0: a read allocates a THP", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    vmm.thpState.settings.useZeroPage = false;
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, MIB2, RW, ANON, null, 0);
    expect(byte(vmm, mm, a)).toBe(0);
    expect(vmm.thpState.hugeZeroPfn).toBe(-1);
    expect(count(vmm, "thp_fault_alloc")).toBe(1);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(512);
    vmm.exitMm(mm);
  });

  test("with no free order-9 block the fault falls back to a 4 KiB page and counts thp_fault_fallback", () => {
    const vmm = bootVirtual({ thpEnabled: "always" }, 32);
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, MIB2, RW, ANON, null, 0);
    const held: number[] = [];
    for (let p = vmm.phys.allocPages(GFP_HIGHUSER_MOVABLE, 9); p >= 0; p = vmm.phys.allocPages(GFP_HIGHUSER_MOVABLE, 9)) held.push(p);
    expect(held.length).toBeGreaterThan(0);
    put(vmm, mm, a, 1);
    expect(count(vmm, "thp_fault_fallback")).toBe(1);
    expect(count(vmm, "thp_fault_alloc")).toBe(0);
    expect(pmdLo(vmm, mm, a) & PTE_PSE).toBe(0);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(1);
    verifyVirtual(vmm, [mm]);
    for (const p of held) vmm.phys.freePages(p, 9);
    vmm.exitMm(mm);
  });

  test("madvise mode needs MADV_HUGEPAGE; never and MADV_NOHUGEPAGE map 4 KiB pages; a range not wholly inside the VMA falls back", () => {
    const vmm = bootVirtual({ thpEnabled: "madvise" });
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 2 * MIB2, RW, ANON, null, 0);
    put(vmm, mm, a, 1);
    expect(count(vmm, "thp_fault_alloc")).toBe(0);
    expect(doMadvise(vmm, mm, a + MIB2, MIB2, MADV_HUGEPAGE)).toBe(0);
    put(vmm, mm, a + MIB2, 1);
    expect(count(vmm, "thp_fault_alloc")).toBe(1);
    vmm.thpState.settings.enabled = "always";
    const b = sysMmap(vmm, mm, 0, MIB2, RW, ANON, null, 0);
    expect(doMadvise(vmm, mm, b, MIB2, MADV_NOHUGEPAGE)).toBe(0);
    put(vmm, mm, b, 1);
    expect(count(vmm, "thp_fault_alloc")).toBe(1);
    // 2 MiB not aligned: no 2 MiB-aligned range fits inside
    const c = sysMmap(vmm, mm, 0, MIB2 + 4096, RW, ANON, null, 0);
    const inside = c % MIB2 === 0 ? c : c + (MIB2 - (c % MIB2));
    put(vmm, mm, c, 1);
    if (inside + MIB2 > c + MIB2 + 4096) expect(count(vmm, "thp_fault_alloc")).toBe(1);
    vmm.thpState.settings.enabled = "never";
    const d = sysMmap(vmm, mm, 0, MIB2, RW, ANON, null, 0);
    put(vmm, mm, d, 1);
    expect(pmdLo(vmm, mm, d) & PTE_PSE).toBe(0);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
  });
});

describe("fork, split and COW of a THP", () => {
  test("fork shares the PMD write-protected; a write in the child splits its PMD and copies one page; no leak either way", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    const boot = freePagesNow(vmm);
    const parent = newMm(vmm);
    const a = sysMmap(vmm, parent, 0, MIB2, RW, ANON, null, 0);
    put(vmm, parent, a, 11);
    put(vmm, parent, a + 4096, 22);
    const head = mappedPfn(vmm, parent, a);
    const child = vmm.fork(parent)!;
    expect(mappedPfn(vmm, child, a)).toBe(head);
    expect(pmdLo(vmm, parent, a) & PTE_RW).toBe(0);
    expect(pmdLo(vmm, child, a) & (PTE_RW | 0x20)).toBe(0); // read-only and old
    expect(vmm.pages.refCount(head)).toBe(2);
    expect(vmm.thpState.entireMapcount[vmm.pages.idx(head) >>> 9]).toBe(1);
    expect(child.rssStat[MM_ANONPAGES]).toBe(512);
    verifyVirtual(vmm, [parent, child]);
    // selftests/mm/cow.c "no leak between parent and child" with a THP: the child's write
    put(vmm, child, a, 99, 1);
    expect(count(vmm, "thp_split_pmd")).toBe(1);
    expect(pmdLo(vmm, child, a) & PTE_PSE).toBe(0);
    expect(pmdLo(vmm, parent, a) & PTE_PSE).toBe(PTE_PSE);
    expect(mappedPfn(vmm, child, a)).not.toBe(head);
    expect(mappedPfn(vmm, child, a + 4096)).toBe(head + 1);
    expect(byte(vmm, parent, a)).toBe(11);
    expect(byte(vmm, child, a, 1)).toBe(99);
    expect(byte(vmm, child, a + 4096, 1)).toBe(22);
    // PMD mapping (1) + 511 PTEs of the child's other subpages
    expect(vmm.pages.refCount(head)).toBe(512);
    expect(count(vmm, "nr_anon_transparent_hugepages")).toBe(1);
    verifyVirtual(vmm, [parent, child]);
    // the parent's write: the folio is still mapped by the child, so its PMD splits and one page is copied
    put(vmm, parent, a + 4096, 33);
    expect(count(vmm, "thp_split_pmd")).toBe(2);
    expect(byte(vmm, child, a + 4096, 1)).toBe(22);
    expect(byte(vmm, parent, a + 4096)).toBe(33);
    expect(count(vmm, "nr_anon_transparent_hugepages")).toBe(0);
    verifyVirtual(vmm, [parent, child]);
    vmm.exitMm(child);
    verifyVirtual(vmm, [parent]);
    vmm.exitMm(parent);
    verifyVirtual(vmm, []);
    expect(freePagesNow(vmm)).toBe(boot);
  });

  test("after the child exits, the parent's write reuses the exclusive THP without a split", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    const parent = newMm(vmm);
    const a = sysMmap(vmm, parent, 0, MIB2, RW, ANON, null, 0);
    put(vmm, parent, a, 1);
    const head = mappedPfn(vmm, parent, a);
    const child = vmm.fork(parent)!;
    vmm.exitMm(child);
    expect(vmm.pages.refCount(head)).toBe(1);
    put(vmm, parent, a, 2);
    expect(mappedPfn(vmm, parent, a)).toBe(head);
    expect(pmdLo(vmm, parent, a) & PTE_RW).toBe(PTE_RW);
    expect(count(vmm, "thp_split_pmd")).toBe(0);
    verifyVirtual(vmm, [parent]);
    vmm.exitMm(parent);
  });

  test("munmap of 4 KiB inside a THP splits the PMD and queues the folio for deferred split; MADV_DONTNEED of a whole PMD zaps it", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    const boot = freePagesNow(vmm);
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 2 * MIB2, RW, ANON, null, 0);
    put(vmm, mm, a, 1);
    put(vmm, mm, a + MIB2, 2);
    expect(sysMunmap(vmm, mm, a + 8192, 4096)).toBe(0);
    expect(count(vmm, "thp_split_pmd")).toBe(1);
    expect(count(vmm, "thp_deferred_split_page")).toBe(1);
    expect(count(vmm, "thp_split_page")).toBe(0);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(511 + 512);
    expect(count(vmm, "nr_anon_pages")).toBe(511 + 512);
    expect(smaps(vmm, mm).anonymousThp).toBe(MIB2);
    expect(byte(vmm, mm, a)).toBe(1);
    verifyVirtual(vmm, [mm]);
    expect(doMadvise(vmm, mm, a + MIB2, MIB2, MADV_DONTNEED)).toBe(0);
    expect(count(vmm, "thp_split_pmd")).toBe(1);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(511);
    expect(byte(vmm, mm, a + MIB2)).toBe(0);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
    expect(shrinkHugeZeroFolio(vmm)).toBe(512);
    expect(freePagesNow(vmm)).toBe(boot);
  });
});

describe("mremap of a THP (move_page_tables)", () => {
  test("to a 2 MiB-aligned address the huge PMD moves whole with its deposited table; to an unaligned one it is split", () => {
    const vmm = bootVirtual({ thpEnabled: "always" });
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, MIB2, RW, ANON, null, 0);
    put(vmm, mm, a + 5, 77);
    const head = mappedPfn(vmm, mm, a);
    const dest = 0x40000000;
    expect(doMremap(vmm, mm, a, MIB2, MIB2, MREMAP_MAYMOVE | MREMAP_FIXED, dest)).toBe(dest);
    expect(pmdLo(vmm, mm, dest) & PTE_PSE).toBe(PTE_PSE);
    expect(mappedPfn(vmm, mm, dest + 4096)).toBe(head + 1);
    expect(count(vmm, "thp_split_pmd")).toBe(0);
    expect(byte(vmm, mm, dest + 5)).toBe(77);
    verifyVirtual(vmm, [mm]);
    const odd = 0x50001000;
    expect(doMremap(vmm, mm, dest, MIB2, MIB2, MREMAP_MAYMOVE | MREMAP_FIXED, odd)).toBe(odd);
    expect(count(vmm, "thp_split_pmd")).toBe(1);
    expect(mappedPfn(vmm, mm, odd + 4096)).toBe(head + 1);
    expect(byte(vmm, mm, odd + 5)).toBe(77);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
  });
});
