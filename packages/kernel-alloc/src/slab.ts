// The classic SLAB allocator (mm/slab.c as of Linux 6.7; removed in 6.8, where SLUB became the
// only allocator), kept to show what seed 003 draws: cache descriptors with full/partial/free
// slab lists, slab descriptors whose free-object index array (freelist_idx_t, 2 bytes each)
// lives on the slab, off the slab (in a kmalloc cache) or inside a free object
// (OBJFREELIST), slab colouring, and per-CPU array caches (limit/batchcount). Under SLAB the
// smallest kmalloc class is 32 (KMALLOC_SHIFT_LOW 5), so objects are at least 16 bytes and a
// slab holds at most 255 objects, indexed by one byte (FREELIST_BYTE_INDEX).
// Not modelled: the per-node shared array and alien caches, reaping (cache_reap), SLAB debug.
//
//   one slab of 2^gfporder pages, on-slab freelist, colour 2 of 3:
//   | colour_off*2 | obj 0 | obj 1 | ... | obj num-1 | leftover | idx[0] idx[1] ... idx[num-1] |
//     ^ s_mem = start + colour offset                             ^ freelist at the slab's end
//   idx[active ...] are the free objects; allocation takes idx[active++], free puts idx[--active].
//   (OBJFREELIST: the idx array sits in the last free object instead; off-slab: in kmalloc.)
import { BUG, KernelBug, PAGE_SIZE } from "@mmsim/base";
import { __GFP_COMP, __GFP_RECLAIMABLE, __GFP_ZERO, GFP_KERNEL, PGTY_slab } from "@mmsim/physical";
import type { Memory, PageAllocator } from "./deps";
import type { Printk } from "./printk";
import { TAINT_BAD_PAGE, TAINT_WARN } from "./printk";
import { INUSE_MAP_MAX_ORDER, INUSE_MAP_WORDS, SlabMeta } from "./internal/slab-meta";
import type { SlabCtor } from "./kmem-cache";
import type { SlabCacheInfo } from "./kmalloc";
import { findMergeable } from "./slab-common";
import type { SlabinfoRow } from "./slab-common";
import { SLAB_NOLEAKTRACE, SLAB_RECLAIM_ACCOUNT, SLAB_TYPESAFE_BY_RCU } from "./slab-flags";
import { calculateAlignment, CACHE_LINE_SIZE, getOrder } from "./slub-layout";

/** sizeof(freelist_idx_t): 1, since PAGE_SIZE / SLAB_OBJ_MIN_SIZE <= 256 (FREELIST_BYTE_INDEX) */
export const FREELIST_IDX_SIZE = 1;
/** SLAB_OBJ_MIN_SIZE: min(KMALLOC_MIN_SIZE, 16) with SLAB's KMALLOC_MIN_SIZE of 32 */
export const SLAB_OBJ_MIN_SIZE = 16;
/** KMALLOC_SHIFT_LOW under SLAB: kmalloc-32 is the smallest class */
export const SLAB_KMALLOC_SHIFT_LOW = 5;
const SLAB_OBJ_MAX_NUM = 255;
const KMALLOC_MAX_ORDER = 10;

/** The management layout chosen by __kmem_cache_create. */
export type SlabMgmt = "objfreelist" | "off-slab" | "on-slab";

/** The geometry of a classic SLAB cache. */
export interface SlabGeometry {
  size: number;
  align: number;
  num: number;
  gfporder: number;
  /** unused bytes per slab, spent on colouring */
  leftOver: number;
  colour: number;
  colourOff: number;
  mgmt: SlabMgmt;
}

function cacheEstimate(order: number, size: number, offOrObj: boolean): { num: number; left: number } {
  const slab = PAGE_SIZE * 2 ** order;
  const unit = offOrObj ? size : size + FREELIST_IDX_SIZE;
  return { num: Math.floor(slab / unit), left: slab % unit };
}

/**
 * calculate_slab_order: the first order with an acceptable leftover. `offSlabCacheSize`
 * gives the size of the kmalloc cache that would hold an off-slab freelist (null: none).
 */
