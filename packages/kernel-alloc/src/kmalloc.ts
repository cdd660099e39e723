// kmalloc and friends (mm/slab_common.c, mm/slub.c): requests up to KMALLOC_MAX_CACHE_SIZE go
// to the kmalloc-<size> cache of their class and type (normal, reclaimable, DMA, cgroup);
// larger ones get whole pages from the buddy allocator (__kmalloc_large_node), marked
// PGTY_large_kmalloc and counted as unreclaimable slab memory. kmalloc(0) is ZERO_SIZE_PTR.
// Works over either slab allocator through SlabAllocator. Not modelled: kmalloc buckets,
// CONFIG_RANDOM_KMALLOC_CACHES, kmalloc_node NUMA placement, init_on_alloc.
import { BUG, KernelBug, PAGE_SIZE } from "@mmsim/base";
import { __GFP_ACCOUNT, __GFP_COMP, __GFP_DMA, __GFP_RECLAIMABLE, __GFP_ZERO, PGTY_large_kmalloc } from "@mmsim/physical";
import type { Memory, PageAllocator } from "./deps";
import type { Printk } from "./printk";
import {
  KMALLOC_CGROUP, KMALLOC_DMA, KMALLOC_MAX_CACHE_SIZE, KMALLOC_MAX_SIZE, KMALLOC_NORMAL, KMALLOC_RECLAIM,
  kmallocBootOrder, kmallocIndex, kmallocTypeOf, NR_KMALLOC_TYPES,
} from "./slab-common";
import { SLAB_ACCOUNT, SLAB_CACHE_DMA, SLAB_KMALLOC, SLAB_NO_MERGE, SLAB_RECLAIM_ACCOUNT, ZERO_SIZE_PTR } from "./slab-flags";
import { getOrder } from "./slub-layout";

/** What kmalloc needs from a cache, whichever allocator made it. */
export interface SlabCacheInfo {
  readonly name: string;
  readonly objectSize: number;
  /** bytes per object slot (slabinfo objsize) */
  readonly size: number;
  readonly flags: number;
  refcount: number;
}

/** The operations SLUB and classic SLAB both offer (kmem_cache_* API). */
export interface SlabAllocator<C extends SlabCacheInfo = SlabCacheInfo> {
  /** create_boot_cache: a cache that is never merged into another */
  createCache(name: string, size: number, align: number, flags: number, ctor: null, usersize: number): C | null;
  alloc(s: C, gfp: number, origSize: number, caller?: string): number;
  free(s: C, obj: number, caller: string): void;
  cacheOf(pa: number): C | null;
  /** kfree of a slab object: frees `pa` into its own cache; false when pa is not in a slab */
  freeObject(pa: number, caller?: string): boolean;
  /** usable bytes of an object of `s` (slab_ksize) */
  ksize(s: C): number;
  /** the kmalloc request size recorded for `obj` (object_size when not recorded) */
  origSize(s: C, obj: number): number;
  /** records a new request size for `obj` after krealloc shrank or grew it in place */
  setOrigSize(s: C, obj: number, size: number): void;
}

/** How Kmalloc reports a bad kfree: the kernel log and the context its lines print. */
export interface KmallocLog {
  readonly printk: Printk;
  readonly cpu: number;
  readonly pid: number;
  /** a pointer as %px prints it, "0x" + the direct-map address */
  ptr(pa: number): string;
  /** adds the taint a WARN adds */
  warned(): void;
}

/** GFP bits that select a non-normal kmalloc type (computed once: a module-local constant) */
const TYPE_GFP = __GFP_DMA | __GFP_RECLAIMABLE | __GFP_ACCOUNT;

export class Kmalloc<C extends SlabCacheInfo = SlabCacheInfo> {
  /** kmalloc_caches[type][index] */
  readonly caches: (C | null)[][] = [];
  /** pages held by large kmallocs (counted in SUnreclaim, not in /proc/slabinfo) */
  largePages = 0;
  private readonly large = new Map<number, number>();
  /** size_index[]: the normal cache for sizes 1..192, by (size - 1) / 8 */
  private readonly smallNormal: C[] = [];

