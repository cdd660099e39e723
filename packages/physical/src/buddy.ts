// The buddy allocator's free lists (the zone-lock half of mm/page_alloc.c): free-list
// maintenance, expand(), __free_one_page() merging, __rmqueue_smallest() and the migratetype
// fallback (claim a pageblock, else steal) with watermark boosting. Not modelled: CMA
// balancing, page shuffling, guard pages (debug_pagealloc), page reporting.
//
// A zone keeps, per order, one free list per migratetype. A free block of order k is 2^k
// naturally aligned pages; its first page carries PGTY_buddy and private = k. Freeing merges
// a block with its buddy (the other half of the block one order up) for as long as the buddy
// is free with the same order:
//
//   order 2 frees pfn 8..11        buddy of 8 at order 2 = 8 ^ 4 = 12 (free, order 2) → merge
//   ┌──────────┬──────────┐       buddy of 8 at order 3 = 8 ^ 8 = 0  (allocated)    → stop
//   │ 8..11 ✗  │ 12..15 ✓ │  ⇒   ┌─────────────────────┐
//   └──────────┴──────────┘       │ 8..15 free, order 3 │   (start = 8 & 12)
//                                 └─────────────────────┘
//
// Allocation takes the smallest free block of order ≥ the request and splits it (expand()),
// putting the unused upper halves back on the lower lists:
//
//   want order 0, smallest free is order 2 at pfn 0:  0 → alloc, 1 → order-0 list,
//                                                     2..3 → order-1 list
//
// When the requested migratetype has nothing free, the fallback table picks another type. A
// large enough fallback block lets the requester claim the whole 2 MiB pageblock (its free
// pages move lists and the pageblock changes type); otherwise one block is stolen and the
// pageblock keeps its type. Mixing types in a pageblock is what fragments memory, so a steal
// of this kind boosts the watermark, making kswapd reclaim a little extra.
import { PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, MAX_PAGE_ORDER } from "./mmzone";
import { MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES } from "./mmzone";
import { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE } from "./mmzone";
import type { Zone } from "./mmzone";
import { PG_lru, PGTY_buddy } from "./page-flags";
import { pageTypeValue } from "./mm-types";
import { ALLOC_KSWAPD, ALLOC_NOFRAGMENT } from "./alloc-flags";
import { listAdd, listAddTail, listDel, listMoveTail } from "./list";

/** page_type value of a free buddy head (PGTY_buddy in the top byte of the 16-bit word). */
export const BUDDY_TYPE = pageTypeValue(PGTY_buddy);

/** fallbacks[] (mm/page_alloc.c): which migratetypes a request may take from, in order. */
export const FALLBACKS: readonly (readonly number[])[] = [
  [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE],
  [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE],
  [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE],
];

/** What the fallback path needs from the machine. */
export interface BuddyEnv {
  watermarkBoostFactor: number;
  /** page_group_by_mobility_disabled */
  mobilityDisabled: boolean;
  /** called for mm_page_alloc_extfrag when tracing */
  onExtfrag: ((pfn: number, order: number, fallbackOrder: number, startMt: number, fallbackMt: number, claimed: boolean) => void) | null;
}

/** migratetype_is_mergeable(). */
function mergeable(mt: number): boolean {
  return mt < MIGRATE_PCPTYPES;
}

/** account_freepages(): NR_FREE_PAGES and the per-type free counters; Isolate is not free. */
export function accountFreepages(zone: Zone, nr: number, mt: number): void {
  if (mt === MIGRATE_ISOLATE) return;
  zone.nrFreePages += nr;
  if (mt === MIGRATE_CMA) zone.nrFreeCma += nr;
  else if (mt === MIGRATE_HIGHATOMIC) zone.nrFreeHighatomic += nr;
}

