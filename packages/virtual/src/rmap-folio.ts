// The large-folio side of mm/rmap.c for PMD-order anonymous folios (6.18 with
// CONFIG_PAGE_MAPCOUNT): folio_add_new_anon_rmap for a PMD mapping, folio_try_dup_anon_rmap_pmd,
// folio_remove_rmap_pmd, folio_add_anon_rmap_ptes (a PMD split), and the PTE-level add/remove
// of one subpage. What a large folio keeps (ThpState, huge-mm.ts):
//
//   head refcount      one reference per mapping: each PMD and each subpage PTE
//   _entire_mapcount   PMD mappings - 1
//   page _mapcount     each subpage's PTE mappings - 1
//   _nr_pages_mapped   subpages with at least one PTE mapping
//   NR_ANON_MAPPED     (AnonPages) 512 while PMD-mapped, else the PTE-mapped subpages
//   NR_ANON_THPS       (AnonHugePages) folios with a PMD mapping
//
// A folio left partly mapped after an unmap is queued for deferred split once
// (thp_deferred_split_page); the deferred-split shrinker that would split it is reclaim's and
// is not built, so such a folio stays large until its last mapping goes.
import { BUG } from "@mmsim/base";
import { PG_anon_exclusive, PG_head, PG_swapbacked, PG_uptodate } from "@mmsim/physical";
import type { VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER } from "./huge-mm";

const EXCL = 1 << PG_anon_exclusive;
const HEAD = 1 << PG_head;
const NEW_ANON = (1 << PG_swapbacked) | (1 << PG_uptodate) | EXCL;
const TWO_32 = 4294967296;

/** The head page index of the large folio holding page index i, or -1 for a small page. */
export function largeHead(vmm: VirtualMemory, i: number): number {
  const pages = vmm.pages;
  const off = pages.private[i];
  if (off < 0) return i + off;
  return (pages.flags[i] & HEAD) !== 0 ? i : -1;
}

/** page->index of page index i: a tail's is its head's plus its offset (modulo 2^32, as index is kept). */
export function pageIndex(vmm: VirtualMemory, i: number): number {
  const pages = vmm.pages;
  const off = pages.private[i];
  if (off >= 0) return pages.index[i];
  return (pages.index[i + off] - off) % TWO_32;
}

/** folio_add_new_anon_rmap(RMAP_EXCLUSIVE) of a new PMD-order folio mapped by a PMD at haddr. */
export function folioAddNewAnonRmapPmd(vmm: VirtualMemory, head: number, vma: VmAreaStruct, haddr: number): void {
  const pages = vmm.pages;
  const h = pages.idx(head);
  const av = vma.anonVma ?? BUG("folio_add_new_anon_rmap", `VMA ${vma.vmStart.toString(16)} has no anon_vma`);
  const mapping = (av.id << 1) | 1;
  const pgoff = vma.vmPgoff + (haddr - vma.vmStart) / 4096;
  // every subpage carries the mapping (a PTE of any subpage is anonymous on its own); the index
  // lives in the head only (page[1]'s index holds the compound order): pageIndex() derives a tail's
  for (let k = 0; k < HPAGE_PMD_NR; k++) pages.mapping[h + k] = mapping;
  pages.index[h] = pgoff % TWO_32;
  pages.flags[h] = (pages.flags[h] | NEW_ANON) >>> 0;
  const t = vmm.thpState;
  const f = h >>> HPAGE_PMD_ORDER;
  if (t.entireMapcount[f] !== -1) BUG("folio_add_new_anon_rmap", `pfn ${head} is already mapped`);
  t.entireMapcount[f] = 0;
  t.nrPagesMapped[f] = 0;
  t.partiallyMapped[f] = 0;
  vmm.phys.counters.add(vmm.slotAnonPages, HPAGE_PMD_NR);
  vmm.nrAnonPages += HPAGE_PMD_NR;
  vmm.phys.counters.add(t.slotAnonThps, 1);
}

/** folio_try_dup_anon_rmap_pmd (fork): one more PMD maps the folio, whose head stops being exclusive. */
export function folioDupAnonRmapPmd(vmm: VirtualMemory, head: number): void {
  const pages = vmm.pages;
  const h = pages.idx(head);
  const f = h >>> HPAGE_PMD_ORDER;
  if (vmm.thpState.entireMapcount[f] < 0) BUG("folio_try_dup_anon_rmap_pmd", `pfn ${head} is not PMD-mapped`);
  vmm.thpState.entireMapcount[f]++;
  pages.refcount[h]++;
  pages.flags[h] = (pages.flags[h] & ~EXCL) >>> 0;
}

/** The subpages counted in AnonPages only through the PMD: those without a PTE mapping. */
function pagesOnlyPmdMapped(vmm: VirtualMemory, h: number): number {
  return HPAGE_PMD_NR - vmm.thpState.nrPagesMapped[h >>> HPAGE_PMD_ORDER];
}

/**
 * folio_remove_rmap_pmd: one PMD less maps the folio (its reference is the caller's to drop).
 * The last one takes it out of AnonHugePages, and out of AnonPages but for its PTE-mapped
 * subpages; a folio left partly mapped is queued for deferred split.
 */
