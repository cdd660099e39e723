// __alloc_pages_slowpath (mm/page_alloc.c) in Linux's order, with the upper layers reached
// through hooks (kswapd, direct reclaim, compaction, OOM). Default hooks do nothing, so an
// allocation that misses the low watermark retries at min and then fails. Not modelled:
// cpuset retry, PF_MEMALLOC task flags (callers pass __GFP_MEMALLOC), stall warnings,
// compaction priorities. The highatomic reserve is given back (highatomic.ts) where 6.18 does.
//
//   fast path (low wmark) ─fail→ wake kswapd → retry at min ─→ [costly: async compaction]
//        → no DIRECT_RECLAIM? fail → direct reclaim; on progress but no page: unreserve one
//          highatomic pageblock (not a zone's last), drain PCP, retry → direct compaction
//        → NORETRY / costly? fail → retry while reclaim may help (≤16 no-progress loops);
//          when it may not, unreserve a highatomic pageblock (force) and retry if one was
//        → OOM killer (order ≤ 3, not lowmem-only, not RETRY_MAYFAIL/THISNODE) → retry
//        → NOFAIL: keep going with min reserves  … else "page allocation failure"
import { __GFP_DIRECT_RECLAIM, __GFP_HARDWALL, __GFP_HIGH, __GFP_KSWAPD_RECLAIM, __GFP_MEMALLOC, __GFP_NOFAIL, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN, __GFP_RETRY_MAYFAIL, __GFP_THISNODE } from "./gfp";
import { unreserveHighatomicPageblock } from "./highatomic";
import { ALLOC_CPUSET, ALLOC_HIGHATOMIC, ALLOC_KSWAPD, ALLOC_MIN_RESERVE, ALLOC_NO_WATERMARKS, ALLOC_NON_BLOCK, ALLOC_WMARK_HIGH, ALLOC_WMARK_MIN } from "./internal/alloc-flags";
import { MIGRATE_MOVABLE, PAGE_ALLOC_COSTLY_ORDER, WMARK_MIN, ZONE_NORMAL } from "./mmzone";
import type { Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { warnAlloc } from "./show-mem";
import { zoneWatermarkOk } from "./watermarks";

/** MAX_RECLAIM_RETRIES (mm/internal.h). */
export const MAX_RECLAIM_RETRIES = 16;
/** MAX_COMPACT_RETRIES (mm/page_alloc.c). */
export const MAX_COMPACT_RETRIES = 16;
/** A simulator guard: NOFAIL and OOM loops give up after this many rounds (Linux loops forever). */
export const MAX_SLOWPATH_LOOPS = 1000;

/** Calls from the allocator up into reclaim/compaction/OOM (wired by the kernel package). */
export interface SlowpathHooks {
  /** wakeup_kswapd() for one zone of the zonelist */
  wakeupKswapd(zone: Zone, gfp: number, order: number, highestZoneIdx: number): void;
  /** try_to_compact_pages(): returns true when compaction ran (not skipped) */
  tryToCompactPages(gfp: number, order: number, allocFlags: number, nid: number): boolean;
  /** try_to_free_pages(): pages reclaimed */
  tryToFreePages(gfp: number, order: number, nid: number): number;
  /** out_of_memory(): true when a victim was chosen (or memory otherwise freed) */
  outOfMemory(gfp: number, order: number, nid: number): boolean;
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

function wakeAllKswapds(m: PhysicalMemory, gfp: number, order: number): void {
  const seen = new Set<number>();
  for (const z of m.acZonelist) {
    if (z.idx > m.acHighestIdx || !z.managedPages || seen.has(z.nid)) continue;
    seen.add(z.nid);
    m.hooks.wakeupKswapd(z, gfp, order, m.acHighestIdx);
  }
}

/**
 * should_reclaim_retry() after the no-progress count was updated: while at most
 * MAX_RECLAIM_RETRIES rounds in a row made no progress, could reclaiming everything
 * reclaimable meet the min watermark of some zone? When not, a highatomic pageblock is given
 * back before the OOM path (force), and the answer is whether one was.
 */
function shouldReclaimRetry(m: PhysicalMemory, order: number, allocFlags: number, noProgressLoops: number): boolean {
  if (noProgressLoops <= MAX_RECLAIM_RETRIES) {
    for (const z of m.acZonelist) {
      if (z.idx > m.acHighestIdx || !z.managedPages) continue;
      const available = m.hooks.zoneReclaimablePages(z) + z.nrFreePages;
      if (zoneWatermarkOk(z, order, z.wmark(WMARK_MIN), m.acHighestIdx, allocFlags, available)) return true;
    }
  }
  return unreserveHighatomicPageblock(m, true);
}

/**
 * __alloc_pages_slowpath(). Returns a page index or -1 after printing the failure report
 * (unless __GFP_NOWARN).
 */
export function allocPagesSlowpath(m: PhysicalMemory, gfp: number, order: number): number {
  const canDirectReclaim = (gfp & __GFP_DIRECT_RECLAIM) !== 0;
  const costly = order > PAGE_ALLOC_COSTLY_ORDER;
  const nid = m.acNid;
  let allocFlags = gfpToAllocFlags(gfp, order);
  if (allocFlags & ALLOC_KSWAPD) wakeAllKswapds(m, gfp, order);
  let i = m.getPageFromFreelist(gfp, order, allocFlags);
  if (i >= 0) return i;
  const reserveFlags = gfp & __GFP_MEMALLOC && !(gfp & __GFP_NOMEMALLOC) ? ALLOC_NO_WATERMARKS : 0;
  if (canDirectReclaim && (costly || (order > 0 && m.acMigratetype !== MIGRATE_MOVABLE)) && !reserveFlags) {
    i = directCompact(m, gfp, order, allocFlags);
    if (i >= 0) return i;
  }
  let noProgressLoops = 0;
  let compactRetries = 0;
  for (let loop = 0; loop < MAX_SLOWPATH_LOOPS; loop++) {
    if (allocFlags & ALLOC_KSWAPD) wakeAllKswapds(m, gfp, order);
    if (reserveFlags) allocFlags = reserveFlags | (allocFlags & ALLOC_KSWAPD);
    i = m.getPageFromFreelist(gfp, order, allocFlags);
    if (i >= 0) return i;
    if (!canDirectReclaim) break;
    // __alloc_pages_direct_reclaim: reclaim, retry, drain the PCP lists once and retry.
    const progress = m.hooks.tryToFreePages(gfp, order, nid);
    i = m.getPageFromFreelist(gfp, order, allocFlags);
    if (i < 0 && progress > 0) {
      // pages may sit in the highatomic reserve or on the PCP lists: release some, retry
      unreserveHighatomicPageblock(m, false);
      m.drainAllPages();
      i = m.getPageFromFreelist(gfp, order, allocFlags);
    }
    if (i >= 0) return i;
    i = directCompact(m, gfp, order, allocFlags);
    if (i >= 0) return i;
    if (gfp & __GFP_NORETRY) break;
    if (costly && !(gfp & __GFP_RETRY_MAYFAIL)) break;
    if (progress > 0 && !costly) noProgressLoops = 0;
    else noProgressLoops++;
    if (shouldReclaimRetry(m, order, allocFlags, noProgressLoops)) continue;
    if (progress > 0 && order > 0 && compactRetries++ < MAX_COMPACT_RETRIES) continue;
    // __alloc_pages_may_oom
    i = m.getPageFromFreelist((gfp | __GFP_HARDWALL) & ~__GFP_DIRECT_RECLAIM, order, ALLOC_WMARK_HIGH | ALLOC_CPUSET);
    if (i >= 0) return i;
    let oomProgress = false;
    if (!costly && !(gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) && m.zones()[0] && highestIsNormalOrAbove(m)) {
      oomProgress = m.hooks.outOfMemory(gfp, order, nid);
    }
    if (oomProgress || gfp & __GFP_NOFAIL) {
      if (gfp & __GFP_NOFAIL) {
        i = m.getPageFromFreelist(gfp, order, ALLOC_NO_WATERMARKS);
        if (i >= 0) return i;
      }
      noProgressLoops = 0;
      if (oomProgress) continue;
    }
    if (gfp & __GFP_NOFAIL) {
      i = m.getPageFromFreelist(gfp, order, ALLOC_MIN_RESERVE);
      if (i >= 0) return i;
      continue;
    }
    break;
  }
  m.allocFailures++;
  if (!(gfp & __GFP_NOWARN)) warnAlloc(m, gfp, order);
  return -1;
}

/** The OOM killer does not kill for lowmem-only requests (highest_zoneidx < ZONE_NORMAL). */
function highestIsNormalOrAbove(m: PhysicalMemory): boolean {
  return m.acHighestIdx >= m.zoneIdxOfType(ZONE_NORMAL);
}

/** __alloc_pages_direct_compact(): compaction hook, counted as a stall, then a retry. */
function directCompact(m: PhysicalMemory, gfp: number, order: number, allocFlags: number): number {
  if (order === 0) return -1;
  if (!m.hooks.tryToCompactPages(gfp, order, allocFlags, m.acNid)) return -1;
  const c = m.counters;
  c.add(c.id("compact_stall"));
  const i = m.getPageFromFreelist(gfp, order, allocFlags);
  c.add(c.id(i >= 0 ? "compact_success" : "compact_fail"));
  return i;
}
