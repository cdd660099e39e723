// The host memory behind Ram's frames (ram.ts): pools of 64 frame-sized slots, the free slots,
// and which chunks of each slot may hold non-zero bytes. Ram maps a backed frame to its slot;
// this file hands slots out, takes them back clean, and copies one into another.
//
//   slot s ──► pool[s >>> 6] (one ArrayBuffer of 64 slots) at byte ((s & 63) << 12)
//   dirty[s]: bit c set when chunk c (bytes 256c .. 256c + 255 of the slot) may be non-zero
//
// A slot is taken all zeros and given back through release(), which zeroes its dirty chunks
// only: a frame that got 8 bytes costs one chunk (4 cache lines) to clean, not the 64 lines of
// a whole frame (docs/design/performance.md, session 5). Whoever writes into a slot marks the
// chunks it touches in `dirty` (Ram's write paths do).
import { BUG, PAGE_SIZE as BASE_PAGE_SIZE } from "@mmsim/base";

const PAGE_SIZE = BASE_PAGE_SIZE; // module-local: an imported binding is a load through a cell per use

/** Slots per pool (one ArrayBuffer), and its log2. */
export const FRAMES_PER_POOL = 64;
export const POOL_SHIFT = 6;
const POOL_BYTES = FRAMES_PER_POOL * PAGE_SIZE;
/** A chunk: 256 bytes, the unit of a slot's dirty mask (and of Ram's write cache). */
export const CHUNK_SHIFT = 8;
/** Every chunk of a slot dirty. */
export const ALL_CHUNKS = 0xffff;
/** A chunk of zeros, as words (the source of release()'s copies). */
const ZERO_CHUNK = new Uint32Array(1 << (CHUNK_SHIFT - 2));

/** The dirty-mask bits of the chunks that bytes [off, off + n) of a slot touch (n > 0). */
export function chunksOf(off: number, n: number): number {
  const first = off >>> CHUNK_SHIFT, last = (off + n - 1) >>> CHUNK_SHIFT;
  return (1 << (last + 1)) - (1 << first);
}

export class FrameSlots {
  /** each pool's bytes, halfwords and words: slot s is 4 KiB of pool s >>> POOL_SHIFT */
  readonly pool8: Uint8Array[] = [];
  readonly pool16: Uint16Array[] = [];
  readonly pool32: Uint32Array[] = [];
  /** per slot: the chunks that may hold non-zero bytes (bit c: chunk c); all else is zero. Grows with the pools: read it afresh. */
  dirty = new Int32Array(0);
  private free = new Int32Array(16);
  private nrFree = 0;

  /** Slots in all pools, free or not. */
  get count(): number {
    return this.pool8.length * FRAMES_PER_POOL;
  }

  /** Host bytes of the pools. */
  get hostBytes(): number {
    return this.pool8.length * POOL_BYTES;
  }

  /** A free slot, all zeros (a new pool when none is left). */
  take(): number {
    return this.nrFree > 0 ? this.free[--this.nrFree] : this.grow();
  }

  /** Takes `slot` back: its dirty chunks are zeroed, so it is all zeros on the free list. */
  release(slot: number): void {
    const mask = this.dirty[slot];
    if (mask !== 0) {
      const words = this.pool32[slot >>> POOL_SHIFT];
      const start = (slot & (FRAMES_PER_POOL - 1)) << 10;
      if (mask === ALL_CHUNKS) words.fill(0, start, start + 1024);
      else {
        for (let c = 0; c < 16; c++) {
          if ((mask & (1 << c)) !== 0) words.set(ZERO_CHUNK, start + (c << 6)); // set: a memmove, cheaper to call than fill
        }
      }
      this.dirty[slot] = 0;
    }
    if (this.nrFree === this.free.length) {
      const grown = new Int32Array(this.free.length * 2);
      grown.set(this.free);
      this.free = grown;
    }
    this.free[this.nrFree++] = slot;
  }

