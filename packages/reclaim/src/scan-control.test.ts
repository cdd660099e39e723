// struct scan_control as mm/vmscan.c's try_to_free_pages() and balance_pgdat() initialise it.
import { describe, expect, it } from "vitest";
import { AllocContext, GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from "@mmsim/physical";
import { DEF_PRIORITY, SWAP_CLUSTER_MAX, ScanControl } from "./index";

describe("ScanControl (struct scan_control)", () => {
  it("for direct reclaim takes the allocation's zone bound and node and reclaims SWAP_CLUSTER_MAX pages", () => {
    // include/linux/mmzone.h DEF_PRIORITY 12; include/linux/swap.h SWAP_CLUSTER_MAX 32
    expect([DEF_PRIORITY, SWAP_CLUSTER_MAX]).toEqual([12, 32]);
    const ac = new AllocContext();
    ac.highestZoneIdx = 3;
    ac.nid = 1;
    ac.thisNode = true;
    const sc = ScanControl.forTryToFreePages(ac, GFP_HIGHUSER_MOVABLE, 2);
    expect([sc.nrToReclaim, sc.gfpMask, sc.reclaimIdx, sc.order, sc.nid, sc.thisNode, sc.priority]).toEqual([32, GFP_HIGHUSER_MOVABLE, 3, 2, 1, true, 12]);
    expect([sc.mayWritepage, sc.mayUnmap, sc.maySwap, sc.nrScanned, sc.nrReclaimed, sc.nr.taken]).toEqual([true, true, true, 0, 0, 0]);
  });

  it("for kswapd reclaims as GFP_KERNEL and neither writes nor swaps on a boosted run", () => {
    const sc = ScanControl.forKswapd(0, 3, 2, false);
    expect([sc.gfpMask, sc.order, sc.reclaimIdx, sc.mayUnmap, sc.mayWritepage, sc.maySwap, sc.nrToReclaim]).toEqual([GFP_KERNEL, 3, 2, true, true, true, 0]);
    const boosted = ScanControl.forKswapd(0, 0, 2, true);
    expect([boosted.mayWritepage, boosted.maySwap, boosted.mayUnmap]).toEqual([false, false, true]);
  });
});
