// Simulated physical memory with real, sparse contents (ARCHITECTURE §2). Models the bytes
// of RAM as the CPU and DMA see them, little-endian like x86. Does not model caches, memory
// ordering, ECC or MMIO: an address in a firmware hole simply reads as zeros.
//
//   pa ──► pfn = pa / 4096 ──► dir[pfn >>> 9] ──► slots (Int32Array(512)) ──► slot s
//                                 (lazily)          -1 = never written
//   slot s ──► pool[s >>> 6] (one ArrayBuffer of 64 frames) at byte ((s & 63) << 12)
//
// A frame costs host memory only once something non-zero is written to it; zeroFrame() hands
// its slot back (ram-slots.ts: the pools, the free slots, and each slot's dirty 256-byte chunks,
// which are all that is zeroed then, so backing a frame writes nothing). Constructing a 64 GiB
// Ram allocates only the directory: 32768 references. Every write marks the chunks it touches;
// scalar writes go through a one-chunk write cache, which marks its chunk when it loads it, and
// reads have their own one-frame cache.
//
// Invariants (checked by verify()):
//   - every slot is either owned by exactly one frame or on the free list, never both;
//   - backedFrames equals the number of frames that own a slot;
//   - a free slot's bytes are all zero and its dirty mask is 0; an owned slot's bytes outside
//     its dirty chunks are zero;
//   - the read cache holds a frame, and the write cache a chunk of one, only while that frame
//     owns the slot they point into; the write cache's chunk is marked dirty;
//   - a line of the walk's table cache holds a pfn only while that frame owns the slot whose
//     words and offset the line holds.
import { BUG, PAGE_SIZE as BASE_PAGE_SIZE } from "@mmsim/base";
import { CHUNK_SHIFT as CHUNK_SHIFT_, FRAMES_PER_POOL as FRAMES_PER_POOL_, FrameSlots, POOL_SHIFT as POOL_SHIFT_, chunksOf } from "./ram-slots";

const PAGE_SIZE = BASE_PAGE_SIZE; // module-local: an imported binding is a load through a cell per use

const FRAMES_PER_DIR = 512;
const DIR_SHIFT = 9;
const FRAMES_PER_POOL = FRAMES_PER_POOL_;
const POOL_SHIFT = POOL_SHIFT_;
const CHUNK_SHIFT = CHUNK_SHIFT_;
const TWO_32 = 4294967296;
/**
 * 2^-32 and 2^-12 (4096): multiplying by a power of two is exact, like dividing by it, and stays
 * one multiplication in the bundled dist, where a module constant becomes a `var` and a division
 * by it a real division (performance.md, rule 9).
 */
const INV_TWO_32 = 1 / 4294967296;
const INV_PAGE_SIZE = 1 / 4096;
/** "no cached frame": so far below 0 that `pa - cPa` never passes the fast-path check */
const NO_FRAME = -(2 ** 60);
/** Ram sizes are limited so that a pfn fits in an unsigned 32-bit integer (16 TiB). */
const MAX_RAM_BYTES = TWO_32 * PAGE_SIZE;
/** Lines of the walk's table cache: one per paging level 1..5 (index 0 unused). */
const WALK_WAYS = 6;

export interface RamOptions {
  /** size of the physical address space in bytes (a multiple of 4096, holes included) */
  bytes: number;
}

export class Ram {
  /** size of the physical address space in bytes */
  declare readonly bytes: number;
  /** number of page frames: valid pfns are 0 .. maxPfn - 1 */
  declare readonly maxPfn: number;
  /** bytes moved by ram.copy() (CPU copies; DMA is counted by the DmaEngine) */
  cpuCopyBytes = 0;

