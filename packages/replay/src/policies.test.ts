// Textbook results every replacement policy course works out by hand, pinned exactly.
import { describe, expect, it } from "vitest";
import { replayBytes } from "./replay";
import { POLICY_NAMES, type PolicyName } from "./policy";
import { intSqrt, inactiveRatio } from "./lru-linux";

const text = (refs: number[]) => new TextEncoder().encode(refs.join("\n") + "\n");
const misses = (refs: number[], policy: PolicyName, frames: number, options = {}) =>
  replayBytes(text(refs), { format: "text", jobs: [{ policy, frames }], options }).results[0]!.misses;

// Silberschatz, Galvin & Gagne, Operating System Concepts, 10th ed., section 10.4 (figures
// 10.12, 10.15, 10.16): reference string 7,0,1,2,0,3,0,4,2,3,0,3,2,1,2,0,1,7,0,1 in 3 frames.
const SILBERSCHATZ = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
// Belady, Nelson & Shedler (CACM 1969): FIFO faults more with more frames on this string.
const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

describe("textbook reference strings", () => {
  it("gives FIFO 15, LRU 12 and OPT 9 misses on Silberschatz's string in 3 frames", () => {
    expect([misses(SILBERSCHATZ, "fifo", 3), misses(SILBERSCHATZ, "lru", 3), misses(SILBERSCHATZ, "opt", 3)]).toEqual([15, 12, 9]);
  });

  it("shows Belady's anomaly: FIFO has 9 misses in 3 frames and 10 in 4", () => {
    expect([misses(BELADY, "fifo", 3), misses(BELADY, "fifo", 4)]).toEqual([9, 10]);
  });

  it("has no anomaly for the stack algorithms LRU and OPT on Belady's string (10, 8 and 7, 6)", () => {
    expect([misses(BELADY, "lru", 3), misses(BELADY, "lru", 4), misses(BELADY, "opt", 3), misses(BELADY, "opt", 4)]).toEqual([10, 8, 7, 6]);
  });

  it("counts every request, and at least the distinct pages as misses, for every policy", () => {
    for (const policy of POLICY_NAMES) {
      const r = replayBytes(text(SILBERSCHATZ), { format: "text", jobs: [{ policy, frames: 30 }] }).results[0]!;
      // 30 frames hold the whole string except for s3fifo (3 small frames) and 2q (7 in A1in)
      expect([policy, r.requests, r.hits + r.misses, r.coldMisses]).toEqual([policy, 20, 20, 6]);
      expect(r.misses).toBeGreaterThanOrEqual(6);
    }
  });
});

describe("clock", () => {
  // 3 frames, string 1 2 3 1 4: with use bit 0 on load (libCacheSim), the hit on 1 sets its
  // bit, so 4 evicts 2 (1 gets its second chance); then 1 hits. With use bit 1 on load the
  // hand clears all three bits and evicts 1 (plain FIFO order), so 1 then misses.
  it("gives a newly loaded page use bit 0 by default and 1 when asked", () => {
    const refs = [1, 2, 3, 1, 4, 1];
    expect(misses(refs, "clock", 3)).toBe(4);
    expect(misses(refs, "clock", 3, { clockInitialUse: 1 })).toBe(5);
  });
});

describe("2q", () => {
  it("sizes A1in and A1out at 25 % and 50 % of the frames by default (Johnson & Shasha)", async () => {
    const { TwoQPolicy } = await import("./two-q");
    const q = new TwoQPolicy(10);
    expect([q.kin, q.kout, q.amFrames]).toEqual([2, 5, 8]);
    const q2 = new TwoQPolicy(100, 0.3, 0.6);
    expect([q2.kin, q2.kout, q2.amFrames]).toEqual([30, 60, 70]);
  });

  // 8 frames: Kin 2, Kout 4, Am 6. 1..8 fill the frames (A1in holds all 8, above Kin); 9
  // pushes 1 out of A1in into A1out; 1 again misses, is found in A1out and enters Am, pushing
  // 2 out of A1in; 2 misses the same way and enters Am; the last 1 and 2 hit in Am.
  it("promotes a page re-referenced while its id is in A1out to Am", () => {
    expect(misses([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 1, 2], "2q", 8)).toBe(11);
    expect(misses([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 1, 2], "fifo", 8)).toBe(11);
  });
});

describe("lru-linux", () => {
  it("uses inactive_ratio = int_sqrt(10 * GiB), 1 below 1 GiB (mm/vmscan.c inactive_is_low)", () => {
    expect([inactiveRatio(1000), inactiveRatio(262143), inactiveRatio(262144), inactiveRatio(10 * 262144), inactiveRatio(100 * 262144)]).toEqual([1, 1, 3, 10, 31]);
    expect([intSqrt(0), intSqrt(10), intSqrt(99), intSqrt(100)]).toEqual([0, 3, 9, 10]);
  });

  // 2 frames. 1 (miss, inactive+ref), 1 (hit: activate), 2 (miss), 3: inactive 1 < active 1?
  // no (1 * 1 < 1 is false), so the inactive tail 2 goes; 2 misses again; 1 stays resident.
  it("keeps a page used twice on the active list while new pages cycle through inactive", () => {
    expect(misses([1, 1, 2, 3, 2, 1], "lru-linux", 2)).toBe(4);
  });
});
