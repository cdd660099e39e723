// struct slab (mm/slab.h) as a struct-of-arrays. In Linux struct slab overlays the head
// struct page; here each live slab gets a dense slot, and `slotOfPfn` maps every pfn of a
// slab (head and tail pages) to that slot, which is what virt_to_slab() needs on kfree.
// Slots are recycled through a free stack; arrays grow by doubling.
//
// SLUB also keeps an in-use map per slot (mmsim's, not Linux's): one bit per 8-byte granule of
// the 32 KiB-aligned window that holds the slab, set while the object starting there is
// allocated (handed out and not yet freed); a new slab's map is all zero.
// Buddy blocks are naturally aligned, so a slab of order <= 3 lies inside one such window and
// the bit of the object at physical address pa is bit (pa >>> 3) & 4095 of its slot's 128
// words: no division and no slab base on the hot paths. A free whose bit is clear is a double
// free or not an object's address, whether or not it is the head of a freelist (see
// slub-free-check.ts).
//
// Invariants (checked by the allocator's verify()):
//   - slotOfPfn[p] = s for exactly the 2^order[s] pfns starting at head[s], for live slots s;
//   - a live slot's cache >= 0; a free slot's cache is -1;
//   - a free slot's in-use map is all zero.

/** Where a slab sits (SLUB). */
export const ON_NO_LIST = 0; // full (or a debug cache's full list)
export const ON_NODE_PARTIAL = 1;
export const ON_CPU_PARTIAL = 2;
export const ON_CPU_SLAB = 3;

/** Int32 words of in-use map per slot: 4096 bits, one per 8-byte granule of a 32 KiB window. */
export const INUSE_MAP_WORDS = 128;
/** The largest slab order the in-use map covers (32 KiB = PAGE_SIZE << 3, slub_max_order's default). */
export const INUSE_MAP_MAX_ORDER = 3;

export class SlabMeta {
  /** pfn → slot + 1 (0: not a slab page) */
  declare readonly slotOfPfn: Int32Array;
  declare cache: Int32Array;
  declare head: Float64Array;
  declare order: Uint8Array;
  /** physical address of the first free object (0 = NULL), SLUB */
  declare freelist: Float64Array;
  declare inuse: Int32Array;
  declare objects: Int32Array;
  declare frozen: Uint8Array;
  declare where: Uint8Array;
  /**
   * list links by slot, named as struct page's (SlabMeta is a ListLinks for @mmsim/physical's
   * list.ts): the node partial lists; a CPU partial chain uses lruNext only
   */
  declare lruNext: Int32Array;
  declare lruPrev: Int32Array;
  /** per-cache list of all slabs (for verify, destroy and views) */
  declare allNext: Int32Array;
  declare allPrev: Int32Array;
  /** slabs on a CPU partial chain from this one on (struct slab.slabs) */
  declare slabs: Int32Array;
  /** byte offset of the first object (SLAB colouring; 0 for SLUB) */
  declare colour: Int32Array;
  /**
   * SLUB's in-use map, INUSE_MAP_WORDS per slot (empty when the allocator keeps none).
   * @internal
   */
  declare inuseMap: Int32Array;
  declare private readonly keepInuseMap: boolean;
  private freeSlots: number[] = [];
  private used = 0;

  /**
   * Bytes covered by slotOfPfn (maxPfn * 4096); read by KernelAlloc's kfree fast path.
   * @internal
   */
  declare readonly paLimit: number;

  constructor(maxPfn: number, initial = 64, inuseMap = false) {
    this.keepInuseMap = inuseMap;
    this.inuseMap = new Int32Array(inuseMap ? initial * INUSE_MAP_WORDS : 0);
    this.slotOfPfn = new Int32Array(maxPfn);
    this.paLimit = maxPfn * 4096;
    this.cache = new Int32Array(initial).fill(-1);
    this.head = new Float64Array(initial);
    this.order = new Uint8Array(initial);
    this.freelist = new Float64Array(initial);
    this.inuse = new Int32Array(initial);
    this.objects = new Int32Array(initial);
    this.frozen = new Uint8Array(initial);
    this.where = new Uint8Array(initial);
    this.lruNext = new Int32Array(initial).fill(-1);
    this.lruPrev = new Int32Array(initial).fill(-1);
    this.allNext = new Int32Array(initial).fill(-1);
    this.allPrev = new Int32Array(initial).fill(-1);
    this.slabs = new Int32Array(initial);
    this.colour = new Int32Array(initial);
  }

  /** Number of slot entries ever created (live or free). */
  get capacity(): number {
    return this.used;
  }

  /** The slab slot holding physical address `pa`, or -1 (virt_to_slab). */
  slotOfPa(pa: number): number {
    // On every kfree: one range test, then `>>> 0` is floor(pa / 4096) for 0 <= pa < limit
    // (the pfn fits in 32 bits), cheaper than Math.floor.
    if (!(pa >= 0 && pa < this.paLimit)) return -1;
    return this.slotOfPfn[(pa / 4096) >>> 0] - 1;
  }

  /** Takes a slot for a new slab of 2^order pages at `headPfn` owned by cache `cacheId`. */
  alloc(cacheId: number, headPfn: number, order: number): number {
    let s = this.freeSlots.pop();
    if (s === undefined) {
      if (this.used === this.cache.length) this.grow();
      s = this.used++;
    }
    this.cache[s] = cacheId;
    this.head[s] = headPfn;
    this.order[s] = order;
    this.freelist[s] = 0;
    this.inuse[s] = 0;
    this.objects[s] = 0;
    this.frozen[s] = 0;
    this.where[s] = ON_NO_LIST;
    this.lruNext[s] = -1;
    this.lruPrev[s] = -1;
    this.allNext[s] = -1;
    this.allPrev[s] = -1;
    this.slabs[s] = 0;
    this.colour[s] = 0;
    const n = 2 ** order;
    for (let i = 0; i < n; i++) this.slotOfPfn[headPfn + i] = s + 1;
    return s;
  }

  /** Returns slot `s` (its pages no longer belong to a slab). */
  release(s: number): void {
    const n = 2 ** this.order[s];
    const h = this.head[s];
    for (let i = 0; i < n; i++) this.slotOfPfn[h + i] = 0;
    this.cache[s] = -1;
    if (this.keepInuseMap) this.inuseMap.fill(0, s * INUSE_MAP_WORDS, (s + 1) * INUSE_MAP_WORDS);
    this.freeSlots.push(s);
  }

  private grow(): void {
    const n = this.cache.length * 2;
    const g = <T extends Int32Array | Float64Array | Uint8Array>(a: T, fill?: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.cache = g(this.cache, -1);
    this.head = g(this.head);
    this.order = g(this.order);
    this.freelist = g(this.freelist);
    this.inuse = g(this.inuse);
    this.objects = g(this.objects);
    this.frozen = g(this.frozen);
    this.where = g(this.where);
    this.lruNext = g(this.lruNext, -1);
    this.lruPrev = g(this.lruPrev, -1);
    this.allNext = g(this.allNext, -1);
    this.allPrev = g(this.allPrev, -1);
    this.slabs = g(this.slabs);
    this.colour = g(this.colour);
    if (this.keepInuseMap) {
      const fm = new Int32Array(n * INUSE_MAP_WORDS);
      fm.set(this.inuseMap);
      this.inuseMap = fm;
    }
  }
}