  /**
   * Makes slot d's bytes those of slot s (another slot): s's dirty chunks are copied and d's
   * other dirty chunks zeroed, a run of neighbouring chunks at a time (one subarray a run).
   */
  copy(d: number, s: number): void {
    const from = this.dirty[s];
    const stale = this.dirty[d] & ~from;
    const dst = this.pool32[d >>> POOL_SHIFT], src = this.pool32[s >>> POOL_SHIFT];
    const dBase = (d & (FRAMES_PER_POOL - 1)) << 10, sBase = (s & (FRAMES_PER_POOL - 1)) << 10;
    for (let c = 0; c < 16; ) {
      const copy = (from & (1 << c)) !== 0;
      if (!copy && (stale & (1 << c)) === 0) {
        c++;
        continue;
      }
      let end = c + 1; // the run: chunks c..end-1, all to copy or all to zero
      while (end < 16 && ((copy ? from : stale) & (1 << end)) !== 0) end++;
      if (copy) dst.set(src.subarray(sBase + (c << 6), sBase + (end << 6)), dBase + (c << 6));
      else dst.fill(0, dBase + (c << 6), dBase + (end << 6));
      c = end;
    }
    this.dirty[d] = from;
  }

  /** The 4 KiB of `slot` as bytes (a view; allocates the view). */
  bytes(slot: number): Uint8Array {
    const start = (slot & (FRAMES_PER_POOL - 1)) * PAGE_SIZE;
    return this.pool8[slot >>> POOL_SHIFT].subarray(start, start + PAGE_SIZE);
  }

  /**
   * Ram.verify's half: `owner` holds, per slot, the frame owning it or -1. Every free slot must be
   * unowned (it is marked -2), every slot owned or free, a free slot's mask 0, and with `bytes`
   * every slot zero outside its dirty chunks. A Bug on the first broken one.
   */
  verify(owner: Int32Array, bytes: boolean): void {
    for (let k = 0; k < this.nrFree; k++) {
      const s = this.free[k];
      if (owner[s] !== -1) BUG("Ram.verify", `free slot ${s} is owned by frame ${owner[s]}`);
      owner[s] = -2;
    }
    for (let s = 0; s < owner.length; s++) {
      if (owner[s] === -1) BUG("Ram.verify", `slot ${s} is neither owned nor free`);
      const mask = this.dirty[s];
      if (owner[s] === -2 && mask !== 0) BUG("Ram.verify", `free slot ${s} has dirty chunks 0x${mask.toString(16)}`);
      if (!bytes || mask === ALL_CHUNKS) continue;
      const words = this.pool32[s >>> POOL_SHIFT];
      const start = (s & (FRAMES_PER_POOL - 1)) << 10;
      for (let w = 0; w < 1024; w++) {
        if (words[start + w] !== 0 && (mask & (1 << (w >>> 6))) === 0) BUG("Ram.verify", `slot ${s} has a non-zero word ${w} in clean chunk ${w >>> 6}`);
      }
    }
  }

  /** Adds one pool of fresh (zeroed) slots; returns its first slot, the rest go on the free list. */
  private grow(): number {
    const buf = new ArrayBuffer(POOL_BYTES);
    const first = this.count;
    this.pool8.push(new Uint8Array(buf));
    this.pool16.push(new Uint16Array(buf));
    this.pool32.push(new Uint32Array(buf));
    if (this.dirty.length < first + FRAMES_PER_POOL) {
      const grown = new Int32Array(Math.max(this.dirty.length * 2, first + FRAMES_PER_POOL));
      grown.set(this.dirty);
      this.dirty = grown;
    }
    if (this.free.length < this.nrFree + FRAMES_PER_POOL) {
      const grown = new Int32Array(Math.max(this.free.length * 2, this.nrFree + FRAMES_PER_POOL));
      grown.set(this.free.subarray(0, this.nrFree));
      this.free = grown;
    }
    // Push in reverse so slots are handed out in ascending order (deterministic layout).
    for (let s = first + FRAMES_PER_POOL - 1; s > first; s--) this.free[this.nrFree++] = s;
    return first;
  }
}
