// Huge PMDs under the range operations (mm/huge_memory.c, 6.18): __split_huge_pmd (the deposited
// table withdrawn and filled with 512 PTEs, thp_split_pmd), zap_huge_pmd, copy_huge_pmd (fork),
// change_huge_pmd (mprotect), madvise_free_huge_pmd, and vma_adjust_trans_huge. A range that
// covers a whole huge PMD treats it as one entry; a range that covers part of it splits the PMD
// first (zap_pmd_range, change_pmd_range), and the PTE-level code does the rest. Splitting the
// PMD leaves the folio large (deferred split, rmap-folio.ts). mremap moves a huge PMD whole when
// both addresses are 2 MiB-aligned and the new PMD is empty (move_huge_pmd), else splits it.
import { BUG } from "@mmsim/base";
import { PG_anon_exclusive } from "@mmsim/physical";
import type { VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { MM_ANONPAGES } from "./memory";
import { HPAGE_PMD_NR, HPAGE_PMD_SIZE } from "./huge-mm";
import { PTE_A, PTE_D, PTE_P, PTE_PSE, PTE_RW, PTE_SPECIAL, entryPfn, flushTlbRange, pfnHi, pfnLo, pmdOffset, pteModifyHi, pteModifyLo, ptePresent } from "./pte";
import { pgtableAlloc, pgtableFree, pmdAllocMm } from "./pgtable";
import { folioAddAnonRmapPtes, folioDupAnonRmapPmd, folioRemoveRmapPmd, largeFolioPut } from "./rmap-folio";
import { VM_SHARED, VM_WRITE } from "./mm-flags";
import { depositTable, mmGetHugeZeroFolio, withdrawTable } from "./huge-memory";

const EXCL = 1 << PG_anon_exclusive;
/** _PAGE_TABLE (P | RW | US | A | D) of a PMD pointing to a PTE table */
const PAGE_TABLE = 0x67;
/** the flag bits of a leaf's low word (bits 0-11) */
const FLAG_BITS = 0xfff;

/** pmd_trans_huge for an entry's low word: a leaf at the PMD level (present, or PROT_NONE). */
export function pmdTransHuge(lo: number): boolean {
  return (lo & PTE_PSE) !== 0 && ptePresent(lo);
}

/**
 * __split_huge_pmd_locked for the huge PMD at pmd (mapping haddr in vma): counts thp_split_pmd,
 * withdraws the deposited table and fills it with 512 PTEs carrying the PMD's rights, accessed
 * and dirty bits (the huge zero folio becomes 512 PTEs of the shared zero page), gives the folio
 * 511 more references and a PTE mapping per subpage (PageAnonExclusive per subpage when the head
 * had it), drops the PMD mapping, installs the table and flushes the range.
 */
export function splitHugePmd(vmm: VirtualMemory, vma: VmAreaStruct, pmd: number, haddr: number): void {
  const ram = vmm.ram;
  const mm = vma.vmMm;
  const lo = ram.readU32(pmd);
  const hi = ram.readU32(pmd + 4);
  if (!pmdTransHuge(lo)) BUG("__split_huge_pmd", `PMD at 0x${haddr.toString(16)} is not huge`);
  vmm.phys.counters.add(vmm.thpState.slotSplitPmd, 1);
  const table = withdrawTable(mm, pmd);
  const pfn = entryPfn(lo, hi);
  if (pfn === vmm.thpState.hugeZeroPfn) {
    // __split_huge_zero_page_pmd: the 4 KiB zero page, special, with the VMA's protections
    const prot = vma.vmPageProt;
    const zlo = (pfnLo(vmm.zeroPfn, prot.lo) | PTE_SPECIAL) & ~PTE_RW;
    const zhi = pfnHi(vmm.zeroPfn, prot.hi);
    for (let k = 0; k < HPAGE_PMD_NR; k++) {
      ram.writeU32(table + k * 8 + 4, zhi);
      ram.writeU32(table + k * 8, zlo >>> 0);
    }
  } else {
    const pages = vmm.pages;
    const h = pages.idx(pfn);
    pages.refcount[h] += HPAGE_PMD_NR - 1;
    folioAddAnonRmapPtes(vmm, pfn, (pages.flags[h] & EXCL) !== 0);
    folioRemoveRmapPmd(vmm, pfn);
    const flags = (lo & FLAG_BITS & ~PTE_PSE) >>> 0;
    const phi = hi & ~0xfffff; // NX and the other high flags
    for (let k = 0; k < HPAGE_PMD_NR; k++) {
      ram.writeU32(table + k * 8 + 4, pfnHi(pfn + k, phi));
      ram.writeU32(table + k * 8, pfnLo(pfn + k, flags));
    }
  }
  ram.writeU32(pmd + 4, Math.floor(table / 4294967296) >>> 0);
  ram.writeU32(pmd, ((table >>> 0) | PAGE_TABLE) >>> 0);
  flushTlbRange(vmm, mm, haddr, haddr + HPAGE_PMD_SIZE);
}

/**
 * zap_huge_pmd: clears the huge PMD at pmd, frees its deposited table (zap_deposited_table), and
 * for a folio drops the PMD mapping, 512 pages of rss and the PMD's reference.
 */
export function zapHugePmd(vmm: VirtualMemory, vma: VmAreaStruct, pmd: number, haddr: number): void {
  const ram = vmm.ram;
  const mm = vma.vmMm;
  const lo = ram.readU32(pmd);
  const pfn = entryPfn(lo, ram.readU32(pmd + 4));
  ram.writeU32(pmd, 0);
  ram.writeU32(pmd + 4, 0);
  flushTlbRange(vmm, mm, haddr, haddr + HPAGE_PMD_SIZE);
  pgtableFree(vmm, mm, withdrawTable(mm, pmd) / 4096);
  if (pfn === vmm.thpState.hugeZeroPfn) return;
  folioRemoveRmapPmd(vmm, pfn);
  mm.rssStat[MM_ANONPAGES] -= HPAGE_PMD_NR;
  largeFolioPut(vmm, vmm.pages.idx(pfn));
}

/**
 * For each huge PMD of vma's mm meeting [start, end): `whole` is called when the range covers it
 * entirely, otherwise it is split. Nothing to do for an mm without huge PMDs.
 */
function forHugePmds(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number, whole: ((vmm: VirtualMemory, vma: VmAreaStruct, pmd: number, haddr: number) => void) | null): void {
  const mm = vma.vmMm;
  if (mm.pmdHugePte.size === 0 || mm.pgd < 0) return;
  for (let haddr = start - (start % HPAGE_PMD_SIZE); haddr < end; haddr += HPAGE_PMD_SIZE) {
    const pmd = pmdOffset(vmm, mm, haddr);
    if (pmd < 0 || !pmdTransHuge(vmm.ram.readU32(pmd))) continue;
    if (whole !== null && haddr >= start && haddr + HPAGE_PMD_SIZE <= end) whole(vmm, vma, pmd, haddr);
    else splitHugePmd(vmm, vma, pmd, haddr);
  }
}

/** zap_pmd_range's huge part over [start, end): whole huge PMDs are zapped, partial ones split. */
export function zapHugePmds(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number): void {
  forHugePmds(vmm, vma, start, end, zapHugePmd);
}

/**
 * change_huge_pmd: the huge PMD takes vma.vmPageProt (pmd_modify keeps PSE), becoming writable at
 * once for an exclusive folio of a private writable VMA (MM_CP_TRY_CHANGE_WRITABLE).
 */
function changeHugePmd(vmm: VirtualMemory, vma: VmAreaStruct, pmd: number, haddr: number): void {
  const ram = vmm.ram;
  const lo = ram.readU32(pmd);
  const hi = ram.readU32(pmd + 4);
  const prot = vma.vmPageProt;
  let nlo = (pteModifyLo(lo, prot.lo) | PTE_PSE) >>> 0;
  const nhi = pteModifyHi(hi, prot.hi);
  const pfn = entryPfn(lo, hi);
  if ((vma.vmFlags & (VM_WRITE | VM_SHARED)) === VM_WRITE && (nlo & (PTE_RW | PTE_P)) === PTE_P && pfn !== vmm.thpState.hugeZeroPfn) {
    if ((vmm.pages.flags[vmm.pages.idx(pfn)] & EXCL) !== 0) nlo = (nlo | PTE_RW) >>> 0;
  }
  if (nlo === lo && nhi === hi) return;
  ram.writeU32(pmd + 4, nhi);
  ram.writeU32(pmd, nlo);
  flushTlbRange(vmm, vma.vmMm, haddr, haddr + HPAGE_PMD_SIZE);
}

/** change_pmd_range's huge part over [start, end) of vma (mprotect). */
export function changeHugePmds(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number): void {
  forHugePmds(vmm, vma, start, end, changeHugePmd);
}

/**
 * madvise_free_huge_pmd over a whole PMD: a folio mapped only here becomes clean and old (marking
 * it lazyfree is reclaim's); the huge zero folio and shared folios are left alone.
 */
function madviseFreeHugePmd(vmm: VirtualMemory, vma: VmAreaStruct, pmd: number, haddr: number): void {
  const ram = vmm.ram;
  const lo = ram.readU32(pmd);
  const pfn = entryPfn(lo, ram.readU32(pmd + 4));
  if (pfn === vmm.thpState.hugeZeroPfn || vmm.pages.refcount[vmm.pages.idx(pfn)] !== 1) return;
  const nlo = (lo & ~(PTE_A | PTE_D)) >>> 0;
  if (nlo === lo) return;
  ram.writeU32(pmd, nlo);
  flushTlbRange(vmm, vma.vmMm, haddr, haddr + HPAGE_PMD_SIZE);
}

/** madvise_free_pmd_range's huge part over [start, end). A partial range splits the PMD (Linux splits the folio; see the design notes). */
export function madviseFreeHugePmds(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number): void {
  forHugePmds(vmm, vma, start, end, madviseFreeHugePmd);
}

/**
 * vma_adjust_trans_huge at one boundary: a huge PMD of vma straddling addr (not 2 MiB-aligned)
 * is split before the VMA is cut or moved there (__split_vma, commit_merge).
 */
export function splitHugePmdAt(vmm: VirtualMemory, vma: VmAreaStruct, addr: number): void {
  if (addr % HPAGE_PMD_SIZE === 0) return;
  const mm = vma.vmMm;
  if (mm.pmdHugePte.size === 0 || mm.pgd < 0) return;
  const haddr = addr - (addr % HPAGE_PMD_SIZE);
  if (haddr < vma.vmStart || haddr + HPAGE_PMD_SIZE > vma.vmEnd) return;
  const pmd = pmdOffset(vmm, mm, haddr);
  if (pmd >= 0 && pmdTransHuge(vmm.ram.readU32(pmd))) splitHugePmd(vmm, vma, pmd, haddr);
}

/**
 * copy_huge_pmd for every huge PMD of src (fork): the child gets a deposited table and the same
 * PMD, write-protected in both and old in the child; a folio gains a PMD mapping and a reference
 * and stops being exclusive, 512 pages of rss; the huge zero folio gains the child's reference.
 * Returns 0 or -ENOMEM.
 */
export function copyHugePmds(vmm: VirtualMemory, dst: VmAreaStruct, src: VmAreaStruct): number {
  const smm = src.vmMm;
  const dmm = dst.vmMm;
  if (smm.pmdHugePte.size === 0) return 0;
  const ram = vmm.ram;
  let wrprotected = false;
  for (let haddr = src.vmStart - (src.vmStart % HPAGE_PMD_SIZE); haddr < src.vmEnd; haddr += HPAGE_PMD_SIZE) {
    const spmd = pmdOffset(vmm, smm, haddr);
    if (spmd < 0) continue;
    let lo = ram.readU32(spmd);
    if (!pmdTransHuge(lo)) continue;
    const hi = ram.readU32(spmd + 4);
    const table = pgtableAlloc(vmm, dmm);
    if (table < 0) return -12;
    const dpmd = pmdAllocMm(vmm, dmm, haddr);
    if (dpmd < 0) {
      pgtableFree(vmm, dmm, table);
      return -12;
    }
    const pfn = entryPfn(lo, hi);
    if (pfn === vmm.thpState.hugeZeroPfn) mmGetHugeZeroFolio(vmm, dmm);
    else {
      folioDupAnonRmapPmd(vmm, pfn);
      dmm.rssStat[MM_ANONPAGES] += HPAGE_PMD_NR;
    }
    depositTable(dmm, dpmd, table * 4096);
    if ((lo & PTE_RW) !== 0) {
      lo = (lo & ~PTE_RW) >>> 0;
      ram.writeU32(spmd, lo);
      wrprotected = true;
    }
    ram.writeU32(dpmd + 4, hi);
    ram.writeU32(dpmd, (lo & ~PTE_A) >>> 0);
  }
  if (wrprotected) flushTlbRange(vmm, smm, src.vmStart, src.vmEnd);
  return 0;
}

/**
 * move_page_tables' huge part for mremap within one mm: each huge PMD of [oldAddr, oldAddr + len)
 * whose extent is a whole PMD at both ends moves with its deposited table to the matching new
 * address when the new PMD entry is empty (move_huge_pmd); any other is split, for move_ptes.
 */
export function moveHugePmds(vmm: VirtualMemory, vma: VmAreaStruct, oldAddr: number, newAddr: number, len: number): void {
  const mm = vma.vmMm;
  if (mm.pmdHugePte.size === 0 || mm.pgd < 0) return;
  const ram = vmm.ram;
  for (let off = 0; off < len; ) {
    const old = oldAddr + off;
    const haddr = old - (old % HPAGE_PMD_SIZE);
    const pmd = pmdOffset(vmm, mm, haddr);
    if (pmd >= 0 && pmdTransHuge(ram.readU32(pmd))) {
      const dest = newAddr + off;
      let moved = false;
      if (old === haddr && dest % HPAGE_PMD_SIZE === 0 && len - off >= HPAGE_PMD_SIZE) {
        const npmd = pmdAllocMm(vmm, mm, dest);
        if (npmd >= 0 && ram.readU32(npmd) === 0 && ram.readU32(npmd + 4) === 0) {
          const lo = ram.readU32(pmd);
          const hi = ram.readU32(pmd + 4);
          ram.writeU32(pmd, 0);
          ram.writeU32(pmd + 4, 0);
          flushTlbRange(vmm, mm, haddr, haddr + HPAGE_PMD_SIZE);
          depositTable(mm, npmd, withdrawTable(mm, pmd));
          ram.writeU32(npmd + 4, hi);
          ram.writeU32(npmd, lo);
          moved = true;
        }
      }
      if (!moved) splitHugePmd(vmm, vma, pmd, haddr);
    }
    off = haddr + HPAGE_PMD_SIZE - oldAddr;
  }
}
