// struct kmem_cache (include/linux/slub_def.h) with its per-CPU (kmem_cache_cpu) and per-node
// (kmem_cache_node) parts as small typed arrays. One JS object per cache: caches are few and
// long-lived; what is per object or per slab lives in typed arrays elsewhere.
import type { CacheLayout } from "./slub-layout";
import { SLAB_DEBUG_FLAGS, SLAB_RECLAIM_ACCOUNT } from "./slab-flags";

/** A constructor run on each object when its slab is created (Linux's ctor(void *)). */
export type SlabCtor = (pa: number) => void;

export class KmemCache {
  /** the merged caches' names that alias this one (e.g. for /sys/kernel/slab symlinks) */
  readonly aliases: string[] = [];
  /** kmem_cache_create calls that returned this cache, minus kmem_cache_destroy calls; -1 exempts it from merging */
  refcount = 1;
  /** set when kmem_cache_destroy found objects and left the cache in place */
  leaked = false;
  /** s->object_size: the size the creator asked for */
  declare readonly objectSize: number;
  /** s->size: bytes per object slot, metadata and alignment included (slabinfo objsize) */
  declare readonly size: number;
  declare readonly align: number;
  declare readonly offset: number;
  declare inuse: number;
  declare readonly redLeftPad: number;
  declare readonly flags: number;
  declare readonly order: number;
  declare readonly objects: number;
  declare readonly minOrder: number;
  declare readonly minObjects: number;
  declare readonly minPartial: number;
  /** s->cpu_partial (objects) and s->cpu_partial_slabs */
  declare readonly cpuPartial: number;
  declare readonly cpuPartialSlabs: number;
  /** true when any slub_debug feature is on (kmem_cache_debug) */
  declare readonly debug: boolean;
  declare readonly reclaimable: boolean;
  /** extra GFP bits for this cache's slab pages (s->allocflags) */
  allocGfp = 0;
  /** objects go on and off the CPU freelist by SLUB's fast paths: no slub_debug and a plain (not hardened) free pointer (set by Slub) */
  fastPath = false;
  /** slabs of this cache are at most INUSE_MAP_MAX_ORDER, so SLUB's in-use map covers them (set by Slub) */
  inuseMapped = false;
  /** CONFIG_SLAB_FREELIST_HARDENED key (s->random) */
  randomLo = 0;
  randomHi = 0;

  // kmem_cache_cpu, one entry per CPU
  /** c->freelist: physical address of the next free object of the CPU slab (0 = empty) */
  declare readonly cpuFreelist: Float64Array;
  /** c->slab: slab slot, or -1 */
  declare readonly cpuSlab: Int32Array;
  /** c->partial: first slab slot of the CPU partial chain, or -1 */
  declare readonly cpuPartialHead: Int32Array;

  // kmem_cache_node, one entry per node
  declare readonly partialHead: Int32Array;
  declare readonly partialTail: Int32Array;
  declare readonly nrPartial: Int32Array;
  declare readonly nrSlabs: Int32Array;
  declare readonly totalObjects: Int32Array;
  /** first slab slot of the per-cache list of all slabs */
  allHead = -1;

  declare readonly id: number;
  declare readonly name: string;
  declare readonly ctor: SlabCtor | null;
  declare readonly usersize: number;

  // Fields without an initial value are `declare`d and set here, not parameter properties: the
  // ES2022 output would first define them as undefined, and V8 would then check their type on
  // every use in SLUB's fast paths.
  constructor(
    id: number,
    name: string,
    layout: CacheLayout,
    minPartial: number,
    cpuPartial: { objects: number; slabs: number },
    ctor: SlabCtor | null,
    usersize: number,
    nrCpus: number,
    nrNodes: number,
  ) {
    this.id = id;
    this.name = name;
    this.ctor = ctor;
    this.usersize = usersize;
    this.objectSize = layout.objectSize;
    this.size = layout.size;
    this.align = layout.align;
    this.offset = layout.offset;
    this.inuse = layout.inuse;
    this.redLeftPad = layout.redLeftPad;
    this.flags = layout.flags;
    this.order = layout.order;
    this.objects = layout.objects;
    this.minOrder = layout.minOrder;
    this.minObjects = layout.minObjects;
    this.minPartial = minPartial;
    this.cpuPartial = cpuPartial.objects;
    this.cpuPartialSlabs = cpuPartial.slabs;
    this.debug = (layout.flags & SLAB_DEBUG_FLAGS) !== 0;
    this.reclaimable = (layout.flags & SLAB_RECLAIM_ACCOUNT) !== 0;
    this.cpuFreelist = new Float64Array(nrCpus);
    this.cpuSlab = new Int32Array(nrCpus).fill(-1);
    this.cpuPartialHead = new Int32Array(nrCpus).fill(-1);
    this.partialHead = new Int32Array(nrNodes).fill(-1);
    this.partialTail = new Int32Array(nrNodes).fill(-1);
    this.nrPartial = new Int32Array(nrNodes);
    this.nrSlabs = new Int32Array(nrNodes);
    this.totalObjects = new Int32Array(nrNodes);
  }

  /** Pages per slab at the preferred order (slabinfo's pagesperslab). */
  get pagesPerSlab(): number {
    return 2 ** this.order;
  }

  get hasCtor(): boolean {
    return this.ctor !== null;
  }

  /** kmem_cache_has_cpu_partial(): debug caches keep no CPU partial slabs. */
  get hasCpuPartial(): boolean {
    return !this.debug;
  }
}
