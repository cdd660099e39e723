// Slab pages and the lists that hold them (mm/slub.c allocate_slab, discard_slab,
// add_partial/remove_partial): the state SLUB's alloc/free paths (slub.ts) and slub_debug
// (slub-debug.ts) share. A slab's pages come from the buddy allocator with the cache's GFP
// bits, get page type PGTY_slab, and are laid out as objects chained by free pointers in RAM.
import type { Clock, Rng, TraceBus } from "@mmsim/base";
import { PAGE_SIZE } from "@mmsim/base";
import { listAdd, listAddTail, listDel } from "@mmsim/physical";
import { __GFP_DMA, __GFP_DMA32, __GFP_NOFAIL, __GFP_NORETRY, __GFP_NOWARN, __GFP_RECLAIMABLE, __GFP_ZERO, PGTY_slab, PAGEFLAG_NAMES } from "@mmsim/physical";
import type { Memory, PageAllocator } from "./deps";
import { FreePointers } from "./internal/freeptr";
import type { Printk } from "./printk";
import { ON_NO_LIST, ON_NODE_PARTIAL, SlabMeta } from "./internal/slab-meta";
import type { KmemCache } from "./kmem-cache";
import type { SlubDebug } from "./slub-debug";
import type { SlubTunables } from "./slub-layout";

/** GFP bits passed from a caller's mask to the slab page allocation (GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK, roughly). */
const PAGE_GFP_KEEP = ~(__GFP_ZERO | __GFP_DMA | __GFP_DMA32 | __GFP_RECLAIMABLE | 0x08 /* __GFP_MOVABLE */ | 0x02 /* __GFP_HIGHMEM */) >>> 0;

export interface SlubOptions {
  phys: PageAllocator;
  ram: Memory;
  /** CPUs (num_present_cpus); per-CPU slabs exist for each */
  nrCpus: number;
  nrNodes?: number;
  tunables?: Omit<SlubTunables, "nrCpus">;
  /** slub_debug= flags applied to caches (0: none) and the caches they are limited to (null: all) */
  debugFlags?: number;
  debugCaches?: readonly string[] | null;
  /** slab_nomerge */
  nomerge?: boolean;
  /** CONFIG_SLAB_FREELIST_HARDENED */
  freelistHardened?: boolean;
  rng: Rng;
  clock: Clock;
  /** unused by SLUB itself (KernelAlloc emits the kmem tracepoints); kept for callers that pass one */
  trace?: TraceBus | null;
  printk: Printk;
  /** PAGE_OFFSET as a canonical tail, and the VA width (48 or 57) */
  pageOffset: number;
  vaBits: number;
  /** vmemmap_base (struct page array), for printing struct slab pointers */
  vmemmapStart?: number;
}

/** SLUB's slabs, lists and accounting; Slub adds the allocation paths. */
export abstract class SlubSlabs {
  // `declare`d fields set in the constructor (no parameter properties): see KmemCache.
  declare readonly opts: SlubOptions;
  declare readonly meta: SlabMeta;
  declare readonly fp: FreePointers;
  /** every cache in creation order (slab_caches reversed) */
  readonly caches: KmemCache[] = [];
  /**
   * Caches by id (ids are never reused; a destroyed cache's entry stays); read by KernelAlloc's kfree fast path.
   * @internal
   */
  readonly byId: KmemCache[] = [];
  /** the CPU the simulated kernel is running on */
  cpu = 0;
  /** Oopses so far (die_counter: the "[#n]" of the next one is this + 1) */
  oopses = 0;
  /** pages held by slabs, reclaimable (SReclaimable) and not (SUnreclaim) */
  reclaimablePages = 0;
  unreclaimablePages = 0;
  declare protected readonly nrNodes: number;
  abstract readonly debugger: SlubDebug;

  constructor(opts: SlubOptions) {
    this.opts = opts;
    this.meta = new SlabMeta(Math.max(opts.phys.maxPfn, opts.ram.maxPfn), 64, true);
    this.fp = new FreePointers(opts.ram, opts.pageOffset, opts.vaBits, opts.freelistHardened ?? false);
    this.nrNodes = opts.nrNodes ?? 1;
  }

  get ram(): Memory {
    return this.opts.ram;
  }

  get printk(): Printk {
    return this.opts.printk;
  }

