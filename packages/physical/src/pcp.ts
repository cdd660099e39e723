// Per-CPU page lists (mm/page_alloc.c rmqueue_pcplist, free_frozen_page_commit,
// free_pcppages_bulk, nr_pcp_alloc/nr_pcp_high/nr_pcp_free; 6.7+ high_min/high_max auto-tuning).
// Not modelled: PCPF_FREE_HIGH_BATCH (cache-slice sharing), ZONE_RECLAIM_ACTIVE, the vmstat
// worker's periodic decay of pcp->high (decay_pcp_high).
//
// Each CPU keeps, per zone, small LIFO lists of free pages (orders 0..3 per mobility type, and
// THP): allocation pops from them without the zone lock and refills `batch << alloc_factor`
// pages from the buddy lists when empty; freeing pushes onto them and, once `count` reaches
// `high`, returns a batch (the coldest pages, from the tails) to the buddy allocator.
//
//        alloc ◀── [hot ... cold] ◀── free        count ≥ high → drain tail to buddy
//                     ▲ refill from __rmqueue when empty
import { freeOnePage, rmqueue } from "./buddy";
import type { BuddyEnv } from "./buddy";
import { MIGRATE_PCPTYPES, NR_PCP_LISTS, PCP_BATCH_SCALE_MAX, PAGE_ALLOC_COSTLY_ORDER, PAGEBLOCK_ORDER, orderToPindex, pindexToOrder } from "./mmzone";
import { WMARK_HIGH } from "./mmzone";
import type { PerCpuPages, Zone } from "./mmzone";
import type { PageArray } from "./mm-types";
import { zoneWatermarkOk } from "./watermarks";
import { listAdd, listAddTail, listDel } from "./list";

// Local copies of hot constants: an imported binding costs a module-cell load on every use.
const COSTLY_ORDER = PAGE_ALLOC_COSTLY_ORDER;
const SCALE_MAX = PCP_BATCH_SCALE_MAX;
const NR_LISTS = NR_PCP_LISTS;
const PB_ORDER = PAGEBLOCK_ORDER;
const PCPTYPES = MIGRATE_PCPTYPES;
const WMARK_HIGH_ = WMARK_HIGH;

/** pcp_allowed_order(): orders 0..3 and the THP order go through the PCP lists. */
export function pcpAllowedOrder(order: number): boolean {
  return order <= COSTLY_ORDER || order === PB_ORDER;
}

function clampHigh(pcp: PerCpuPages): number {
  pcp.high = Math.min(Math.max(pcp.high, pcp.highMin), pcp.highMax);
  return pcp.high;
}

/** nr_pcp_alloc(): how many blocks to pull from the buddy lists into an empty list. */
function nrPcpAlloc(pcp: PerCpuPages, zone: Zone, order: number): number {
  const base = pcp.batch;
  let high = clampHigh(pcp);
  if (high < base) return 1;
  let batch = order ? base : base << pcp.allocFactor;
  if (pcp.highMin !== pcp.highMax && !zone.belowHigh) high = pcp.high = Math.min(high + batch, pcp.highMax);
  if (!order) {
    const maxNrAlloc = Math.max(high - pcp.count - base, base);
    if (batch <= maxNrAlloc && pcp.allocFactor < SCALE_MAX) pcp.allocFactor++;
    batch = Math.min(batch, maxNrAlloc);
  }
  if (batch > 1) batch = Math.max(batch >> order, 2);
  return batch;
}

/**
 * rmqueue_pcplist(): a page of `order` from CPU `cpu`'s list of migratetype mt, refilling it
 * from the buddy lists when empty. Returns the page index or -1.
 */
export function rmqueuePcplist(env: BuddyEnv, zone: Zone, cpu: number, order: number, mt: number, allocFlags: number): number {
  const pcp = zone.pcp[cpu];
  // Each allocation halves free_count (the run of consecutive frees that grows pcp->high).
  pcp.freeCount >>= 1;
  return rmqueuePcplistInner(env, zone, pcp, order, mt, allocFlags);
}

/**
 * __rmqueue_pcplist(): the hottest page of the list, refilling it first when empty; no
 * free_count decay (alloc_pages_bulk takes many pages this way). Returns the page index or -1.
 */
export function rmqueuePcplistInner(env: BuddyEnv, zone: Zone, pcp: PerCpuPages, order: number, mt: number, allocFlags: number): number {
  const pindex = orderToPindex(mt, order);
  const head = pcp.head;
  let i = head[pindex];
  if (i < 0) {
    refillPcp(env, zone, pcp, pindex, order, mt, allocFlags);
    i = head[pindex];
    if (i < 0) return -1;
  }
  pcpPop(zone.pages, pcp, pindex, i, order);
  return i;
}

/**
 * listDel() of the hottest page `i` of list `pindex` (its head), and the count; private goes
 * back to 0 as post_alloc_hook() does. The page's own links keep stale values (list.ts): an
 * allocated page is on no list, and whoever lists it next sets both.
 */
export function pcpPop(p: PageArray, pcp: PerCpuPages, pindex: number, i: number, order: number): void {
  listDel(p, pcp.head, pcp.tail, pindex, i);
  p.private[i] = 0;
  pcp.count -= 1 << order;
}

/** The refill half of rmqueue_pcplist(): nr_pcp_alloc() blocks from __rmqueue, coldest last. */
function refillPcp(env: BuddyEnv, zone: Zone, pcp: PerCpuPages, pindex: number, order: number, mt: number, allocFlags: number): void {
  const batch = nrPcpAlloc(pcp, zone, order);
  for (let k = 0; k < batch; k++) {
    const i = rmqueue(env, zone, order, mt, allocFlags);
    if (i < 0) break;
    zone.pages.private[i] = order;
    listAddTail(zone.pages, pcp.head, pcp.tail, pindex, i);
    pcp.count += 1 << order;
  }
}

