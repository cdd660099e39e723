// get_page_from_freelist() and the rest of __alloc_pages() behind PhysicalMemory.allocPages()'s
// inlined order-0 fast path (mm/page_alloc.c): rmqueueFast (rmqueue_pcplist's common case, orders
// 0-3), prepare_alloc_pages, the zonelist walk with watermarks and ALLOC_NOFRAGMENT, rmqueue from
// the PCP or buddy lists, prep_new_page, the highatomic reservation (highatomic.ts), the slow path
// (slowpath.ts). Functions of the machine `m`; not part of the package API.
import { BUG } from "@mmsim/base";
import { rmqueue, rmqueueSmallest } from "./buddy";
import { AllocContext } from "./alloc-context";
import { GFP_ZONEMASK, __GFP_COMP, __GFP_KSWAPD_RECLAIM, __GFP_NOWARN, __GFP_THISNODE, __GFP_WRITE, __GFP_ZERO, gfpMigratetype } from "./gfp";
import { reserveHighatomicPageblock } from "./highatomic";
import { ALLOC_HIGHATOMIC, ALLOC_KSWAPD, ALLOC_NO_WATERMARKS, ALLOC_NOFRAGMENT, ALLOC_NON_BLOCK, ALLOC_OOM, ALLOC_WMARK_LOW, ALLOC_WMARK_MASK } from "./alloc-flags";
import { MAX_PAGE_ORDER, MIGRATE_HIGHATOMIC, MIGRATE_PCPTYPES, PAGE_ALLOC_COSTLY_ORDER, PAGEBLOCK_ORDER, WMARK_HIGH, WMARK_LOW, ZONE_DMA32, ZONE_NORMAL } from "./mmzone";
import type { Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { PG_head } from "./page-flags";
import { pcpPop, rmqueuePcplist } from "./pcp";
import { allocPagesSlowpath } from "./slowpath";
import { zoneWatermarkFast, zoneWatermarkOk } from "./watermarks";

// Local copies of hot constants: an imported binding costs a module-cell load on every use.
const ZONEMASK = GFP_ZONEMASK;
const THISNODE = __GFP_THISNODE;
const KSWAPD_RECLAIM = __GFP_KSWAPD_RECLAIM;
const ZERO = __GFP_ZERO;
const COMP = __GFP_COMP;
const COSTLY_ORDER = PAGE_ALLOC_COSTLY_ORDER;
const PCPTYPES = MIGRATE_PCPTYPES;
const WMARK_LOW_ = WMARK_LOW;
const WMARK_HIGH_ = WMARK_HIGH;
/** A simulator guard: allocations nested deeper than this (hooks allocating from hooks) are a Bug. */
export const MAX_ALLOC_NESTING = 16;

/** alloc_pages() past the inlined fast path: rmqueueFast() for orders 0..3, else in full. */
export function allocPagesSlow(m: PhysicalMemory, gfp: number, order: number, nid: number): number {
  const local = m.cpuToNode[m.cpu];
  if (nid < 0) nid = local;
  // orders 0..3 straight off a non-empty PCP list of the preferred zone
  if ((order & COSTLY_ORDER) === order) {
    const i = rmqueueFast(m, gfp, order, nid, local);
    if (i >= 0) return m.pages.pfn(i);
  }
  return allocPagesFull(m, gfp, order, nid, local);
}

/**
 * get_page_from_freelist()'s common case, checked the way Linux's own fast path is: the first
 * eligible zone of the zonelist, zone_watermark_fast() against the mark ZONE_BELOW_HIGH
 * selects, a pop from the PCP list, zone_statistics() and the refcount. Returns -1 without
 * touching any state when anything is unusual (bad gfp or node, empty list, watermark
 * trouble); allocPagesFull() then takes the request from the top.
 */
export function rmqueueFast(m: PhysicalMemory, gfp: number, order: number, nid: number, local: number): number {
  const highestIdx = m.gfpZoneTable[gfp & ZONEMASK];
  const node = m.nodes[nid];
  if (highestIdx < 0 || node === undefined) return -1;
  const zonelist = gfp & THISNODE ? node.zonelistNoFallback : node.zonelistFallback;
  let k = 0;
  let zone = zonelist[0];
  while (zone !== undefined && zone.idx > highestIdx) zone = zonelist[++k];
  if (zone === undefined || zone.managedPages === 0) return -1;
  // zone_watermark_fast(): the high mark until ZONE_BELOW_HIGH is seen, then the low one;
  // for order 0 folded into zone.fastMark (which also sends boosted zones to the full path)
  if (order === 0) {
    if (!(zone.nrFreePages > zone.fastMark[highestIdx])) return -1;
  } else if (!zoneWatermarkOk(zone, order, zone.watermark[zone.belowHigh === true ? WMARK_LOW_ : WMARK_HIGH_] + zone.watermarkBoost, highestIdx, 0)) return -1;
  const pcp = zone.thisCpuPcp;
  const mt = gfpMigratetype(gfp);
  const pindex = order * PCPTYPES + mt;
  const i = pcp.head[pindex];
  if (i < 0) return -1;
  pcp.freeCount >>= 1;
  pcpPop(zone.pages, pcp, pindex, i, order);
  if (gfp & KSWAPD_RECLAIM && zone.boostedWatermark === true) wakeBoosted(m, zone);
  // pgalloc_<zone> (in pages) and zone_statistics(); the zone is the preferred one.
  zone.countAlloc(order, 1, zone.nid === local);
  m.pages.refcount[i] = 1;
  if (gfp & (ZERO | COMP) || m.trace.on === true) prepNewPage(m, i, order, gfp, mt);
  return i;
}

/** rmqueue()'s ZONE_BOOSTED_WATERMARK check: wake kswapd once after a fragmenting fallback. */
export function wakeBoosted(m: PhysicalMemory, zone: Zone): void {
  zone.boostedWatermark = false;
  m.hooks.wakeupKswapd(zone, 0, 0, zone.idx);
}

/**
 * __alloc_pages() in full: prepare_alloc_pages() fills the AllocContext of this nesting depth,
 * then get_page_from_freelist() at the low watermark, then the slow path with the context.
 */
export function allocPagesFull(m: PhysicalMemory, gfp: number, order: number, nid: number, local: number): number {
  if (!(order >= 0 && order <= MAX_PAGE_ORDER && (order | 0) === order)) return badOrder(m, gfp, order);
  // gfp_zone() through a GFP_ZONE_TABLE of this arch's zone indices (-1: invalid combination)
  const highestIdx = m.gfpZoneTable[gfp & GFP_ZONEMASK];
  if (highestIdx < 0) BUG("gfp_zone", `invalid zone modifiers in gfp 0x${gfp.toString(16)}`);
  const node = m.nodes[nid];
  if (node === undefined) BUG("alloc_pages", `no node ${nid}`);
  const zonelist = gfp & __GFP_THISNODE ? node.zonelistNoFallback : node.zonelistFallback;
  // first_zones_zonelist()
  let preferred: Zone | null = null;
  for (let k = 0; k < zonelist.length; k++) {
    if (zonelist[k].idx <= highestIdx) {
      preferred = zonelist[k];
      break;
    }
  }
  if (preferred === null) return -1;
  const depth = m.acDepth;
  if (depth >= MAX_ALLOC_NESTING) BUG("__alloc_pages", `allocations nested ${depth} deep: a hook allocates without end`);
  let ac = m.acStack[depth];
  if (ac === undefined) ac = m.acStack[depth] = new AllocContext(depth);
  ac.zonelist = zonelist;
  ac.nid = nid;
  ac.thisNode = (gfp & __GFP_THISNODE) !== 0;
  ac.highestZoneIdx = highestIdx;
  ac.preferredZone = preferred;
  ac.migratetype = gfpMigratetype(gfp);
  ac.spreadDirtyPages = (gfp & __GFP_WRITE) !== 0;
  ac.gfpMask = gfp;
  ac.order = order;
  ac.localNid = local;
  ac.allocFlags = ALLOC_WMARK_LOW | allocFlagsNofragment(m, preferred, gfp);
  m.acDepth = depth + 1;
  try {
    let i = getPageFromFreelist(m, ac, gfp, order, ac.allocFlags);
    if (i < 0) i = allocPagesSlowpath(m, ac, gfp, order);
    return i < 0 ? -1 : m.pages.pfn(i);
  } finally {
    m.acDepth = depth;
  }
}

/** An order outside 0..MAX_PAGE_ORDER: warn (unless __GFP_NOWARN), count, fail. */
export function badOrder(m: PhysicalMemory, gfp: number, order: number): number {
  if (!(gfp & __GFP_NOWARN)) m.printk(`WARNING: alloc_pages: order ${order} > MAX_PAGE_ORDER ${MAX_PAGE_ORDER}`);
  m.allocFailures++;
  return -1;
}

/** alloc_flags_nofragment(): ALLOC_KSWAPD from the gfp, NOFRAGMENT for Normal over a DMA32. */
export function allocFlagsNofragment(m: PhysicalMemory, zone: Zone, gfp: number): number {
  let flags = gfp & __GFP_KSWAPD_RECLAIM;
  if (zone.type !== ZONE_NORMAL) return flags;
  const dma32 = m.nodes[zone.nid].zones[m.typeToIdx[ZONE_DMA32]];
  if (dma32 && dma32.type === ZONE_DMA32 && dma32.populated) flags |= ALLOC_NOFRAGMENT;
  return flags;
}

/**
 * get_page_from_freelist(): walks the context's zonelist for a zone above the watermark of
 * allocFlags and takes a block from it. Returns the page index of a prepared page, or -1.
 */
export function getPageFromFreelist(m: PhysicalMemory, ac: AllocContext, gfp: number, order: number, allocFlags: number): number {
  const zonelist = ac.zonelist;
  const preferred = ac.preferredZone!;
  const highestIdx = ac.highestZoneIdx;
  for (;;) {
    const noFallback = allocFlags & ALLOC_NOFRAGMENT;
    let retry = false;
    for (let k = 0; k < zonelist.length; k++) {
      const zone = zonelist[k];
      if (zone.idx > highestIdx || !zone.managedPages) continue;
      if (noFallback && m.nodes.length > 1 && zone !== preferred && zone.nid !== preferred.nid) {
        allocFlags &= ~ALLOC_NOFRAGMENT;
        retry = true;
        break;
      }
      // The high watermark first, so that ZONE_BELOW_HIGH is noticed (6.10+); once a
      // zone is below high, only the watermark of the request is checked.
      if (zone.belowHigh || !zoneWatermarkFast(zone, order, zone.watermark[WMARK_HIGH] + zone.watermarkBoost, highestIdx, allocFlags)) {
        zone.belowHigh = true;
        if (!(allocFlags & ALLOC_NO_WATERMARKS) && !zoneWatermarkFast(zone, order, zone.wmark(allocFlags & ALLOC_WMARK_MASK), highestIdx, allocFlags)) continue;
      }
      const i = rmqueueZone(m, ac, zone, order, gfp, allocFlags);
      if (i >= 0) {
        // a high-order atomic allocation may set its pageblock aside for the next ones
        if (allocFlags & ALLOC_HIGHATOMIC) reserveHighatomicPageblock(zone, i, order);
        return i;
      }
    }
    if (retry) continue;
    if (allocFlags & ALLOC_NOFRAGMENT) {
      allocFlags &= ~ALLOC_NOFRAGMENT;
      continue;
    }
    return -1;
  }
}

/** rmqueue(): PCP or buddy, then accounting and prep_new_page. */
export function rmqueueZone(m: PhysicalMemory, ac: AllocContext, zone: Zone, order: number, gfp: number, allocFlags: number): number {
  const preferred = ac.preferredZone!;
  const mt = ac.migratetype;
  let i = -1;
  if (order <= PAGE_ALLOC_COSTLY_ORDER || order === PAGEBLOCK_ORDER) i = rmqueuePcplist(m, zone, m.cpu, order, mt, allocFlags);
  if (i < 0) i = rmqueueBuddy(m, zone, order, mt, allocFlags);
  if (allocFlags & ALLOC_KSWAPD && zone.boostedWatermark) wakeBoosted(m, zone);
  if (i < 0) return -1;
  // zone_statistics() and pgalloc_<zone> (in pages), then prep_new_page().
  zone.countAlloc(order, 1, zone.nid === ac.localNid);
  if (zone.nid !== preferred.nid) {
    zone.numaMiss++;
    preferred.numaForeign++;
  }
  m.pages.refcount[i] = 1;
  if (gfp & (__GFP_ZERO | __GFP_COMP) || m.trace.on) prepNewPage(m, i, order, gfp, mt);
  return i;
}

/** rmqueue_buddy(): the zone's free lists under the zone lock (highatomic reserves as Linux allows). */
export function rmqueueBuddy(m: PhysicalMemory, zone: Zone, order: number, mt: number, allocFlags: number): number {
  let i = -1;
  if (order > 0 && allocFlags & ALLOC_HIGHATOMIC) i = rmqueueSmallest(zone, order, MIGRATE_HIGHATOMIC);
  if (i < 0) i = rmqueue(m, zone, order, mt, allocFlags);
  if (i < 0 && allocFlags & (ALLOC_OOM | ALLOC_NON_BLOCK)) i = rmqueueSmallest(zone, order, MIGRATE_HIGHATOMIC);
  return i;
}

/** The rest of prep_new_page(): zeroing for __GFP_ZERO, compound setup for __GFP_COMP, the tracepoint. */
export function prepNewPage(m: PhysicalMemory, i: number, order: number, gfp: number, migratetype: number): void {
  const p = m.pages;
  if (gfp & __GFP_ZERO && m.ram) {
    const pfn = p.pfn(i);
    for (let k = 0; k < 1 << order; k++) m.ram.zeroFrame(pfn + k);
  }
  if (gfp & __GFP_COMP && order > 0) {
    p.flags[i] = (p.flags[i] | (1 << PG_head)) >>> 0;
    for (let k = 1; k < 1 << order; k++) p.private[i + k] = -k;
    p.index[i + 1] = order;
  }
  if (m.trace.on) m.trace.emit("mm_page_alloc", { pfn: p.pfn(i), order, gfp_flags: gfp, migratetype });
}
