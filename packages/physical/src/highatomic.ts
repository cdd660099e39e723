// The highatomic pageblock reserve of mm/page_alloc.c (6.18): reserve_highatomic_pageblock()
// and unreserve_highatomic_pageblock(). Functions of a zone or of the machine `m`; not part of
// the package API. The callers are get-page.ts (reserve) and slowpath.ts (unreserve). Not
// modelled: the zone lock (mmsim is single-threaded, so the unlocked pre-check and the
// re-check under the lock are one test).
//
// A GFP_ATOMIC allocation of order > 0 cannot reclaim or compact, so when memory is short it
// simply fails. To make the next one likelier to succeed, the slow path sets aside the
// pageblock that satisfied such a request: its free pages move to the HighAtomic lists, which
// only ALLOC_HIGHATOMIC (and, as a last resort, non-blocking or OOM) requests take from, and
// which the watermarks of everyone else do not count as free. The reserve is capped at about
// 1% of the zone's managed pages, rounded up to whole pageblocks; a zone whose 1% is less than
// one pageblock reserves nothing.
//
//   GFP_ATOMIC order 4 in the slow path           pageblock P (512 pages)
//   rmqueue → page in P (type Unmovable)    ┌──┬──┬──────┬─────────────────┐
//   reserve: P → HighAtomic, its free       │✗ │16│ 32.. │  ...free 496    │  all free blocks of P
//   blocks move to the HighAtomic lists     └──┴──┴──────┴─────────────────┘  → HighAtomic lists
//   nr_reserved_highatomic += 512                                              nr_free_highatomic = 496
//
// When an ordinary allocation is about to fail, the reserve is given back one pageblock at a
// time, to the requester's migratetype: after direct reclaim made progress but the retry still
// failed (keeping the zone's last reserved pageblock), and, with `force`, when
// should_reclaim_retry() gives up (the last pageblock too) — then the allocation retries.
//
// Invariant kept (checked by verify()): nr_reserved_highatomic = pageblock_nr_pages × the
// number of HighAtomic pageblocks of the zone. A reservation of order < pageblock_order adds one
// pageblock and a larger one adds its 2^(order−9) pageblocks; giving back a free HighAtomic
// block of order o returns max(1, 2^(o−9)) pageblocks; nothing else makes or unmakes a
// HighAtomic pageblock (the fallback lists never include HighAtomic and free blocks of
// pageblock size never merge across types that are not mergeable).
import { moveFreepagesBlockOf, moveToFreeList, setPageblockRange } from "./buddy";
import { MAX_PAGE_ORDER, MIGRATE_HIGHATOMIC, MIGRATE_PCPTYPES, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER } from "./mmzone";
import type { Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import type { AllocContext } from "./alloc-context";

/**
 * The most a zone reserves: ALIGN(managed / 100, pageblock_nr_pages), or 0 when 1% of the zone
 * is less than one pageblock (then nothing is reserved at all, 6.8+). A reservation is made
 * while the zone is below this, so nr_reserved_highatomic may pass it by less than one
 * MAX_PAGE_ORDER block.
 */
export function maxReservedHighatomic(zone: Zone): number {
  const onePercent = Math.floor(zone.managedPages / 100);
  if (onePercent < PAGEBLOCK_NR_PAGES) return 0;
  return Math.ceil(onePercent / PAGEBLOCK_NR_PAGES) * PAGEBLOCK_NR_PAGES;
}

/**
 * reserve_highatomic_pageblock(): after an ALLOC_HIGHATOMIC allocation took the block of
 * `order` at page index i from `zone`, turn the pageblock(s) holding it into HighAtomic ones.
 * Does nothing when the zone is at its cap (maxReservedHighatomic), when the pageblock is not of
 * a mergeable type (already HighAtomic, CMA or Isolate), or when it straddles the zone's ends.
 */
export function reserveHighatomicPageblock(zone: Zone, i: number, order: number): void {
  const max = maxReservedHighatomic(zone);
  if (zone.nrReservedHighatomic >= max) return;
  const mt = zone.pages.pageblockMt[i >>> PAGEBLOCK_ORDER];
  // migratetype_is_mergeable(): only Unmovable, Movable and Reclaimable pageblocks
  if (mt >= MIGRATE_PCPTYPES) return;
  if (order < PAGEBLOCK_ORDER) {
    if (moveFreepagesBlockOf(zone, i, mt, MIGRATE_HIGHATOMIC) < 0) return;
    zone.nrReservedHighatomic += PAGEBLOCK_NR_PAGES;
  } else {
    // change_pageblock_range(): the block is allocated, so no free page changes lists
    setPageblockRange(zone, i, order, MIGRATE_HIGHATOMIC);
    zone.nrReservedHighatomic += 1 << order;
  }
}

/**
 * unreserve_highatomic_pageblock(): walks the allocation context's zonelist (zones up to its highest
 * zone index) and gives the first free HighAtomic block found, smallest order first, back to
 * the allocation's migratetype with its whole pageblock (or pageblocks, for a block of
 * pageblock size or more). Without `force`, a zone keeps its last reserved pageblock. Returns
 * true when a pageblock was given back, false when there was none to give.
 */
export function unreserveHighatomicPageblock(m: PhysicalMemory, ac: AllocContext, force: boolean): boolean {
  const zonelist = ac.zonelist;
  const highestIdx = ac.highestZoneIdx;
  const mt = ac.migratetype;
  for (let k = 0; k < zonelist.length; k++) {
    const zone = zonelist[k];
    if (zone.idx > highestIdx) continue;
    if (!force && zone.nrReservedHighatomic <= PAGEBLOCK_NR_PAGES) continue;
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
      const i = zone.freeArea[o].head[MIGRATE_HIGHATOMIC];
      if (i < 0) continue;
      let size = Math.max(PAGEBLOCK_NR_PAGES, 1 << o);
      if (size > zone.nrReservedHighatomic) {
        // WARN_ON_ONCE in Linux; verify()'s invariant says it cannot happen
        m.printk(`WARNING: unreserve_highatomic_pageblock: ${zone.name} gives back ${size} pages but reserves ${zone.nrReservedHighatomic}`);
        size = zone.nrReservedHighatomic;
      }
      zone.nrReservedHighatomic -= size;
      let moved: number;
      if (o < PAGEBLOCK_ORDER) moved = moveFreepagesBlockOf(zone, i, MIGRATE_HIGHATOMIC, mt);
      else {
        moveToFreeList(zone, i, o, MIGRATE_HIGHATOMIC, mt);
        setPageblockRange(zone, i, o, mt);
        moved = 1 << o;
      }
      if (moved < 0) m.printk(`WARNING: unreserve_highatomic_pageblock: ${zone.name} pageblock of pfn ${zone.pages.pfn(i)} straddles the zone`);
      if (moved > 0) return true;
    }
  }
  return false;
}