export function folioRemoveRmapPmd(vmm: VirtualMemory, head: number): void {
  const h = vmm.pages.idx(head);
  const t = vmm.thpState;
  const f = h >>> HPAGE_PMD_ORDER;
  const c = t.entireMapcount[f];
  if (c < 0) BUG("folio_remove_rmap_pmd", `pfn ${head}: entire mapcount underflow`);
  t.entireMapcount[f] = c - 1;
  if (c !== 0) return;
  vmm.phys.counters.add(t.slotAnonThps, -1);
  const nr = pagesOnlyPmdMapped(vmm, h);
  vmm.phys.counters.add(vmm.slotAnonPages, -nr);
  vmm.nrAnonPages -= nr;
  if (nr > 0 && nr < HPAGE_PMD_NR) deferredSplitFolio(vmm, f);
}

/** deferred_split_folio(folio, partially_mapped): counted the first time only. */
function deferredSplitFolio(vmm: VirtualMemory, f: number): void {
  const t = vmm.thpState;
  if (t.partiallyMapped[f] !== 0) return;
  t.partiallyMapped[f] = 1;
  vmm.phys.counters.add(t.slotDeferredSplit, 1);
}

/**
 * folio_add_anon_rmap_ptes(folio, page, 512) after a PMD split: every subpage gains a PTE
 * mapping (and PageAnonExclusive when the head had it). The PMD still maps the folio here, so
 * AnonPages does not move.
 */
export function folioAddAnonRmapPtes(vmm: VirtualMemory, head: number, exclusive: boolean): void {
  const pages = vmm.pages;
  const h = pages.idx(head);
  const t = vmm.thpState;
  const f = h >>> HPAGE_PMD_ORDER;
  if (t.entireMapcount[f] < 0) BUG("folio_add_anon_rmap_ptes", `pfn ${head} is not PMD-mapped`);
  for (let k = 0; k < HPAGE_PMD_NR; k++) {
    if (++pages.mapcount[h + k] === 0) t.nrPagesMapped[f]++;
    if (exclusive) pages.flags[h + k] = (pages.flags[h + k] | EXCL) >>> 0;
  }
}

/** folio_try_dup_anon_rmap_pte for subpage i of the large folio with head index h. */
export function largeDupAnonRmapPte(vmm: VirtualMemory, h: number, i: number): void {
  const pages = vmm.pages;
  if (pages.mapcount[i] < 0) BUG("folio_try_dup_anon_rmap_pte", `pfn ${pages.pfn(i)} is not mapped`);
  pages.mapcount[i]++;
  pages.refcount[h]++;
  pages.flags[i] = (pages.flags[i] & ~EXCL) >>> 0;
}

/** folio_remove_rmap_pte for subpage i of the large folio with head index h. */
export function largeRemoveRmapPte(vmm: VirtualMemory, h: number, i: number): void {
  const pages = vmm.pages;
  const c = pages.mapcount[i];
  if (c < 0) BUG("folio_remove_rmap_pte", `pfn ${pages.pfn(i)}: mapcount underflow`);
  pages.mapcount[i] = c - 1;
  if (c !== 0) return;
  const t = vmm.thpState;
  const f = h >>> HPAGE_PMD_ORDER;
  const left = --t.nrPagesMapped[f];
  if (t.entireMapcount[f] >= 0) return;
  vmm.phys.counters.add(vmm.slotAnonPages, -1);
  vmm.nrAnonPages--;
  if (left > 0) deferredSplitFolio(vmm, f);
}

/**
 * folio_put of a large folio (head index h): the last reference frees the order-9 block, its
 * large-folio fields reset (free_tail_page_prepare wants every tail unmapped).
 */
export function largeFolioPut(vmm: VirtualMemory, h: number): void {
  const pages = vmm.pages;
  const r = pages.refcount[h] - 1;
  if (r < 0) BUG("folio_put", `pfn ${pages.pfn(h)}: refcount underflow`);
  if (r > 0) {
    pages.refcount[h] = r;
    return;
  }
  const t = vmm.thpState;
  const f = h >>> HPAGE_PMD_ORDER;
  if (t.entireMapcount[f] !== -1 || t.nrPagesMapped[f] !== 0) BUG("folio_put", `large folio ${pages.pfn(h)} freed while mapped`);
  t.partiallyMapped[f] = 0;
  const pfn = pages.pfn(h);
  vmm.reclaim.lruDel(pfn);
  pages.mapping[h] = 0;
  pages.index[h] = 0;
  pages.refcount[h] = 1;
  vmm.phys.freePages(pfn, HPAGE_PMD_ORDER);
}

/** folio_move_anon_rmap of a large folio: every subpage now names the faulting VMA's anon_vma. */
export function largeMoveAnonRmap(vmm: VirtualMemory, h: number, mapping: number): void {
  for (let k = 0; k < HPAGE_PMD_NR; k++) vmm.pages.mapping[h + k] = mapping;
}
