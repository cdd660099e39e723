// The page-level extension points of the VMA layer. Linux's VMA operations call into the page
// tables at these places (mm/vma.c unmap_region, mm/mprotect.c change_protection, mm/mremap.c
// move_page_tables, mm/gup.c populate_vma_page_range, mm/mlock.c mlock_vma_pages_range,
// mm/madvise.c's page-level advices). No page tables exist at this layer yet, so the defaults do
// nothing: there is nothing to zap, move or populate. The fault layer (next session) fills them.
import type { VmAreaStruct, MmStruct } from "./mm-types";

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
}

/** The defaults: no page tables, nothing to do. */
export const NOOP_VMA_PAGE_HOOKS: VmaPageHooks = {
  zapVmaRange: () => {},
  changeProtection: () => {},
  movePageTables: (_o, _oa, _n, _na, len) => len,
  populate: () => {},
  mlockPages: () => {},
  madvisePages: () => 0,
};