/** __add_to_free_list() + set_buddy_order() + accounting. */
export function addToFreeList(zone: Zone, i: number, order: number, mt: number, tail: boolean): void {
  const p = zone.pages;
  const area = zone.freeArea[order];
  p.mapcount[i] = BUDDY_TYPE;
  p.private[i] = order;
  if (tail) listAddTail(p, area.head, area.tail, mt, i);
  else listAdd(p, area.head, area.tail, mt, i);
  area.count[mt]++;
  area.nrFree++;
  accountFreepages(zone, 1 << order, mt);
}

/** del_page_from_free_list(): unlinks a free block and clears its buddy marking. */
export function delFromFreeList(zone: Zone, i: number, order: number, mt: number): void {
  const p = zone.pages;
  const area = zone.freeArea[order];
  listDel(p, area.head, area.tail, mt, i);
  p.mapcount[i] = -1;
  p.private[i] = 0;
  area.count[mt]--;
  area.nrFree--;
  accountFreepages(zone, -(1 << order), mt);
}

/** move_to_free_list(): a free block changes lists (list_move_tail) and the free counters follow. */
export function moveToFreeList(zone: Zone, i: number, order: number, oldMt: number, newMt: number): void {
  const area = zone.freeArea[order];
  listMoveTail(zone.pages, area.head, area.tail, oldMt, newMt, i);
  area.count[oldMt]--;
  area.count[newMt]++;
  accountFreepages(zone, -(1 << order), oldMt);
  accountFreepages(zone, 1 << order, newMt);
}

/** The node+zone bits of page index i (page_zone_id()). */
function zoneId(zone: Zone, i: number): number {
  return zone.pages.flags[i] >>> 24;
}

/** page_is_buddy(): b is the head of a free block of `order` in the same zone as i. */
function isBuddy(zone: Zone, i: number, b: number, order: number): boolean {
  const p = zone.pages;
  return p.mapcount[b] === BUDDY_TYPE && p.private[b] === order && zoneId(zone, b) === zoneId(zone, i);
}

/** Sets the migratetype of every pageblock in the block of `order` starting at index i. */
export function setPageblockRange(zone: Zone, i: number, order: number, mt: number): void {
  const first = i >>> PAGEBLOCK_ORDER;
  const n = order > PAGEBLOCK_ORDER ? 1 << (order - PAGEBLOCK_ORDER) : 1;
  zone.pages.pageblockMt.fill(mt, first, first + n);
}

/**
 * __free_one_page(): puts the block of `order` at index i on the free lists of `mt`, merging
 * with free buddies up to MAX_PAGE_ORDER. `toTail` is FPI_TO_TAIL (boot frees use it).
 */
export function freeOnePage(zone: Zone, i: number, order: number, mt: number, toTail: boolean): void {
  const p = zone.pages;
  while (order < MAX_PAGE_ORDER) {
    const b = i ^ (1 << order);
    if (!isBuddy(zone, i, b, order)) break;
    const bmt = p.pageblockMt[b >>> PAGEBLOCK_ORDER];
    // Across pageblocks, never merge Isolate/CMA/HighAtomic with another type.
    if (order >= PAGEBLOCK_ORDER && bmt !== mt && (!mergeable(mt) || !mergeable(bmt))) break;
    delFromFreeList(zone, b, order, bmt);
    // Match the buddy's pageblock to ours so a later expand() uses the right lists.
    if (bmt !== mt) p.pageblockMt[b >>> PAGEBLOCK_ORDER] = mt;
    i = i & b;
    order++;
  }
  addToFreeList(zone, i, order, mt, toTail || buddyMergeLikely(zone, i, order));
}

/** buddy_merge_likely(): the block one order up is a free buddy, so keep this one cold. */
function buddyMergeLikely(zone: Zone, i: number, order: number): boolean {
  if (order >= MAX_PAGE_ORDER - 1) return false;
  const higher = i & (i ^ (1 << order));
  const hb = higher ^ (1 << (order + 1));
  return isBuddy(zone, higher, hb, order + 1);
}

/** expand(): splits a block of order `high` down to `low`, freeing the upper halves. */
export function expand(zone: Zone, i: number, low: number, high: number, mt: number): void {
  let size = 1 << high;
  while (high > low) {
    high--;
    size >>= 1;
    addToFreeList(zone, i + size, high, mt, false);
  }
}