/** nr_pcp_high(): the (auto-tuned) high mark used on this free. */
function nrPcpHigh(pcp: PerCpuPages, zone: Zone, batch: number, freeHigh: boolean): number {
  const high = clampHigh(pcp);
  if (!high) return 0;
  if (freeHigh) {
    pcp.high = Math.max(high - (batch << SCALE_MAX), pcp.highMin);
    return 0;
  }
  if (pcp.highMin === pcp.highMax) return high;
  if (zone.belowHigh) {
    const fc = Math.max(pcp.freeCount, batch);
    pcp.high = Math.max(high - fc, pcp.highMin);
    return Math.max(pcp.count, pcp.highMin);
  }
  if (pcp.count >= high) {
    const need = pcp.freeCount + batch;
    if (pcp.high < need) pcp.high = Math.min(Math.max(need, pcp.highMin), pcp.highMax);
  }
  return high;
}

/** nr_pcp_free(): how many pages a drain returns to the buddy lists. */
function nrPcpFree(pcp: PerCpuPages, batch: number, high: number, freeHigh: boolean): number {
  if (freeHigh) return Math.min(pcp.count, batch << SCALE_MAX);
  if (high < batch) return 1;
  return Math.min(Math.max(pcp.freeCount, batch), high - batch);
}

/**
 * free_frozen_page_commit(): puts a freed block on the CPU's list `pcp` of `zone` and drains a
 * batch when the list passes `high`. `mt` is the pageblock's migratetype (HighAtomic/CMA go to
 * Movable). PhysicalMemory.freePages() has this written out for order 0 (its fast path).
 */
export function freeToPcp(env: BuddyEnv, zone: Zone, pcp: PerCpuPages, i: number, order: number, mt: number): void {
  if (pcp.allocFactor !== 0) pcp.allocFactor >>= 1;
  const pindex = order <= COSTLY_ORDER ? PCPTYPES * order + mt : orderToPindex(mt, order);
  pushHead(zone.pages, pcp, pindex, i, order);
  freeToPcpOrder(env, zone, pcp, pindex, order, (pcp.count += 1 << order));
}

/** listAdd() of page i at the hot end of list pindex; private holds the order meanwhile. */
function pushHead(p: PageArray, pcp: PerCpuPages, pindex: number, i: number, order: number): void {
  p.private[i] = order;
  listAdd(p, pcp.head, pcp.tail, pindex, i);
}

/** The rest of free_frozen_page_commit(): the high-order free run, free_count, then freePcpCommit(). */
function freeToPcpOrder(env: BuddyEnv, zone: Zone, pcp: PerCpuPages, pindex: number, order: number, count: number): void {
  const batch = pcp.batch;
  let freeHigh = false;
  if (order && order <= COSTLY_ORDER) {
    freeHigh = pcp.freeCount >= batch + (pcp.highMin >> 1) && pcp.prevFreeHighOrder;
    pcp.prevFreeHighOrder = true;
  } else if (pcp.prevFreeHighOrder) pcp.prevFreeHighOrder = false;
  if (pcp.freeCount < batch << SCALE_MAX) pcp.freeCount += 1 << order;
  freePcpCommit(env, zone, pcp, pindex, count, freeHigh);
}

/** freePcpCommit() after an order-0 free onto list `pindex` (the free fast path's way out). */
export function freePcpCommitOrder0(env: BuddyEnv, zone: Zone, pcp: PerCpuPages, pindex: number): void {
  freePcpCommit(env, zone, pcp, pindex, pcp.count, false);
}

/** nr_pcp_high() and, once the list reaches `high`, free_pcppages_bulk() of nr_pcp_free() pages. */
function freePcpCommit(env: BuddyEnv, zone: Zone, pcp: PerCpuPages, pindex: number, count: number, freeHigh: boolean): void {
  const batch = pcp.batch;
  const high = nrPcpHigh(pcp, zone, batch, freeHigh);
  if (count >= high) {
    freePcppagesBulk(env, zone, pcp, nrPcpFree(pcp, batch, high, freeHigh), pindex);
    // Only after a drain does Linux look whether the zone is back above its high watermark.
    if (zone.belowHigh && zoneWatermarkOk(zone, 0, zone.wmark(WMARK_HIGH_), zone.lowmemReserve.length - 1, 0)) zone.belowHigh = false;
  }
}

/**
 * free_pcppages_bulk(): returns `count` pages to the buddy lists, round-robin over the lists
 * starting with `pindex`, coldest (tail) pages first.
 */
export function freePcppagesBulk(_env: BuddyEnv, zone: Zone, pcp: PerCpuPages, count: number, pindex: number): void {
  count = Math.min(pcp.count, count);
  pindex = pindex - 1;
  const p = zone.pages;
  while (count > 0) {
    do {
      if (++pindex > NR_LISTS - 1) pindex = 0;
    } while (pcp.head[pindex] < 0);
    const order = pindexToOrder(pindex);
    const nr = 1 << order;
    do {
      const i = pcp.tail[pindex];
      listDel(p, pcp.head, pcp.tail, pindex, i);
      p.private[i] = 0;
      count -= nr;
      pcp.count -= nr;
      freeOnePage(zone, i, order, p.pageblockMt[i >>> PB_ORDER], false);
    } while (count > 0 && pcp.head[pindex] >= 0);
  }
}

/** drain_pages_zone(): empties one CPU's lists of a zone. */
export function drainPagesZone(env: BuddyEnv, zone: Zone, cpu: number): void {
  const pcp = zone.pcp[cpu];
  if (pcp.count > 0) freePcppagesBulk(env, zone, pcp, pcp.count, 0);
}
