// The SLUB allocator (mm/slub.c, 6.x before sheaves replaced per-CPU slabs): per-CPU slabs
// with a lockless freelist, per-CPU partial slabs, per-node partial lists, slabs from the buddy
// allocator, the free pointer stored inside each free object in simulated RAM. Debug caches
// (slub_debug) take the "one object at a time from the node lists" path in slub-debug.ts.
// Not modelled: locking and cmpxchg retries (one simulated CPU runs at a time), sheaves,
// freelist randomisation, memcg accounting, KASAN/KFENCE, remote-node defrag ratios.
//
//            CPU 0                                   node 0
//   c->freelist ──► obj ──► obj ──► NULL         n->partial: slab ⇄ slab ⇄ slab
//   c->slab ─────► [slab: frozen, freelist=NULL]     (kept even when empty, up to min_partial)
//   c->partial ──► slab ──► slab (not frozen)
//
// kmem_cache_alloc: pop c->freelist (fast path). Empty? take c->slab's own freelist (frees by
// other CPUs land there), else the next CPU partial slab, else the first node partial slab
// (pulling more onto the CPU partial chain, up to cpu_partial_slabs / 2), else a new slab.
// kmem_cache_free: an object of c->slab goes on c->freelist (fast path); otherwise it goes on
// its slab's freelist, and a slab that was full moves to this CPU's partial chain (when the
// chain is already cpu_partial_slabs long, the old chain is first moved to the node list). A
// slab on the node list that becomes empty is freed once the node keeps min_partial slabs.
import { BUG_ON } from "@mmsim/base";
import { __GFP_COMP, __GFP_DMA, __GFP_DMA32, __GFP_RECLAIMABLE, __GFP_ZERO } from "@mmsim/physical";
import { decodePlainFreePtr } from "./internal/freeptr";
import { INUSE_MAP_MAX_ORDER, ON_CPU_PARTIAL, ON_CPU_SLAB, ON_NO_LIST, ON_NODE_PARTIAL } from "./internal/slab-meta";
import { KmemCache } from "./kmem-cache";
import type { SlabCtor } from "./kmem-cache";
import { findMergeable } from "./slab-common";
import type { SlabinfoRow } from "./slab-common";
import { SLAB_CACHE_DMA, SLAB_CACHE_DMA32, SLAB_CONSISTENCY_CHECKS, SLAB_POISON, SLAB_RECLAIM_ACCOUNT, SLAB_RED_ZONE, SLAB_STORE_USER, SLAB_TYPESAFE_BY_RCU, SLUB_RED_ACTIVE } from "./slab-flags";
import { calculateAlignment, calculateSizes, cpuPartialFor, minPartialFor } from "./slub-layout";
import type { SlubTunables } from "./slub-layout";
import { SlubDebug } from "./slub-debug";
import { SlubPartial } from "./slub-partial";
import type { SlubOptions } from "./slub-slabs";
import { verifySlub } from "./slub-verify";
import { badFree, debugFreeRefused, markFree, markInUse, notSlabObject, objectInUse } from "./slub-free-check";

export type { SlubOptions };

/** module-local copy: an imported binding costs a module-cell load on every fast-path check */
const GFP_ZERO = __GFP_ZERO;

export class Slub extends SlubPartial {
  declare readonly debugger: SlubDebug;
  declare readonly tunables: SlubTunables;

  constructor(opts: SlubOptions) {
    super(opts);
    this.tunables = { nrCpus: opts.nrCpus, ...opts.tunables };
    this.debugger = new SlubDebug(this);
  }

