// The model behind the live "SLUB and kmalloc" page: a 64 MiB one-CPU machine (hardware Ram,
// @mmsim/physical's buddy allocator, @mmsim/kernel-alloc booted with its kernel caches) whose
// kmalloc caches the page allocates from and frees to. The view is read from the allocator's
// own state: the CPU slab and its lockless freelist, the CPU and node partial slabs, and each
// slab's free-pointer chain, followed through the pointers stored in the free objects in RAM.
import { formatVa } from "@mmsim/base";
import { GFP_KERNEL, PhysicalMemory } from "@mmsim/physical";
import { Ram } from "@mmsim/hardware";
import { KernelAlloc, kmallocSizeRoundup, slabView } from "@mmsim/kernel-alloc";
import type { KmemCache, Slub, SlabView } from "@mmsim/kernel-alloc";

const MiB = 1024 * 1024;
export const SLUB_DEMO_RAM = 64 * MiB;
/** The caches the page offers. */
export const DEMO_CACHES = ["kmalloc-64", "kmalloc-96", "kmalloc-256", "kmalloc-1k"] as const;
/** At most this many slabs are read back (newest first). */
const MAX_SLABS = 12;

export interface CacheView {
  name: string;
  objectSize: number;
  size: number;
  objectsPerSlab: number;
  order: number;
  /** offset of the free pointer inside a free object */
  offset: number;
  minPartial: number;
  cpuPartial: number;
  /** c->freelist chain of CPU 0 as kernel pointers, head first */
  cpuFreelist: string[];
  /** the cache's slabs as kernel-alloc's slabView reads them: CPU slab first, then partial, then full */
  slabs: SlabView[];
  /** slabs the cache has in all */
  nrSlabs: number;
  /** objects the page allocated and has not freed, oldest first */
  allocated: number[];
  /** /proc/slabinfo line of this cache */
  slabinfo: string;
  log: string[];
}

export interface KmallocLookup {
  size: number;
  /** the cache kmalloc(size) uses, "" for ZERO_SIZE_PTR or the page allocator */
  cache: string;
  /** bytes really given (kmalloc_size_roundup) */
  roundup: number;
  /** "zero" (size 0), "slab", "pages" (above 8 KiB), "too-large" (above 4 MiB) */
  kind: "zero" | "slab" | "pages" | "too-large";
}

export class SlubDemo {
  readonly ram = new Ram({ bytes: SLUB_DEMO_RAM });
  readonly phys: PhysicalMemory;
  readonly ka: KernelAlloc;
  readonly slub: Slub;
  private readonly allocated = new Map<string, number[]>();
  private readonly log: string[] = [];

  constructor() {
    this.phys = PhysicalMemory.boot({ memory: [{ base: 0, size: SLUB_DEMO_RAM, nid: 0 }], nrCpus: 1, ram: this.ram, kernelImage: null });
    this.ka = KernelAlloc.boot({ phys: this.phys, ram: this.ram, nrCpus: 1 });
    if (this.ka.slub === null) throw new Error("SlubDemo: kernel-alloc booted without SLUB");
    this.slub = this.ka.slub;
  }

  private cache(name: string): KmemCache {
    const c = this.slub.caches.find((k) => k.name === name);
    if (!c) throw new Error(`SlubDemo: no cache ${name}`);
    return c;
  }

  private live(name: string): number[] {
    let l = this.allocated.get(name);
    if (!l) this.allocated.set(name, (l = []));
    return l;
  }

  /** kmem_cache_alloc(cache, GFP_KERNEL): the object's physical address, or 0 on failure. */
  alloc(name: string): number {
    const pa = this.ka.kmemCacheAlloc(this.cache(name), GFP_KERNEL, "docs");
    if (pa !== 0) this.live(name).push(pa);
    this.log.push(pa !== 0 ? `kmem_cache_alloc(${name}) = ${this.va(pa)}` : `kmem_cache_alloc(${name}) = NULL`);
    return pa;
  }

  /** kmem_cache_free of an object this demo allocated; false when it is not one. */
  free(name: string, pa: number): boolean {
    const l = this.live(name);
    const k = l.indexOf(pa);
    if (k < 0) return false;
    l.splice(k, 1);
    this.ka.kmemCacheFree(this.cache(name), pa, "docs");
    this.log.push(`kmem_cache_free(${name}, ${this.va(pa)})`);
    return true;
  }

  /** A physical address as the kernel pointer kmalloc would return (direct map, sign-extended). */
  va(pa: number): string {
    return formatVa(this.slub.fp.pageOffset + pa, this.slub.opts.vaBits);
  }

  view(name: string): CacheView {
    const c = this.cache(name);
    const nrSlabs = this.slub.slabsOf(c).length;
    const slabs: SlabView[] = [];
    for (let i = 0; i < Math.min(nrSlabs, MAX_SLABS); i++) {
      const v = slabView(this.slub, c, i);
      if (v) slabs.push(v);
    }
    const rank = { "cpu-slab": 0, "cpu-partial": 1, "node-partial": 2, full: 3 } as const;
    slabs.sort((a, b) => rank[a.where] - rank[b.where] || a.headPfn - b.headPfn);
    const cpuSlab = slabs.find((v) => v.where === "cpu-slab" && v.cpu === 0);
    const cpuFreelist = cpuSlab ? cpuSlab.cpuFreelist.map((i) => cpuSlab.slots[i].va) : [];
    return {
      name, objectSize: c.objectSize, size: c.size, objectsPerSlab: c.objects, order: c.order, offset: c.offset,
      minPartial: c.minPartial, cpuPartial: c.cpuPartial, cpuFreelist, slabs, nrSlabs,
      allocated: [...this.live(name)], log: this.log.slice(-6),
      slabinfo: this.ka.slabinfo().split("\n").find((l) => l.startsWith(name + " ")) ?? "",
    };
  }

  /** Which cache kmalloc(size) uses, as kmalloc itself decides. */
  lookup(size: number): KmallocLookup {
    if (size === 0) return { size, cache: "", roundup: 0, kind: "zero" };
    if (size > 4 * MiB) return { size, cache: "", roundup: 0, kind: "too-large" };
    const c = this.ka.kmallocs.cacheFor(size, GFP_KERNEL);
    return { size, cache: c?.name ?? "", roundup: kmallocSizeRoundup(size), kind: c ? "slab" : "pages" };
  }
}
