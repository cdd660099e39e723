// __alloc_pages_slowpath (mm/page_alloc.c) in Linux's order, with the upper layers reached
// through hooks (kswapd, direct reclaim, compaction, OOM). Default hooks do nothing, so an
// allocation that misses the low watermark retries at min and then fails. Not modelled:
// cpuset retry, PF_MEMALLOC task flags (callers pass __GFP_MEMALLOC), stall warnings, the
// escalation of compaction priority (the first attempt is async, later ones sync-light). The
// highatomic reserve is given back (highatomic.ts) where 6.18 does.
//
//   fast path (low wmark) ─fail→ wake kswapd → retry at min ─→ [costly: async compaction]
//        → no DIRECT_RECLAIM? fail → direct reclaim; on progress but no page: unreserve one
//          highatomic pageblock (not a zone's last), drain PCP, retry → direct compaction
//        → NORETRY / costly? fail → retry while reclaim may help (≤16 no-progress loops);
//          when it may not, unreserve a highatomic pageblock (force) and retry if one was
//        → OOM killer (order ≤ 3, not lowmem-only, not RETRY_MAYFAIL/THISNODE) → retry
//        → NOFAIL (that may reclaim): retry with the min reserves  … else "page allocation failure"
import { formatGfp, __GFP_DIRECT_RECLAIM, __GFP_HARDWALL, __GFP_HIGH, __GFP_KSWAPD_RECLAIM, __GFP_MEMALLOC, __GFP_NOFAIL, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN, __GFP_RETRY_MAYFAIL, __GFP_THISNODE } from "./gfp";
import { unreserveHighatomicPageblock } from "./highatomic";
import { BUG } from "@mmsim/base";
import { CompactControl, DEF_COMPACT_PRIORITY, INIT_COMPACT_PRIORITY, OomControl } from "./alloc-context";
import type { AllocContext } from "./alloc-context";
import { ALLOC_CPUSET, ALLOC_HIGHATOMIC, ALLOC_KSWAPD, ALLOC_MIN_RESERVE, ALLOC_NO_WATERMARKS, ALLOC_NON_BLOCK, ALLOC_WMARK_HIGH, ALLOC_WMARK_MIN } from "./alloc-flags";
import { getPageFromFreelist } from "./get-page";
import { MIGRATE_MOVABLE, PAGE_ALLOC_COSTLY_ORDER, WMARK_MIN, ZONE_NORMAL } from "./mmzone";
import type { Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { warnAlloc } from "./show-mem";
import { zoneWatermarkOk } from "./watermarks";

/** MAX_RECLAIM_RETRIES (mm/internal.h). */
export const MAX_RECLAIM_RETRIES = 16;
/** MAX_COMPACT_RETRIES (mm/page_alloc.c). */
export const MAX_COMPACT_RETRIES = 16;
/** A simulator guard: a slow path still looping after this many rounds is a Bug (Linux loops forever). */
export const MAX_SLOWPATH_LOOPS = 1000;

/**
 * Calls from the allocator up into reclaim, compaction and the OOM killer (wired by the kernel
 * package). The allocation's state reaches them only through what they are given: the
 * AllocContext of the allocation (never PhysicalMemory's fields), and the OomControl /
 * CompactControl the slow path builds from it. A hook may allocate and free; its allocations
 * get contexts of their own. wakeupKswapd and zoneReclaimablePages keep Linux's signatures:
 * rmqueue() wakes kswapd outside any slow path, and zone_reclaimable_pages() asks about a zone.
 */
export interface SlowpathHooks {
  /** wakeup_kswapd(zone, gfp_flags, order, highest_zoneidx) for one zone of the zonelist */
  wakeupKswapd(zone: Zone, gfp: number, order: number, highestZoneIdx: number): void;
  /**
   * try_to_compact_pages(): compact the zones of ac.zonelist (up to cc.highestZoneIdx) with
   * the control `cc` (order, gfp, migratetype, alloc_flags, mode from the priority; the
   * compactor sets cc.zone and the cursors per zone). Returns true when compaction ran (not
   * skipped or deferred).
   */
  tryToCompactPages(ac: AllocContext, cc: CompactControl): boolean;
  /** try_to_free_pages(zonelist, order, gfp, nodemask) with the allocation's context: pages reclaimed */
  tryToFreePages(ac: AllocContext, gfp: number, order: number): number;
  /** out_of_memory(oc): true when a victim was chosen (or memory otherwise freed) */
  outOfMemory(oc: OomControl): boolean;
  /** zone_reclaimable_pages(): LRU pages reclaim could still free in the zone */
  zoneReclaimablePages(zone: Zone): number;
}

/** Hooks that do nothing: allocation simply fails at the watermark. */
export const NOOP_HOOKS: SlowpathHooks = {
  wakeupKswapd: () => {},
  tryToCompactPages: () => false,
  tryToFreePages: () => 0,
  outOfMemory: () => false,
  zoneReclaimablePages: () => 0,
};

/** gfp_to_alloc_flags(). */
export function gfpToAllocFlags(gfp: number, order: number): number {
  let f = ALLOC_WMARK_MIN | ALLOC_CPUSET;
  f |= gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM);
  if (!(gfp & __GFP_DIRECT_RECLAIM)) {
    if (!(gfp & __GFP_NOMEMALLOC)) {
      f |= ALLOC_NON_BLOCK;
      if (order > 0 && f & ALLOC_MIN_RESERVE) f |= ALLOC_HIGHATOMIC;
    }
    if (f & ALLOC_MIN_RESERVE) f &= ~ALLOC_CPUSET;
  }
  return f;
}

