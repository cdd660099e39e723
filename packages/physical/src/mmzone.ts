// Nodes, zones and free areas (include/linux/mmzone.h): the constants and the per-zone state
// the buddy allocator, the watermarks and the /proc renderers share. Zone types are a fixed
// superset (DMA, DMA32, Normal, HighMem, Movable, Device); a machine configures the subset its
// architecture has (x86-64: DMA DMA32 Normal Movable Device; i386: DMA Normal HighMem Movable).
// Not modelled: zone locks, seqlocks, compaction cursors (reclaim owns compaction).

import type { PageArray } from "./mm-types";

/** Zone types (enum zone_type order; each machine uses the subset of its arch). */
export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const ZONE_HIGHMEM = 3;
export const ZONE_MOVABLE = 4;
export const ZONE_DEVICE = 5;
export const ZONE_TYPE_NAMES = ["DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"] as const;

/** Migrate types (enum migratetype). CMA and Isolate keep fixed slots; see DESIGN.md. */
export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
export const MIGRATE_PCPTYPES = 3;
export const MIGRATE_HIGHATOMIC = 3;
export const MIGRATE_CMA = 4;
export const MIGRATE_ISOLATE = 5;
export const MIGRATE_TYPES = 6;
export const MIGRATETYPE_NAMES = ["Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate"] as const;

/** MAX_PAGE_ORDER (include/linux/mmzone.h, default CONFIG_ARCH_FORCE_MAX_ORDER unset): 4 MiB blocks. */
export const MAX_PAGE_ORDER = 10;
export const NR_PAGE_ORDERS = MAX_PAGE_ORDER + 1;
export const MAX_ORDER_NR_PAGES = 1 << MAX_PAGE_ORDER;
/** MAX_NR_ZONES: the zone types above (DMA, DMA32, Normal, HighMem, Movable, Device). */
export const MAX_NR_ZONES = 6;
/** Zone.fastMark value that no free count passes (ZONE_BOOSTED_WATERMARK set). */
export const FAST_MARK_NONE = 0x7fffffff;
/** PAGE_ALLOC_COSTLY_ORDER (include/linux/mmzone.h). */
export const PAGE_ALLOC_COSTLY_ORDER = 3;
/** pageblock_order = min(HPAGE_PMD_ORDER 9, MAX_PAGE_ORDER) on x86-64 (include/linux/pageblock-flags.h). */
export const PAGEBLOCK_ORDER = 9;
export const PAGEBLOCK_NR_PAGES = 1 << PAGEBLOCK_ORDER;
/** SPARSEMEM section: 2^27 bytes = 128 MiB on x86-64 (SECTION_SIZE_BITS 27) = 2^15 pages. */
export const PFN_SECTION_SHIFT = 15;
export const PAGES_PER_SECTION = 1 << PFN_SECTION_SHIFT;

/** Watermark indices (enum zone_watermarks). */
export const WMARK_MIN = 0;
export const WMARK_LOW = 1;
export const WMARK_HIGH = 2;
export const WMARK_PROMO = 3;
export const NR_WMARK = 4;

/** PCP lists: MIGRATE_PCPTYPES × orders 0..3, then two THP lists (NR_PCP_THP). */
export const NR_LOWORDER_PCP_LISTS = MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1);
export const NR_PCP_LISTS = NR_LOWORDER_PCP_LISTS + 2;
/** CONFIG_PCP_BATCH_SCALE_MAX default (mm/Kconfig). */
export const PCP_BATCH_SCALE_MAX = 5;

/** order_to_pindex(): which PCP list holds pages of this order and migratetype. */
export function orderToPindex(migratetype: number, order: number): number {
  if (order > PAGE_ALLOC_COSTLY_ORDER) return NR_LOWORDER_PCP_LISTS + (migratetype === MIGRATE_MOVABLE ? 1 : 0);
  return MIGRATE_PCPTYPES * order + migratetype;
}

/** pindex_to_order(). */
export function pindexToOrder(pindex: number): number {
  return pindex >= NR_LOWORDER_PCP_LISTS ? PAGEBLOCK_ORDER : Math.floor(pindex / MIGRATE_PCPTYPES);
}

/**
 * struct free_area for one order: `nrFree` blocks in total, and per migratetype the list head
 * (an index into the page arrays, -1 when empty) and its length. Read-only for callers; the
 * pfns on a list come from Zone.freeList(order, mt).
 */
export class FreeArea {
  nrFree = 0;
  readonly head = new Int32Array(MIGRATE_TYPES).fill(-1);
  readonly tail = new Int32Array(MIGRATE_TYPES).fill(-1);
  readonly count = new Int32Array(MIGRATE_TYPES);
}

/** struct per_cpu_pages: the per-CPU cache of one zone. Lists are linked through page lru. */
export class PerCpuPages {
  count = 0;
  high = 0;
  highMin = 0;
  highMax = 0;
  batch = 1;
  freeCount = 0;
  allocFactor = 0;
  /** PCPF_PREV_FREE_HIGH_ORDER: the previous free on this CPU was high-order */
  prevFreeHighOrder = false;
  readonly head = new Int32Array(NR_PCP_LISTS).fill(-1);
  readonly tail = new Int32Array(NR_PCP_LISTS).fill(-1);
}