function calculateSlabOrder(size: number, mgmt: SlabMgmt, flags: number, slabMaxOrder: number, offSlabCacheSize: (bytes: number) => number | null): { num: number; order: number; left: number } {
  let best = { num: 0, order: 0, left: 0 };
  for (let order = 0; order <= KMALLOC_MAX_ORDER; order++) {
    const { num, left } = cacheEstimate(order, size, mgmt !== "on-slab");
    if (!num) continue;
    if (num > SLAB_OBJ_MAX_NUM) break;
    if (mgmt === "off-slab") {
      const fsize = num * FREELIST_IDX_SIZE;
      const cacheSize = fsize > 8192 ? PAGE_SIZE * 2 ** getOrder(fsize) : offSlabCacheSize(fsize);
      if (cacheSize === null || cacheSize > size / 2) continue;
    }
    best = { num, order, left };
    if (flags & SLAB_RECLAIM_ACCOUNT) break;
    if (order >= slabMaxOrder) break;
    if (left * 8 <= PAGE_SIZE * 2 ** order) break;
  }
  return best;
}

/** __kmem_cache_create (mm/slab.c 6.7): object size, slab order, colouring and where the freelist lives. */
export function slabGeometry(objectSize: number, align: number, flags: number, hasCtor: boolean, slabMaxOrder = 1, offSlabCacheSize: (bytes: number) => number | null = () => null): SlabGeometry | null {
  align = calculateAlignment(flags, align, objectSize);
  let size = Math.ceil(Math.ceil(objectSize / 8) * 8 / align) * align;
  if (size < SLAB_OBJ_MIN_SIZE) size = Math.ceil(SLAB_OBJ_MIN_SIZE / align) * align;
  const colourOff = Math.max(CACHE_LINE_SIZE, align);
  // set_objfreelist_slab_cache
  if (!hasCtor && !(flags & SLAB_TYPESAFE_BY_RCU)) {
    const r = calculateSlabOrder(size, "objfreelist", flags, slabMaxOrder, offSlabCacheSize);
    if (r.num && r.num * FREELIST_IDX_SIZE <= objectSize) return { size, align, num: r.num, gfporder: r.order, leftOver: r.left, colour: Math.floor(r.left / colourOff), colourOff, mgmt: "objfreelist" };
  }
  // set_off_slab_cache
  if (!(flags & SLAB_NOLEAKTRACE)) {
    const r = calculateSlabOrder(size, "off-slab", flags, slabMaxOrder, offSlabCacheSize);
    if (r.num && r.left < r.num * FREELIST_IDX_SIZE) return { size, align, num: r.num, gfporder: r.order, leftOver: r.left, colour: Math.floor(r.left / colourOff), colourOff, mgmt: "off-slab" };
  }
  const r = calculateSlabOrder(size, "on-slab", flags, slabMaxOrder, offSlabCacheSize);
  if (!r.num) return null;
  return { size, align, num: r.num, gfporder: r.order, leftOver: r.left, colour: Math.floor(r.left / colourOff), colourOff, mgmt: "on-slab" };
}

/** enable_cpucache: per-CPU array limit, batchcount and the shared factor slabinfo prints. */
export function slabTunables(size: number, nrCpus: number): { limit: number; batchcount: number; shared: number } {
  let limit: number;
  if (size > 131072) limit = 1;
  else if (size > PAGE_SIZE) limit = 8;
  else if (size > 1024) limit = 24;
  else if (size > 256) limit = 54;
  else limit = 120;
  const shared = size <= PAGE_SIZE && nrCpus > 1 ? 8 : 0;
  return { limit, batchcount: Math.floor((limit + 1) / 2), shared };
}

