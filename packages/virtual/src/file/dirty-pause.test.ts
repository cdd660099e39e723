// The throttling arithmetic of balance_dirty_pages (mm/page-writeback.c 6.18): pos_ratio_polynom,
// wb_position_ratio, wb_max_pause, wb_min_pause and wb_stat_error, pinned with values worked out
// by hand from the kernel's integer formulas (s64 division truncates, >> floors).
import { describe, expect, it } from "vitest";
import {
  DIRTY_POLL_THRESH, HZ, INIT_BW, MAX_PAUSE, RATELIMIT_CALC_SHIFT, posRatioPolynom, wbMaxPause, wbMinPause, wbPositionRatio, wbStatError,
} from "./dirty-pause";

describe("balance_dirty_pages arithmetic", () => {
  it("the constants: INIT_BW 100 MB/s = 25600 pages/s, MAX_PAUSE HZ/5 = 50 jiffies, DIRTY_POLL_THRESH 32 pages, 10-bit ratios", () => {
    expect([INIT_BW, MAX_PAUSE, HZ, DIRTY_POLL_THRESH, RATELIMIT_CALC_SHIFT]).toEqual([25600, 50, 250, 32, 10]);
  });

  it("pos_ratio_polynom: 1.0 (1024) at the setpoint, near 2 at freerun, near 0 at the limit", () => {
    // freerun 32, limit 64, setpoint 48: x = ((48 - dirty) << 10) / (16 | 1)
    expect(posRatioPolynom(48, 48, 64)).toBe(1024);
    // x = 16384 / 17 = 963; 963 * 963 >> 10 = 905; 905 * 963 >> 10 = 851; + 1024
    expect(posRatioPolynom(48, 32, 64)).toBe(1875);
    // x = -963: 905, then floor(905 * -963 / 1024) = -852; + 1024
    expect(posRatioPolynom(48, 64, 64)).toBe(172);
    expect(posRatioPolynom(48, 56, 64)).toBe(918);
    expect(posRatioPolynom(48, 40, 64)).toBe(1129);
  });

  it("wb_position_ratio: the wb line scales the global ratio; the wb reserve area raises it; 0 at the limit", () => {
    const dtc = { dirty: 56, thresh: 64, bgThresh: 32, limit: 64, wbDirty: 56, wbThresh: 64 };
    // setpoint (48 + 64) / 2 = 56: 1024, then x = (64 << 16) / 65 = 64527, wb_setpoint 55,
    // span (8 * 25600) * x >> 16 = 201647: 1024 * (201702 - 56) / (201702 - 55) = 1023
    expect(wbPositionRatio(dtc, INIT_BW)).toBe(1023);
    expect(wbPositionRatio({ ...dtc, dirty: 50, wbDirty: 50 }, INIT_BW)).toBe(1326);
    // wb_dirty below wb_thresh / 2 = 32: x 32 / 20, and x 8 at or below 32 / 8
    expect(wbPositionRatio({ ...dtc, wbDirty: 20 }, INIT_BW)).toBe(1638);
    expect(wbPositionRatio({ ...dtc, wbDirty: 3 }, INIT_BW)).toBe(8192);
    // a wb with no share yet: wb_thresh = max(0, (limit - dirty) / 8) = 0, so pos_ratio / 4
    expect(wbPositionRatio({ ...dtc, dirty: 60, wbDirty: 60, wbThresh: 0 }, INIT_BW)).toBe(233);
    expect(wbPositionRatio({ ...dtc, dirty: 64, wbDirty: 64 }, INIT_BW)).toBe(0);
    // the 6.18 reference machine's limits (1221135 / 609822 pages): 1.0 at its setpoint 1068306
    const big = { dirty: 1068306, thresh: 1221135, bgThresh: 609822, limit: 1221135, wbDirty: 1068306, wbThresh: 1221135 };
    expect(wbPositionRatio(big, INIT_BW)).toBe(1023);
    expect(wbPositionRatio({ ...big, dirty: 1200000, wbDirty: 1200000 }, INIT_BW)).toBe(132);
  });

  it("wb_max_pause: wb_dirty / (1 + bw / roundup_pow_of_two(1 + HZ / 8)) + 1 jiffies, at most MAX_PAUSE", () => {
    // 25600 / 32 = 800 pages per divisor step
    expect(wbMaxPause(INIT_BW, 16)).toBe(1);
    expect(wbMaxPause(INIT_BW, 8009)).toBe(10);
    expect(wbMaxPause(INIT_BW, 100000)).toBe(MAX_PAUSE);
  });

  it("wb_min_pause: a 10 ms target (2 jiffies) and nr_dirtied_pause = dirty_ratelimit * t / 256; a slow task gets max_pause", () => {
    // t = 2, pages = 25600 * 2 / 256 = 200 >= 32: min pause 1 + 2 / 2
    expect(wbMinPause(INIT_BW, 50, INIT_BW, INIT_BW)).toEqual([2, 200]);
    // task_ratelimit 100: HZ * 200 / 101 = 495 > max_pause: t = 50, pages = 100 * 50 / 256 = 19 < 32
    expect(wbMinPause(INIT_BW, 50, 100, INIT_BW)).toEqual([50, 19]);
    // max_pause 1 limits t to 1 + 1 / 2 = 1; a stopped task (ratelimit 0) gets nr_dirtied_pause 0
    expect(wbMinPause(INIT_BW, 1, INIT_BW, INIT_BW)).toEqual([1, 100]);
    expect(wbMinPause(INIT_BW, 1, 0, INIT_BW)).toEqual([1, 0]);
  });

  it("wb_stat_error: 8 * (1 + ilog2(CPUs)) * CPUs", () => {
    expect([wbStatError(1), wbStatError(2), wbStatError(4)]).toEqual([8, 32, 96]);
  });
});