/** __rmqueue_smallest(): the page index of a block of `order` of type mt, or -1. */
export function rmqueueSmallest(zone: Zone, order: number, mt: number): number {
  for (let o = order; o <= MAX_PAGE_ORDER; o++) {
    const i = zone.freeArea[o].head[mt];
    if (i < 0) continue;
    delFromFreeList(zone, i, o, mt);
    expand(zone, i, order, o, mt);
    return i;
  }
  return -1;
}

/** should_try_claim_block(). */
function shouldTryClaimBlock(env: BuddyEnv, order: number, startMt: number): boolean {
  if (order >= PAGEBLOCK_ORDER) return true;
  if (order >= PAGEBLOCK_ORDER / 2) return true;
  if (startMt === MIGRATE_RECLAIMABLE || startMt === MIGRATE_UNMOVABLE) return true;
  return env.mobilityDisabled;
}

/**
 * find_suitable_fallback(): the first fallback type with a free block at `order`; -1 when
 * none; -2 when claiming was asked for but this order is too small to claim a pageblock.
 */
export function findSuitableFallback(env: BuddyEnv, zone: Zone, order: number, mt: number, claimable: boolean): number {
  if (claimable && !shouldTryClaimBlock(env, order, mt)) return -2;
  const area = zone.freeArea[order];
  if (area.nrFree === 0) return -1;
  for (const fb of FALLBACKS[mt]) if (area.head[fb] >= 0) return fb;
  return -1;
}

/** boost_watermark(): raise the zone's watermarks after a fragmenting fallback. */
export function boostWatermark(env: BuddyEnv, zone: Zone): boolean {
  if (env.watermarkBoostFactor === 0) return false;
  if (PAGEBLOCK_NR_PAGES * 4 > zone.managedPages) return false;
  let maxBoost = Math.floor((zone.watermark[2] * env.watermarkBoostFactor) / 10000);
  if (maxBoost === 0) return false;
  maxBoost = Math.max(PAGEBLOCK_NR_PAGES, maxBoost);
  zone.watermarkBoost = Math.min(zone.watermarkBoost + PAGEBLOCK_NR_PAGES, maxBoost);
  return true;
}

/**
 * prep_move_freepages_block(): counts free and movable pages of the pageblock holding i.
 * Returns null when the pageblock straddles the zone's ends.
 */
export function countPageblock(zone: Zone, i: number): { start: number; free: number; movable: number } | null {
  const p = zone.pages;
  const start = i - (i % PAGEBLOCK_NR_PAGES);
  const startPfn = p.pfn(start);
  if (!zone.spans(startPfn) || !zone.spans(startPfn + PAGEBLOCK_NR_PAGES - 1)) return null;
  let free = 0;
  let movable = 0;
  for (let j = start; j < start + PAGEBLOCK_NR_PAGES; ) {
    if (p.mapcount[j] === BUDDY_TYPE) {
      const nr = 1 << p.private[j];
      free += nr;
      j += nr;
      continue;
    }
    if (p.flags[j] & (1 << PG_lru)) movable++;
    j++;
  }
  return { start, free, movable };
}

/** __move_freepages_block(): moves every free block of the pageblock at `start` to newMt. */
export function moveFreepagesBlock(zone: Zone, start: number, oldMt: number, newMt: number): number {
  const p = zone.pages;
  let moved = 0;
  for (let j = start; j < start + PAGEBLOCK_NR_PAGES; ) {
    if (p.mapcount[j] === BUDDY_TYPE) {
      const order = p.private[j];
      moveToFreeList(zone, j, order, oldMt, newMt);
      moved += 1 << order;
      j += 1 << order;
      continue;
    }
    j++;
  }
  p.pageblockMt[start >>> PAGEBLOCK_ORDER] = newMt;
  return moved;
}

