// The page allocator's front (mm/page_alloc.c): PhysicalMemory boots the layer and serves
// alloc_pages/__free_pages through get_page_from_freelist (zonelist walk, watermark check,
// PCP or buddy), prep_new_page and the slow path (slowpath.ts). Not modelled: cpusets,
// mempolicies (callers pass a node), page_owner, memcg charging, KASAN/KMSAN hooks.
import { BUG, Clock, Counters, TraceBus } from "@mmsim/base";
import type { Rng } from "@mmsim/base";
import { BUDDY_TYPE, freeOnePage, rmqueue, rmqueueSmallest } from "./buddy";
import type { BuddyEnv } from "./buddy";
import { GFP_MOVABLE_MASK, GFP_ZONEMASK, __GFP_COMP, __GFP_KSWAPD_RECLAIM, __GFP_NOWARN, __GFP_THISNODE, __GFP_ZERO, gfpMigratetype, gfpZone } from "./gfp";
import { ALLOC_HIGHATOMIC, ALLOC_KSWAPD, ALLOC_NO_WATERMARKS, ALLOC_NOFRAGMENT, ALLOC_NON_BLOCK, ALLOC_OOM, ALLOC_WMARK_LOW, ALLOC_WMARK_MASK } from "./internal/alloc-flags";
import { bootMemory, DEFAULT_KERNEL_IMAGE } from "./mm-init";
import type { BootState, KernelImage } from "./mm-init";
import { MAX_PAGE_ORDER, PAGE_ALLOC_COSTLY_ORDER, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES, PAGEBLOCK_ORDER, WMARK_HIGH, WMARK_LOW, ZONE_DMA32, ZONE_HIGHMEM, ZONE_NORMAL } from "./mmzone";
import type { Pglist, Zone } from "./mmzone";
import type { PageArray } from "./mm-types";
import { PAGEFLAGS_MASK, PG_active, PG_head, PG_locked, PG_lru, PG_mlocked, PG_private, PG_private_2, PG_reserved, PG_unevictable, PG_writeback } from "./page-flags";
import { freeToPcp, freeToPcpOrder0, pcpPop, rmqueuePcplist, rmqueuePcplistInner, drainPagesZone } from "./pcp";
import { applyBootSysctls, getSysctl, setSysctl } from "./sysctl";
import { verifyPhysical } from "./internal/verify";
import { renderBuddyinfo, renderExtfragIndex, renderPagetypeinfo, renderUnusableIndex, renderZoneinfo, vmstatItems } from "./vmstat";
import type { ZoneinfoProvider } from "./vmstat";
import type { PhysicalSysctls } from "./watermarks";
import { zoneWatermarkFast, zoneWatermarkOk } from "./watermarks";
import { allocPagesSlowpath, NOOP_HOOKS } from "./slowpath";
import type { SlowpathHooks } from "./slowpath";

/** Frees a frame's contents; hardware's Ram has exactly this method. */
export interface FrameZeroer {
  zeroFrame(pfn: number): void;
}

/** Boot input of the physical layer (plain data; the kernel derives it from e820). */
export interface PhysicalConfig {
  memory: { base: number; size: number; nid: number }[];
  reserved?: { base: number; size: number; name?: string }[];
  nrCpus: number;
  /** SLIT distances; default 10 local / 20 remote */
  distance?: number[][];
  arch?: "x86_64" | "i386";
  kernelcore?: number;
  movablecore?: number;
  sysctl?: Partial<PhysicalSysctls>;
  thp?: boolean;
  /** kernel image section sizes; null for none; default a 6.18 distro kernel */
  kernelImage?: KernelImage | null;
  /** node of each CPU; default: CPUs split into contiguous blocks across memory nodes */
  cpuToNode?: number[];
  /**
   * CONFIG_DEBUG_VM-style page checks: check every tail page of a freed block (Linux checks
   * only with check_pages_enabled). Default false; the first page is always checked.
   */
  debugPageChecks?: boolean;
  /** receives every kernel log line this layer prints after boot (failure reports) */
  log?: (line: string) => void;
  ram?: FrameZeroer;
  clock?: Clock;
  counters?: Counters;
  trace?: TraceBus;
  rng?: Rng;
}

// Local copies of hot constants: an imported binding costs a module-cell load on every use.
const ZONEMASK = GFP_ZONEMASK;
const THISNODE = __GFP_THISNODE;
const KSWAPD_RECLAIM = __GFP_KSWAPD_RECLAIM;
const ZERO = __GFP_ZERO;
const COMP = __GFP_COMP;
const COSTLY_ORDER = PAGE_ALLOC_COSTLY_ORDER;
const PCPTYPES = MIGRATE_PCPTYPES;
const WMARK_LOW_ = WMARK_LOW;
const WMARK_HIGH_ = WMARK_HIGH;

const BUDDY = BUDDY_TYPE;
const HEAD_BIT = 1 << PG_head;
const PB_ORDER = PAGEBLOCK_ORDER;
const ISOLATE = MIGRATE_ISOLATE;
const MOVABLE = MIGRATE_MOVABLE;
const MAX_ORDER = MAX_PAGE_ORDER;
const FLAGS_MASK = PAGEFLAGS_MASK;