/** wake_all_kswapds(): wakeup_kswapd() once per node of the zonelist's eligible zones. */
function wakeAllKswapds(m: PhysicalMemory, ac: AllocContext, gfp: number, order: number): void {
  const zonelist = ac.zonelist;
  const highestIdx = ac.highestZoneIdx;
  let lastNid = -1;
  for (let k = 0; k < zonelist.length; k++) {
    const z = zonelist[k];
    if (z.idx > highestIdx || !z.managedPages) continue;
    // a zonelist is grouped by node, so a node repeats only right after itself
    if (z.nid === lastNid) continue;
    lastNid = z.nid;
    m.hooks.wakeupKswapd(z, gfp, order, highestIdx);
  }
}

/**
 * should_reclaim_retry() after the no-progress count was updated: while at most
 * MAX_RECLAIM_RETRIES rounds in a row made no progress, could reclaiming everything
 * reclaimable meet the min watermark of some zone? When not, a highatomic pageblock is given
 * back before the OOM path (force), and the answer is whether one was.
 */
function shouldReclaimRetry(m: PhysicalMemory, ac: AllocContext, order: number, allocFlags: number, noProgressLoops: number): boolean {
  if (noProgressLoops <= MAX_RECLAIM_RETRIES) {
    for (const z of ac.zonelist) {
      if (z.idx > ac.highestZoneIdx || !z.managedPages) continue;
      const available = m.hooks.zoneReclaimablePages(z) + z.nrFreePages;
      if (zoneWatermarkOk(z, order, z.wmark(WMARK_MIN), ac.highestZoneIdx, allocFlags, available)) return true;
    }
  }
  return unreserveHighatomicPageblock(m, ac, true);
}

/**
 * WARN_ON_ONCE() of the slow path: the cut-here banner and the WARNING line, once per site
 * per machine. The condition is printed where Linux would print file:line.
 */
function warnOnOnce(m: PhysicalMemory, fn: string, cond: string): void {
  const site = `${fn}: ${cond}`;
  if (m.warnedOnce.has(site)) return;
  m.warnedOnce.add(site);
  m.printk("------------[ cut here ]------------");
  m.printk(`WARNING: CPU: ${m.cpu} PID: ${m.pid} at ${fn}: WARN_ON_ONCE(${cond})`);
}

/**
 * __alloc_pages_slowpath() for the request of `ac`. Returns a page index, or -1 after printing
 * the failure report (unless __GFP_NOWARN). A __GFP_NOFAIL request does not fail unless it
 * cannot reclaim (as 6.18, with a warning); one that finds nothing in MAX_SLOWPATH_LOOPS
 * rounds is a Bug (Linux would loop forever).
 */