  // `declare`d and set in the constructor rather than parameter properties, so that V8 does
  // not see them first defined as undefined (kmalloc/kfree read slab on every call).
  declare private readonly slab: SlabAllocator<C>;
  declare private readonly phys: PageAllocator;
  declare private readonly ram: Memory;
  /** KMALLOC_SHIFT_LOW: 3 (kmalloc-8) under SLUB, 5 (kmalloc-32) under classic SLAB */
  declare readonly shiftLow: number;
  /** where a bad kfree is reported (with the CPU, PID and pointer format of the reports) */
  declare private readonly log: KmallocLog | null;

  constructor(
    slab: SlabAllocator<C>,
    phys: PageAllocator,
    ram: Memory,
    shiftLow = 3,
    /** ZONE_DMA exists (x86-64 always has it): dma-kmalloc-* caches are created */
    hasDma = true,
    log: KmallocLog | null = null,
  ) {
    this.log = log;
    this.slab = slab;
    this.phys = phys;
    this.ram = ram;
    this.shiftLow = shiftLow;
    for (let t = 0; t < NR_KMALLOC_TYPES; t++) this.caches.push(new Array<C | null>(14).fill(null));
    for (const { type, index, size, name } of kmallocBootOrder()) {
      if ((type === KMALLOC_DMA && !hasDma) || (index > 2 && index < shiftLow)) continue;
      // new_kmalloc_cache: with memcg, normal caches are never merged; hardened usercopy makes
      // every kmalloc cache (usersize = size) unmergeable as a target too.
      let flags = SLAB_KMALLOC;
      if (type === KMALLOC_NORMAL) flags |= SLAB_NO_MERGE;
      else if (type === KMALLOC_RECLAIM) flags |= SLAB_RECLAIM_ACCOUNT;
      else if (type === KMALLOC_DMA) flags |= SLAB_CACHE_DMA;
      else if (type === KMALLOC_CGROUP) flags |= SLAB_ACCOUNT;
      // create_boot_cache: kmalloc objects are aligned to the largest power of two dividing their size.
      const c = slab.createCache(name, size, size & -size, flags, null, size);
      if (!c) BUG("create_kmalloc_caches", `cannot create ${name}`);
      this.caches[type][index] = c;
    }
    for (let i = 0; i < 24; i++) this.smallNormal.push(this.cacheFor(i * 8 + 1, 0)!);
  }

  /** kmalloc_slab: the cache serving `size` bytes with `gfp`, or null above KMALLOC_MAX_CACHE_SIZE or for 0. */
  cacheFor(size: number, gfp: number): C | null {
    let index = kmallocIndex(size);
    if (index <= 0) return null;
    if (index > 2 && index < this.shiftLow) index = this.shiftLow;
    const type = kmallocTypeOf((gfp & __GFP_DMA) !== 0, (gfp & __GFP_RECLAIMABLE) !== 0, (gfp & __GFP_ACCOUNT) !== 0);
    return this.caches[type][index] ?? this.caches[KMALLOC_NORMAL][index];
  }

  /**
   * kmalloc: `size` bytes; returns the object's physical address (its kernel address is
   * PAGE_OFFSET + pa), ZERO_SIZE_PTR for 0 bytes, or 0 (NULL) when memory ran out or size is
   * above KMALLOC_MAX_SIZE.
   */
  kmalloc(size: number, gfp: number, caller?: string): number {
    // `caller?` rather than `= ""`: fewer bytecodes on the inlined fast path (see slub.ts).
    // The common case in one test: a normal-type request of 1..192 bytes indexes size_index[].
    if (size > 0 && size <= 192 && (gfp & TYPE_GFP) === 0) return this.slab.alloc(this.smallNormal[(size - 1) >>> 3], gfp, size, caller);
    return this.kmallocSlow(size, gfp, caller);
  }

  /** kmalloc of 0 bytes, above 192 bytes, of a non-normal type, or from the page allocator. */
  private kmallocSlow(size: number, gfp: number, caller: string | undefined): number {
    if (size === 0) return ZERO_SIZE_PTR;
    if (size > KMALLOC_MAX_CACHE_SIZE) return this.kmallocLarge(size, gfp);
    const s = this.cacheFor(size, gfp)!;
    return this.slab.alloc(s, gfp, size, caller);
  }

  /** kzalloc: kmalloc with __GFP_ZERO. */
  kzalloc(size: number, gfp: number, caller = ""): number {
    return this.kmalloc(size, gfp | __GFP_ZERO, caller);
  }

