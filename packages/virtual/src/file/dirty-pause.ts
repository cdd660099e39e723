// The throttling arithmetic of balance_dirty_pages (mm/page-writeback.c): the position ratio that
// scales a writer's rate around the dirty setpoint, and the pause bounds. All in pages, pages per
// second and jiffies (HZ 250), with Linux's integer rounding.
//
//   pos_ratio (x 1024)
//     2048 |*
//          |   *
//     1024 |- - - - - - *  <- setpoint = (freerun + limit) / 2: the writer runs at dirty_ratelimit
//          |                 *
//        0 +--------------------*------ dirty pages
//        freerun            setpoint   limit
//
// One bdi_writeback owns the whole domain (no memcg, no strictlimit), and its bandwidth is not
// estimated: avg_write_bandwidth and dirty_ratelimit keep their initial INIT_BW (docs/design/virtual.md).
import { PAGE_SIZE } from "@mmsim/base";

/** RATELIMIT_CALC_SHIFT (mm/page-writeback.c): pos_ratio and rates are fixed point with 10 bits. */
export const RATELIMIT_CALC_SHIFT = 10;
/** INIT_BW (mm/page-writeback.c): 100 MB/s in pages per second, a new wb's write bandwidth and dirty_ratelimit. */
export const INIT_BW = 100 * 2 ** 20 / PAGE_SIZE;
/** HZ (CONFIG_HZ_250, as base's Clock.jiffies). */
export const HZ = 250;
/** MAX_PAUSE (mm/page-writeback.c): max(HZ/5, 1) jiffies, 200 ms. */
export const MAX_PAUSE = Math.max(Math.floor(HZ / 5), 1);
/** DIRTY_POLL_THRESH (mm/page-writeback.c): 128 KiB in pages, the nr_dirtied_pause wb_min_pause aims for. */
export const DIRTY_POLL_THRESH = 128 >> (12 - 10);

const ONE = 1 << RATELIMIT_CALC_SHIFT;

/** roundup_pow_of_two. */
function roundupPowOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** n | 1 for a count below 2^53 (never 0 as a divisor). */
function orOne(n: number): number {
  return n % 2 === 0 ? n + 1 : n;
}

/**
 * pos_ratio_polynom: 1 + ((setpoint - dirty) / (limit - setpoint))^3 in 1/1024ths, clamped to
 * [0, 2]: 2 at the freerun ceiling, 1 at the setpoint, 0 at the limit (s64 arithmetic: the
 * division truncates, the shifts floor).
 */
export function posRatioPolynom(setpoint: number, dirty: number, limit: number): number {
  const x = Math.trunc(((setpoint - dirty) * ONE) / orOne(limit - setpoint));
  let pos = x;
  pos = Math.floor((pos * x) / ONE);
  pos = Math.floor((pos * x) / ONE);
  pos += ONE;
  return Math.min(Math.max(pos, 0), 2 * ONE);
}

/** What wb_position_ratio reads: the global domain and the wb's share of it, in pages. */
export interface DirtyThrottleControl {
  /** NR_FILE_DIRTY + NR_WRITEBACK */
  dirty: number;
  thresh: number;
  bgThresh: number;
  /** hard_dirty_limit: max(thresh, the domain's dirty_limit) */
  limit: number;
  /** the wb's dirty + write-back pages, and its share of thresh (__wb_calc_thresh) */
  wbDirty: number;
  wbThresh: number;
}

/**
 * wb_position_ratio (not strictlimit): the global control line pos_ratio_polynom around
 * setpoint = (freerun + limit) / 2, scaled by the wb's line through wb_setpoint with slope
 * -1 / (8 * write_bw), and the wb reserve area below wb_thresh / 2. 0 at or above the limit.
 */
export function wbPositionRatio(dtc: DirtyThrottleControl, writeBw: number): number {
  const { dirty, thresh, limit, wbDirty } = dtc;
  if (dirty >= limit) return 0;
  const freerun = Math.floor((thresh + dtc.bgThresh) / 2);
  const setpoint = Math.floor((freerun + limit) / 2);
  let pos = posRatioPolynom(setpoint, dirty, limit);
  let wbThresh = Math.min(dtc.wbThresh, thresh);
  wbThresh = Math.max(wbThresh, Math.floor((limit - dirty) / 8));
  const x = Math.floor((wbThresh * 65536) / orOne(thresh));
  const wbSetpoint = Math.floor((setpoint * x) / 65536);
  const span = Math.floor(((thresh - wbThresh + 8 * writeBw) * x) / 65536);
  let xIntercept = wbSetpoint + span;
  if (wbDirty < xIntercept - Math.floor(span / 4)) pos = Math.floor((pos * (xIntercept - wbDirty)) / orOne(xIntercept - wbSetpoint));
  else pos = Math.floor(pos / 4);
  xIntercept = Math.floor(wbThresh / 2);
  if (wbDirty < xIntercept) {
    if (wbDirty > Math.floor(xIntercept / 8)) pos = Math.floor((pos * xIntercept) / wbDirty);
    else pos *= 8;
  }
  return pos;
}

/**
 * wb_max_pause: the longest pause in jiffies, short enough that the wb's dirty pool does not
 * drain during it at write bandwidth bw (safety ratio 8): wb_dirty / (1 + bw / roundup(1 + HZ/8)) + 1,
 * at most MAX_PAUSE.
 */
export function wbMaxPause(bw: number, wbDirty: number): number {
  const t = Math.floor(wbDirty / (1 + Math.floor(bw / roundupPowOfTwo(1 + Math.floor(HZ / 8))))) + 1;
  return Math.min(t, MAX_PAUSE);
}

/**
 * wb_min_pause: [the shortest pause worth sleeping, the next nr_dirtied_pause], aiming at 10 ms
 * pauses (more with concurrent dirtiers: hi - lo), at most max_pause / 2, and at nr_dirtied_pause
 * >= DIRTY_POLL_THRESH pages.
 */
export function wbMinPause(writeBw: number, maxPause: number, taskRatelimit: number, dirtyRatelimit: number): [number, number] {
  const hi = Math.floor(Math.log2(writeBw));
  const lo = Math.floor(Math.log2(dirtyRatelimit));
  let t = Math.max(1, Math.floor(HZ / 100));
  if (hi > lo) t += Math.floor(((hi - lo) * (10 * HZ)) / 1024);
  t = Math.min(t, 1 + Math.floor(maxPause / 2));
  const hzPow2 = roundupPowOfTwo(HZ);
  let pages = Math.floor((dirtyRatelimit * t) / hzPow2);
  if (pages < DIRTY_POLL_THRESH) {
    t = maxPause;
    pages = Math.floor((dirtyRatelimit * t) / hzPow2);
    if (pages > DIRTY_POLL_THRESH) {
      pages = DIRTY_POLL_THRESH;
      t = Math.floor((HZ * DIRTY_POLL_THRESH) / dirtyRatelimit);
    }
  }
  const pause = Math.floor((HZ * pages) / (taskRatelimit + 1));
  if (pause > maxPause) {
    t = maxPause;
    pages = Math.floor((taskRatelimit * t) / hzPow2);
  }
  return [pages >= DIRTY_POLL_THRESH ? 1 + Math.floor(t / 2) : t, pages];
}

/** wb_stat_error: WB_STAT_BATCH * nr_cpu_ids, WB_STAT_BATCH = 8 * (1 + ilog2(nr_cpu_ids)): the per-CPU counters' slack. */
export function wbStatError(nrCpus: number): number {
  return 8 * (1 + Math.floor(Math.log2(nrCpus))) * nrCpus;
}