  private declare readonly dir: (Int32Array | undefined)[];
  /** the host memory of backed frames */
  private readonly slots = new FrameSlots();
  private nrBacked = 0;
  // One-entry cache of the last backed frame touched by a u32/u64 access: physical base and
  // its words. Accesses that stay in a frame (the common case) skip the directory lookup.
  private cPa = NO_FRAME;
  private cW: Uint32Array = new Uint32Array(0);
  private cIdx = 0;
  /** the high half read by the last readU32Pair */
  pairHi = 0;
  // One-chunk write cache: the chunk (256 bytes of a backed frame) the last u32/u64 write went
  // to, marked dirty when it was loaded: physical base, the pool's words, its first word's index.
  private wPa = NO_FRAME;
  private wW: Uint32Array = new Uint32Array(0);
  private wIdx = 0;
  // The walk's table cache (see tableFrame): pfn (-1 = empty line), words and first-word index.
  private readonly tcPfn = new Float64Array(WALK_WAYS).fill(-1);
  private readonly tcWords: Uint32Array[] = new Array<Uint32Array>(WALK_WAYS).fill(new Uint32Array(0));
  private readonly tcBase = new Int32Array(WALK_WAYS);
  /** the slot of each line's frame (writeTablePair marks its chunks dirty) */
  private readonly tcSlot = new Int32Array(WALK_WAYS);

