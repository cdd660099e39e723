// Anonymous PMD-size THP faults (mm/huge_memory.c, 6.18): do_huge_pmd_anonymous_page (the huge
// zero folio on a read when use_zero_page is 1; a new order-9 folio, zeroed and mapped by a PMD
// leaf on a write, with a PTE table deposited for a later split), do_huge_pmd_wp_page (reuse an
// exclusive folio; a write to the huge zero folio tries a new THP first, do_huge_zero_wp_pmd;
// otherwise split the PMD and let the PTE-level fault copy one page) and huge_pmd_set_accessed.
//
//   __handle_mm_fault ─ pmd_none && thp_vma_allowable_order ─> do_huge_pmd_anonymous_page
//                     └ pmd_trans_huge ─ write && !pmd_write ─> do_huge_pmd_wp_page ─ FALLBACK ─┐
//                                      └ else huge_pmd_set_accessed                            │
//   handle_pte_fault (the PMD now points to the withdrawn table) <────────────────────────────┘
import { BUG } from "@mmsim/base";
import { GFP_TRANSHUGE, PG_anon_exclusive, __GFP_MOVABLE, __GFP_ZERO } from "@mmsim/physical";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import type { VmFault } from "./memory";
import { FAULT_FLAG_WRITE, MM_ANONPAGES, VM_FAULT_OOM } from "./memory";
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE, thpVmaAllowable, thpVmaSuitable, vmaThpGfpMask } from "./huge-mm";
import { PTE_A, PTE_D, PTE_PSE, PTE_RW, PTE_SPECIAL, entryPfn, flushTlbRange, pfnHi, pfnLo } from "./pte";
import { pgtableAlloc, pgtableFree } from "./pgtable";
import { anonVmaPrepare, folioMoveAnonRmap } from "./rmap";
import { folioAddNewAnonRmapPmd, largeFolioPut } from "./rmap-folio";
import { splitHugePmd } from "./huge-memory-range";
import { VM_WRITE } from "./mm-flags";

/** VM_FAULT_FALLBACK (include/linux/mm_types.h): the huge path gives up, retry with PTEs. */
export const VM_FAULT_FALLBACK = 0x000800;
const EXCL = 1 << PG_anon_exclusive;

/**
 * The PMD step of __handle_mm_fault for the PMD entry at vmf.pmd whose low word is plo (empty or
 * a huge leaf): 0, VM_FAULT_* bits, or VM_FAULT_FALLBACK to continue at the PTE level.
 */
export function hugePmdFault(vmm: VirtualMemory, vmf: VmFault, plo: number): number {
  const vma = vmf.vma!;
  if (plo === 0) {
    if (!vmm.thp || !thpVmaAllowable(vmm.thpState.settings, vma) || !thpVmaSuitable(vma, vmf.address)) return VM_FAULT_FALLBACK;
    return doHugePmdAnonymousPage(vmm, vmf);
  }
  if ((vmf.flags & FAULT_FLAG_WRITE) !== 0 && (plo & PTE_RW) === 0) return doHugePmdWpPage(vmm, vmf, plo);
  // huge_pmd_set_accessed → touch_pmd
  const nlo = (plo | PTE_A | ((vmf.flags & FAULT_FLAG_WRITE) !== 0 ? PTE_D : 0)) >>> 0;
  if (nlo !== plo) vmm.ram.writeU32(vmf.pmd, nlo);
  return 0;
}

/** pgtable_trans_huge_deposit: the preallocated PTE table waits beside the huge PMD at pmd. */
export function depositTable(mm: MmStruct, pmd: number, table: number): void {
  if (mm.pmdHugePte.has(pmd)) BUG("pgtable_trans_huge_deposit", `PMD 0x${pmd.toString(16)} already has a table`);
  mm.pmdHugePte.set(pmd, table);
}

/** pgtable_trans_huge_withdraw: the deposited table's pfn. */
export function withdrawTable(mm: MmStruct, pmd: number): number {
  const t = mm.pmdHugePte.get(pmd);
  if (t === undefined) BUG("pgtable_trans_huge_withdraw", `PMD 0x${pmd.toString(16)} has no deposited table`);
  mm.pmdHugePte.delete(pmd);
  return t;
}