export class SlabCache implements SlabCacheInfo {
  refcount = 1;
  readonly aliases: string[] = [];
  /** colour_next: the colour of the next slab */
  colourNext = 0;
  readonly limit: number;
  readonly batchcount: number;
  readonly shared: number;
  /** per-CPU array_cache entries (object addresses) and avail counts */
  readonly acEntries: Float64Array[];
  readonly acAvail: Int32Array;
  readonly slabsFull = new Set<number>();
  readonly slabsPartial = new Set<number>();
  readonly slabsFree = new Set<number>();
  freeObjects = 0;
  readonly freeLimit: number;
  /** the kmalloc cache holding off-slab freelists */
  freelistCache: SlabCache | null = null;
  readonly usersize = 0;

  constructor(readonly id: number, readonly name: string, readonly objectSize: number, readonly flags: number, readonly geo: SlabGeometry, readonly ctor: SlabCtor | null, nrCpus: number) {
    const t = slabTunables(geo.size, nrCpus);
    this.limit = t.limit;
    this.batchcount = t.batchcount;
    this.shared = t.shared;
    this.acEntries = Array.from({ length: nrCpus }, () => new Float64Array(t.limit));
    this.acAvail = new Int32Array(nrCpus);
    this.freeLimit = (1 + nrCpus) * t.batchcount + geo.num;
  }

  get size(): number {
    return this.geo.size;
  }

  get hasCtor(): boolean {
    return this.ctor !== null;
  }
}

export interface SlabClassicOptions {
  phys: PageAllocator;
  ram: Memory;
  nrCpus: number;
  printk: Printk;
  /** slab_max_order (1 on machines above 32 MiB, the default) */
  slabMaxOrder?: number;
}

export class SlabClassic {
  readonly meta: SlabMeta;
  readonly caches: SlabCache[] = [];
  private readonly byId: SlabCache[] = [];
  cpu = 0;
  reclaimablePages = 0;
  unreclaimablePages = 0;
  /** kmalloc_slab for off-slab freelists (set once the kmalloc caches exist) */
  kmallocSlab: ((bytes: number) => SlabCache | null) | null = null;