/**
 * move_freepages_block(): moves the free blocks of the pageblock holding page index i from
 * oldMt's lists to newMt's and sets the pageblock's type. Returns the pages moved, or -1 (and
 * changes nothing) when the pageblock straddles the zone's ends (prep_move_freepages_block).
 */
export function moveFreepagesBlockOf(zone: Zone, i: number, oldMt: number, newMt: number): number {
  const start = i - (i % PAGEBLOCK_NR_PAGES);
  const startPfn = zone.pages.pfn(start);
  if (!zone.spans(startPfn) || !zone.spans(startPfn + PAGEBLOCK_NR_PAGES - 1)) return -1;
  return moveFreepagesBlock(zone, start, oldMt, newMt);
}

/** try_to_claim_block(): claim the pageblock of free block i for startMt, then allocate. */
function tryToClaimBlock(env: BuddyEnv, zone: Zone, i: number, currentOrder: number, order: number, startMt: number, blockMt: number, allocFlags: number): number {
  if (currentOrder >= PAGEBLOCK_ORDER) {
    delFromFreeList(zone, i, currentOrder, blockMt);
    setPageblockRange(zone, i, currentOrder, startMt);
    expand(zone, i, order, currentOrder, startMt);
    return i;
  }
  if (boostWatermark(env, zone) && allocFlags & ALLOC_KSWAPD) zone.boostedWatermark = true;
  const c = countPageblock(zone, i);
  if (!c) return -1;
  let alike = 0;
  if (startMt === MIGRATE_MOVABLE) alike = c.movable;
  else if (blockMt === MIGRATE_MOVABLE) alike = PAGEBLOCK_NR_PAGES - (c.free + c.movable);
  if (c.free + alike >= PAGEBLOCK_NR_PAGES / 2 || env.mobilityDisabled) {
    moveFreepagesBlock(zone, c.start, blockMt, startMt);
    return rmqueueSmallest(zone, order, startMt);
  }
  return -1;
}

/** __rmqueue_claim(): search fallback types from the largest order down. */
function rmqueueClaim(env: BuddyEnv, zone: Zone, order: number, startMt: number, allocFlags: number): number {
  const minOrder = order < PAGEBLOCK_ORDER && allocFlags & ALLOC_NOFRAGMENT ? PAGEBLOCK_ORDER : order;
  for (let o = MAX_PAGE_ORDER; o >= minOrder; o--) {
    const fb = findSuitableFallback(env, zone, o, startMt, true);
    if (fb === -1) continue;
    if (fb === -2) break;
    const i = zone.freeArea[o].head[fb];
    const got = tryToClaimBlock(env, zone, i, o, order, startMt, fb, allocFlags);
    if (got >= 0) {
      if (env.onExtfrag) env.onExtfrag(zone.pages.pfn(got), order, o, startMt, fb, true);
      return got;
    }
  }
  return -1;
}

/** __rmqueue_steal(): take the smallest fallback block without claiming its pageblock. */
function rmqueueSteal(env: BuddyEnv, zone: Zone, order: number, startMt: number): number {
  for (let o = order; o <= MAX_PAGE_ORDER; o++) {
    const fb = findSuitableFallback(env, zone, o, startMt, false);
    if (fb < 0) continue;
    const i = zone.freeArea[o].head[fb];
    delFromFreeList(zone, i, o, fb);
    expand(zone, i, order, o, fb);
    if (env.onExtfrag) env.onExtfrag(zone.pages.pfn(i), order, o, startMt, fb, false);
    return i;
  }
  return -1;
}

/** __rmqueue(): the requested type first, then claim, then (unless NOFRAGMENT) steal. */
export function rmqueue(env: BuddyEnv, zone: Zone, order: number, mt: number, allocFlags: number): number {
  let i = rmqueueSmallest(zone, order, mt);
  if (i >= 0) return i;
  i = rmqueueClaim(env, zone, order, mt, allocFlags);
  if (i >= 0) return i;
  if (!(allocFlags & ALLOC_NOFRAGMENT)) i = rmqueueSteal(env, zone, order, mt);
  return i;
}