/** gfp bits the fast path leaves to prep_new_page() in the full path */
const PREP_GFP = __GFP_ZERO | __GFP_COMP;
/** gfp bits that select the preferred zone and PCP list: GFP_ZONEMASK and the mobility bits */
const FAST_GFP = GFP_ZONEMASK | GFP_MOVABLE_MASK;
const FAST_KEY_SHIFT = 5;

const CHECK_AT_FREE = (1 << PG_lru) | (1 << PG_locked) | (1 << PG_private) | (1 << PG_private_2) | (1 << PG_writeback) | (1 << PG_reserved) | (1 << PG_active) | (1 << PG_unevictable) | (1 << PG_mlocked);

/**
 * One machine's physical memory: memblock, nodes, zones, the mem_map and the page allocator.
 * Build it with PhysicalMemory.boot(); many instances can coexist.
 */
export class PhysicalMemory implements BuddyEnv {
  // Fields the constructor sets are `declare`d so that no class field first holds undefined
  // (V8 would type them "any value" and check them on every hot read); see Zone.
  declare readonly pages: PageArray;
  declare readonly nodes: Pglist[];
  declare readonly maxPfn: number;
  declare readonly nrCpus: number;
  declare readonly arch: "x86_64" | "i386";
  declare readonly distance: number[][];
  declare readonly clock: Clock;
  declare readonly counters: Counters;
  declare readonly trace: TraceBus;
  declare readonly boot: BootState;
  declare readonly sysctl: PhysicalSysctls;
  /** kernel image section sizes (all 0 when booted without an image) */
  declare readonly kernelImage: KernelImage;
  /** user_min_free_kbytes: -1 until a user sets min_free_kbytes */
  userMinFreeKbytes = -1;
  /** smp_processor_id() (see the cpu accessor) */
  private _cpu = 0;
  /** the current CPU's node << FAST_KEY_SHIFT: the order-0 fast path's key base */
  private fastKeyBase = 0;
  /** the current task's name, printed in failure reports */
  comm = "mmsim";
  /** kernel log lines printed by this layer after boot */
  readonly kmsg: string[] = [];
  /** allocations that failed and returned -1 */
  allocFailures = 0;
  watermarkBoostFactor = 15000;
  mobilityDisabled = false;
  /** check every tail page of a freed block as CONFIG_DEBUG_VM does (see PhysicalConfig) */
  declare debugPageChecks: boolean;
  declare thp: boolean;
  onExtfrag: BuddyEnv["onExtfrag"] = null;
  hooks: SlowpathHooks = { ...NOOP_HOOKS };
  readonly bootLines: string[] = [];
  /** zone by page->flags top byte (node << 3 | zone type) */
  private readonly zoneByBits: (Zone | undefined)[] = new Array(256);
  declare private readonly typeToIdx: number[];
  /** gfp & GFP_ZONEMASK → zone_idx() of the highest usable zone, -1 for a bad combination */
  private readonly gfpZoneTable = new Int8Array(GFP_ZONEMASK + 1);
  /** order-0 fast path, by nid << FAST_KEY_SHIFT | gfp & FAST_GFP: the preferred zone or null */
  private readonly fastZone: (Zone | null)[] = [];
  /** ... and migratetype << 3 | highest zone_idx */
  declare private readonly fastSlot: Int8Array;
  declare private readonly highmem: boolean;
  declare private readonly ram: FrameZeroer | undefined;
  declare private readonly cpuToNode: number[];
  declare private readonly logSink: ((line: string) => void) | undefined;