  constructor(readonly opts: SlabClassicOptions) {
    this.meta = new SlabMeta(Math.max(opts.phys.maxPfn, opts.ram.maxPfn), 64, true);
  }

  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor: SlabCtor | null, usersize: number): SlabCache | null {
    const alias = findMergeable(this.caches, size, align, flags, ctor !== null, usersize, false);
    if (alias) {
      alias.refcount++;
      alias.aliases.push(name);
      return alias;
    }
    return this.createCache(name, size, align, flags, ctor, usersize);
  }

  createCache(name: string, size: number, align: number, flags: number, ctor: SlabCtor | null, _usersize: number): SlabCache | null {
    const geo = slabGeometry(size, align, flags, ctor !== null, this.opts.slabMaxOrder ?? 1, (b) => this.kmallocSlab?.(b)?.size ?? null);
    if (!geo) return null;
    const c = new SlabCache(this.byId.length, name, size, flags, geo, ctor, this.opts.nrCpus);
    if (geo.mgmt === "off-slab") c.freelistCache = this.kmallocSlab?.(geo.num * FREELIST_IDX_SIZE) ?? null;
    this.caches.push(c);
    this.byId.push(c);
    return c;
  }

  cacheOf(pa: number): SlabCache | null {
    const slot = this.meta.slotOfPa(pa);
    return slot < 0 ? null : this.byId[this.meta.cache[slot]];
  }

  freeObject(pa: number, caller = ""): boolean {
    const s = this.cacheOf(pa);
    if (!s) return false;
    this.free(s, pa, caller);
    return true;
  }

  ksize(s: SlabCache): number {
    return s.size;
  }

  origSize(s: SlabCache): number {
    return s.objectSize;
  }

  setOrigSize(): void {}

  /** ____cache_alloc: from the CPU's array, refilled in batches from the slab lists. 0 when out of memory. */
  alloc(s: SlabCache, gfp: number, _origSize = 0, _caller = ""): number {
    const cpu = this.cpu;
    if (s.acAvail[cpu] === 0 && !this.refill(s, gfp, cpu)) return 0;
    const obj = s.acEntries[cpu][--s.acAvail[cpu]];
    this.markInUse(obj, true);
    if (gfp & __GFP_ZERO) this.opts.ram.fill(obj, s.objectSize, 0);
    return obj;
  }

  /** ___cache_free: onto the CPU's array; a full array first flushes batchcount objects to their slabs. */
  free(s: SlabCache, obj: number, caller = ""): void {
    const cpu = this.cpu;
    if (!this.markInUse(obj, false)) this.badFree(s, obj, caller);
    const ac = s.acEntries[cpu];
    if (s.acAvail[cpu] === s.limit) {
      for (let i = 0; i < s.batchcount; i++) this.putObj(s, ac[i]);
      ac.copyWithin(0, s.batchcount, s.limit);
      s.acAvail[cpu] -= s.batchcount;
    }
    ac[s.acAvail[cpu]++] = obj;
  }

  /**
   * The in-use map (internal/slab-meta.ts; mmsim's, not Linux's): sets (`inUse`) or clears the
   * bit of `obj`, for slabs of order <= 3. Returns false, changing nothing, when a free finds
   * the bit clear: `obj` is free already or is no object's address.
   */
  private markInUse(obj: number, inUse: boolean): boolean {
    const m = this.meta;
    const slot = m.slotOfPa(obj);
    if (slot < 0) return false;
    if (m.order[slot] > INUSE_MAP_MAX_ORDER) return true;
    const w = slot * INUSE_MAP_WORDS + ((obj >>> 8) & 127);
    const bit = 1 << ((obj >>> 3) & 31);
    if (inUse) m.inuseMap[w] |= bit;
    else if ((m.inuseMap[w] & bit) === 0) return false;
    else m.inuseMap[w] &= ~bit;
    return true;
  }

  /**
   * A free the in-use map refused. Classic SLAB without CONFIG_DEBUG_SLAB let it corrupt the
   * array cache; mmsim reports it as the debug build's slab_error() did ("slab error in
   * verify_redzone_free(): cache `<name>': double free detected"), or for an address in no
   * slab as cache_from_obj's virt_to_cache WARNING, and throws KernelBug; nothing is freed.
   */
  private badFree(s: SlabCache, obj: number, caller: string): never {
    const log = this.opts.printk;
    const from = log.lines.length;
    const va = `0x${(0xffff888000000000n + BigInt(obj)).toString(16)}`;
    if (this.meta.slotOfPa(obj) < 0) {
      log.log("------------[ cut here ]------------");
      log.log("virt_to_cache: Object is not a Slab page!");
      log.log(`WARNING: CPU: ${this.cpu} PID: 0 at virt_to_cache`);
      log.addTaint(TAINT_WARN);
      throw new KernelBug(`kmem_cache_free of ${va}, which is not a slab object${caller ? ` (from ${caller})` : ""}`, log.lines.slice(from), "virt_to_cache");
    }
    log.log(`slab error in verify_redzone_free(): cache \`${s.name}': double free detected`);
    log.addTaint(TAINT_BAD_PAGE);
    throw new KernelBug(`double free of ${va} in ${s.name}: double free detected`, log.lines.slice(from), "verify_redzone_free");
  }

  /** cache_alloc_refill: up to batchcount objects from partial, then free slabs, growing when empty. */
  private refill(s: SlabCache, gfp: number, cpu: number): boolean {
    let want = Math.min(s.batchcount, s.limit);
    while (want > 0) {
      let slot = first(s.slabsPartial);
      if (slot < 0) slot = first(s.slabsFree);
      if (slot < 0) {
        if (s.acAvail[cpu] > 0) break;
        slot = this.grow(s, gfp);
        if (slot < 0) return false;
      }
      while (want > 0 && this.meta.inuse[slot] < s.geo.num) {
        s.acEntries[cpu][s.acAvail[cpu]++] = this.getObj(s, slot);
        want--;
      }
    }
    return true;
  }

  private idxAddr(slot: number, i: number): number {
    return this.meta.freelist[slot] + i * FREELIST_IDX_SIZE;
  }

  private objAddr(s: SlabCache, slot: number, idx: number): number {
    return this.meta.head[slot] * PAGE_SIZE + this.meta.colour[slot] + idx * s.geo.size;
  }

  /** slab_get_obj + fixup_slab_list. */
  private getObj(s: SlabCache, slot: number): number {
    const m = this.meta;
    const a = this.idxAddr(slot, m.inuse[slot]);
    const idx = this.opts.ram.readU8(a);
    const wasFree = m.inuse[slot] === 0;
    m.inuse[slot]++;
    s.freeObjects--;
    if (wasFree) s.slabsFree.delete(slot);
    if (m.inuse[slot] === s.geo.num) {
      s.slabsPartial.delete(slot);
      s.slabsFull.add(slot);
      if (s.geo.mgmt === "objfreelist") m.freelist[slot] = 0; // the array lived in the last free object
    } else s.slabsPartial.add(slot);
    return this.objAddr(s, slot, idx);
  }

  /** slab_put_obj + the list moves of free_block (empty slabs beyond free_limit are destroyed). */
  private putObj(s: SlabCache, obj: number): void {
    const m = this.meta;
    const slot = m.slotOfPa(obj);
    const idx = (obj - this.objAddr(s, slot, 0)) / s.geo.size;
    if (m.freelist[slot] === 0) m.freelist[slot] = obj; // OBJFREELIST: a freed object holds the array again
    m.inuse[slot]--;
    const a = this.idxAddr(slot, m.inuse[slot]);
    this.opts.ram.writeU8(a, idx);
    s.freeObjects++;
    s.slabsFull.delete(slot);
    if (m.inuse[slot] === 0) {
      s.slabsPartial.delete(slot);
      s.slabsFree.add(slot);
      while (s.freeObjects > s.freeLimit && s.slabsFree.size > 0) this.destroySlab(s, last(s.slabsFree));
    } else s.slabsPartial.add(slot);
  }

  /** cache_grow_begin: pages, the colour offset, the slab management array, the objects. -1 when out of memory. */
  private grow(s: SlabCache, gfp: number): number {
    const g = s.geo;
    const reclaimable = (s.flags & SLAB_RECLAIM_ACCOUNT) !== 0;
    const pfn = this.opts.phys.allocPages(((gfp & ~__GFP_ZERO) | __GFP_COMP | (reclaimable ? __GFP_RECLAIMABLE : 0)) >>> 0, g.gfporder);
    if (pfn < 0) return -1;
    let offset = s.colourNext * g.colourOff;
    s.colourNext = s.colourNext + 1 >= g.colour ? 0 : s.colourNext + 1;
    let freelist: number;
    const base = pfn * PAGE_SIZE;
    const slabBytes = PAGE_SIZE * 2 ** g.gfporder;
    if (g.mgmt === "off-slab") {
      freelist = s.freelistCache ? this.alloc(s.freelistCache, GFP_KERNEL) : 0;
      if (freelist === 0) {
        this.opts.phys.freePages(pfn, g.gfporder);
        return -1;
      }
    } else if (g.mgmt === "on-slab") freelist = base + slabBytes - g.num * FREELIST_IDX_SIZE;
    else freelist = 0;
    if (offset + g.num * g.size > slabBytes - (g.mgmt === "on-slab" ? g.num * FREELIST_IDX_SIZE : 0)) offset = 0;
    this.opts.phys.pages.setType(pfn, PGTY_slab);
    const m = this.meta;
    const slot = m.alloc(s.id, pfn, g.gfporder);
    m.colour[slot] = offset;
    m.objects[slot] = g.num;
    if (g.mgmt === "objfreelist") freelist = this.objAddr(s, slot, g.num - 1);
    m.freelist[slot] = freelist;
    for (let i = 0; i < g.num; i++) {
      if (s.ctor) s.ctor(this.objAddr(s, slot, i));
      this.opts.ram.writeU8(freelist + i * FREELIST_IDX_SIZE, i);
    }
    if (reclaimable) this.reclaimablePages += 2 ** g.gfporder;
    else this.unreclaimablePages += 2 ** g.gfporder;
    s.slabsFree.add(slot);
    s.freeObjects += g.num;
    return slot;
  }

  private destroySlab(s: SlabCache, slot: number): void {
    const m = this.meta;
    const order = m.order[slot];
    const pfn = m.head[slot];
    if (s.geo.mgmt === "off-slab" && s.freelistCache) this.free(s.freelistCache, m.freelist[slot]);
    s.slabsFree.delete(slot);
    s.freeObjects -= s.geo.num;
    if (s.flags & SLAB_RECLAIM_ACCOUNT) this.reclaimablePages -= 2 ** order;
    else this.unreclaimablePages -= 2 ** order;
    m.release(slot);
    this.opts.phys.pages.clearType(pfn, PGTY_slab);
    this.opts.phys.freePages(pfn, order);
  }

  /** drain_cpu_caches + drain_freelist: every CPU array back to the slabs, every free slab released. Returns pages freed. */
  shrink(s: SlabCache): number {
    for (let cpu = 0; cpu < this.opts.nrCpus; cpu++) {
      for (let i = 0; i < s.acAvail[cpu]; i++) this.putObj(s, s.acEntries[cpu][i]);
      s.acAvail[cpu] = 0;
    }
    let pages = 0;
    for (const slot of [...s.slabsFree]) {
      pages += 2 ** this.meta.order[slot];
      this.destroySlab(s, slot);
    }
    return pages;
  }

  destroy(s: SlabCache, caller = "kmem_cache_destroy"): boolean {
    if (--s.refcount > 0) return true;
    this.shrink(s);
    if (s.slabsFull.size || s.slabsPartial.size) {
      this.opts.printk.log("------------[ cut here ]------------");
      this.opts.printk.log(`kmem_cache_destroy ${s.name}: Slab cache still has objects when called from ${caller}`);
      return false;
    }
    this.caches.splice(this.caches.indexOf(s), 1);
    return true;
  }

  slabinfoRows(): SlabinfoRow[] {
    return this.caches.slice().reverse().map((s) => {
      const total = s.slabsFull.size + s.slabsPartial.size + s.slabsFree.size;
      const numObjs = total * s.geo.num;
      return {
        name: s.name, activeObjs: numObjs - s.freeObjects, numObjs, objsize: s.geo.size, objperslab: s.geo.num,
        pagesperslab: 2 ** s.geo.gfporder, limit: s.limit, batchcount: s.batchcount, sharedfactor: s.shared,
        activeSlabs: total - s.slabsFree.size, numSlabs: total, sharedavail: 0,
      };
    });
  }

  /** Invariants: each slab on the list its active count says; free indices distinct; counters equal recounts. */
  verify(): void {
    const m = this.meta;
    for (const s of this.caches) {
      let free = 0;
      const lists: [Set<number>, (a: number) => boolean][] = [[s.slabsFull, (a) => a === s.geo.num], [s.slabsPartial, (a) => a > 0 && a < s.geo.num], [s.slabsFree, (a) => a === 0]];
      for (const [set, ok] of lists) {
        for (const slot of set) {
          if (m.cache[slot] !== s.id || !ok(m.inuse[slot])) BUG("slab.verify", `${s.name}: slab ${slot} with ${m.inuse[slot]} active on the wrong list`);
          free += s.geo.num - m.inuse[slot];
          const seen = new Set<number>();
          for (let i = m.inuse[slot]; i < s.geo.num; i++) {
            const a = this.idxAddr(slot, i);
            const idx = this.opts.ram.readU8(a);
            if (idx >= s.geo.num || seen.has(idx)) BUG("slab.verify", `${s.name}: bad free index ${idx} in slab ${slot}`);
            seen.add(idx);
          }
        }
      }
      if (free !== s.freeObjects) BUG("slab.verify", `${s.name}: free_objects ${s.freeObjects} but ${free} counted`);
    }
  }
}

function first(set: Set<number>): number {
  for (const v of set) return v;
  return -1;
}

function last(set: Set<number>): number {
  let l = -1;
  for (const v of set) l = v;
  return l;
}
