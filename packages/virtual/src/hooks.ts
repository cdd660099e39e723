// The page-level extension points of the VMA layer. Linux's VMA operations call into the page
// tables at these places (mm/vma.c unmap_region, mm/mprotect.c change_protection, mm/mremap.c
// move_page_tables, mm/gup.c populate_vma_page_range, mm/mlock.c mlock_vma_pages_range,
// mm/madvise.c's page-level advices); page-hooks.ts does that work. ReclaimHooks are the places
// where the fault and unmap paths call the reclaim layer (swap-in, swap entries, LRU lists).
import { BUG } from "@mmsim/base";
import type { VmAreaStruct, MmStruct } from "./mm-types";
import type { VmFault } from "./memory";

export interface VmaPageHooks {
  /** unmap_vmas + free_pgtables for [start, end) of a VMA being unmapped (or shrunk) */
  zapVmaRange(vma: VmAreaStruct, start: number, end: number): void;
  /** change_protection: [start, end) of `vma` now has vma.vmPageProt */
  changeProtection(vma: VmAreaStruct, start: number, end: number): void;
  /** move_page_tables: moves the PTEs of [oldAddr, oldAddr+len) of oldVma to newAddr in newVma; returns bytes moved */
  movePageTables(oldVma: VmAreaStruct, oldAddr: number, newVma: VmAreaStruct, newAddr: number, len: number): number;
  /** __mm_populate / populate_vma_page_range after MAP_POPULATE, MAP_LOCKED, mlock, brk with VM_LOCKED */
  populate(mm: MmStruct, start: number, len: number): void;
  /** mlock_vma_pages_range: [start, end) of `vma` now has newFlags (VM_LOCKED set or cleared) */
  mlockPages(vma: VmAreaStruct, start: number, end: number, newFlags: number): void;
  /** a page-level madvise (MADV_DONTNEED, FREE, WILLNEED, COLD, PAGEOUT, ...) on [start, end) of vma; 0 or -errno */
  madvisePages(vma: VmAreaStruct, start: number, end: number, behavior: number): number;
  /** vma_adjust_trans_huge: vma is about to be cut at addr (a split or a merge moving a boundary) */
  adjustTransHuge(vma: VmAreaStruct, addr: number): void;
}

/**
 * What the reclaim layer provides to the fault and unmap paths. Without reclaim no swap entry
 * ever exists, so the swap defaults are BUGs; the LRU defaults do nothing (no LRU lists).
 */
export interface ReclaimHooks {
  /** do_swap_page for vmf (vmf.origLo/origHi hold the swap PTE): a VM_FAULT_* result */
  swapIn(vmf: VmFault): number;
  /** copy_nonpresent_pte: a swap PTE is duplicated into a child (swap_duplicate) */
  swapDup(lo: number, hi: number): void;
  /** zap_nonpresent_ptes: a swap PTE is dropped (free_swap_and_cache) */
  swapFree(lo: number, hi: number): void;
  /** folio_add_lru_vma: a new anonymous page joins the LRU */
  lruAdd(pfn: number): void;
  /** the page is about to be freed: take it off the LRU (clear PG_lru, PG_active, ...) */
  lruDel(pfn: number): void;
}

/** The reclaim defaults: no swap, no LRU. */
export const NOOP_RECLAIM_HOOKS: ReclaimHooks = {
  swapIn: () => BUG("do_swap_page", "a swap PTE exists but no reclaim layer is wired"),
  swapDup: () => BUG("copy_nonpresent_pte", "a swap PTE exists but no reclaim layer is wired"),
  swapFree: () => BUG("zap_nonpresent_ptes", "a swap PTE exists but no reclaim layer is wired"),
  lruAdd: () => {},
  lruDel: () => {},
};

/** Page hooks that do nothing (a VMA layer without page tables, for VMA-only tests). */
export const NOOP_VMA_PAGE_HOOKS: VmaPageHooks = {
  zapVmaRange: () => {},
  changeProtection: () => {},
  movePageTables: (_o, _oa, _n, _na, len) => len,
  populate: () => {},
  mlockPages: () => {},
  madvisePages: () => 0,
  adjustTransHuge: () => {},
};