/**
 * struct zone. Sizes are in pages. `idx` is zone_idx(): the position in its node's zones[],
 * which follows the arch's enum (on x86-64 Normal is 2, on i386 it is 1); `type` is ZONE_*.
 */
export class Zone {
  // Fields set by the constructor are `declare`d (not emitted as class fields): an ES2022 class
  // field starts as undefined, which V8 then types as "any value" and re-checks on hot reads.
  declare readonly nid: number;
  declare readonly type: number;
  declare readonly idx: number;
  declare readonly pages: PageArray;
  declare readonly name: string;
  zoneStartPfn = 0;
  spannedPages = 0;
  presentPages = 0;
  managedPages = 0;
  /** _watermark[WMARK_MIN..WMARK_PROMO]; whoever writes it calls updateFastMark() */
  readonly watermark = new Int32Array(NR_WMARK);
  readonly freeArea: FreeArea[] = Array.from({ length: NR_PAGE_ORDERS }, () => new FreeArea());
  /** NR_FREE_PAGES: pages in the buddy free lists (not PCP, not Isolate) */
  nrFreePages = 0;
  nrReservedHighatomic = 0;
  /** per-CPU page lists, one per CPU */
  pcp: PerCpuPages[] = [];
  /** this_cpu_ptr(zone->per_cpu_pageset): pcp[current CPU], set by PhysicalMemory.cpu */
  thisCpuPcp: PerCpuPages = new PerCpuPages();
  /**
   * Allocation statistics, kept so that the order-0 fast path counts with one increment:
   * order-0 allocations (pages = events = zone_statistics() accounts), and pages and events of
   * higher orders. pgalloc, numa_hit and numa_local are derived (getters below): every event
   * is a hit or a miss, and local or other.
   */
  nrAlloc0 = 0;
  pgallocHigh = 0;
  nrAllocHigh = 0;
  numaMiss = 0;
  numaForeign = 0;
  numaInterleave = 0;
  numaOther = 0;
  /**
   * pgfree: pages freed into this zone, counting memblock_free_all()'s boot frees as Linux
   * does (__free_pages_ok counts PGFREE), so pgfree − pgalloc = pages free or on PCP lists.
   */
  pgfree = 0;
  /**
   * Pages __isolate_free_page() took off the free lists (for compaction) and
   * __putback_isolated_page() did not return: never counted as pgalloc, so pgfree − pgalloc −
   * freeTaken = pages free or on PCP lists. mmsim's bookkeeping; Linux has no such counter.
   */
  freeTaken = 0;
  /**
   * The order-0 zone_watermark_fast() test folded into one number per highest_zoneidx: an
   * order-0 allocation may take a page when nrFreePages > fastMark[highestIdx], that is
   * free − free HighAtomic − free CMA > wmark(LOW if ZONE_BELOW_HIGH else HIGH) + boost +
   * lowmem_reserve[highestIdx]. FAST_MARK_NONE while ZONE_BOOSTED_WATERMARK is set, so the
   * full path (which wakes kswapd) takes those requests. Kept current by the setters below
   * and updateFastMark(); verify() recomputes it.
   */
  readonly fastMark = new Int32Array(MAX_NR_ZONES).fill(FAST_MARK_NONE);
  // Backing fields of the inputs of fastMark (accessors below).
  private _watermarkBoost = 0;
  private _lowmemReserve: number[] = [];
  private _nrFreeCma = 0;
  private _nrFreeHighatomic = 0;
  private _boostedWatermark = false;
  private _belowHigh = false;

  /** watermark_boost: pages added to every watermark after a fragmenting fallback */
  get watermarkBoost(): number {
    return this._watermarkBoost;
  }
  set watermarkBoost(v: number) {
    this._watermarkBoost = v;
    this.updateFastMark();
  }
  /** lowmem_reserve[j]: pages kept back from allocations whose highest zone idx is j */
  get lowmemReserve(): number[] {
    return this._lowmemReserve;
  }
  set lowmemReserve(v: number[]) {
    this._lowmemReserve = v;
    this.updateFastMark();
  }
  /** NR_FREE_CMA_PAGES */
  get nrFreeCma(): number {
    return this._nrFreeCma;
  }
  set nrFreeCma(v: number) {
    this._nrFreeCma = v;
    this.updateFastMark();
  }
  /** free pages on HighAtomic lists (not usable without ALLOC_RESERVES) */
  get nrFreeHighatomic(): number {
    return this._nrFreeHighatomic;
  }
  set nrFreeHighatomic(v: number) {
    this._nrFreeHighatomic = v;
    this.updateFastMark();
  }
  /** ZONE_BOOSTED_WATERMARK */
  get boostedWatermark(): boolean {
    return this._boostedWatermark;
  }
  set boostedWatermark(v: boolean) {
    this._boostedWatermark = v;
    this.updateFastMark();
  }
  /** ZONE_BELOW_HIGH: free pages were seen below the high watermark (shrinks PCP high) */
  get belowHigh(): boolean {
    return this._belowHigh;
  }
  set belowHigh(v: boolean) {
    if (v === this._belowHigh) return;
    this._belowHigh = v;
    this.updateFastMark();
  }