  private constructor(config: PhysicalConfig) {
    this.arch = config.arch ?? "x86_64";
    this.nrCpus = config.nrCpus;
    this.clock = config.clock ?? new Clock();
    this.counters = config.counters ?? new Counters();
    this.trace = config.trace ?? new TraceBus(this.clock);
    this.ram = config.ram;
    this.logSink = config.log;
    this.thp = config.thp ?? false;
    this.debugPageChecks = config.debugPageChecks ?? false;
    this.boot = bootMemory({
      memory: config.memory, reserved: config.reserved, nrCpus: config.nrCpus, arch: this.arch,
      kernelcore: config.kernelcore, movablecore: config.movablecore,
      kernelImage: config.kernelImage === undefined ? DEFAULT_KERNEL_IMAGE : config.kernelImage,
      cpuToNode: config.cpuToNode,
    });
    this.kernelImage = config.kernelImage === null ? { code: 0, rwdata: 0, rodata: 0, init: 0, bss: 0 } : (config.kernelImage ?? DEFAULT_KERNEL_IMAGE);
    this.pages = this.boot.pages;
    this.cpuToNode = this.boot.cpuToNode;
    this.nodes = this.boot.nodes;
    this.maxPfn = this.boot.maxPfn;
    this.highmem = this.arch === "i386";
    this.typeToIdx = [];
    this.boot.zoneTypes.forEach((t, idx) => (this.typeToIdx[t] = idx));
    // On x86-64 there is no HighMem (gfp_zone gives Normal); on i386 no DMA32 (OPT_ZONE_DMA32 = Normal).
    if (this.typeToIdx[ZONE_DMA32] === undefined) this.typeToIdx[ZONE_DMA32] = this.typeToIdx[ZONE_NORMAL];
    if (this.typeToIdx[ZONE_HIGHMEM] === undefined) this.typeToIdx[ZONE_HIGHMEM] = this.typeToIdx[ZONE_NORMAL];
    for (let bits = 0; bits <= GFP_ZONEMASK; bits++) {
      const t = gfpZone(bits, this.highmem);
      this.gfpZoneTable[bits] = t < 0 ? -1 : this.typeToIdx[t];
    }
    for (const n of this.nodes) for (const z of n.zones) this.zoneByBits[(n.nid << 3) | z.type] = z;
    const nrNodes = this.nodes.length;
    this.distance = config.distance ?? Array.from({ length: nrNodes }, (_, a) => Array.from({ length: nrNodes }, (_, b) => (a === b ? 10 : 20)));
    const names = ["dma", "dma32", "normal", "high", "movable", "device"];
    // pgalloc_<zone> and pgfree are counted per zone on the hot paths and summed on read, as
    // Linux sums its per-CPU vm_event_states (sum_vm_events).
    for (let t = 0; t < names.length; t++) {
      const zs = this.nodes.flatMap((n) => n.zones.filter((z) => z.type === t));
      this.counters.provide(`pgalloc_${names[t]}`, () => zs.reduce((sum, z) => sum + z.pgalloc, 0));
    }
    const all = this.nodes.flatMap((n) => n.zones);
    this.counters.provide("pgfree", () => all.reduce((sum, z) => sum + z.pgfree, 0));
    this.sysctl = applyBootSysctls(this, config.sysctl ?? {});
    this.fastSlot = new Int8Array(nrNodes << FAST_KEY_SHIFT);
    this.buildFastZones();
    this.cpu = 0;
  }

  /**
   * Boots the physical layer from plain data. Throws InputError (naming the field) on a bad
   * config; never half-boots.
   */
  static boot(config: PhysicalConfig): PhysicalMemory {
    return new PhysicalMemory(config);
  }

  /** Replaces some of the slow-path hooks (the kernel wires kswapd, reclaim, compaction, OOM). */
  setHooks(h: Partial<SlowpathHooks>): void {
    this.hooks = { ...this.hooks, ...h };
  }

  /** The CPU the caller runs on (the kernel sets it); selects PCP lists and the local node. */
  get cpu(): number {
    return this._cpu;
  }

  set cpu(c: number) {
    if (!(c >= 0 && c < this.nrCpus && (c | 0) === c)) BUG("smp_processor_id", `no CPU ${c} (${this.nrCpus} CPUs)`);
    this._cpu = c;
    this.fastKeyBase = this.cpuToNode[c] << FAST_KEY_SHIFT;
    for (const n of this.nodes) for (const z of n.zones) z.thisCpuPcp = z.pcp[c];
  }

  /** numa_node_id(): node of the current CPU. */
  get localNid(): number {
    return this.cpuToNode[this.cpu] ?? 0;
  }

  /** The zone holding pfn, or null when pfn has no struct page. */
  pageZone(pfn: number): Zone | null {
    const i = this.pages.idx(pfn);
    return i < 0 ? null : (this.zoneByBits[this.pages.flags[i] >>> 24] ?? null);
  }

  /** Every zone of every node, node by node in zone order. */
  zones(): Zone[] {
    return this.nodes.flatMap((n) => n.zones);
  }

  /** zone_idx() of a ZONE_* type on this arch (DMA32 maps to Normal on i386, HighMem to Normal on x86-64). */
  zoneIdxOfType(type: number): number {
    return this.typeToIdx[type];
  }

  /** Prints a kernel log line (kept in kmsg and sent to the config's sink). */
  printk(line: string): void {
    this.kmsg.push(line);
    if (this.logSink) this.logSink(line);
  }

  // ---- alloc_context, kept in fields so the fast path allocates nothing ----
  /** @internal */ acZonelist: Zone[] = [];
  /** @internal */ acHighestIdx = 0;
  /** @internal */ acPreferred: Zone | null = null;
  /** @internal */ acMigratetype = 0;
  /** @internal */ acNid = 0;
  /** @internal numa_node_id() at the time of the call (zone_statistics' local node) */ acLocalNid = 0;

  /**
   * alloc_pages(gfp, order) on node `nid` (default NUMA_NO_NODE: the current CPU's node).
   * Returns the pfn of the first page of a block of 2^order pages, or -1 when the request
   * cannot be met (the failure is counted and, without __GFP_NOWARN, reported in the kernel
   * log). Never throws on memory pressure; an impossible GFP zone combination is a Bug.
   */
  allocPages(gfp: number, order: number, nid = -1): number {
    // The order-0 fast path, small enough for V8 to inline into the caller (see DESIGN.md):
    // the local node's preferred zone for these gfp bits, the folded watermark test, a pop
    // from the PCP list, the statistics. Anything unusual goes the whole way.
    if (order === 0 && nid < 0 && (gfp & PREP_GFP) === 0 && this.trace.on === false) {
      const key = this.fastKeyBase | (gfp & FAST_GFP);
      const zone = this.fastZone[key];
      const slot = this.fastSlot[key];
      if (zone !== null && zone.nrFreePages > zone.fastMark[slot & 7]) {
        const pcp = zone.thisCpuPcp;
        const pindex = slot >> 3;
        const i = pcp.head[pindex];
        if (i >= 0) {
          const p = zone.pages;
          pcp.freeCount >>= 1;
          // pcpPop() for order 0, written out to stay inside V8's inlining budget
          const next = p.lruNext[i];
          pcp.head[pindex] = next;
          if (next >= 0) p.lruPrev[next] = -1;
          else pcp.tail[pindex] = -1;
          p.private[i] = 0;
          pcp.count--;
          // pgalloc_<zone> and zone_statistics(): order 0, preferred and local
          zone.nrAlloc0++;
          p.refcount[i] = 1;
          return p.pfn(i);
        }
      }
    }
    return this.allocPagesSlow(gfp, order, nid);
  }

