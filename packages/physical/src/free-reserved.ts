// free_reserved_area() (mm/page_alloc.c): returns the pages of a boot-time reservation (the
// kernel image's init section at free_initmem, its alignment gaps at mark_rodata_ro, an
// initrd) to the page allocator one page at a time (free_reserved_page), adding each to its
// zone's managed pages and so to totalram (adjust_managed_page_count). Not modelled: the
// poison byte Linux writes over the freed pages (the frames keep their contents).
import { BUG, PAGE_SIZE } from "@mmsim/base";
import type { PhysicalMemory } from "./page-alloc";
import { PG_reserved } from "./page-flags";

/**
 * free_reserved_area(start, end, poison, s): frees every whole page of the physical byte range
 * [start, end) (start rounded up, end down to a page) that the boot reserved, as
 * free_reserved_page() does: PG_reserved cleared, one reference, __free_page() (so the pages
 * go through the current CPU's PCP list), then the zone's managed pages raised by one. Prints
 * "Freeing <s> memory: <K>K" when s is given and pages were freed, and returns the number of
 * pages. A page without a struct page, outside usable RAM or not PG_reserved (never reserved,
 * or freed already) is a Bug, checked for the whole range before any page is freed.
 */
export function freeReservedArea(m: PhysicalMemory, start: number, end: number, s: string | null): number {
  const first = Math.ceil(start / PAGE_SIZE);
  const last = Math.floor(end / PAGE_SIZE);
  const p = m.pages;
  const memory = m.boot.memblock.memory.regions;
  for (let pfn = first; pfn < last; pfn++) {
    const i = p.idx(pfn);
    if (i < 0) BUG("free_reserved_area", `pfn ${pfn} has no struct page`);
    if (!memory.some((r) => pfn * PAGE_SIZE >= r.base && (pfn + 1) * PAGE_SIZE <= r.base + r.size)) {
      BUG("free_reserved_area", `pfn ${pfn} is not usable RAM (a hole)`);
    }
    if (!(p.flags[i] & (1 << PG_reserved))) BUG("free_reserved_area", `pfn ${pfn} is not PG_reserved (never reserved, or freed already)`);
  }
  let pages = 0;
  for (let pfn = first; pfn < last; pfn++) {
    const i = p.idx(pfn);
    p.flags[i] = (p.flags[i] & ~(1 << PG_reserved)) >>> 0;
    p.refcount[i] = 1;
    const zone = m.pageZone(pfn)!;
    m.freePages(pfn, 0);
    zone.managedPages++;
    pages++;
  }
  if (pages && s !== null) m.printk(`Freeing ${s} memory: ${pages * (PAGE_SIZE / 1024)}K`);
  return pages;
}