/**
 * mm_get_huge_zero_folio: mm takes its one reference on the huge zero folio, allocating it at
 * first use (get_huge_zero_folio: (GFP_TRANSHUGE | __GFP_ZERO) & ~__GFP_MOVABLE, order 9,
 * counting thp_zero_page_alloc or thp_zero_page_alloc_failed). False when it cannot be had.
 */
export function mmGetHugeZeroFolio(vmm: VirtualMemory, mm: MmStruct): boolean {
  if (mm.hugeZeroFolio) return true;
  const t = vmm.thpState;
  if (t.hugeZeroPfn < 0) {
    const pfn = vmm.phys.allocPages((GFP_TRANSHUGE | __GFP_ZERO) & ~__GFP_MOVABLE, HPAGE_PMD_ORDER);
    if (pfn < 0) {
      vmm.phys.counters.add(t.slotZeroAllocFailed, 1);
      return false;
    }
    vmm.phys.counters.add(t.slotZeroAlloc, 1);
    t.hugeZeroPfn = pfn;
    t.hugeZeroRefcount = 1;
  }
  t.hugeZeroRefcount++;
  mm.hugeZeroFolio = true;
  return true;
}

/** mm_put_huge_zero_folio (__mmput): the mm's reference goes; the folio stays for its shrinker. */
export function mmPutHugeZeroFolio(vmm: VirtualMemory, mm: MmStruct): void {
  if (!mm.hugeZeroFolio) return;
  mm.hugeZeroFolio = false;
  vmm.thpState.hugeZeroRefcount--;
}

/**
 * shrink_huge_zero_folio_scan: frees the huge zero folio when only its own reference is left.
 * Returns the pages freed (512 or 0).
 */
export function shrinkHugeZeroFolio(vmm: VirtualMemory): number {
  const t = vmm.thpState;
  if (t.hugeZeroPfn < 0 || t.hugeZeroRefcount !== 1) return 0;
  vmm.phys.freePages(t.hugeZeroPfn, HPAGE_PMD_ORDER);
  t.hugeZeroPfn = -1;
  t.hugeZeroRefcount = 0;
  return HPAGE_PMD_NR;
}

/** vma_alloc_anon_folio_pmd: an order-9 folio with the defrag mode's GFP, zeroed (folio_zero_user); -1 counts thp_fault_fallback. */
function vmaAllocAnonFolioPmd(vmm: VirtualMemory, vmf: VmFault): number {
  const pfn = vmm.phys.allocPages(vmaThpGfpMask(vmm.thpState.settings, vmf.vma!), HPAGE_PMD_ORDER);
  if (pfn < 0) {
    vmm.phys.counters.add(vmm.thpState.slotFaultFallback, 1);
    return -1;
  }
  for (let k = 0; k < HPAGE_PMD_NR; k++) vmm.ram.zeroFrame(pfn + k);
  return pfn;
}

/** map_anon_folio_pmd: the new folio's PMD leaf (dirty, writable if the VMA is), rmap, LRU, rss, thp_fault_alloc. */
function mapAnonFolioPmd(vmm: VirtualMemory, vmf: VmFault, pfn: number, haddr: number): void {
  const vma = vmf.vma!;
  const prot = vma.vmPageProt;
  let lo = (pfnLo(pfn, prot.lo) | PTE_PSE | PTE_D) >>> 0;
  if (vma.vmFlags & VM_WRITE) lo = (lo | PTE_RW) >>> 0;
  folioAddNewAnonRmapPmd(vmm, pfn, vma, haddr);
  vmm.reclaim.lruAdd(pfn);
  vmm.ram.writeU32(vmf.pmd + 4, pfnHi(pfn, prot.hi));
  vmm.ram.writeU32(vmf.pmd, lo);
  vma.vmMm.rssStat[MM_ANONPAGES] += HPAGE_PMD_NR;
  vmm.phys.counters.add(vmm.thpState.slotFaultAlloc, 1);
}

