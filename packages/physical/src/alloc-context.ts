// The control structs an allocation passes along its path (mm/internal.h struct alloc_context
// and struct compact_control, include/linux/oom.h struct oom_control). Reclaim, compaction and
// the OOM killer allocate while an allocation is in its slow path, so nothing of a request
// lives in fields of PhysicalMemory: __alloc_pages() fills an AllocContext, hands it to the
// slow path, and the slow path hands it (or an OomControl / CompactControl built from it, as
// __alloc_pages_may_oom() and try_to_compact_pages() do) to the hooks. Not modelled: cpusets,
// mempolicy nodemasks (a nodemask here is "every node" or "only the preferred node").
import { ListHeads } from "./list";
import { NR_PAGE_ORDERS } from "./mmzone";
import type { Zone } from "./mmzone";

/**
 * struct alloc_context, plus the request it serves (gfp, order, alloc_flags, which Linux
 * passes beside it). PhysicalMemory keeps one per nesting depth and reuses it: an
 * allocation made from a hook of another one gets the next depth's context, so the outer
 * context is never overwritten. Hooks may read it; only the allocator writes it.
 */
export class AllocContext {
  /** ac->zonelist: the zones to try, in order (the node's fallback or nofallback list) */
  zonelist: Zone[] = [];
  /** the preferred node (preferred_nid of __alloc_pages) */
  nid = 0;
  /**
   * The nodemask as mmsim has it: true when only `nid`'s zones may be used (__GFP_THISNODE,
   * whose zonelist is ZONELIST_NOFALLBACK); false for every node.
   */
  thisNode = false;
  /** ac->highest_zoneidx: gfp_zone() as a zone index of this arch */
  highestZoneIdx = 0;
  /** ac->preferred_zoneref: the first zone of the zonelist at or below highestZoneIdx */
  preferredZone: Zone | null = null;
  /** ac->migratetype: gfp_migratetype() */
  migratetype = 0;
  /** ac->spread_dirty_pages: __GFP_WRITE (dirty-limit spreading is not modelled) */
  spreadDirtyPages = false;
  /** the gfp mask of the request (as passed to __alloc_pages) */
  gfpMask = 0;
  /** the order of the request */
  order = 0;
  /** the alloc_flags of the current attempt (gfp_to_alloc_flags in the slow path) */
  allocFlags = 0;
  /** numa_node_id() when the request was made (zone_statistics' local node) */
  localNid = 0;
  /** nesting depth: 0 for an allocation made outside any slow path */
  readonly depth: number;

  constructor(depth = 0) {
    this.depth = depth;
  }
}

/** enum oom_constraint (include/linux/oom.h): what limited the allocation that went OOM. */
export const CONSTRAINT_NONE = 0;
export const CONSTRAINT_CPUSET = 1;
export const CONSTRAINT_MEMORY_POLICY = 2;
export const CONSTRAINT_MEMCG = 3;

/**
 * struct oom_control (include/linux/oom.h): built by __alloc_pages_may_oom() from the
 * allocation context and handed to out_of_memory(). The OOM killer fills totalpages,
 * constraint, chosen and chosenPoints. Tasks are named by pid (-1: none chosen).
 */
export class OomControl {
  /** oc->zonelist: the allocation's zonelist */
  zonelist: Zone[];
  /** the allocation's preferred node */
  nid: number;
  /** oc->nodemask as mmsim has it: only `nid` was allowed (__GFP_THISNODE) */
  thisNode: boolean;
  /** oc->gfp_mask */
  gfpMask: number;
  /** oc->order; -1 for a sysrq-forced OOM */
  order: number;
  /** oc->totalpages: memory the victim search weighs badness against */
  totalpages = 0;
  /** oc->chosen: pid of the victim, -1 while none */
  chosen = -1;
  /** oc->chosen_points: the victim's badness, LONG_MIN-like -Infinity while none */
  chosenPoints = -Infinity;
  /** oc->constraint (CONSTRAINT_*) */
  constraint = CONSTRAINT_NONE;

  constructor(ac: AllocContext, gfpMask: number, order: number) {
    this.zonelist = ac.zonelist;
    this.nid = ac.nid;
    this.thisNode = ac.thisNode;
    this.gfpMask = gfpMask;
    this.order = order;
  }
}

/** enum migrate_mode (include/linux/migrate_mode.h). */
export const MIGRATE_ASYNC = 0;
export const MIGRATE_SYNC_LIGHT = 1;
export const MIGRATE_SYNC = 2;