  /** The slub_debug flags that apply to a cache named `name` (kmem_cache_flags). */
  debugFlagsFor(name: string): number {
    const f = this.opts.debugFlags ?? 0;
    const only = this.opts.debugCaches;
    if (!f) return 0;
    if (only && !only.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : p === name))) return 0;
    return f;
  }

  /**
   * kmem_cache_create(name, size, align, flags, ctor): a new cache, or an existing compatible
   * cache it merges into (whose refcount grows). Returns null when objects cannot fit in a slab.
   */
  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor: SlabCtor | null = null, usersize = 0): KmemCache | null {
    flags |= this.debugFlagsFor(name);
    const alias = findMergeable(this.caches.filter((c) => !c.leaked), size, align, flags, ctor !== null, usersize, this.opts.nomerge ?? false);
    if (alias) {
      alias.refcount++;
      alias.aliases.push(name);
      // __kmem_cache_alias: the object size grows to the largest user's, the in-use part with it.
      alias.inuse = Math.max(alias.inuse, Math.ceil(size / 8) * 8);
      return alias;
    }
    return this.createCache(name, size, align, flags, ctor, usersize);
  }

  /** create_boot_cache / do_kmem_cache_create without merging. Returns null when it cannot fit. */
  createCache(name: string, size: number, align: number, flags: number, ctor: SlabCtor | null, usersize: number): KmemCache | null {
    flags |= this.debugFlagsFor(name);
    const a = calculateAlignment(flags, align, size);
    const layout = calculateSizes(size, a, flags, ctor !== null, this.tunables);
    if (!layout) return null;
    const s = new KmemCache(this.byId.length, name, layout, minPartialFor(layout.size), cpuPartialFor(layout.size, layout.objects, layout.flags), ctor, usersize, this.opts.nrCpus, this.nrNodes);
    s.allocGfp = __GFP_COMP | ((flags & SLAB_CACHE_DMA) ? __GFP_DMA : 0) | ((flags & SLAB_CACHE_DMA32) ? __GFP_DMA32 : 0) | ((flags & SLAB_RECLAIM_ACCOUNT) ? __GFP_RECLAIMABLE : 0);
    s.inuseMapped = s.order <= INUSE_MAP_MAX_ORDER;
    s.fastPath = !s.debug && !this.fp.hardened && s.inuseMapped;
    if (this.fp.hardened) {
      s.randomLo = this.opts.rng.nextU32();
      s.randomHi = this.opts.rng.nextU32();
    }
    this.caches.push(s);
    this.byId.push(s);
    return s;
  }

  /** virt_to_cache: the cache owning the object at physical address `pa`, or null when it is not in a slab. */
  cacheOf(pa: number): KmemCache | null {
    const slot = this.meta.slotOfPa(pa);
    return slot < 0 ? null : this.byId[this.meta.cache[slot]];
  }

  // The fast paths below (alloc, freeObject, free) are kept small so that V8 inlines them,
  // and the free-pointer access with them, into kmalloc/kfree callers; everything else is in
  // the *Slow methods. V8 counts bytecodes against a budget per compiled caller, so `caller`
  // is optional (`?? ""` in the slow paths) rather than defaulted: a default costs bytecodes
  // in every fast path that inlines it.

  /**
   * kmem_cache_alloc: an object's physical address, or 0 when no slab page could be had.
   * `origSize` is the kmalloc request (default object_size; debug caches keep it); `caller` names the call site.
   */
  alloc(s: KmemCache, gfp: number, origSize?: number, caller?: string): number {
    const cpu = this.cpu;
    const fl = s.cpuFreelist;
    const obj = fl[cpu];
    if (obj === 0 || !s.fastPath || (gfp & GFP_ZERO) !== 0) return this.allocSlow(s, gfp, origSize, caller);
    // The fast path: pop the CPU freelist; the next object's address is read from RAM. This is
    // FreePointers.getPlain written out: kmalloc+kfree sit at V8's inlining budget, and a
    // getPlain optimized on its own at boot (Ram's slow paths inlined) no longer fits it.
    const fp = this.fp;
    const ram = this.opts.ram;
    const lo = ram.readU32Pair(obj + s.offset);
    fl[cpu] = decodePlainFreePtr(lo, ram.pairHi, fp.poLo, fp.poHiExt);
    // markInUse written out: the object's bit in its slab's in-use map (128 words a slot).
    this.meta.inuseMap[(s.cpuSlab[cpu] << 7) + ((obj >>> 8) & 127)] |= 1 << ((obj >>> 3) & 31);
    return obj;
  }

  /** Everything but a plain pop of the CPU freelist: debug caches, hardened freelists, refills, __GFP_ZERO. */
  private allocSlow(s: KmemCache, gfp: number, origSize: number | undefined, caller: string | undefined): number {
    const cpu = this.cpu;
    let obj = s.cpuFreelist[cpu];
    if (obj !== 0 && !s.debug) {
      s.cpuFreelist[cpu] = this.fp.get(s, obj, s.offset);
    } else {
      obj = s.debug ? this.debugger.alloc(s, gfp, origSize ?? s.objectSize, caller ?? "") : this.slabAlloc(s, gfp, cpu);
      if (obj === 0) return 0;
    }
    markInUse(this, s, this.meta.slotOfPa(obj), obj);
    if ((gfp & __GFP_ZERO) !== 0) this.opts.ram.fill(obj, s.objectSize, 0);
    return obj;
  }

  /** kfree of a slab object: finds its cache and frees it; false when `obj` is in no slab. */
  freeObject(obj: number, caller?: string): boolean {
    const m = this.meta;
    const slot = m.slotOfPa(obj);
    if (slot < 0) return false;
    const s = this.byId[m.cache[slot]];
    const cpu = this.cpu;
    // markFree written out, with its test: a clear bit (double free, not an object) goes slow.
    const map = m.inuseMap;
    const w = (slot << 7) + ((obj >>> 8) & 127);
    const bit = 1 << ((obj >>> 3) & 31);
    const x = map[w];
    if (slot !== s.cpuSlab[cpu] || !s.fastPath || (x & bit) === 0) this.freeSlow(s, obj, slot, caller);
    else {
      // The fast path: push on the CPU freelist, the old head stored in the object.
      map[w] = x ^ bit;
      const fl = s.cpuFreelist;
      this.storeFreePtr(obj + s.offset, fl[cpu]);
      fl[cpu] = obj;
    }
    return true;
  }

  /** kmem_cache_free: returns object `obj` (a physical address from alloc) to cache `s`. */
  free(s: KmemCache, obj: number, caller?: string): void {
    const m = this.meta;
    const slot = m.slotOfPa(obj);
    const cpu = this.cpu;
    const map = m.inuseMap;
    const w = (slot << 7) + ((obj >>> 8) & 127);
    const bit = 1 << ((obj >>> 3) & 31);
    if (slot < 0 || slot !== s.cpuSlab[cpu] || !s.fastPath || this.byId[m.cache[slot]] !== s || (map[w] & bit) === 0) this.freeSlow(s, obj, slot, caller);
    else {
      map[w] ^= bit;
      const fl = s.cpuFreelist;
      this.storeFreePtr(obj + s.offset, fl[cpu]);
      fl[cpu] = obj;
    }
  }

  /**
   * FreePointers.setPlain for the free fast paths, its common case written out here: this call
   * site's feedback then sees only the bench-hot case, not boot's NULL stores at slab ends, so
   * V8 does not inline the cold path into kfree and kmalloc keeps fitting its inlining budget.
   */
  private storeFreePtr(at: number, next: number): void {
    const fp = this.fp;
    // 0 < next < noCarry: PAGE_OFFSET + next does not carry, the high half is PAGE_OFFSET's.
    if (next !== 0 && next < fp.noCarry) this.opts.ram.writeU32Pair(at, fp.poLo + next, fp.poHiExt);
    else fp.setPlainSlow(at, next);
  }

  /** kmem_cache_free off the fast path: bad pointers, wrong cache, debug caches, hardening, other slabs. */
  private freeSlow(s: KmemCache, obj: number, slot: number, caller: string | undefined): void {
    if (slot < 0) notSlabObject(this, obj, caller ?? "");
    const real = this.byId[this.meta.cache[slot]];
    if (real !== s) {
      // cache_from_obj: free into the cache the object really belongs to, and WARN.
      this.debugger.warn(`cache_from_obj: Wrong slab cache. ${s.name} but object is from ${real.name}`);
      s = real;
    }
    const inUse = objectInUse(this, s, slot, obj);
    if (s.debug && (s.flags & SLAB_CONSISTENCY_CHECKS) !== 0) {
      // slub_debug F finds a bad free itself (free_consistency_checks) and says so in Linux's words.
      const from = this.printk.lines.length;
      if (this.debugger.free(s, slot, obj, caller ?? "")) markFree(this, s, slot, obj);
      else if (!inUse) debugFreeRefused(this, s, obj, from);
      return;
    }
    if (!inUse) badFree(this, s, slot, obj, caller ?? "");
    markFree(this, s, slot, obj);
    if (s.debug) {
      this.debugger.free(s, slot, obj, caller ?? "");
      return;
    }
    const cpu = this.cpu;
    if (slot === s.cpuSlab[cpu]) {
      this.fp.set(s, obj, s.offset, s.cpuFreelist[cpu]);
      s.cpuFreelist[cpu] = obj;
      return;
    }
    this.slabFree(s, slot, obj, cpu);
  }

  /** slab_ksize: the usable bytes of an object of `s`. */
  ksize(s: KmemCache): number {
    if (s.flags & (SLAB_RED_ZONE | SLAB_POISON)) return s.objectSize;
    if (s.flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER)) return s.inuse;
    return s.size;
  }

  /** The kmalloc request recorded for `obj` (object_size unless slub_debug=U keeps it). */
  origSize(s: KmemCache, obj: number): number {
    return this.debugger.getOrigSize(s, obj);
  }

  /** krealloc in place: records the new request size and red-zones the rest of the object. */
  setOrigSize(s: KmemCache, obj: number, size: number): void {
    if (!this.debugger.origSizeKept(s)) return;
    this.debugger.setOrigSize(s, obj, size);
    if ((s.flags & SLAB_RED_ZONE) && size < s.objectSize) this.opts.ram.fill(obj + size, s.objectSize - size, SLUB_RED_ACTIVE);
  }

  // ---- slow paths -------------------------------------------------------------------------

  /** ___slab_alloc for non-debug caches. */
  private slabAlloc(s: KmemCache, gfp: number, cpu: number): number {
    const m = this.meta;
    let slot = s.cpuSlab[cpu];
    if (slot >= 0) {
      const fl = this.getFreelist(slot);
      if (fl !== 0) return this.loadFreelist(s, cpu, fl);
      // The CPU slab is full: it leaves the CPU and sits on no list until an object comes back.
      m.where[slot] = ON_NO_LIST;
      s.cpuSlab[cpu] = -1;
    }
    slot = s.cpuPartialHead[cpu];
    if (slot >= 0) {
      s.cpuPartialHead[cpu] = m.lruNext[slot];
      m.lruNext[slot] = -1;
      s.cpuSlab[cpu] = slot;
      m.where[slot] = ON_CPU_SLAB;
      const fl = this.getFreelist(slot);
      BUG_ON(fl === 0, "___slab_alloc", `CPU partial slab of ${s.name} has no free object`);
      return this.loadFreelist(s, cpu, fl);
    }
    slot = this.getPartial(s, cpu);
    if (slot < 0) {
      slot = this.newSlab(s, gfp, -1);
      if (slot < 0) return 0;
      this.addToAll(s, slot);
    }
    const fl = m.freelist[slot];
    m.freelist[slot] = 0;
    m.inuse[slot] = m.objects[slot];
    m.frozen[slot] = 1;
    s.cpuSlab[cpu] = slot;
    m.where[slot] = ON_CPU_SLAB;
    return this.loadFreelist(s, cpu, fl);
  }

  private loadFreelist(s: KmemCache, cpu: number, fl: number): number {
    s.cpuFreelist[cpu] = this.fp.get(s, fl, s.offset);
    return fl;
  }

  /** get_freelist: takes a slab's whole freelist for the CPU; the slab stays frozen only if it got objects. */
  private getFreelist(slot: number): number {
    const m = this.meta;
    const fl = m.freelist[slot];
    m.freelist[slot] = 0;
    m.inuse[slot] = m.objects[slot];
    m.frozen[slot] = fl !== 0 ? 1 : 0;
    return fl;
  }

  /** __slab_free for non-debug caches: the object goes back onto its own slab's freelist. */
  private slabFree(s: KmemCache, slot: number, obj: number, cpu: number): void {
    const m = this.meta;
    const prior = m.freelist[slot];
    this.fp.set(s, obj, s.offset, prior);
    m.freelist[slot] = obj;
    m.inuse[slot]--;
    if (m.frozen[slot]) return; // another CPU's slab: it will find the object there
    if (prior === 0 && s.hasCpuPartial) {
      this.putCpuPartial(s, slot, cpu, true); // was full: park it on this CPU
      return;
    }
    if (prior !== 0 && m.where[slot] === ON_CPU_PARTIAL) return;
    const node = this.nodeOf(slot);
    if (m.inuse[slot] === 0 && s.nrPartial[node] >= s.minPartial) {
      if (m.where[slot] === ON_NODE_PARTIAL) this.removePartial(s, node, slot);
      this.discardSlab(s, slot);
      return;
    }
    if (prior === 0) this.addPartial(s, node, slot, true);
  }

  // ---- destroy, accounting, verify ------------------------------------------------------------

  /**
   * kmem_cache_destroy: drops one reference; the last one frees every slab. With objects still
   * allocated Linux reports them and WARNs, and the cache stays (leaked); then this returns false.
   */
  destroy(s: KmemCache, caller = "kmem_cache_destroy"): boolean {
    BUG_ON(s.refcount <= 0 && !s.leaked, "kmem_cache_destroy", `${s.name} destroyed twice`);
    if (--s.refcount > 0) return true;
    for (let cpu = 0; cpu < this.opts.nrCpus; cpu++) this.flushCpu(s, cpu);
    let busy = false;
    for (let node = 0; node < this.nrNodes; node++) {
      for (let slot = s.partialHead[node]; slot >= 0;) {
        const next = this.meta.lruNext[slot];
        if (this.meta.inuse[slot] === 0) {
          this.removePartial(s, node, slot);
          this.discardSlab(s, slot);
        } else this.debugger.listSlabObjects(s, slot);
        slot = next;
      }
      if (s.nrPartial[node] || s.nrSlabs[node]) busy = true;
    }
    if (busy) {
      this.debugger.warn(`kmem_cache_destroy ${s.name}: Slab cache still has objects when called from ${caller}`);
      s.leaked = true;
      return false;
    }
    const i = this.caches.indexOf(s);
    if (i >= 0) this.caches.splice(i, 1);
    return true;
  }

  /** Objects in a cache, counted as /proc/slabinfo does (free objects on CPU slabs count as active). */
  slabinfoRow(s: KmemCache): SlabinfoRow {
    let nrSlabs = 0;
    let nrObjs = 0;
    let nrFree = 0;
    for (let node = 0; node < this.nrNodes; node++) {
      nrSlabs += s.nrSlabs[node];
      nrObjs += s.totalObjects[node];
      for (let slot = s.partialHead[node]; slot >= 0; slot = this.meta.lruNext[slot]) nrFree += this.meta.objects[slot] - this.meta.inuse[slot];
    }
    return {
      name: s.name, activeObjs: nrObjs - nrFree, numObjs: nrObjs, objsize: s.size, objperslab: s.objects,
      pagesperslab: s.pagesPerSlab, limit: 0, batchcount: 0, sharedfactor: 0, activeSlabs: nrSlabs, numSlabs: nrSlabs, sharedavail: 0,
    };
  }

  /** Every cache's row, newest first (the slab_caches order /proc/slabinfo prints). */
  slabinfoRows(): SlabinfoRow[] {
    return this.caches.slice().reverse().map((s) => this.slabinfoRow(s));
  }

  /** Objects currently allocated from `s` (recounted from the freelists). */
  allocatedObjects(s: KmemCache): number {
    let n = 0;
    for (const slot of this.slabsOf(s)) n += this.meta.inuse[slot];
    for (let cpu = 0; cpu < this.opts.nrCpus; cpu++) {
      for (let p = s.cpuFreelist[cpu]; p !== 0; p = this.fp.get(s, p, s.offset)) n--;
    }
    return n;
  }

  /** Checks every invariant (see slub-verify.ts). */
  verify(): void {
    verifySlub(this);
  }
}