  /** alloc_pages() past the inlined fast path: rmqueueFast() for orders 0..3, else in full. */
  private allocPagesSlow(gfp: number, order: number, nid: number): number {
    const local = this.cpuToNode[this.cpu];
    if (nid < 0) nid = local;
    // orders 0..3 straight off a non-empty PCP list of the preferred zone
    if ((order & COSTLY_ORDER) === order) {
      const i = this.rmqueueFast(gfp, order, nid, local);
      if (i >= 0) return this.pages.pfn(i);
    }
    return this.allocPagesFull(gfp, order, nid, local);
  }

  /**
   * Builds the order-0 fast path's tables: for each node and each value of the gfp's zone
   * and mobility bits, the preferred zone (null when the gfp is invalid or the zone is not on
   * that node, so the full path decides), its zone_idx bound and the PCP list (migratetype).
   */
  private buildFastZones(): void {
    for (const node of this.nodes) {
      for (let bits = 0; bits <= FAST_GFP; bits++) {
        const key = (node.nid << FAST_KEY_SHIFT) | bits;
        const hi = this.gfpZoneTable[bits & GFP_ZONEMASK];
        const zone = hi < 0 ? undefined : node.zonelistFallback.find((z) => z.idx <= hi);
        this.fastZone[key] = zone !== undefined && zone.nid === node.nid ? zone : null;
        this.fastSlot[key] = (gfpMigratetype(bits) << 3) | Math.max(hi, 0);
      }
    }
  }

  /**
   * get_page_from_freelist()'s common case, checked the way Linux's own fast path is: the first
   * eligible zone of the zonelist, zone_watermark_fast() against the mark ZONE_BELOW_HIGH
   * selects, a pop from the PCP list, zone_statistics() and the refcount. Returns -1 without
   * touching any state when anything is unusual (bad gfp or node, empty list, watermark
   * trouble); allocPagesFull() then takes the request from the top.
   */
  private rmqueueFast(gfp: number, order: number, nid: number, local: number): number {
    const highestIdx = this.gfpZoneTable[gfp & ZONEMASK];
    const node = this.nodes[nid];
    if (highestIdx < 0 || node === undefined) return -1;
    const zonelist = gfp & THISNODE ? node.zonelistNoFallback : node.zonelistFallback;
    let k = 0;
    let zone = zonelist[0];
    while (zone !== undefined && zone.idx > highestIdx) zone = zonelist[++k];
    if (zone === undefined || zone.managedPages === 0) return -1;
    // zone_watermark_fast(): the high mark until ZONE_BELOW_HIGH is seen, then the low one.
    const mark = zone.watermark[zone.belowHigh === true ? WMARK_LOW_ : WMARK_HIGH_] + zone.watermarkBoost;
    if (order === 0) {
      if (!(zone.nrFreePages - zone.nrFreeHighatomic - zone.nrFreeCma > mark + zone.lowmemReserve[highestIdx])) return -1;
    } else if (!zoneWatermarkOk(zone, order, mark, highestIdx, 0)) return -1;
    const pcp = zone.pcp[this.cpu];
    const mt = gfpMigratetype(gfp);
    const pindex = order * PCPTYPES + mt;
    const i = pcp.head[pindex];
    if (i < 0) return -1;
    pcp.freeCount >>= 1;
    pcpPop(zone.pages, pcp, pindex, i, order);
    if (gfp & KSWAPD_RECLAIM && zone.boostedWatermark === true) this.wakeBoosted(zone);
    // pgalloc_<zone> (in pages) and zone_statistics(); the zone is the preferred one.
    zone.countAlloc(order, 1, zone.nid === local);
    this.pages.refcount[i] = 1;
    if (gfp & (ZERO | COMP) || this.trace.on === true) {
      this.acMigratetype = mt;
      this.prepNewPage(i, order, gfp);
    }
    return i;
  }

  /** rmqueue()'s ZONE_BOOSTED_WATERMARK check: wake kswapd once after a fragmenting fallback. */
  private wakeBoosted(zone: Zone): void {
    zone.boostedWatermark = false;
    this.hooks.wakeupKswapd(zone, 0, 0, zone.idx);
  }