/** enum compact_priority (include/linux/compaction.h): lower is more thorough. */
export const COMPACT_PRIO_SYNC_FULL = 0;
export const MIN_COMPACT_PRIORITY = COMPACT_PRIO_SYNC_FULL;
export const COMPACT_PRIO_SYNC_LIGHT = 1;
export const MIN_COMPACT_COSTLY_PRIORITY = COMPACT_PRIO_SYNC_LIGHT;
export const DEF_COMPACT_PRIORITY = COMPACT_PRIO_SYNC_LIGHT;
export const COMPACT_PRIO_ASYNC = 2;
export const INIT_COMPACT_PRIORITY = COMPACT_PRIO_ASYNC;

/**
 * struct compact_control (mm/internal.h): the state of one compaction run over one zone.
 * The allocator builds it from the allocation context as compact_zone_order() does (order,
 * gfp, migratetype, alloc_flags, highest zone, mode and flags from the priority); the
 * compactor sets `zone` and the scanner cursors per zone. Isolated pages are linked through
 * struct page's lru words (list.ts): free pages on `freepages` (one list per order, as 6.10+),
 * pages to migrate on `migratepages` (list 0).
 */
export class CompactControl {
  /** cc->freepages[order]: isolated free pages */
  readonly freepages = new ListHeads(NR_PAGE_ORDERS);
  /** cc->migratepages: pages isolated for migration (list 0) */
  readonly migratepages = new ListHeads(1);
  /** cc->nr_freepages, cc->nr_migratepages */
  nrFreepages = 0;
  nrMigratepages = 0;
  /** cc->free_pfn: where the free scanner (moving down from the zone's end) is */
  freePfn = 0;
  /** cc->migrate_pfn: where the migration scanner (moving up from the zone's start) is */
  migratePfn = 0;
  /** cc->fast_start_pfn, for fast_find_migrateblock (0: none) */
  fastStartPfn = 0;
  /** cc->zone: the zone being compacted (null until the compactor picks one) */
  zone: Zone | null = null;
  /** cc->total_migrate_scanned, cc->total_free_scanned */
  totalMigrateScanned = 0;
  totalFreeScanned = 0;
  /** cc->fast_search_fail */
  fastSearchFail = 0;
  /** cc->search_order */
  searchOrder = 0;
  /** cc->gfp_mask */
  gfpMask: number;
  /** cc->order: -1 for whole-zone (proactive or /proc/sys/vm/compact_memory) compaction */
  order: number;
  /** cc->migratetype */
  migratetype: number;
  /** cc->alloc_flags */
  allocFlags: number;
  /** cc->highest_zoneidx */
  highestZoneIdx: number;
  /** cc->mode: MIGRATE_ASYNC / MIGRATE_SYNC_LIGHT / MIGRATE_SYNC */
  mode: number;
  /** cc->ignore_skip_hint */
  ignoreSkipHint: boolean;
  /** cc->no_set_skip_hint */
  noSetSkipHint = false;
  /** cc->ignore_block_suitable */
  ignoreBlockSuitable = false;
  /** cc->direct_compaction: a direct compaction run by an allocation */
  directCompaction: boolean;
  /** cc->proactive_compaction */
  proactiveCompaction = false;
  /** cc->whole_zone: scan the whole zone, not from the cached cursors */
  wholeZone: boolean;
  /** cc->contended: async compaction aborted on contention (lock or need_resched) */
  contended = false;
  /** cc->finish_pageblock: rescan the current pageblock before moving on */
  finishPageblock = false;
  /** cc->alloc_contig: a contiguous-range allocation (CMA, gigantic pages) */
  allocContig = false;

  /**
   * compact_zone_order()'s initializer: the request of `ac` at compaction priority `prio`
   * (COMPACT_PRIO_*). Async at COMPACT_PRIO_ASYNC, sync-light otherwise; the whole zone and
   * no skip hints at MIN_COMPACT_PRIORITY.
   */
  constructor(ac: AllocContext, gfpMask: number, order: number, allocFlags: number, prio: number) {
    this.gfpMask = gfpMask;
    this.order = order;
    this.migratetype = ac.migratetype;
    this.allocFlags = allocFlags;
    this.highestZoneIdx = ac.highestZoneIdx;
    this.mode = prio === COMPACT_PRIO_ASYNC ? MIGRATE_ASYNC : MIGRATE_SYNC_LIGHT;
    this.wholeZone = prio === MIN_COMPACT_PRIORITY;
    this.ignoreSkipHint = prio === MIN_COMPACT_PRIORITY;
    this.directCompaction = true;
  }
}
