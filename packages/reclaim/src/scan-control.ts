// struct scan_control (mm/vmscan.c): the state one reclaim run carries down shrink_node(),
// shrink_lruvec() and shrink_folio_list(), built per run as try_to_free_pages() (direct
// reclaim) and balance_pgdat() (kswapd) build theirs. Not modelled yet: memcg targets, the
// anon/file cost balance, MGLRU, demotion; the fields exist so the reclaim layer fills them.
import { GFP_KERNEL } from "@mmsim/physical";
import type { AllocContext } from "@mmsim/physical";

/** DEF_PRIORITY (include/linux/mmzone.h): the first round scans lru_size >> 12. */
export const DEF_PRIORITY = 12;
/** SWAP_CLUSTER_MAX (include/linux/swap.h): the batch reclaim works in. */
export const SWAP_CLUSTER_MAX = 32;
/** sc->may_deactivate bits (mm/vmscan.c). */
export const DEACTIVATE_ANON = 1;
export const DEACTIVATE_FILE = 2;

/**
 * The per-run counters of shrink_folio_list() (sc->nr): dirty, unqueued_dirty, congested,
 * writeback, immediate, file_taken, taken.
 */
export class ScanCounts {
  dirty = 0;
  unqueuedDirty = 0;
  congested = 0;
  writeback = 0;
  immediate = 0;
  fileTaken = 0;
  taken = 0;
}

/** struct scan_control. Build it with forTryToFreePages() or forKswapd(), as Linux does. */
export class ScanControl {
  /** nr_to_reclaim: pages to reclaim before stopping */
  nrToReclaim = 0;
  /** the nodemask as mmsim has it: the allocation's preferred node, and whether only it counts */
  nid = -1;
  thisNode = false;
  /** anon_cost, file_cost: the balance of reclaim cost (set from the lruvecs) */
  anonCost = 0;
  fileCost = 0;
  /** may_deactivate: DEACTIVATE_ANON | DEACTIVATE_FILE */
  mayDeactivate = 0;
  forceDeactivate = false;
  skippedDeactivate = false;
  /** may_writepage: write dirty pages out (laptop_mode off) */
  mayWritepage = false;
  /** may_unmap: reclaim mapped pages */
  mayUnmap = false;
  /** may_swap: reclaim anonymous pages (swap them out) */
  maySwap = false;
  /** cache_trim_mode, no_cache_trim_mode: reclaim only file pages while they are plentiful */
  cacheTrimMode = false;
  noCacheTrimMode = false;
  /** proactive: memory.reclaim, not a shortage */
  proactive = false;
  hibernationMode = false;
  /** compaction_ready: a zone has enough free pages for compaction to succeed */
  compactionReady = false;
  noDemotion = false;
  fileIsTiny = false;
  /** order: the allocation order reclaim works for */
  order = 0;
  /** priority: scan lru_size >> priority; DEF_PRIORITY down to 0 */
  priority = DEF_PRIORITY;
  /** reclaim_idx: the highest zone index reclaim may take pages from */
  reclaimIdx = 0;
  /** gfp_mask of the allocation that reclaims */
  gfpMask = 0;
  /** nr_scanned, nr_reclaimed: the totals of this run */
  nrScanned = 0;
  nrReclaimed = 0;
  /** sc->nr: counters of shrink_folio_list() */
  readonly nr = new ScanCounts();

  /**
   * try_to_free_pages()'s scan_control for direct reclaim by the allocation `ac`:
   * SWAP_CLUSTER_MAX pages, reclaim_idx = gfp_zone(gfp), DEF_PRIORITY, may write, unmap and
   * swap (current_gfp_context()'s NOIO/NOFS scopes are not modelled).
   */
  static forTryToFreePages(ac: AllocContext, gfpMask: number, order: number): ScanControl {
    const sc = new ScanControl();
    sc.nrToReclaim = SWAP_CLUSTER_MAX;
    sc.gfpMask = gfpMask;
    sc.reclaimIdx = ac.highestZoneIdx;
    sc.order = order;
    sc.nid = ac.nid;
    sc.thisNode = ac.thisNode;
    sc.priority = DEF_PRIORITY;
    sc.mayWritepage = true;
    sc.mayUnmap = true;
    sc.maySwap = true;
    return sc;
  }

  /**
   * balance_pgdat()'s scan_control for kswapd of node `nid`: GFP_KERNEL, may unmap; reclaim_idx
   * the highest zone asked for; a boosted run (watermark boost only) neither writes nor swaps.
   * nr_to_reclaim is set per round by kswapd_shrink_node().
   */
  static forKswapd(nid: number, order: number, highestZoneIdx: number, boosted: boolean): ScanControl {
    const sc = new ScanControl();
    sc.gfpMask = GFP_KERNEL;
    sc.order = order;
    sc.nid = nid;
    sc.mayUnmap = true;
    sc.reclaimIdx = highestZoneIdx;
    sc.priority = DEF_PRIORITY;
    sc.mayWritepage = !boosted;
    sc.maySwap = !boosted;
    return sc;
  }
}