/** do_huge_pmd_anonymous_page */
function doHugePmdAnonymousPage(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  const mm = vma.vmMm;
  const haddr = vmf.address - (vmf.address % HPAGE_PMD_SIZE);
  if (anonVmaPrepare(vmm, vma) < 0) return VM_FAULT_OOM;
  if ((vmf.flags & FAULT_FLAG_WRITE) === 0 && vmm.thpState.settings.useZeroPage) {
    const table = pgtableAlloc(vmm, mm);
    if (table < 0) return VM_FAULT_OOM;
    if (!mmGetHugeZeroFolio(vmm, mm)) {
      pgtableFree(vmm, mm, table);
      vmm.phys.counters.add(vmm.thpState.slotFaultFallback, 1);
      return VM_FAULT_FALLBACK;
    }
    // set_huge_zero_folio: read-only, special, huge
    const zero = vmm.thpState.hugeZeroPfn;
    const prot = vma.vmPageProt;
    depositTable(mm, vmf.pmd, table * 4096);
    vmm.ram.writeU32(vmf.pmd + 4, pfnHi(zero, prot.hi));
    vmm.ram.writeU32(vmf.pmd, ((pfnLo(zero, prot.lo) | PTE_PSE | PTE_SPECIAL) & ~PTE_RW) >>> 0);
    return 0;
  }
  const pfn = vmaAllocAnonFolioPmd(vmm, vmf);
  if (pfn < 0) return VM_FAULT_FALLBACK;
  const table = pgtableAlloc(vmm, mm);
  if (table < 0) {
    largeFolioPut(vmm, vmm.pages.idx(pfn));
    return VM_FAULT_OOM;
  }
  depositTable(mm, vmf.pmd, table * 4096);
  mapAnonFolioPmd(vmm, vmf, pfn, haddr);
  return 0;
}

/**
 * do_huge_pmd_wp_page: a write to a read-only huge PMD. The huge zero folio is replaced by a new
 * THP (do_huge_zero_wp_pmd) when one can be had; a folio whose head is PageAnonExclusive, or
 * whose only reference is this PMD, is reused; otherwise the PMD is split and the fault falls
 * back to the PTE level, which copies the one page written (6.18 never copies a whole THP).
 */
function doHugePmdWpPage(vmm: VirtualMemory, vmf: VmFault, plo: number): number {
  const vma = vmf.vma!;
  const ram = vmm.ram;
  const haddr = vmf.address - (vmf.address % HPAGE_PMD_SIZE);
  const pfn = entryPfn(plo, ram.readU32(vmf.pmd + 4));
  if (pfn === vmm.thpState.hugeZeroPfn) {
    // do_huge_zero_wp_pmd: the deposited table stays with the new mapping
    const folio = vmaAllocAnonFolioPmd(vmm, vmf);
    if (folio >= 0) {
      ram.writeU32(vmf.pmd, 0);
      ram.writeU32(vmf.pmd + 4, 0);
      flushTlbRange(vmm, vma.vmMm, haddr, haddr + HPAGE_PMD_SIZE);
      mapAnonFolioPmd(vmm, vmf, folio, haddr);
      return 0;
    }
  } else {
    const pages = vmm.pages;
    const h = pages.idx(pfn);
    let reuse = (pages.flags[h] & EXCL) !== 0;
    if (!reuse && pages.refcount[h] === 1) {
      folioMoveAnonRmap(vmm, pfn, vma);
      pages.flags[h] = (pages.flags[h] | EXCL) >>> 0;
      reuse = true;
    }
    if (reuse) {
      let lo = (plo | PTE_A | PTE_D) >>> 0;
      if (vma.vmFlags & VM_WRITE) lo = (lo | PTE_RW) >>> 0;
      ram.writeU32(vmf.pmd, lo);
      return 0;
    }
  }
  splitHugePmd(vmm, vma, vmf.pmd, haddr);
  return VM_FAULT_FALLBACK;
}
