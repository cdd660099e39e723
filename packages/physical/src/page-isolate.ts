// What compaction and migration take from the page allocator (mm/page_alloc.c
// __isolate_free_page, __putback_isolated_page, split_page, move_freepages_block,
// post_alloc_hook; mm/compaction.c isolate_freepages_block's scan of one pageblock). The
// policy (which pageblocks, when, the scanners' cursors) is the compactor's, in the reclaim
// layer. Not modelled: page reporting, the zone lock, pageblock skip bits.
//
//   free lists ──isolateFreePage──▶ isolated (refcount 0, off every list; zone.freeTaken)
//        ▲                               │ postAllocHook: refcount 1, an allocated block
//        └──putbackIsolatedPage──────────┘ splitPage: 2^order pages of order 0
import { BUG } from "@mmsim/base";
import { PAGE_SIZE } from "@mmsim/base";
import { ALLOC_CMA } from "./alloc-flags";
import type { CompactControl } from "./alloc-context";
import { BUDDY_TYPE, addToFreeList, delFromFreeList, freeOnePage, moveFreepagesBlockOf } from "./buddy";
import { listAddTail } from "./list";
import { MAX_PAGE_ORDER, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES, MIGRATE_TYPES, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, WMARK_MIN } from "./mmzone";
import type { Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { PG_head } from "./page-flags";
import { zoneWatermarkOk } from "./watermarks";

/** The zone and page index of pfn; a pfn without struct page is a Bug naming `fn`. */
function zoneOf(m: PhysicalMemory, pfn: number, fn: string): [Zone, number] {
  const i = m.pages.idx(pfn);
  const zone = i < 0 ? null : m.pageZone(pfn);
  if (zone === null) BUG(fn, `pfn ${pfn} has no struct page`);
  return [zone, i];
}

/**
 * __isolate_free_page(): takes the free block of `order` whose head is `pfn` off its free list,
 * as an allocation would (so it obeys the min watermark, raised by the block's size, unless
 * the pageblock is MIGRATE_ISOLATE). A block of at least half a pageblock turns its mergeable
 * pageblocks Movable (move_freepages_block). Returns the pages isolated (2^order), or 0 when
 * the watermark says no. The block ends with refcount 0 and no list; zone.freeTaken counts it.
 * A pfn that is not the head of a free block of that order is a Bug.
 */
export function isolateFreePage(m: PhysicalMemory, pfn: number, order: number): number {
  const [zone, i] = zoneOf(m, pfn, "__isolate_free_page");
  const p = m.pages;
  if (p.mapcount[i] !== BUDDY_TYPE || p.private[i] !== order) BUG("__isolate_free_page", `pfn ${pfn} is not a free block of order ${order}`);
  const mt = p.pageblockMt[i >>> PAGEBLOCK_ORDER];
  if (mt !== MIGRATE_ISOLATE) {
    // a high-order check emulated by a raised order-0 watermark: the block is known to exist
    const watermark = zone.watermark[WMARK_MIN] + (1 << order);
    if (!zoneWatermarkOk(zone, 0, watermark, 0, ALLOC_CMA)) return 0;
  }
  delFromFreeList(zone, i, order, mt);
  zone.freeTaken += 1 << order;
  if (order >= PAGEBLOCK_ORDER - 1) {
    for (let j = i; j < i + (1 << order); j += PAGEBLOCK_NR_PAGES) {
      const bmt = p.pageblockMt[j >>> PAGEBLOCK_ORDER];
      // only pageblocks that can merge with others (migratetype_is_mergeable)
      if (bmt < MIGRATE_PCPTYPES) moveFreepagesBlockOf(zone, j, bmt, MIGRATE_MOVABLE);
    }
  }
  return 1 << order;
}

/**
 * __putback_isolated_page(): returns a block taken by isolateFreePage() (still unreferenced and
 * unmapped) to the free lists of migratetype `mt`, merging with its buddies. A block that is
 * referenced, mapped or free is a Bug.
 */
export function putbackIsolatedPage(m: PhysicalMemory, pfn: number, order: number, mt: number): void {
  const [zone, i] = zoneOf(m, pfn, "__putback_isolated_page");
  const p = m.pages;
  if (!(order >= 0 && order <= MAX_PAGE_ORDER) || !(mt >= 0 && mt < MIGRATE_TYPES)) BUG("__putback_isolated_page", `bad order ${order} or migratetype ${mt}`);
  if (p.refcount[i] !== 0 || p.mapcount[i] !== -1) BUG("__putback_isolated_page", `pfn ${pfn} is not an isolated free page (refcount ${p.refcount[i]}, mapcount 0x${(p.mapcount[i] & 0xffff).toString(16)})`);
  if (zone.freeTaken < 1 << order) BUG("__putback_isolated_page", `${zone.name} has ${zone.freeTaken} isolated free pages, not ${1 << order}`);
  zone.freeTaken -= 1 << order;
  p.private[i] = 0;
  freeOnePage(zone, i, order, mt, false);
}

/**
 * post_alloc_hook() and set_page_refcounted() for a block taken by isolateFreePage(): it
 * becomes an allocated, non-compound block with refcount 1, as compaction_alloc() hands its
 * pages to migration. Stays counted in zone.freeTaken (it was never counted as pgalloc).
 */
export function postAllocHook(m: PhysicalMemory, pfn: number, order: number): void {
  const [, i] = zoneOf(m, pfn, "post_alloc_hook");
  const p = m.pages;
  if (!(order >= 0 && order <= MAX_PAGE_ORDER)) BUG("post_alloc_hook", `bad order ${order}`);
  if (p.refcount[i] !== 0 || p.mapcount[i] !== -1) BUG("post_alloc_hook", `pfn ${pfn} is not an isolated free page`);
  p.private[i] = 0;
  p.refcount[i] = 1;
}

/**
 * split_page(): an allocated, non-compound block of `order` at pfn becomes 2^order order-0
 * pages, each with one reference (the tails get theirs), to be freed one by one. A compound
 * page, or a head that is not referenced, is a Bug.
 */
export function splitPage(m: PhysicalMemory, pfn: number, order: number): void {
  const [, i] = zoneOf(m, pfn, "split_page");
  const p = m.pages;
  if (p.flags[i] & (1 << PG_head)) BUG("split_page", `pfn ${pfn} is a compound page`);
  if (p.refcount[i] <= 0) BUG("split_page", `pfn ${pfn} has refcount ${p.refcount[i]}`);
  for (let j = i + 1; j < i + (1 << order); j++) {
    if (p.refcount[j] !== 0 || p.mapcount[j] === BUDDY_TYPE) BUG("split_page", `tail pfn ${p.pfn(j)} is in use`);
    p.refcount[j] = 1;
  }
}

/**
 * move_freepages_block(): moves the free blocks of the pageblock holding pfn to the lists of
 * `newMt` and sets the pageblock's type. A free block larger than a pageblock that covers it
 * is first split into pageblock-sized blocks (split_large_buddy, as 6.10+'s
 * move_freepages_block_isolate does), so the other pageblocks keep their type. Returns the
 * pages moved, or -1 (nothing changed) when the pageblock straddles the zone's ends.
 * HighAtomic pageblocks have their own accounting (highatomic.ts): moving one is a Bug.
 */
export function moveFreepagesBlock(m: PhysicalMemory, pfn: number, newMt: number): number {
  const [zone, i] = zoneOf(m, pfn, "move_freepages_block");
  const p = m.pages;
  const oldMt = p.pageblockMt[i >>> PAGEBLOCK_ORDER];
  if (!(newMt >= 0 && newMt < MIGRATE_TYPES) || oldMt === MIGRATE_HIGHATOMIC || newMt === MIGRATE_HIGHATOMIC) {
    BUG("move_freepages_block", `pfn ${pfn}: migratetype ${oldMt} → ${newMt}: HighAtomic pageblocks move only through highatomic.ts`);
  }
  const start = i - (i % PAGEBLOCK_NR_PAGES);
  const startPfn = p.pfn(start);
  if (!zone.spans(startPfn) || !zone.spans(startPfn + PAGEBLOCK_NR_PAGES - 1)) return -1;
  splitLargeBuddy(zone, start);
  return moveFreepagesBlockOf(zone, start, oldMt, newMt);
}

/**
 * split_large_buddy(): when the pageblock at page index `start` lies inside a free block of
 * order > pageblock_order, that block becomes free blocks of pageblock_order, each on the list
 * of its pageblock's type. (Page indices keep the low 15 bits of their pfn, so alignment by
 * index is alignment by pfn.)
 */
function splitLargeBuddy(zone: Zone, start: number): void {
  const p = zone.pages;
  for (let o = PAGEBLOCK_ORDER + 1; o <= MAX_PAGE_ORDER; o++) {
    const h = start - (start % (1 << o));
    if (p.mapcount[h] !== BUDDY_TYPE || p.private[h] !== o) continue;
    delFromFreeList(zone, h, o, p.pageblockMt[h >>> PAGEBLOCK_ORDER]);
    for (let j = h; j < h + (1 << o); j += PAGEBLOCK_NR_PAGES) addToFreeList(zone, j, PAGEBLOCK_ORDER, p.pageblockMt[j >>> PAGEBLOCK_ORDER], true);
    return;
  }
}

/**
 * isolate_freepages_block() (mm/compaction.c), not strict: scans [startPfn, endPfn) (inside
 * one pageblock of one zone) and isolates every free block whose head it meets, adding it to
 * cc.freepages[order] (listAddTail, private = order) and to cc.nrFreepages; stops at the first
 * block the watermark refuses. Counts cc.totalFreeScanned. Returns the pages isolated.
 */
export function isolateFreepagesBlock(m: PhysicalMemory, cc: CompactControl, startPfn: number, endPfn: number): number {
  const p = m.pages;
  let total = 0;
  let scanned = 0;
  for (let pfn = startPfn; pfn < endPfn; ) {
    scanned++;
    const i = p.idx(pfn);
    if (i < 0 || p.mapcount[i] !== BUDDY_TYPE) {
      pfn++;
      continue;
    }
    const order = p.private[i];
    const n = isolateFreePage(m, pfn, order);
    if (n === 0) break;
    p.private[i] = order;
    listAddTail(p, cc.freepages.head, cc.freepages.tail, order, i);
    total += n;
    cc.nrFreepages += n;
    scanned += n - 1;
    pfn += n;
  }
  cc.totalFreeScanned += scanned;
  return total;
}

/** What copyHighpage needs of the RAM: @mmsim/hardware's Ram has it. */
export interface FrameCopier {
  copy(dstPa: number, srcPa: number, len: number): void;
}

/** copy_highpage(): copies frame `fromPfn`'s bytes to frame `toPfn` through the RAM. */
export function copyHighpage(ram: FrameCopier, toPfn: number, fromPfn: number): void {
  ram.copy(toPfn * PAGE_SIZE, fromPfn * PAGE_SIZE, PAGE_SIZE);
}

/** folio_copy(): copies the 2^order frames of the folio at fromPfn to the one at toPfn, page by page. */
export function folioCopy(ram: FrameCopier, toPfn: number, fromPfn: number, order: number): void {
  for (let k = 0; k < 1 << order; k++) copyHighpage(ram, toPfn + k, fromPfn + k);
}
