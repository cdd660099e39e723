// The page allocator's front (mm/page_alloc.c): PhysicalMemory boots the layer and serves
// alloc_pages/__free_pages. Their order-0 fast paths live here and are kept small enough for
// V8 to inline into callers (DESIGN.md, "Fast paths"); everything else is in get-page.ts
// (get_page_from_freelist, rmqueue, prep_new_page), slowpath.ts (__alloc_pages_slowpath),
// free-page.ts (__free_pages in full) and page-alloc-bulk.ts. Not modelled: cpusets,
// mempolicies (callers pass a node), page_owner, memcg charging, KASAN/KMSAN hooks.
import { BUG, Clock, Counters, TraceBus } from "@mmsim/base";
import type { Rng } from "@mmsim/base";
import type { BuddyEnv } from "./buddy";
import { GFP_MOVABLE_MASK, GFP_ZONEMASK, __GFP_COMP, __GFP_KSWAPD_RECLAIM, __GFP_NOWARN, __GFP_THISNODE, __GFP_ZERO, gfpMigratetype, gfpZone } from "./gfp";
import { bootMemory, DEFAULT_KERNEL_IMAGE } from "./mm-init";
import type { BootState, KernelImage } from "./mm-init";
import type { MemblockAllocator } from "./memblock";
import { ZONE_DMA32, ZONE_HIGHMEM, ZONE_NORMAL } from "./mmzone";
import type { Pglist, Zone } from "./mmzone";
import type { PageArray } from "./mm-types";
import { PG_head } from "./page-flags";
import { BUDDY_TYPE } from "./buddy";
import { drainPagesZone, freePcpCommitOrder0 } from "./pcp";
import { allocPagesSlow } from "./get-page";
import { AllocContext } from "./alloc-context";
import { bulkFromPcp } from "./page-alloc-bulk";
import { freePagesFull } from "./free-page";
import { applyBootSysctls, checkTransparentHugepage, getSysctl, setSysctl } from "./sysctl";
import type { TransparentHugepage } from "./sysctl";
import { verifyPhysical } from "./internal/verify";
import { renderBuddyinfo, renderExtfragIndex, renderPagetypeinfo, renderUnusableIndex, renderZoneinfo, vmstatItems } from "./vmstat";
import type { ZoneinfoProvider } from "./vmstat";
import type { PhysicalSysctls } from "./watermarks";
import { NOOP_HOOKS } from "./slowpath";
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
  /**
   * /sys/kernel/mm/transparent_hugepage/enabled at boot (CONFIG_TRANSPARENT_HUGEPAGE_*): with
   * "always" or "madvise" khugepaged raises min_free_kbytes (set_recommended_min_free_kbytes);
   * with "never" it recomputes it. Absent: a kernel built without THP (nothing happens). The
   * kernel's machine config defaults to "madvise", as 6.18 distro kernels.
   */
  transparentHugepage?: TransparentHugepage;
  /**
   * Memblock allocations made after the memory map is set up and before memblock_free_all()
   * (setup_per_cpu_areas, vfs_caches_init_early); they stay reserved, outside managed pages.
   */
  earlyAllocations?: (mb: MemblockAllocator) => void;
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

/**
 * The constants allocPages()/freePages() write as literals: in a module const V8 would charge
 * each use a TDZ check against the inlining budget. fast-path.test.ts checks every one
 * against its definition.
 */
export const FAST_PATH_LITERALS = {
  "__GFP_ZERO | __GFP_COMP": 0x40100,
  "GFP_ZONEMASK | GFP_MOVABLE_MASK": 0x1f,
  PFN_SECTION_SHIFT: 15,
  PAGES_PER_SECTION: 32768,
  PAGEBLOCK_ORDER: 9,
  PAGEFLAGS_MASK: 0xffffff,
  MIGRATE_PCPTYPES: 3,
  PCP_BATCH_SCALE_MAX: 5,
} as const;