  /** __alloc_pages() in full: prepare_alloc_pages, get_page_from_freelist, the slow path. */
  private allocPagesFull(gfp: number, order: number, nid: number, local: number): number {
    if (!(order >= 0 && order <= MAX_PAGE_ORDER && (order | 0) === order)) return this.badOrder(gfp, order);
    // gfp_zone() through a GFP_ZONE_TABLE of this arch's zone indices (-1: invalid combination)
    const highestIdx = this.gfpZoneTable[gfp & GFP_ZONEMASK];
    if (highestIdx < 0) BUG("gfp_zone", `invalid zone modifiers in gfp 0x${gfp.toString(16)}`);
    const node = this.nodes[nid];
    if (node === undefined) BUG("alloc_pages", `no node ${nid}`);
    const zonelist = gfp & __GFP_THISNODE ? node.zonelistNoFallback : node.zonelistFallback;
    // first_zones_zonelist()
    let preferred: Zone | null = null;
    for (let k = 0; k < zonelist.length; k++) {
      if (zonelist[k].idx <= highestIdx) {
        preferred = zonelist[k];
        break;
      }
    }
    if (preferred === null) return -1;
    this.acMigratetype = gfpMigratetype(gfp);
    this.acLocalNid = local;
    let i = this.tryZonelist(zonelist, preferred, highestIdx, gfp, order, ALLOC_WMARK_LOW | this.allocFlagsNofragment(preferred, gfp));
    if (i < 0) {
      // The slow path reads the alloc_context from fields (stored only here: pointer stores cost).
      this.acZonelist = zonelist;
      this.acPreferred = preferred;
      this.acHighestIdx = highestIdx;
      this.acNid = nid;
      i = allocPagesSlowpath(this, gfp, order);
    }
    if (i < 0) return -1;
    return this.pages.pfn(i);
  }

  /**
   * alloc_pages_bulk_node(gfp, nid, nrPages, out): fills out[0..n) with the pfns of n order-0
   * pages and returns n. Like mm/page_alloc.c alloc_pages_bulk_noprof, it picks one zone of
   * the preferred node that stays above its low watermark plus nrPages (a single
   * zone_watermark_fast() check) and takes the pages straight off this CPU's PCP list
   * (refilled from the buddy lists as needed), counting the statistics once. Unlike Linux,
   * which then gives up after one __alloc_pages(), whatever is still missing (all of it when
   * no zone passed the check, or nrPages = 1) comes from allocPages() page by page, which may
   * reclaim; n < nrPages only when allocPages() fails. nid < 0 (NUMA_NO_NODE) means the
   * current CPU's node. Returns 0 for nrPages ≤ 0. An Int32Array `out` shorter than nrPages
   * is a Bug; pfns must then be below 2^31.
   */
  allocPagesBulk(gfp: number, nid: number, nrPages: number, out: Int32Array | number[]): number {
    if (!(nrPages > 0)) return 0;
    if (out instanceof Int32Array && out.length < nrPages) BUG("alloc_pages_bulk", `out holds ${out.length} pfns but ${nrPages} were asked for`);
    if (nid < 0) nid = this.localNid;
    let n = nrPages > 1 ? this.bulkFromPcp(gfp, nid, nrPages, out) : 0;
    while (n < nrPages) {
      const pfn = this.allocPages(gfp, 0, nid);
      if (pfn < 0) break;
      out[n++] = pfn;
    }
    return n;
  }

  /** The PCP half of alloc_pages_bulk: returns how many pages it put in out[0..). */
  private bulkFromPcp(gfp: number, nid: number, nrPages: number, out: Int32Array | number[]): number {
    const highestIdx = this.gfpZoneTable[gfp & ZONEMASK];
    const node = this.nodes[nid];
    if (highestIdx < 0 || node === undefined) return 0; // allocPages() reports it
    const zonelist = gfp & THISNODE ? node.zonelistNoFallback : node.zonelistFallback;
    let preferred: Zone | null = null;
    for (let k = 0; k < zonelist.length && preferred === null; k++) if (zonelist[k].idx <= highestIdx) preferred = zonelist[k];
    if (preferred === null) return 0;
    const allocFlags = ALLOC_WMARK_LOW | this.allocFlagsNofragment(preferred, gfp);
    // An allowed zone of the preferred node above low + nrPages; otherwise the single-page path.
    let zone: Zone | null = null;
    for (let k = 0; k < zonelist.length; k++) {
      const z = zonelist[k];
      if (z.idx > highestIdx || !z.managedPages) continue;
      if (this.nodes.length > 1 && z !== preferred && z.nid !== preferred.nid) break;
      if (zoneWatermarkFast(z, 0, z.wmark(WMARK_LOW) + nrPages, highestIdx, allocFlags)) {
        zone = z;
        break;
      }
    }
    if (zone === null) return 0;
    const mt = gfpMigratetype(gfp);
    const pcp = zone.pcp[this.cpu];
    const p = this.pages;
    let n = 0;
    while (n < nrPages) {
      const i = rmqueuePcplistInner(this, zone, pcp, 0, mt, allocFlags);
      if (i < 0) break;
      p.refcount[i] = 1;
      if (gfp & ZERO || this.trace.on) {
        this.acMigratetype = mt;
        this.prepNewPage(i, 0, gfp);
      }
      out[n++] = p.pfn(i);
    }
    // __count_zid_vm_events(PGALLOC) and zone_statistics() once for the batch
    zone.countAlloc(0, n, zone.nid === this.localNid);
    if (zone.nid !== preferred.nid) {
      zone.numaMiss += n;
      preferred.numaForeign += n;
    }
    return n;
  }