  /** pgalloc_<zone>: pages allocated from this zone (summed per zone type for /proc/vmstat). */
  get pgalloc(): number {
    return this.nrAlloc0 + this.pgallocHigh;
  }

  /** numa_hit: allocation events whose zone is on the preferred node. */
  get numaHit(): number {
    return this.nrAlloc0 + this.nrAllocHigh - this.numaMiss;
  }

  /** numa_local: allocation events whose zone is on the allocating CPU's node. */
  get numaLocal(): number {
    return this.nrAlloc0 + this.nrAllocHigh - this.numaOther;
  }

  /**
   * Counts `n` allocations of `order` from this zone: pgalloc_<zone> and zone_statistics()
   * (`local`: the zone is on the allocating CPU's node; a miss is counted by the caller).
   */
  countAlloc(order: number, n: number, local: boolean): void {
    if (order === 0) this.nrAlloc0 += n;
    else {
      this.pgallocHigh += n << order;
      this.nrAllocHigh += n;
    }
    if (!local) this.numaOther += n;
  }

  /** Recomputes fastMark from the watermarks and the fields it folds (see fastMark). */
  updateFastMark(): void {
    const base = this.watermark[this._belowHigh ? WMARK_LOW : WMARK_HIGH] + this._watermarkBoost + this._nrFreeHighatomic + this._nrFreeCma;
    for (let hi = 0; hi < MAX_NR_ZONES; hi++) {
      this.fastMark[hi] = this._boostedWatermark ? FAST_MARK_NONE : Math.min(FAST_MARK_NONE, base + (this._lowmemReserve[hi] ?? 0));
    }
  }

  constructor(nid: number, type: number, idx: number, pages: PageArray) {
    this.nid = nid;
    this.type = type;
    this.idx = idx;
    this.pages = pages;
    this.name = ZONE_TYPE_NAMES[type];
  }

  get zoneEndPfn(): number {
    return this.zoneStartPfn + this.spannedPages;
  }

  /** populated_zone(). */
  get populated(): boolean {
    return this.presentPages > 0;
  }

  /** zone_spans_pfn(). */
  spans(pfn: number): boolean {
    return pfn >= this.zoneStartPfn && pfn < this.zoneEndPfn;
  }

  /** wmark_pages(): watermark i plus the current boost. */
  wmark(i: number): number {
    return this.watermark[i] + this.watermarkBoost;
  }

  get minWmark(): number {
    return this.wmark(WMARK_MIN);
  }
  get lowWmark(): number {
    return this.wmark(WMARK_LOW);
  }
  get highWmark(): number {
    return this.wmark(WMARK_HIGH);
  }

  /** Pages sitting on this zone's per-CPU lists. */
  get pcpCount(): number {
    let n = 0;
    for (const p of this.pcp) n += p.count;
    return n;
  }

  /** The pfns of the blocks on free list (order, migratetype), head first. */
  freeList(order: number, migratetype: number): number[] {
    const out: number[] = [];
    for (let i = this.freeArea[order].head[migratetype]; i >= 0; i = this.pages.lruNext[i]) out.push(this.pages.pfn(i));
    return out;
  }

  /** Free blocks per order summed over migratetypes (one buddyinfo row). */
  nrFreeByOrder(): number[] {
    return this.freeArea.map((a) => a.nrFree);
  }

  /** Migratetypes of the pageblocks in [startPfn, endPfn), one entry per pageblock. */
  pageblockTypes(startPfn = this.zoneStartPfn, endPfn = this.zoneEndPfn): number[] {
    const out: number[] = [];
    for (let pfn = startPfn - (startPfn % PAGEBLOCK_NR_PAGES); pfn < endPfn; pfn += PAGEBLOCK_NR_PAGES) {
      const i = this.pages.idx(Math.max(pfn, this.zoneStartPfn));
      out.push(i < 0 ? -1 : this.pages.pageblockMt[i >>> PAGEBLOCK_ORDER]);
    }
    return out;
  }
}

/** struct pglist_data: one NUMA node. */
export class Pglist {
  /** zones of the arch's enum, empty ones included */
  zones: Zone[] = [];
  nodeStartPfn = 0;
  nodeSpannedPages = 0;
  nodePresentPages = 0;
  /** ZONELIST_FALLBACK: zones of all nodes, by node distance then zone idx descending */
  zonelistFallback: Zone[] = [];
  /** ZONELIST_NOFALLBACK: this node's zones only (for __GFP_THISNODE) */
  zonelistNoFallback: Zone[] = [];
  /** CPUs that belong to this node */
  cpus: number[] = [];
  kswapdFailures = 0;
  declare readonly nid: number;

  constructor(nid: number) {
    this.nid = nid;
  }
}