export function allocPagesSlowpath(m: PhysicalMemory, ac: AllocContext, gfp: number, order: number): number {
  const canDirectReclaim = (gfp & __GFP_DIRECT_RECLAIM) !== 0;
  const nofail = (gfp & __GFP_NOFAIL) !== 0;
  const costly = order > PAGE_ALLOC_COSTLY_ORDER;
  if (nofail) {
    // 6.12+: callers must not ask for more than order-1 units, nor for NOFAIL without reclaim
    if (order > 1) warnOnOnce(m, "__alloc_pages_slowpath", "order > 1");
    if (!canDirectReclaim) warnOnOnce(m, "__alloc_pages_slowpath", "!can_direct_reclaim");
  }
  let allocFlags = gfpToAllocFlags(gfp, order);
  ac.allocFlags = allocFlags;
  if (allocFlags & ALLOC_KSWAPD) wakeAllKswapds(m, ac, gfp, order);
  let i = getPageFromFreelist(m, ac, gfp, order, allocFlags);
  if (i >= 0) return i;
  const reserveFlags = gfp & __GFP_MEMALLOC && !(gfp & __GFP_NOMEMALLOC) ? ALLOC_NO_WATERMARKS : 0;
  if (canDirectReclaim && (costly || (order > 0 && ac.migratetype !== MIGRATE_MOVABLE)) && !reserveFlags) {
    i = directCompact(m, ac, gfp, order, allocFlags, INIT_COMPACT_PRIORITY);
    if (i >= 0) return i;
  }
  let noProgressLoops = 0;
  let compactRetries = 0;
  for (let loop = 0; ; loop++) {
    if (loop === MAX_SLOWPATH_LOOPS) BUG("__alloc_pages_slowpath", `${formatGfp(gfp)} order ${order}: no page after ${loop} rounds (the hooks report progress that frees nothing)`);
    if (allocFlags & ALLOC_KSWAPD) wakeAllKswapds(m, ac, gfp, order);
    if (reserveFlags) allocFlags = reserveFlags | (allocFlags & ALLOC_KSWAPD);
    ac.allocFlags = allocFlags;
    i = getPageFromFreelist(m, ac, gfp, order, allocFlags);
    if (i >= 0) return i;
    if (canDirectReclaim) {
      // __alloc_pages_direct_reclaim: reclaim, retry, drain the PCP lists once and retry.
      const progress = m.hooks.tryToFreePages(ac, gfp, order);
      i = getPageFromFreelist(m, ac, gfp, order, allocFlags);
      if (i < 0 && progress > 0) {
        // pages may sit in the highatomic reserve or on the PCP lists: release some, retry
        unreserveHighatomicPageblock(m, ac, false);
        m.drainAllPages();
        i = getPageFromFreelist(m, ac, gfp, order, allocFlags);
      }
      if (i >= 0) return i;
      i = directCompact(m, ac, gfp, order, allocFlags, DEF_COMPACT_PRIORITY);
      if (i >= 0) return i;
      if (!(gfp & __GFP_NORETRY) && !(costly && !(gfp & __GFP_RETRY_MAYFAIL))) {
        if (progress > 0 && !costly) noProgressLoops = 0;
        else noProgressLoops++;
        if (shouldReclaimRetry(m, ac, order, allocFlags, noProgressLoops)) continue;
        if (progress > 0 && order > 0 && compactRetries++ < MAX_COMPACT_RETRIES) continue;
        i = allocPagesMayOom(m, ac, gfp, order);
        if (i >= 0) return i;
        if (i === OOM_PROGRESS) {
          noProgressLoops = 0;
          continue;
        }
      }
    }
    // nopage: a __GFP_NOFAIL request that can reclaim keeps trying with the min reserves
    if (!nofail || !canDirectReclaim) break;
    i = getPageFromFreelist(m, ac, gfp, order, ALLOC_MIN_RESERVE);
    if (i >= 0) return i;
  }
  m.allocFailures++;
  if (!(gfp & __GFP_NOWARN)) warnAlloc(m, gfp, order);
  return -1;
}

/** allocPagesMayOom(): "the OOM killer made progress" (did_some_progress = 1) without a page. */
const OOM_PROGRESS = -2;

/**
 * __alloc_pages_may_oom(): one more try at the high watermark (a parallel OOM kill may have
 * freed memory), then out_of_memory() with an OomControl built from `ac`, unless the OOM
 * killer would not help (costly order, __GFP_RETRY_MAYFAIL, __GFP_THISNODE, a lowmem-only
 * request). Returns a page index, OOM_PROGRESS, or -1 (no progress).
 */
function allocPagesMayOom(m: PhysicalMemory, ac: AllocContext, gfp: number, order: number): number {
  const i = getPageFromFreelist(m, ac, (gfp | __GFP_HARDWALL) & ~__GFP_DIRECT_RECLAIM, order, ALLOC_WMARK_HIGH | ALLOC_CPUSET);
  if (i >= 0) return i;
  if (order > PAGE_ALLOC_COSTLY_ORDER) return -1;
  if (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) return -1;
  // the OOM killer does not kill for lowmem-only requests (highest_zoneidx < ZONE_NORMAL)
  if (ac.highestZoneIdx < m.zoneIdxOfType(ZONE_NORMAL)) return -1;
  const oc = new OomControl(ac, gfp, order);
  let progress = m.hooks.outOfMemory(oc);
  if (!progress && gfp & __GFP_NOFAIL) {
    // WARN_ON_ONCE_GFP(gfp_mask & __GFP_NOFAIL): nothing to kill, yet it may not fail
    if (!(gfp & __GFP_NOWARN)) warnOnOnce(m, "__alloc_pages_may_oom", "gfp_mask & __GFP_NOFAIL");
    progress = true;
  }
  if (!progress) return -1;
  if (gfp & __GFP_NOFAIL) {
    // help a non-failing allocation with access to all memory reserves
    const j = getPageFromFreelist(m, ac, gfp, order, ALLOC_NO_WATERMARKS);
    if (j >= 0) return j;
  }
  return OOM_PROGRESS;
}

/**
 * __alloc_pages_direct_compact(): try_to_compact_pages() with a CompactControl built from
 * `ac` at priority `prio`, counted as a stall, then a retry.
 */
function directCompact(m: PhysicalMemory, ac: AllocContext, gfp: number, order: number, allocFlags: number, prio: number): number {
  if (order === 0) return -1;
  if (!m.hooks.tryToCompactPages(ac, new CompactControl(ac, gfp, order, allocFlags, prio))) return -1;
  const c = m.counters;
  c.add(c.id("compact_stall"));
  const i = getPageFromFreelist(m, ac, gfp, order, allocFlags);
  c.add(c.id(i >= 0 ? "compact_success" : "compact_fail"));
  return i;
}