  /** An order outside 0..MAX_PAGE_ORDER: warn (unless __GFP_NOWARN), count, fail. */
  private badOrder(gfp: number, order: number): number {
    if (!(gfp & __GFP_NOWARN)) this.printk(`WARNING: alloc_pages: order ${order} > MAX_PAGE_ORDER ${MAX_PAGE_ORDER}`);
    this.allocFailures++;
    return -1;
  }

  /** __get_free_pages(): the same as allocPages (kernel virtual addresses are the caller's). */
  getFreePages(gfp: number, order: number): number {
    return this.allocPages(gfp, order);
  }

  /** alloc_flags_nofragment(): ALLOC_KSWAPD from the gfp, NOFRAGMENT for Normal over a DMA32. */
  private allocFlagsNofragment(zone: Zone, gfp: number): number {
    let flags = gfp & __GFP_KSWAPD_RECLAIM;
    if (zone.type !== ZONE_NORMAL) return flags;
    const dma32 = this.nodes[zone.nid].zones[this.typeToIdx[ZONE_DMA32]];
    if (dma32 && dma32.type === ZONE_DMA32 && dma32.populated) flags |= ALLOC_NOFRAGMENT;
    return flags;
  }

  /**
   * get_page_from_freelist(): walk the zonelist for a zone above its watermark and take a
   * block from it. Returns the page index of a prepared page, or -1.
   * @internal
   */
  getPageFromFreelist(gfp: number, order: number, allocFlags: number): number {
    return this.tryZonelist(this.acZonelist, this.acPreferred!, this.acHighestIdx, gfp, order, allocFlags);
  }

  /** get_page_from_freelist() proper, with the alloc_context passed in. */
  private tryZonelist(zonelist: Zone[], preferred: Zone, highestIdx: number, gfp: number, order: number, allocFlags: number): number {
    for (;;) {
      const noFallback = allocFlags & ALLOC_NOFRAGMENT;
      let retry = false;
      for (let k = 0; k < zonelist.length; k++) {
        const zone = zonelist[k];
        if (zone.idx > highestIdx || !zone.managedPages) continue;
        if (noFallback && this.nodes.length > 1 && zone !== preferred && zone.nid !== preferred.nid) {
          allocFlags &= ~ALLOC_NOFRAGMENT;
          retry = true;
          break;
        }
        // The high watermark first, so that ZONE_BELOW_HIGH is noticed (6.10+); once a
        // zone is below high, only the watermark of the request is checked.
        if (zone.belowHigh || !zoneWatermarkFast(zone, order, zone.watermark[WMARK_HIGH] + zone.watermarkBoost, highestIdx, allocFlags)) {
          zone.belowHigh = true;
          if (!(allocFlags & ALLOC_NO_WATERMARKS) && !zoneWatermarkFast(zone, order, zone.wmark(allocFlags & ALLOC_WMARK_MASK), highestIdx, allocFlags)) continue;
        }
        const i = this.rmqueueZone(preferred, zone, order, gfp, allocFlags);
        if (i >= 0) return i;
      }
      if (retry) continue;
      if (allocFlags & ALLOC_NOFRAGMENT) {
        allocFlags &= ~ALLOC_NOFRAGMENT;
        continue;
      }
      return -1;
    }
  }

  /** rmqueue(): PCP or buddy, then accounting and prep_new_page. */
  private rmqueueZone(preferred: Zone, zone: Zone, order: number, gfp: number, allocFlags: number): number {
    let i = -1;
    if (order <= PAGE_ALLOC_COSTLY_ORDER || order === PAGEBLOCK_ORDER) i = rmqueuePcplist(this, zone, this.cpu, order, this.acMigratetype, allocFlags);
    if (i < 0) i = this.rmqueueBuddy(zone, order, allocFlags);
    if (allocFlags & ALLOC_KSWAPD && zone.boostedWatermark) this.wakeBoosted(zone);
    if (i < 0) return -1;
    // zone_statistics() and pgalloc_<zone> (in pages), then prep_new_page().
    zone.countAlloc(order, 1, zone.nid === this.acLocalNid);
    if (zone.nid !== preferred.nid) {
      zone.numaMiss++;
      preferred.numaForeign++;
    }
    this.pages.refcount[i] = 1;
    if (gfp & (__GFP_ZERO | __GFP_COMP) || this.trace.on) this.prepNewPage(i, order, gfp);
    return i;
  }

  /** rmqueue_buddy(): the zone's free lists under the zone lock (highatomic reserves as Linux allows). */
  private rmqueueBuddy(zone: Zone, order: number, allocFlags: number): number {
    const mt = this.acMigratetype;
    let i = -1;
    if (order > 0 && allocFlags & ALLOC_HIGHATOMIC) i = rmqueueSmallest(zone, order, MIGRATE_HIGHATOMIC);
    if (i < 0) i = rmqueue(this, zone, order, mt, allocFlags);
    if (i < 0 && allocFlags & (ALLOC_OOM | ALLOC_NON_BLOCK)) i = rmqueueSmallest(zone, order, MIGRATE_HIGHATOMIC);
    return i;
  }