  private kmallocLarge(size: number, gfp: number): number {
    if (size > KMALLOC_MAX_SIZE) return 0;
    const order = getOrder(size);
    const pfn = this.phys.allocPages((gfp | __GFP_COMP) >>> 0, order);
    if (pfn < 0) return 0;
    this.phys.pages.setType(pfn, PGTY_large_kmalloc);
    this.large.set(pfn, order);
    this.largePages += 2 ** order;
    const pa = pfn * PAGE_SIZE;
    if (gfp & __GFP_ZERO) this.ram.fill(pa, PAGE_SIZE * 2 ** order, 0);
    return pa;
  }

  /**
   * kfree: frees a kmalloc'ed object or large allocation (any address in its first page, as
   * virt_to_folio finds it); NULL and ZERO_SIZE_PTR are ignored. Throws KernelBug for a
   * double free (from the slab allocator) and for a pointer kmalloc did not return.
   */
  kfree(p: number, caller = ""): void {
    if (p === 0 || p === ZERO_SIZE_PTR) return;
    if (this.slab.freeObject(p, caller)) return;
    const pfn = Math.floor(p / PAGE_SIZE);
    const order = p >= 0 ? this.large.get(pfn) : undefined;
    if (order === undefined) this.notKmalloc(p, pfn, caller);
    this.large.delete(pfn);
    this.largePages -= 2 ** order;
    this.phys.pages.clearType(pfn, PGTY_large_kmalloc);
    this.phys.freePages(pfn, order);
  }

  /**
   * free_large_kmalloc()'s refusal of a page that is neither a slab nor a large kmalloc:
   * WARN_ON_ONCE and dump_page(page, "Not a kmalloc allocation") (the page line shortened to
   * what struct page holds here), nothing freed, then the throw.
   */
  private notKmalloc(p: number, pfn: number, caller: string): never {
    const lines: string[] = ["------------[ cut here ]------------", `WARNING: CPU: ${this.log?.cpu ?? 0} PID: ${this.log?.pid ?? 0} at free_large_kmalloc`];
    if (pfn >= 0 && pfn < this.phys.maxPfn) lines.push(`page: refcount:${this.phys.pages.refCount(pfn)} pfn:0x${pfn.toString(16)}`, "page dumped because: Not a kmalloc allocation");
    if (this.log) {
      for (const l of lines) this.log.printk.log(l);
      this.log.warned();
    }
    const ptr = this.log ? this.log.ptr(p) : `0x${p.toString(16)}`;
    throw new KernelBug(`kfree of ${ptr}, which kmalloc did not return${caller === "" ? "" : ` (from ${caller})`}`, lines, "free_large_kmalloc");
  }

  /** ksize: usable bytes at `p` (the slot, or object_size under red zoning/poisoning; whole pages for large). 0 for NULL/ZERO_SIZE_PTR. */
  ksize(p: number): number {
    if (p === 0 || p === ZERO_SIZE_PTR) return 0;
    const s = this.slab.cacheOf(p);
    if (s) return this.slab.ksize(s);
    const order = this.large.get(Math.floor(p / PAGE_SIZE));
    if (order === undefined) BUG("ksize", `0x${p.toString(16)} was not returned by kmalloc`);
    return PAGE_SIZE * 2 ** order;
  }

  /**
   * krealloc: resizes `p` to `newSize`, in place when it still fits the slot, else by
   * kmalloc + copy + kfree. Returns the (possibly new) address, ZERO_SIZE_PTR for 0 bytes,
   * or 0 when a new allocation failed (p is then left untouched).
   */
  krealloc(p: number, newSize: number, gfp: number, caller = ""): number {
    if (p === 0 || p === ZERO_SIZE_PTR) return this.kmalloc(newSize, gfp, caller);
    if (newSize === 0) {
      this.kfree(p, caller);
      return ZERO_SIZE_PTR;
    }
    const s = this.slab.cacheOf(p);
    const ks = s ? s.objectSize : this.ksize(p);
    const orig = s ? this.slab.origSize(s, p) : ks;
    if (newSize <= ks) {
      if (gfp & __GFP_ZERO) {
        if (orig < newSize) this.ram.fill(p + orig, newSize - orig, 0);
        else this.ram.fill(p + newSize, ks - newSize, 0);
      }
      if (s) this.slab.setOrigSize(s, p, newSize);
      return p;
    }
    const q = this.kmalloc(newSize, gfp, caller);
    if (q === 0) return 0;
    this.ram.copy(q, p, Math.min(orig, ks));
    this.kfree(p, caller);
    return q;
  }
}