/** gfp bits that select the preferred zone and PCP list: GFP_ZONEMASK and the mobility bits */
const FAST_GFP = GFP_ZONEMASK | GFP_MOVABLE_MASK;
const FAST_KEY_SHIFT = 5;

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
  /** the current task's pid, printed in WARNING lines */
  pid = 0;
  /** WARN_ON_ONCE sites that have fired on this machine */
  readonly warnedOnce = new Set<string>();
  /** kernel log lines printed by this layer after boot */
  readonly kmsg: string[] = [];
  /** allocations that failed and returned -1 */
  allocFailures = 0;
  watermarkBoostFactor = 15000;
  mobilityDisabled = false;
  /** check every tail page of a freed block as CONFIG_DEBUG_VM does (see PhysicalConfig) */
  declare debugPageChecks: boolean;
  /** the THP mode (see PhysicalConfig.transparentHugepage); null without THP support */
  declare transparentHugepage: TransparentHugepage | null;
  onExtfrag: BuddyEnv["onExtfrag"] = null;
  hooks: SlowpathHooks = { ...NOOP_HOOKS };
  readonly bootLines: string[] = [];
  /** zone by page->flags top byte (node << 3 | zone type) */
  /** @internal */ readonly zoneByBits: (Zone | undefined)[] = new Array(256);
  /** @internal */ declare readonly typeToIdx: number[];
  /** gfp & GFP_ZONEMASK → zone_idx() of the highest usable zone, -1 for a bad combination */
  /** @internal */ readonly gfpZoneTable = new Int8Array(GFP_ZONEMASK + 1);
  /** order-0 fast path, by nid << FAST_KEY_SHIFT | gfp & FAST_GFP: the preferred zone or null */
  private readonly fastZone: (Zone | null)[] = [];
  /** ... and migratetype << 3 | highest zone_idx */
  declare private readonly fastSlot: Int8Array;
  declare private readonly highmem: boolean;
  /** @internal */ declare readonly ram: FrameZeroer | undefined;
  /** @internal */ declare readonly cpuToNode: number[];
  declare private readonly logSink: ((line: string) => void) | undefined;

  private constructor(config: PhysicalConfig) {
    this.arch = config.arch ?? "x86_64";
    this.nrCpus = config.nrCpus;
    this.clock = config.clock ?? new Clock();
    this.counters = config.counters ?? new Counters();
    this.trace = config.trace ?? new TraceBus(this.clock);
    this.ram = config.ram;
    this.logSink = config.log;
    this.transparentHugepage = config.transparentHugepage === undefined ? null : checkTransparentHugepage(config.transparentHugepage);
    this.debugPageChecks = config.debugPageChecks ?? false;
    this.boot = bootMemory({
      memory: config.memory, reserved: config.reserved, nrCpus: config.nrCpus, arch: this.arch,
      kernelcore: config.kernelcore, movablecore: config.movablecore,
      kernelImage: config.kernelImage === undefined ? DEFAULT_KERNEL_IMAGE : config.kernelImage,
      cpuToNode: config.cpuToNode, earlyAllocations: config.earlyAllocations,
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

  /**
   * The AllocContext of each nesting depth (alloc-context.ts): an allocation fills
   * acStack[acDepth] and raises acDepth while it runs, so an allocation made from one of its
   * hooks gets a context of its own.
   * @internal
   */
  readonly acStack: AllocContext[] = [new AllocContext(0)];
  /** @internal allocations in progress on this machine (their nesting depth) */
  acDepth = 0;

  /**
   * alloc_pages(gfp, order) on node `nid` (default NUMA_NO_NODE: the current CPU's node).
   * Returns the pfn of the first page of a block of 2^order pages, or -1 when the request
   * cannot be met (the failure is counted and, without __GFP_NOWARN, reported in the kernel
   * log). Never throws on memory pressure; an impossible GFP zone combination is a Bug.
   */
  allocPages(gfp: number, order: number, nid = -1): number {
    // The order-0 fast path, small enough for V8 to inline into the caller (DESIGN.md "Fast
    // paths"): the local node's preferred zone for these gfp bits, the folded watermark test,
    // a pop from the PCP list, the statistics. Anything unusual goes the whole way. Constants
    // are literals here (fast-path.test.ts pins them): a module const costs a TDZ check.
    if (order === 0 && nid < 0 && (gfp & 0x40100) === 0 /* __GFP_ZERO | __GFP_COMP */ && this.trace.on === false) {
      const key = this.fastKeyBase | (gfp & 0x1f); // GFP_ZONEMASK | GFP_MOVABLE_MASK
      const zone = this.fastZone[key];
      const slot = this.fastSlot[key];
      if (zone !== null && zone.nrFreePages > zone.fastMark[slot & 7]) {
        const pcp = zone.thisCpuPcp;
        const pindex = slot >> 3;
        const i = pcp.head[pindex];
        if (i >= 0) {
          const p = zone.pages;
          pcp.freeCount >>= 1;
          // pcpPop() for order 0, written out to stay inside V8's inlining budget: a copy of
          // listDel(p, pcp.head, pcp.tail, pindex, i) for i first on its list (list.ts;
          // fast-path.test.ts checks that both leave the same links)
          const next = p.lruNext[i];
          pcp.head[pindex] = next;
          if (next >= 0) p.lruPrev[next] = -1;
          else pcp.tail[pindex] = -1;
          p.private[i] = 0;
          pcp.count--;
          // pgalloc_<zone> and zone_statistics(): order 0, preferred and local
          zone.nrAlloc0++;
          p.refcount[i] = 1;
          return p.slotPfn[i >>> 15] + (i & 32767); // page_to_pfn(): PFN_SECTION_SHIFT 15
        }
      }
    }
    return allocPagesSlow(this, gfp, order, nid);
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
    let n = nrPages > 1 ? bulkFromPcp(this, gfp, nid, nrPages, out) : 0;
    while (n < nrPages) {
      const pfn = this.allocPages(gfp, 0, nid);
      if (pfn < 0) break;
      out[n++] = pfn;
    }
    return n;
  }

  /** __get_free_pages(): the same as allocPages (kernel virtual addresses are the caller's). */
  getFreePages(gfp: number, order: number): number {
    return this.allocPages(gfp, order);
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
    // The fast path: an order-0 page in its simplest state (one reference, not mapped, no page
    // type or PG_* flag, pageblock of a PCP type), where free_pages_prepare() has nothing to
    // check or clear but mapping. pfn_to_page() and free_frozen_page_commit() (pcp.ts
    // freeToPcp) are written out, with no helper calls, so that V8 inlines the whole of it
    // into callers (DESIGN.md "Fast paths"); constants are literals, as in allocPages().
    // Anything else goes the whole way.
    const p = this.pages;
    // pfn_to_page(): PFN_SECTION_SHIFT 15; slot is undefined for pfn < 0
    const slot = pfn < p.maxPfn ? p.sectionSlot[pfn >>> 15] : -1;
    const i = (slot << 15) + (pfn & 32767);
    if (order === 0 && slot >= 0 && p.refcount[i] === 1 && p.mapcount[i] === -1 && this.trace.on === false) {
      const f = p.flags[i];
      const mt = p.pageblockMt[i >>> 9]; // pageblock_order 9
      if ((f & 0xffffff) === 0 && mt < 3) { // PAGEFLAGS_MASK, MIGRATE_PCPTYPES
        p.refcount[i] = 0;
        p.mapping[i] = 0;
        const zone = this.zoneByBits[f >>> 24]!;
        zone.pgfree++;
        const pcp = zone.thisCpuPcp;
        if (pcp.allocFactor !== 0) pcp.allocFactor >>= 1;
        // a copy of listAdd(p, pcp.head, pcp.tail, mt, i) (list.ts; fast-path.test.ts checks
        // that both leave the same links); private holds the order (0) while on the list
        const h = pcp.head[mt];
        p.private[i] = 0;
        p.lruNext[i] = h;
        p.lruPrev[i] = -1;
        if (h >= 0) p.lruPrev[h] = i;
        else pcp.tail[mt] = i;
        pcp.head[mt] = i;
        const count = ++pcp.count;
        // An order-0 free ends a high-order free run and cannot start a free_high drain. When
        // high lies in [highMin, highMax], the zone is not below high and count < high,
        // nr_pcp_high() would return high unchanged and nothing drains.
        if (pcp.prevFreeHighOrder) pcp.prevFreeHighOrder = false;
        if (pcp.freeCount < pcp.batch << 5) pcp.freeCount++; // PCP_BATCH_SCALE_MAX 5
        const high = pcp.high;
        if (count >= high || zone.belowHigh || high < pcp.highMin || high > pcp.highMax) freePcpCommitOrder0(this, zone, pcp, mt);
        return;
      }
    }
    freePagesFull(this, pfn, order);
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