  /** The rest of prep_new_page(): zeroing for __GFP_ZERO, compound setup for __GFP_COMP, the tracepoint. */
  private prepNewPage(i: number, order: number, gfp: number): void {
    const p = this.pages;
    if (gfp & __GFP_ZERO && this.ram) {
      const pfn = p.pfn(i);
      for (let k = 0; k < 1 << order; k++) this.ram.zeroFrame(pfn + k);
    }
    if (gfp & __GFP_COMP && order > 0) {
      p.flags[i] = (p.flags[i] | (1 << PG_head)) >>> 0;
      for (let k = 1; k < 1 << order; k++) p.private[i + k] = -k;
      p.index[i + 1] = order;
    }
    if (this.trace.on) this.trace.emit("mm_page_alloc", { pfn: p.pfn(i), order, gfp_flags: gfp, migratetype: this.acMigratetype });
  }

  /** compound_head(): the head pfn of the compound page holding pfn (pfn itself if none). */
  compoundHead(pfn: number): number {
    const i = this.pages.idx(pfn);
    if (i < 0) return pfn;
    const off = this.pages.private[i];
    return off < 0 && this.pages.mapcount[i] !== BUDDY_TYPE ? pfn + off : pfn;
  }

  /** compound_order(): order of a compound head, 0 for any other page. */
  compoundOrder(pfn: number): number {
    const i = this.pages.idx(pfn);
    return i >= 0 && this.pages.flags[i] & (1 << PG_head) ? this.pages.index[i + 1] : 0;
  }

  /**
   * __free_pages(pfn, order): drops a reference; at zero the block returns to the allocator.
   * A pfn without struct page, a page already free (double free) or never allocated, and a
   * page still flagged in use (PG_lru, PG_locked, ...) are Bugs naming the function.
   */
  freePages(pfn: number, order: number): void {
    // The fast path for an order-0 page in its simplest state (one reference, not mapped, no
    // page type or PG_* flag, pageblock of a PCP type), small enough for V8 to inline into
    // the caller: free_pages_prepare() has nothing to check or clear but mapping and index.
    const p = this.pages;
    const i = p.idx(pfn); // -1 reads undefined below and takes the full path, which reports it
    if (order === 0 && p.refcount[i] === 1 && p.mapcount[i] === -1 && this.trace.on === false) {
      const f = p.flags[i];
      const mt = p.pageblockMt[i >>> PB_ORDER];
      if ((f & FLAGS_MASK) === 0 && mt < PCPTYPES) {
        p.refcount[i] = 0;
        p.mapping[i] = 0;
        const zone = this.zoneByBits[f >>> 24]!;
        zone.pgfree++;
        freeToPcpOrder0(this, zone, zone.thisCpuPcp, i, mt);
        return;
      }
    }
    this.freePagesFull(pfn, order);
  }

  /** __free_pages() in full: every check, compound and split blocks, any order. */
  private freePagesFull(pfn: number, order: number): void {
    const p = this.pages;
    const i = p.idx(pfn);
    if (i < 0) BUG("__free_pages", `pfn ${pfn} has no struct page`);
    if (!(order >= 0 && order <= MAX_ORDER)) BUG("__free_pages", `bad order ${order}`);
    const flags = p.flags;
    const mapcount = p.mapcount;
    const ref = p.refcount[i];
    const mc = mapcount[i];
    if (ref <= 0 || mc === BUDDY) this.doubleFree(pfn, ref);
    const f = flags[i];
    const head = f & HEAD_BIT;
    if (head !== 0 && p.index[i + 1] !== order) this.compoundOrderMismatch(pfn, order);
    p.refcount[i] = ref - 1;
    if (ref !== 1) {
      if (head === 0 && order > 0) this.freeOtherSubblocks(i, order);
      return;
    }
    // free_pages_prepare(): free_page_is_bad() on the first page. A page type (slab, table,
    // ...) is cleared here, as 6.12+ does, but a mapped page or one still in use (PG_lru, ...)
    // is a Bug.
    if (mc >= 0 || (f & CHECK_AT_FREE) !== 0) this.badPage(i, i);
    const zoneBits = (f & ~FLAGS_MASK) >>> 0;
    flags[i] = zoneBits;
    mapcount[i] = -1;
    p.mapping[i] = 0;
    if (order > 0) this.freeTailPages(i, order, zoneBits);
    const zone = this.zoneByBits[f >>> 24]!;
    zone.pgfree += 1 << order;
    if (this.trace.on === true) this.trace.emit("mm_page_free", { pfn, order });
    // free_frozen_pages(): orders 0..3 and THP to this CPU's PCP list, the rest to the buddy lists
    let mt = p.pageblockMt[i >>> PB_ORDER];
    if ((order <= COSTLY_ORDER || order === PB_ORDER) && mt !== ISOLATE) {
      if (mt >= PCPTYPES) mt = MOVABLE;
      freeToPcp(this, zone, zone.pcp[this.cpu], i, order, mt);
    } else {
      p.private[i] = 0;
      freeOnePage(zone, i, order, mt, false);
    }
  }

