// The allocation context is per allocation (issue 15 §1): an allocation made from a hook of
// another allocation's slow path (reclaim, compaction and the OOM killer all allocate) does
// not change the outer one's zonelist, node, zone bound or migratetype; the control structs
// handed to the hooks are built from the context as __alloc_pages_may_oom() and
// compact_zone_order() build theirs.
import { describe, expect, it } from "vitest";
import { Bug } from "@mmsim/base";
import { AllocContext, COMPACT_PRIO_ASYNC, CompactControl, DEF_COMPACT_PRIORITY, MIGRATE_ASYNC, MIGRATE_SYNC_LIGHT, MIN_COMPACT_PRIORITY, OomControl } from "./alloc-context";
import type { OomControl as OomControlT } from "./alloc-context";
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, __GFP_NOWARN, __GFP_THISNODE } from "./gfp";
import { MAX_ALLOC_NESTING } from "./get-page";
import { MIGRATE_MOVABLE, ZONE_MOVABLE } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { twoSmallNodes } from "../test/machines";

/** Allocates order-0 pages on node nid (THISNODE, no reclaim hooks) until it fails; returns them. */
function exhaust(m: PhysicalMemory, nid: number): number[] {
  const held: number[] = [];
  for (;;) {
    const pfn = m.allocPages(GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN, 0, nid);
    if (pfn < 0) return held;
    held.push(pfn);
  }
}

describe("a reentrant allocation context", () => {
  it("keeps the outer __GFP_THISNODE allocation on its node when a reclaim hook allocates on another node", () => {
    // The reproduction of issue 15: both nodes exhausted; direct reclaim frees 2048 pages on
    // node 0 and makes one GFP_NOWAIT|__GFP_THISNODE allocation on node 1; the outer
    // GFP_KERNEL|__GFP_THISNODE allocation for node 0 must get a page of node 0.
    const m = twoSmallNodes();
    const held0 = exhaust(m, 0);
    const held1 = exhaust(m, 1);
    expect(held0.length).toBeGreaterThan(2048);
    expect(held1.length).toBeGreaterThan(0);
    let nested = -2;
    const seen: [number, number, boolean, number][] = [];
    m.setHooks({
      tryToFreePages: (ac, gfp, order) => {
        seen.push([ac.depth, ac.nid, ac.thisNode, order]);
        if (nested !== -2) return 0;
        for (const pfn of held0.splice(0, 2048)) m.freePages(pfn, 0);
        nested = m.allocPages(GFP_NOWAIT | __GFP_THISNODE, 0, 1);
        // the outer context is what it was before the nested allocation
        expect([ac.depth, ac.nid, ac.thisNode, ac.gfpMask]).toEqual([0, 0, true, gfp]);
        expect(ac.zonelist).toBe(m.nodes[0].zonelistNoFallback);
        return 2048;
      },
    });
    const pfn = m.allocPages(GFP_KERNEL | __GFP_THISNODE, 0, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect(m.pages.nid(pfn)).toBe(0);
    expect(seen).toEqual([[0, 0, true, 0]]);
    // the nested allocation ran in a context of its own (depth 1), on node 1 or not at all
    expect(m.acStack[1].nid).toBe(1);
    if (nested >= 0) expect(m.pages.nid(nested)).toBe(1);
    expect(m.acDepth).toBe(0);
    m.verify();
  });

  it("hands out_of_memory() an oom_control built from the context, and compaction a compact_control", () => {
    const m = twoSmallNodes();
    const ocs: OomControlT[] = [];
    const ccs: CompactControl[] = [];
    m.setHooks({
      outOfMemory: (oc) => {
        ocs.push(oc);
        return false;
      },
      tryToCompactPages: (_ac, cc) => {
        ccs.push(cc);
        return false;
      },
    });
    exhaust(m, 0);
    exhaust(m, 1);
    expect(m.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 0, 1)).toBe(-1);
    expect(ocs.length).toBe(1);
    const oc = ocs[0];
    expect([oc.nid, oc.thisNode, oc.gfpMask, oc.order, oc.chosen, oc.totalpages]).toEqual([1, false, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 0, -1, 0]);
    expect(oc.zonelist).toBe(m.nodes[1].zonelistFallback);
    // order 2 of a movable request: no initial async compaction (order ≤ costly and movable),
    // one sync-light attempt per retry round after reclaim
    expect(m.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 2, 1)).toBe(-1);
    expect(ccs.length).toBeGreaterThan(0);
    const cc = ccs[0];
    expect([cc.order, cc.gfpMask, cc.migratetype, cc.mode, cc.wholeZone, cc.directCompaction, cc.zone]).toEqual([2, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, MIGRATE_MOVABLE, MIGRATE_SYNC_LIGHT, false, true, null]);
    expect(cc.highestZoneIdx).toBe(m.zoneIdxOfType(ZONE_MOVABLE)); // __GFP_HIGHMEM|__GFP_MOVABLE
    m.verify();
  });

  it("compact_control takes mode and whole_zone from the priority as compact_zone_order() does", () => {
    const ac = new AllocContext();
    ac.migratetype = MIGRATE_MOVABLE;
    ac.highestZoneIdx = 3;
    const asyncCc = new CompactControl(ac, GFP_KERNEL, 4, 0, COMPACT_PRIO_ASYNC);
    expect([asyncCc.mode, asyncCc.wholeZone, asyncCc.ignoreSkipHint]).toEqual([MIGRATE_ASYNC, false, false]);
    const light = new CompactControl(ac, GFP_KERNEL, 4, 0, DEF_COMPACT_PRIORITY);
    expect([light.mode, light.wholeZone, light.ignoreSkipHint]).toEqual([MIGRATE_SYNC_LIGHT, false, false]);
    const full = new CompactControl(ac, GFP_KERNEL, 4, 0, MIN_COMPACT_PRIORITY);
    expect([full.mode, full.wholeZone, full.ignoreSkipHint, full.highestZoneIdx, full.migratetype]).toEqual([MIGRATE_SYNC_LIGHT, true, true, 3, MIGRATE_MOVABLE]);
    expect([full.nrFreepages, full.nrMigratepages, full.freepages.head.length, full.migratepages.head[0]]).toEqual([0, 0, 11, -1]);
    const oc = new OomControl(ac, GFP_KERNEL, 3);
    expect([oc.gfpMask, oc.order, oc.chosenPoints]).toEqual([GFP_KERNEL, 3, -Infinity]);
  });

  it("a hook that allocates without end is a Bug after MAX_ALLOC_NESTING levels, and the depth unwinds", () => {
    const m = twoSmallNodes();
    exhaust(m, 0);
    exhaust(m, 1);
    let deepest = 0;
    m.setHooks({
      tryToFreePages: (ac) => {
        deepest = Math.max(deepest, ac.depth);
        return m.allocPages(GFP_KERNEL | __GFP_THISNODE, 0, ac.nid) >= 0 ? 1 : 0;
      },
    });
    expect(() => m.allocPages(GFP_KERNEL | __GFP_THISNODE, 0, 0)).toThrow(Bug);
    expect(() => m.allocPages(GFP_KERNEL | __GFP_THISNODE, 0, 0)).toThrow(`allocations nested ${MAX_ALLOC_NESTING} deep`);
    expect(deepest).toBe(MAX_ALLOC_NESTING - 1);
    expect(m.acDepth).toBe(0);
    m.verify();
  });
});