  /** allocate_slab (node < 0: the local node): pages from the buddy allocator (falling back to s->min), objects laid out and chained. */
  newSlab(s: KmemCache, gfp: number, node: number): number {
    const flags = ((gfp & PAGE_GFP_KEEP) | s.allocGfp) >>> 0;
    let order = s.order;
    let objects = s.objects;
    let pfn = -1;
    if (order > s.minOrder) pfn = this.allocSlabPages(((flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL) >>> 0, order, node);
    if (pfn < 0) {
      order = s.minOrder;
      objects = s.minObjects;
      pfn = this.allocSlabPages(flags, order, node);
      if (pfn < 0) return -1;
    }
    this.opts.phys.pages.setType(pfn, PGTY_slab);
    const m = this.meta;
    const slot = m.alloc(s.id, pfn, order);
    m.objects[slot] = objects;
    if (s.reclaimable) this.reclaimablePages += 2 ** order;
    else this.unreclaimablePages += 2 ** order;
    const n = this.nodeOf(slot);
    s.nrSlabs[n]++;
    s.totalObjects[n] += objects;
    const base = pfn * PAGE_SIZE;
    if (s.debug) this.debugger.setupSlab(s, base, order);
    const first = base + s.redLeftPad;
    for (let i = 0; i < objects; i++) {
      const p = first + i * s.size;
      if (s.debug) this.debugger.setupObject(s, p);
      if (s.ctor) s.ctor(p);
      this.fp.set(s, p, s.offset, i + 1 < objects ? p + s.size : 0);
    }
    m.freelist[slot] = first;
    return slot;
  }

  /** Slab pages on `node`, or on the current CPU's node when node < 0. */
  private allocSlabPages(gfp: number, order: number, node: number): number {
    const phys = this.opts.phys;
    let pfn = node < 0 ? phys.allocPages(gfp, order) : phys.allocPages(gfp, order, node);
    // pfn 0 would make objects at physical address 0, indistinguishable from NULL: keep it aside.
    if (pfn === 0) pfn = node < 0 ? phys.allocPages(gfp, order) : phys.allocPages(gfp, order, node);
    return pfn;
  }

  /** discard_slab: returns a slab's pages to the buddy allocator. */
  discardSlab(s: KmemCache, slot: number): void {
    const m = this.meta;
    const order = m.order[slot];
    const pfn = m.head[slot];
    const n = this.nodeOf(slot);
    s.nrSlabs[n]--;
    s.totalObjects[n] -= m.objects[slot];
    if (s.reclaimable) this.reclaimablePages -= 2 ** order;
    else this.unreclaimablePages -= 2 ** order;
    this.removeFromAll(s, slot);
    m.release(slot);
    this.opts.phys.pages.clearType(pfn, PGTY_slab);
    this.opts.phys.freePages(pfn, order);
  }

  /** %pGp of a slab's head page: "0x240(workingset|head|node=0|zone=2)". */
  pageFlagsText(pfn: number, order: number): string {
    const pages = this.opts.phys.pages;
    const f = pages.pageFlags(pfn);
    const names: string[] = [];
    PAGEFLAG_NAMES.forEach((n, bit) => {
      if (f & (1 << bit)) names.push(n);
    });
    if (order > 0 && !names.includes("head")) names.push("head");
    return `0x${f.toString(16)}(${names.map((n) => n + "|").join("")}node=${pages.nid(pfn)}|zone=${pages.zoneType(pfn)})`;
  }

  nodeOf(slot: number): number {
    return this.nrNodes === 1 ? 0 : this.opts.phys.pages.nid(this.meta.head[slot]);
  }

  /** add_partial: to the tail (DEACTIVATE_TO_TAIL) or the head of the node's partial list (list.h through @mmsim/physical's list.ts). */
  addPartial(s: KmemCache, node: number, slot: number, tail: boolean): void {
    const m = this.meta;
    if (tail) listAddTail(m, s.partialHead, s.partialTail, node, slot);
    else listAdd(m, s.partialHead, s.partialTail, node, slot);
    m.where[slot] = ON_NODE_PARTIAL;
    s.nrPartial[node]++;
  }

  /** remove_partial: off the node's partial list; the slab's links read -1 afterwards (callers chain it elsewhere). */
  removePartial(s: KmemCache, node: number, slot: number): void {
    const m = this.meta;
    listDel(m, s.partialHead, s.partialTail, node, slot);
    m.lruNext[slot] = -1;
    m.lruPrev[slot] = -1;
    m.where[slot] = ON_NO_LIST;
    s.nrPartial[node]--;
  }

  addToAll(s: KmemCache, slot: number): void {
    const m = this.meta;
    m.allNext[slot] = s.allHead;
    m.allPrev[slot] = -1;
    if (s.allHead >= 0) m.allPrev[s.allHead] = slot;
    s.allHead = slot;
  }

  private removeFromAll(s: KmemCache, slot: number): void {
    const m = this.meta;
    const p = m.allPrev[slot];
    const n = m.allNext[slot];
    if (p >= 0) m.allNext[p] = n;
    else s.allHead = n;
    if (n >= 0) m.allPrev[n] = p;
  }

  /** The slab slots of a cache, newest first. */
  slabsOf(s: KmemCache): number[] {
    const out: number[] = [];
    for (let slot = s.allHead; slot >= 0; slot = this.meta.allNext[slot]) out.push(slot);
    return out;
  }

}