  /**
   * __free_pages() of a non-compound block whose first page is still referenced: every other
   * sub-block (order-1, order-2, ... halves) is freed now. Their pages must be unreferenced.
   */
  private freeOtherSubblocks(i: number, order: number): void {
    const p = this.pages;
    while (order-- > 0) {
      const j = i + (1 << order);
      if (p.refcount[j] !== 0 || p.mapcount[j] === BUDDY) this.badPage(j, i);
      p.refcount[j] = 1;
      this.freePagesFull(p.pfn(j), order);
    }
  }

  private doubleFree(pfn: number, ref: number): never {
    BUG("__free_pages", `pfn ${pfn}: page is free (refcount ${ref}): double free or never allocated`);
  }

  private compoundOrderMismatch(pfn: number, order: number): never {
    BUG("free_pages_prepare", `pfn ${pfn}: compound order ${this.pages.index[this.pages.idx(pfn) + 1]} freed as order ${order}`);
  }

  /**
   * The tail pages of a freed block. With debugPageChecks (CONFIG_DEBUG_VM), each is checked as
   * free_page_is_bad() does and fully reset. Without, as Linux's default: PG_* flags, the
   * compound head link (private), mapping and index are reset without looking; refcount and
   * mapcount are left alone, so a tail still referenced or mapped stays wrong inside the free
   * block, where verify() reports it.
   */
  private freeTailPages(i: number, order: number, zoneBits: number): void {
    const p = this.pages;
    const { flags, private: priv, mapping, index } = p;
    const end = i + (1 << order);
    if (this.debugPageChecks) {
      const { mapcount, refcount } = p;
      for (let j = i + 1; j < end; j++) {
        const mc = mapcount[j];
        if (mc >= 0 || mc === BUDDY || (flags[j] & CHECK_AT_FREE) !== 0 || refcount[j] !== 0) this.badPage(j, i);
        mapcount[j] = -1;
      }
    }
    // A block never spans zones, so every tail has the head's node and zone bits.
    for (let j = i + 1; j < end; j++) {
      flags[j] = zoneBits;
      priv[j] = 0;
      mapping[j] = 0;
      index[j] = 0;
    }
  }

  /** free_page_is_bad(): reports the first bad page state found at page index j (block at i). */
  private badPage(j: number, i: number): never {
    const p = this.pages;
    if (p.mapcount[j] === BUDDY_TYPE) BUG("free_pages_prepare", `pfn ${p.pfn(j)} is already in the buddy allocator`);
    if (p.mapcount[j] >= 0) BUG("free_pages_prepare", `bad page state: pfn ${p.pfn(j)} still mapped (mapcount ${p.mapcount[j] + 1})`);
    if (j !== i && p.refcount[j] !== 0) BUG("free_pages_prepare", `bad page state: tail pfn ${p.pfn(j)} has refcount ${p.refcount[j]}`);
    BUG("free_pages_prepare", `bad page state: pfn ${p.pfn(j)} flags 0x${(p.flags[j] & PAGEFLAGS_MASK).toString(16)}`);
  }

  /** Checks every invariant of the layer (see internal/verify.ts); throws Bug on the first broken one. */
  verify(): void {
    verifyPhysical(this);
  }

  /** The dmesg lines this layer printed at boot. */
  bootLog(): string[] {
    return [...this.bootLines];
  }

  /** /proc/sys/vm/<key> as text. Unknown keys are an InputError. */
  getSysctl(key: string): string {
    return getSysctl(this, key);
  }

  /** Writes a vm sysctl and recomputes watermarks/reserves/PCP limits as Linux does. */
  setSysctl(key: string, value: string | number | number[]): void {
    setSysctl(this, key, value);
  }

  /** /proc/buddyinfo. */
  buddyinfo(): string {
    return renderBuddyinfo(this);
  }

  /** /proc/pagetypeinfo. */
  pagetypeinfo(): string {
    return renderPagetypeinfo(this);
  }

  /** /proc/zoneinfo; `extra` supplies counters of higher layers (0 without it). */
  zoneinfo(extra?: ZoneinfoProvider): string {
    return renderZoneinfo(this, extra);
  }

  /**
   * The /proc/vmstat items this layer owns, [name, value] in vmstat order: zone counters and
   * NUMA events summed over zones, nr_memmap_pages/nr_memmap_boot_pages, pgalloc_<zone> and
   * pgfree. `extra` supplies zone counters of higher layers (nr_zone_*_anon/file, nr_mlock, ...).
   */
  vmstatItems(extra?: ZoneinfoProvider): [string, number][] {
    return vmstatItems(this, extra);
  }

  /** debugfs extfrag/extfrag_index. */
  extfragIndex(): string {
    return renderExtfragIndex(this);
  }

  /** debugfs extfrag/unusable_index. */
  unusableIndex(): string {
    return renderUnusableIndex(this);
  }

  /** drain_all_pages(): returns every CPU's PCP pages of every zone (or of one zone) to the buddy lists. */
  drainAllPages(zone?: Zone): void {
    for (const z of zone ? [zone] : this.zones()) for (let c = 0; c < this.nrCpus; c++) drainPagesZone(this, z, c);
  }
}