  constructor(opts: RamOptions) {
    const bytes = opts.bytes;
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % PAGE_SIZE !== 0 || bytes > MAX_RAM_BYTES) {
      BUG("Ram", `size ${bytes} is not a positive multiple of 4096 up to 16 TiB`);
    }
    this.bytes = bytes;
    this.maxPfn = bytes / PAGE_SIZE;
    this.dir = new Array<Int32Array | undefined>(Math.ceil(this.maxPfn / FRAMES_PER_DIR)).fill(undefined);
  }

  /** Number of frames that currently hold host memory. */
  get backedFrames(): number {
    return this.nrBacked;
  }

  /** Host bytes held for frame contents (pools, including free slots), for benchmarks. */
  get hostBytes(): number {
    return this.slots.hostBytes + this.dir.length * 8;
  }

  /** True when frame `pfn` holds host memory (was written with non-zero data since its last zeroing). */
  isBacked(pfn: number): boolean {
    this.checkPfn(pfn, "Ram.isBacked");
    return this.slotOf(pfn) >= 0;
  }

  /** Makes frame `pfn` read as zeros and drops its host memory. */
  zeroFrame(pfn: number): void {
    this.checkPfn(pfn, "Ram.zeroFrame");
    const d = this.dir[pfn >>> DIR_SHIFT];
    if (d === undefined) return;
    const i = pfn & (FRAMES_PER_DIR - 1);
    const slot = d[i];
    if (slot < 0) return;
    d[i] = -1;
    this.nrBacked--;
    // Only a line holding this frame can go stale (a line never holds an unbacked frame).
    const tc = this.tcPfn;
    for (let way = 0; way < WALK_WAYS; way++) if (tc[way] === pfn) tc[way] = -1;
    const base = pfn * PAGE_SIZE;
    if (this.cPa === base) this.cPa = NO_FRAME;
    this.forgetWriteCache(base);
    this.slots.release(slot);
  }

  // ---- naturally aligned scalar accesses (the hot path) -----------------------------------

  readU8(pa: number): number {
    const off = this.offsetOf(pa, 1, "Ram.readU8");
    const slot = this.slotOf((pa - off) * INV_PAGE_SIZE);
    return slot < 0 ? 0 : this.slots.pool8[slot >>> POOL_SHIFT][((slot & (FRAMES_PER_POOL - 1)) << 12) + off];
  }

  readU16(pa: number): number {
    const off = this.offsetOf(pa, 2, "Ram.readU16");
    const slot = this.slotOf((pa - off) * INV_PAGE_SIZE);
    return slot < 0 ? 0 : this.slots.pool16[slot >>> POOL_SHIFT][((slot & (FRAMES_PER_POOL - 1)) << 11) + (off >>> 1)];
  }

  readU32(pa: number): number {
    const d = pa - this.cPa;
    if ((d & 0xffc) === d) return this.cW[this.cIdx + (d >>> 2)];
    return this.readU32Slow(pa);
  }

  private readU32Slow(pa: number): number {
    const off = this.offsetOf(pa, 4, "Ram.readU32");
    const slot = this.slotOf((pa - off) * INV_PAGE_SIZE);
    if (slot < 0) return 0;
    this.cache(pa - off, slot);
    return this.cW[this.cIdx + (off >>> 2)];
  }

  /**
   * Reads two 32-bit halves: returns readU32(pa) and leaves readU32(pa + 4) in `pairHi`
   * (valid until the next readU32Pair). One frame-cache test for both and no allocation; for
   * 64-bit values that are not safe JS numbers (sign-extended kernel pointers, PTEs with NX).
   */
  readU32Pair(pa: number): number {
    const d = pa - this.cPa;
    if ((d & 0xff8) !== d) return this.readU32PairSlow(pa);
    const w = this.cW;
    const i = this.cIdx + (d >>> 2);
    this.pairHi = w[i + 1];
    return w[i];
  }

  private readU32PairSlow(pa: number): number {
    const lo = this.readU32(pa);
    this.pairHi = this.readU32(pa + 4);
    return lo;
  }

  /** Makes frame at physical base `base` (owning `slot`) the cached one. */
  private cache(base: number, slot: number): void {
    this.cPa = base;
    this.cW = this.slots.pool32[slot >>> POOL_SHIFT];
    this.cIdx = (slot & (FRAMES_PER_POOL - 1)) << 10;
  }

  /**
   * Reads 8 bytes as a number: exact when the stored value is below 2^53 (addresses, counters,
   * PTEs without NX or software bits 57–62). Use readU64Big or two readU32 for full 64 bits.
   */
  readU64(pa: number): number {
    const d = pa - this.cPa;
    if ((d & 0xff8) === d) {
      const i = this.cIdx + (d >>> 2);
      return this.cW[i + 1] * TWO_32 + this.cW[i];
    }
    const off = this.offsetOf(pa, 8, "Ram.readU64");
    const slot = this.slotOf((pa - off) * INV_PAGE_SIZE);
    if (slot < 0) return 0;
    this.cache(pa - off, slot);
    const i = this.cIdx + (off >>> 2);
    return this.cW[i + 1] * TWO_32 + this.cW[i];
  }

  /** Reads 8 bytes as an exact unsigned bigint (display and tests). */
  readU64Big(pa: number): bigint {
    const lo = this.readU32(this.checkAligned(pa, 8, "Ram.readU64Big"));
    const hi = this.readU32(pa + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  writeU8(pa: number, v: number): void {
    const off = this.offsetOf(pa, 1, "Ram.writeU8");
    const slot = this.slotForWrite((pa - off) * INV_PAGE_SIZE, v & 0xff);
    if (slot < 0) return;
    this.slots.dirty[slot] |= 1 << (off >>> CHUNK_SHIFT);
    this.slots.pool8[slot >>> POOL_SHIFT][((slot & (FRAMES_PER_POOL - 1)) << 12) + off] = v;
  }

  writeU16(pa: number, v: number): void {
    const off = this.offsetOf(pa, 2, "Ram.writeU16");
    const slot = this.slotForWrite((pa - off) * INV_PAGE_SIZE, v & 0xffff);
    if (slot < 0) return;
    this.slots.dirty[slot] |= 1 << (off >>> CHUNK_SHIFT);
    this.slots.pool16[slot >>> POOL_SHIFT][((slot & (FRAMES_PER_POOL - 1)) << 11) + (off >>> 1)] = v;
  }

  // The write cache's window is one 256-byte chunk: `pa - wPa` must be an aligned offset below
  // 256 (0xfc for a word, 0xf8 for a pair), so no write outside a dirty chunk skips the marking.

  writeU32(pa: number, v: number): void {
    const d = pa - this.wPa;
    if ((d & 0xfc) === d) this.wW[this.wIdx + (d >>> 2)] = v;
    else this.writeU32Slow(pa, v);
  }

  // The miss path out of line (like readU32Slow): a small writeU32 is what lets callers that
  // chain several accesses (SLUB's kmalloc/kfree) stay within V8's inlining budget.
  private writeU32Slow(pa: number, v: number): void {
    const off = this.offsetOf(pa, 4, "Ram.writeU32");
    const slot = this.slotForWrite((pa - off) * INV_PAGE_SIZE, v >>> 0);
    if (slot < 0) return;
    this.cacheChunk(pa - off, slot, off);
    this.wW[this.wIdx + ((off & 0xff) >>> 2)] = v;
  }

  /** Empties the write cache when it holds a chunk of the frame at physical base `base`. */
  private forgetWriteCache(base: number): void {
    if (this.wPa - base >= 0 && this.wPa - base < PAGE_SIZE) this.wPa = NO_FRAME;
  }

  /** Makes chunk `off >>> 8` of the frame at `base` (owning `slot`) the write-cached one, marking it dirty. */
  private cacheChunk(base: number, slot: number, off: number): void {
    const c = off >>> CHUNK_SHIFT;
    this.slots.dirty[slot] |= 1 << c;
    this.wPa = base + (c << CHUNK_SHIFT);
    this.wW = this.slots.pool32[slot >>> POOL_SHIFT];
    this.wIdx = ((slot & (FRAMES_PER_POOL - 1)) << 10) + (c << (CHUNK_SHIFT - 2));
  }

  /**
   * Writes two 32-bit halves `lo` at `pa` and `hi` at `pa + 4` (pa 4-byte aligned): exactly
   * writeU32(pa, lo) then writeU32(pa + 4, hi), with one cache test for both when pa is 8-byte
   * aligned. For 64-bit values that are not safe JS numbers (sign-extended kernel pointers, PTEs
   * with NX).
   */
  writeU32Pair(pa: number, lo: number, hi: number): void {
    const d = pa - this.wPa;
    if ((d & 0xf8) !== d) return this.writeU32PairSlow(pa, lo, hi);
    const w = this.wW;
    const i = this.wIdx + (d >>> 2);
    w[i] = lo;
    w[i + 1] = hi;
  }

  private writeU32PairSlow(pa: number, lo: number, hi: number): void {
    const off = (pa >>> 0) & (PAGE_SIZE - 1);
    if ((off & 7) !== 0) {
      // 4-byte aligned only: the halves may lie in two chunks, or two frames
      this.writeU32(pa, lo);
      this.writeU32(pa + 4, hi);
      return;
    }
    // one directory lookup for both halves (a fault's first store to a new frame comes here)
    this.offsetOf(pa, 8, "Ram.writeU32Pair");
    const slot = this.slotForWrite((pa - off) * INV_PAGE_SIZE, (lo | hi) >>> 0);
    if (slot < 0) return;
    this.cacheChunk(pa - off, slot, off);
    const i = this.wIdx + ((off & 0xff) >>> 2);
    this.wW[i] = lo;
    this.wW[i + 1] = hi;
  }

  /**
   * Writes a number as 8 little-endian bytes: exact for integers 0 <= v < 2^53. A value that
   * is not such an integer is a Bug (use writeU64Big, or two writeU32 for PTEs with NX).
   */
  writeU64(pa: number, v: number): void {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER)) BUG("Ram.writeU64", `value ${v} is not an integer in [0, 2^53)`);
    const lo = v >>> 0;
    const hi = (v - lo) * INV_TWO_32;
    const d = pa - this.wPa;
    if ((d & 0xf8) === d) {
      const i = this.wIdx + (d >>> 2);
      this.wW[i] = lo;
      this.wW[i + 1] = hi;
      return;
    }
    const off = this.offsetOf(pa, 8, "Ram.writeU64");
    const slot = this.slotForWrite((pa - off) * INV_PAGE_SIZE, lo | hi);
    if (slot < 0) return;
    this.cacheChunk(pa - off, slot, off);
    const i = this.wIdx + ((off & 0xff) >>> 2);
    this.wW[i] = lo;
    this.wW[i + 1] = hi;
  }

  /** Writes an unsigned 64-bit bigint (0 <= v < 2^64) as 8 little-endian bytes. */
  writeU64Big(pa: number, v: bigint): void {
    this.checkAligned(pa, 8, "Ram.writeU64Big");
    if (v < 0n || v >= 1n << 64n) BUG("Ram.writeU64Big", `value ${v} out of range`);
    this.writeU32(pa, Number(v & 0xffffffffn));
    this.writeU32(pa + 4, Number(v >> 32n));
  }

  // ---- page-table frames for the MMU's walk --------------------------------------------------
  // The walk reads one 8-byte entry from each of 4–5 frames, so the one-frame cache above always
  // misses there, and a directory lookup is a chain of ~6 dependent loads per level. Instead the
  // walk keeps one line per paging level (`way`) here, mapping a table's pfn to its words: a hit
  // needs no load that depends on the previous level's entry, so the host CPU overlaps the
  // levels. A line holds backed frames only, and zeroFrame empties the lines of the frame it
  // releases, so backing a frame on its first write needs no invalidation. A host-side cache
  // only: it is not the simulated paging-structure caches and changes nothing the simulation
  // can observe.

  /**
   * For reading page-table frame `pfn` (< maxPfn, not checked) through cache line `way`
   * (0..WALK_WAYS-1, one per paging level): the index of the frame's first word in
   * tableWords(way), or -1 when the frame reads as zeros (never written since zeroed).
   * Entry i of the table is words[base + 2i] (low half) and words[base + 2i + 1] (high half).
   */
  tableFrame(way: number, pfn: number): number {
    if (this.tcPfn[way] === pfn) return this.tcBase[way];
    return this.tableFrameMiss(way, pfn);
  }

  /** The words tableFrame(way, ...) indexes (valid until RAM is next written or zeroed). */
  tableWords(way: number): Uint32Array {
    return this.tcWords[way];
  }

  /**
   * writeU32Pair(pa, lo, hi) for an entry of a page-table frame the walk's cache line `way` may
   * hold: written through that line when it holds the frame, so the frame cache (the last data
   * frame a task touched) stays where it is. The kernel's PTE updates between a task's accesses
   * use it. pa must be 8-byte aligned, as every x86-64 and PAE entry is.
   */
  writeTablePair(way: number, pa: number, lo: number, hi: number): void {
    const off = (pa >>> 0) & (PAGE_SIZE - 1);
    if (this.tcPfn[way] === (pa - off) * INV_PAGE_SIZE && (off & 7) === 0) {
      const w = this.tcWords[way];
      const i = this.tcBase[way] + (off >>> 2);
      w[i] = lo;
      w[i + 1] = hi;
      this.slots.dirty[this.tcSlot[way]] |= 1 << (off >>> CHUNK_SHIFT);
    } else this.writeU32Pair(pa, lo, hi);
  }

  private tableFrameMiss(way: number, pfn: number): number {
    const slot = this.slotOf(pfn);
    if (slot < 0) return -1;
    this.tcPfn[way] = pfn;
    this.tcSlot[way] = slot;
    this.tcWords[way] = this.slots.pool32[slot >>> POOL_SHIFT];
    return (this.tcBase[way] = (slot & (FRAMES_PER_POOL - 1)) << 10);
  }

  // ---- byte ranges (may cross frames) -------------------------------------------------------

  /** A copy of `len` bytes at `pa`. */
  read(pa: number, len: number): Uint8Array {
    this.checkRange(pa, len, "Ram.read");
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const cur = pa + done;
      const off = (cur >>> 0) & (PAGE_SIZE - 1);
      const n = Math.min(PAGE_SIZE - off, len - done);
      const slot = this.slotOf((cur - off) / PAGE_SIZE);
      if (slot >= 0) out.set(this.slots.bytes(slot).subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** Stores `bytes` at `pa`. */
  write(pa: number, bytes: Uint8Array): void {
    this.checkRange(pa, bytes.length, "Ram.write");
    let done = 0;
    while (done < bytes.length) {
      const cur = pa + done;
      const off = (cur >>> 0) & (PAGE_SIZE - 1);
      const n = Math.min(PAGE_SIZE - off, bytes.length - done);
      const src = bytes.subarray(done, done + n);
      const slot = this.slotForWrite((cur - off) * INV_PAGE_SIZE, anyNonZero(src));
      if (slot >= 0) {
        this.slots.bytes(slot).set(src, off);
        this.slots.dirty[slot] |= chunksOf(off, n);
      }
      done += n;
    }
  }

  /** Sets `len` bytes at `pa` to `byte`. Filling whole frames with 0 drops their backing. */
  fill(pa: number, len: number, byte: number): void {
    this.checkRange(pa, len, "Ram.fill");
    byte &= 0xff;
    let done = 0;
    while (done < len) {
      const cur = pa + done;
      const off = (cur >>> 0) & (PAGE_SIZE - 1);
      const n = Math.min(PAGE_SIZE - off, len - done);
      const pfn = (cur - off) * INV_PAGE_SIZE;
      if (byte === 0 && n === PAGE_SIZE) this.zeroFrame(pfn);
      else {
        const slot = this.slotForWrite(pfn, byte);
        if (slot >= 0) {
          this.slots.bytes(slot).fill(byte, off, off + n);
          if (byte !== 0) this.slots.dirty[slot] |= chunksOf(off, n); // zeros keep a clean chunk clean
        }
      }
      done += n;
    }
  }

  /** CPU copy of `len` bytes from `srcPa` to `dstPa` (overlap-safe); counted in cpuCopyBytes. */
  copy(dstPa: number, srcPa: number, len: number): void {
    this.checkRange(srcPa, len, "Ram.copy");
    this.checkRange(dstPa, len, "Ram.copy");
    this.cpuCopyBytes += len;
    if (len === 0 || dstPa === srcPa) return;
    // Whole-frame fast path: copying a frame that was never written just zeroes the target;
    // otherwise only the source's dirty chunks move, and the target's other dirty chunks are zeroed.
    if (len === PAGE_SIZE && srcPa % PAGE_SIZE === 0 && dstPa % PAGE_SIZE === 0) {
      const s = this.slotOf(srcPa * INV_PAGE_SIZE);
      if (s < 0) this.zeroFrame(dstPa * INV_PAGE_SIZE);
      else {
        this.slots.copy(this.slotForWrite(dstPa * INV_PAGE_SIZE, 1), s);
        // the target's mask may have lost the write cache's chunk: the cache must load (and mark) it again
        this.forgetWriteCache(dstPa);
      }
      return;
    }
    this.write(dstPa, this.read(srcPa, len));
  }

  /**
   * Checks the invariants listed at the top of this file; throws Bug on the first broken one.
   * The bytes of every slot (zero outside its dirty chunks) are read only when `bytes` is set:
   * 4 KiB a slot is too slow for a check after every step of a long test.
   */
  verify(bytes = false): void {
    const owner = new Int32Array(this.slots.count).fill(-1);
    let backed = 0;
    for (let di = 0; di < this.dir.length; di++) {
      const d = this.dir[di];
      if (d === undefined) continue;
      for (let i = 0; i < FRAMES_PER_DIR; i++) {
        const s = d[i];
        if (s < 0) continue;
        if (s >= owner.length) BUG("Ram.verify", `frame ${di * FRAMES_PER_DIR + i} owns slot ${s} beyond the pools`);
        if (owner[s] !== -1) BUG("Ram.verify", `slot ${s} owned by frames ${owner[s]} and ${di * FRAMES_PER_DIR + i}`);
        owner[s] = di * FRAMES_PER_DIR + i;
        backed++;
      }
    }
    if (backed !== this.nrBacked) BUG("Ram.verify", `backedFrames ${this.nrBacked} but ${backed} frames own slots`);
    this.slots.verify(owner, bytes);
    const cached = (base: number, words: Uint32Array, idx: number, what: string, chunk: boolean): void => {
      if (base === NO_FRAME) return;
      const off = (base >>> 0) & (PAGE_SIZE - 1);
      const slot = this.slotOf((base - off) * INV_PAGE_SIZE);
      if (slot < 0 || words !== this.slots.pool32[slot >>> POOL_SHIFT] || idx !== ((slot & (FRAMES_PER_POOL - 1)) << 10) + (off >>> 2)) {
        BUG("Ram.verify", `the ${what} cache holds 0x${base.toString(16)} but not its slot ${slot}`);
      }
      if (chunk && (this.slots.dirty[slot] & (1 << (off >>> CHUNK_SHIFT))) === 0) BUG("Ram.verify", `the write cache's chunk at 0x${base.toString(16)} is not marked dirty`);
    };
    cached(this.cPa, this.cW, this.cIdx, "read", false);
    cached(this.wPa, this.wW, this.wIdx, "write", true);
    for (let way = 0; way < WALK_WAYS; way++) {
      const pfn = this.tcPfn[way];
      if (pfn < 0) continue;
      const slot = this.slotOf(pfn);
      if (slot < 0 || this.tcSlot[way] !== slot || this.tcWords[way] !== this.slots.pool32[slot >>> POOL_SHIFT] || this.tcBase[way] !== (slot & (FRAMES_PER_POOL - 1)) << 10) {
        BUG("Ram.verify", `walk cache line ${way} holds frame ${pfn} but not its slot ${slot}`);
      }
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  private slotOf(pfn: number): number {
    const d = this.dir[pfn >>> DIR_SHIFT];
    return d === undefined ? -1 : d[pfn & (FRAMES_PER_DIR - 1)];
  }

  /** The slot of `pfn` for a write; allocates one unless the frame is unbacked and `nonZero` is 0. */
  private slotForWrite(pfn: number, nonZero: number): number {
    let d = this.dir[pfn >>> DIR_SHIFT];
    if (d === undefined) {
      if (nonZero === 0) return -1;
      d = this.dir[pfn >>> DIR_SHIFT] = new Int32Array(FRAMES_PER_DIR).fill(-1);
    }
    const i = pfn & (FRAMES_PER_DIR - 1);
    let slot = d[i];
    if (slot >= 0 || nonZero === 0) return slot;
    // a free slot is all zeros (zeroFrame cleaned its dirty chunks): nothing to write here
    slot = this.slots.take();
    d[i] = slot;
    this.nrBacked++;
    // No line of the walk's table cache can hold this frame: tableFrameMiss caches backed
    // frames only, and zeroFrame empties the lines of a frame it unbacks.
    return slot;
  }

  /** Offset of `pa` in its frame after checking range and natural alignment (Bug otherwise). */
  private offsetOf(pa: number, size: number, fn: string): number {
    const off = (pa >>> 0) & (PAGE_SIZE - 1);
    // One cheap test on the hot path: an aligned integer address inside RAM has an aligned
    // offset and a whole pfn below maxPfn (a fraction, NaN or negative pa fails pfn >>> 0).
    const pfn = (pa - off) * INV_PAGE_SIZE;
    if ((off & (size - 1)) !== 0 || !(pfn < this.maxPfn) || pfn !== pfn >>> 0) this.badAddress(pa, size, fn);
    return off;
  }

  /** Throws the Bug for an address offsetOf() rejected: outside RAM, or misaligned. */
  private badAddress(pa: number, size: number, fn: string): never {
    if (!(pa >= 0 && pa + size <= this.bytes)) BUG(fn, `physical address ${pa} outside RAM (${this.bytes} bytes)`);
    BUG(fn, `physical address 0x${pa.toString(16)} not ${size}-byte aligned`);
  }

  private checkAligned(pa: number, size: number, fn: string): number {
    this.offsetOf(pa, size, fn);
    return pa;
  }

  private checkRange(pa: number, len: number, fn: string): void {
    if (!(Number.isSafeInteger(pa) && Number.isSafeInteger(len) && pa >= 0 && len >= 0 && pa + len <= this.bytes)) {
      BUG(fn, `range [${pa}, +${len}) outside RAM (${this.bytes} bytes)`);
    }
  }

  private checkPfn(pfn: number, fn: string): void {
    if (!(Number.isInteger(pfn) && pfn >= 0 && pfn < this.maxPfn)) BUG(fn, `pfn ${pfn} outside RAM (maxPfn ${this.maxPfn})`);
  }
}

function anyNonZero(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return 1;
  return 0;
}
