// glibc's main arena (malloc/malloc.c): the heap grown by sbrk, its chunks, the top chunk, the
// per-thread cache (tcache) and the fastbins, unsorted, small and large bins; freeing with
// consolidation into neighbours and into top, malloc_consolidate, systrim and mtrim. The search
// for a chunk (_int_malloc) is int-malloc.ts, growing and trimming the heap heap.ts. Not modelled: other arenas (one thread), heaps
// that are not contiguous (MORECORE failing over to mmap), M_PERTURB, mcheck.
//
//   sbrk_base                                                     top        brk
//   |tcache 0x290|chunk|chunk (free: in a bin)|chunk|...|chunk      |top chunk  |
//   +------------+-----+----------------------+-----+---+-----------+-----------+
//   chunks tile [sbrk_base, top); top + its size is the break. A chunk in the unsorted, small
//   or large bins never touches another such chunk or top (freeing merges them); tcache and
//   fastbin chunks look in use to their neighbours (their successor keeps PREV_INUSE).
//
// The model keeps the chunks in maps keyed by 16-byte granule from sbrk_base (small integers:
// no boxed keys or values on the hot path) and writes into the task's memory what glibc
// writes there: size fields, footers of free chunks, a tcache entry's next and key, a fastbin
// chunk's fd (safe-linked). The fd/bk links of the unsorted, small and large bins and the
// counts and heads in tcache_perthread_struct live in the model only (their bytes sit in pages
// that the size field beside them already touched, so Rss is the same).
import {
  CHUNK_HDR_SZ, DEFAULT_MMAP_MAX, DEFAULT_MMAP_THRESHOLD, DEFAULT_MXFAST, DEFAULT_TOP_PAD, DEFAULT_TRIM_THRESHOLD,
  FASTBIN_CONSOLIDATION_THRESHOLD, MINSIZE, MIN_LARGE_SIZE, NBINS, NFASTBINS, PREV_INUSE, SIZE_SZ, TCACHE_FILL_COUNT,
  TCACHE_MAX_BINS, csize2tidx, fastbinIndex, largebinIndex, protectPtr, smallbinIndex,
} from "./chunk";
import { systrim } from "./heap";
import type { MmappedChunks } from "./mmap-chunk";
import type { UserMem } from "./user-mem";

/** Where a chunk of the arena is (the model's state of it). */
export const INUSE = 1;
export const TCACHED = 2;
export const FAST = 3;
export const UNSORTED = 4;
export const SMALL = 5;
export const LARGE = 6;
/** Chunk states by number, for messages. */
export const STATE_NAMES = ["", "in use", "in the tcache", "in a fastbin", "in the unsorted bin", "in a small bin", "in a large bin"];

/** struct malloc_par (mp_) and global_max_fast: what mallopt changes. */
export interface MallocPar {
  topPad: number;
  trimThreshold: number;
  mmapThreshold: number;
  nMmapsMax: number;
  noDynThreshold: boolean;
  tcacheCount: number;
  maxFast: number;
}

export function defaultPar(): MallocPar {
  return {
    topPad: DEFAULT_TOP_PAD, trimThreshold: DEFAULT_TRIM_THRESHOLD, mmapThreshold: DEFAULT_MMAP_THRESHOLD,
    nMmapsMax: DEFAULT_MMAP_MAX, noDynThreshold: false, tcacheCount: TCACHE_FILL_COUNT, maxFast: DEFAULT_MXFAST,
  };
}

export class Arena {
  /** chunks of the heap below top, by granule ((address - sbrk_base) / 16): size / 16 * 8 + state */
  private readonly table = new Map<number, number>();
  /** the footers (prev_size): end granule -> start granule of each chunk in the unsorted, small or large bins */
  private readonly footers = new Map<number, number>();
  sbrkBase = 0;
  top = 0;
  topSize = 0;
  systemMem = 0;
  maxSystemMem = 0;
  /** the tcache_perthread_struct's chunk (0 until tcache_init) */
  tcacheStruct = 0;
  /** tcache bins: chunk addresses, the head (next to be returned) last */
  readonly tcache: number[][] = Array.from({ length: TCACHE_MAX_BINS }, () => []);
  /** fastbins: chunk addresses, the head last */
  readonly fastbins: number[][] = Array.from({ length: NFASTBINS }, () => []);
  haveFastchunks = false;
  /** the unsorted bin, oldest first (malloc takes from the front: glibc's bk end) */
  readonly unsorted: number[] = [];
  /** small bins by index (2..63), oldest first */
  readonly smallbins: number[][] = Array.from({ length: MIN_LARGE_SIZE / 16 }, () => []);
  /** large bins by index (64..126), in glibc's fd order: largest first, a newer chunk second in its size run */
  readonly largebins: number[][] = Array.from({ length: NBINS }, () => []);
  lastRemainder = 0;
  private readonly ptr = new Uint32Array(2);

  constructor(
    readonly mem: UserMem,
    readonly par: MallocPar,
    /** tcache_key: the random 64-bit value a tcache entry's key holds (low, high) */
    readonly key: Uint32Array,
    /** the chunks of this process that are mappings of their own */
    readonly mmapped: MmappedChunks,
  ) {}

  /** fork: this arena becomes a copy of `src` (the child's memory is a copy of the parent's). */
  copyFrom(src: Arena): void {
    for (const [g, v] of src.table) this.table.set(g, v);
    for (const [g, v] of src.footers) this.footers.set(g, v);
    this.sbrkBase = src.sbrkBase;
    this.top = src.top;
    this.topSize = src.topSize;
    this.systemMem = src.systemMem;
    this.maxSystemMem = src.maxSystemMem;
    this.tcacheStruct = src.tcacheStruct;
    this.haveFastchunks = src.haveFastchunks;
    this.lastRemainder = src.lastRemainder;
    const lists = (d: number[][], s: number[][]) => s.forEach((l, i) => d[i]!.push(...l));
    lists(this.tcache, src.tcache);
    lists(this.fastbins, src.fastbins);
    lists(this.smallbins, src.smallbins);
    lists(this.largebins, src.largebins);
    this.unsorted.push(...src.unsorted);
    Object.assign(this.par, src.par);
    this.mmapped.copyFrom(src.mmapped);
  }

  private g(c: number): number {
    return (c - this.sbrkBase) / 16;
  }

  /** Whether a chunk of the heap (not top) starts at c. */
  hasChunk(c: number): boolean {
    return this.sbrkBase !== 0 && c >= this.sbrkBase && c < this.top && this.table.has(this.g(c));
  }

  /** The chunk at c as one number (size * 8 / 16 + state: see sizeOf, stateOf), or -1 when none starts there. */
  entry(c: number): number {
    if (this.sbrkBase === 0 || c < this.sbrkBase || c >= this.top) return -1;
    return this.table.get(this.g(c)) ?? -1;
  }

  /** The size and state held in an entry() value. */
  static sizeOf(v: number): number {
    return (v - (v % 8)) * 2;
  }

  static stateOf(v: number): number {
    return v % 8;
  }

  size(c: number): number {
    const v = this.table.get(this.g(c))!;
    return (v - (v % 8)) * 2;
  }

  state(c: number): number {
    return this.table.get(this.g(c))! % 8;
  }

  setChunk(c: number, size: number, state: number): void {
    this.table.set(this.g(c), (size / 16) * 8 + state);
  }

  deleteChunk(c: number): void {
    this.table.delete(this.g(c));
  }

  get chunkCount(): number {
    return this.table.size;
  }

  /** Every chunk below top as [address, size, state] (for checks). */
  chunkEntries(): [number, number, number][] {
    return [...this.table].map(([g, v]) => [this.sbrkBase + g * 16, Math.floor(v / 8) * 16, v % 8]);
  }

  /** The start of the binned free chunk that ends at `end` (its footer), or -1. */
  freeStart(end: number): number {
    const s = this.footers.get(this.g(end));
    return s === undefined ? -1 : this.sbrkBase + s * 16;
  }

  setFooter(c: number, size: number): void {
    this.footers.set(this.g(c + size), this.g(c));
  }

  clearFooter(end: number): void {
    this.footers.delete(this.g(end));
  }

  get footerCount(): number {
    return this.footers.size;
  }

  /** prev_inuse(c): the chunk before c is not a free chunk of the bins (the heap's first chunk counts as in use). */
  prevInuse(c: number): boolean {
    return c === this.sbrkBase || !this.footers.has(this.g(c));
  }

  /** set_head: writes c's size field with its PREV_INUSE bit. */
  writeHead(c: number, size: number): void {
    this.mem.storeSize(c + SIZE_SZ, size + (this.prevInuse(c) ? PREV_INUSE : 0));
  }

  /** Rewrites the size field of the chunk after c (set_inuse_bit_at_offset / clear_inuse_bit_at_offset). */
  writeNextHead(c: number, size: number): void {
    const n = c + size;
    this.writeHead(n, n === this.top ? this.topSize : this.size(n));
  }

  // ---- tcache ------------------------------------------------------------------------------

  /** tcache_put: e->next = PROTECT_PTR(&e->next, head), e->key = tcache_key. */
  tcachePut(c: number, idx: number, size = this.size(c)): void {
    const bin = this.tcache[idx]!;
    const e = c + CHUNK_HDR_SZ;
    const head = bin.length ? bin[bin.length - 1]! + CHUNK_HDR_SZ : 0;
    protectPtr(e, head, this.ptr);
    this.mem.store64(e, this.ptr[0]!, this.ptr[1]!);
    this.mem.store64(e + 8, this.key[0]!, this.key[1]!);
    bin.push(c);
    this.setChunk(c, size, TCACHED);
  }

  /** tcache_get: the head of bin idx, its key cleared. */
  tcacheGet(idx: number): number {
    const c = this.tcache[idx]!.pop()!;
    this.mem.store64(c + CHUNK_HDR_SZ + 8, 0, 0);
    this.setChunk(c, this.size(c), INUSE);
    return c;
  }

  /** Whether a chunk of this size goes to the tcache and its bin has room. */
  tcacheRoom(size: number): number {
    const idx = csize2tidx(size);
    return idx < TCACHE_MAX_BINS && this.tcache[idx]!.length < this.par.tcacheCount ? idx : -1;
  }

  // ---- bins --------------------------------------------------------------------------------

  /** Puts free chunk c at the front of the unsorted bin, with its head, footer and the next chunk's cleared P bit. */
  toUnsorted(c: number, size: number): void {
    this.setChunk(c, size, UNSORTED);
    this.setFooter(c, size);
    this.unsorted.push(c);
    this.writeHead(c, size);
    this.mem.storeSize(c + size, size);
    this.writeNextHead(c, size);
  }

  /** Moves chunk c, just taken off the unsorted bin, into its small or large bin. */
  toBin(c: number, size: number): void {
    if (size < MIN_LARGE_SIZE) {
      this.setChunk(c, size, SMALL);
      this.smallbins[smallbinIndex(size)]!.push(c);
      return;
    }
    this.setChunk(c, size, LARGE);
    const bin = this.largebins[largebinIndex(size)]!;
    let i = 0;
    while (i < bin.length && this.size(bin[i]!) > size) i++;
    // a chunk of a size already there goes second in that run (it keeps the run's nextsize links)
    bin.splice(i < bin.length && this.size(bin[i]!) === size ? i + 1 : i, 0, c);
  }

  /** unlink_chunk: takes free chunk c off its bin (unsorted, small or large). */
  unlink(c: number): void {
    const st = this.state(c);
    const size = this.size(c);
    const list = st === UNSORTED ? this.unsorted : st === SMALL ? this.smallbins[smallbinIndex(size)]! : this.largebins[largebinIndex(size)]!;
    list.splice(list.indexOf(c), 1);
    this.clearFooter(c + size);
  }

  /** Marks c (just unlinked, whole) in use: the next chunk's PREV_INUSE is set again. */
  useWhole(c: number, size: number): void {
    this.setChunk(c, size, INUSE);
    this.writeNextHead(c, size);
  }

  /** Splits free chunk c (unlinked) into an in-use chunk of nb and a remainder put in the unsorted bin. */
  splitFree(c: number, size: number, nb: number, small: boolean): void {
    const rem = size - nb;
    if (rem < MINSIZE) return this.useWhole(c, size);
    this.setChunk(c, nb, INUSE);
    this.writeHead(c, nb);
    this.toUnsorted(c + nb, rem);
    if (small) this.lastRemainder = c + nb;
  }

  /** Carves nb bytes off the top chunk; the caller checked it holds nb + MINSIZE. */
  splitTop(nb: number): number {
    const c = this.top;
    this.top = c + nb;
    this.topSize -= nb;
    this.setChunk(c, nb, INUSE);
    this.writeHead(c, nb);
    this.writeHead(this.top, this.topSize);
    return c;
  }

  // ---- freeing -----------------------------------------------------------------------------

  /**
   * _int_free_merge_chunk: frees chunk c of size (in use, or just taken off a fastbin), merging
   * it with a free chunk before and after it, into the unsorted bin or into top. Returns the
   * merged size.
   */
  mergeChunk(c: number, size: number): number {
    const next = c + size;
    this.deleteChunk(c);
    if (!this.prevInuse(c)) {
      const prev = this.freeStart(c);
      const psize = this.size(prev);
      this.unlink(prev);
      this.deleteChunk(prev);
      c = prev;
      size += psize;
    }
    if (next === this.top) {
      this.top = c;
      this.topSize += size;
      this.writeHead(c, this.topSize);
      return this.topSize;
    }
    const st = this.state(next);
    if (st === UNSORTED || st === SMALL || st === LARGE) {
      const nsize = this.size(next);
      this.unlink(next);
      this.deleteChunk(next);
      size += nsize;
    }
    this.toUnsorted(c, size);
    return size;
  }

  /** _int_free for an in-use chunk of the arena (validity checked by the caller). */
  intFree(c: number, size = this.size(c)): void {
    const tidx = this.tcacheStruct === 0 ? -1 : this.tcacheRoom(size);
    if (tidx >= 0) return this.tcachePut(c, tidx, size);
    if (size <= this.par.maxFast) {
      const bin = this.fastbins[fastbinIndex(size)]!;
      const e = c + CHUNK_HDR_SZ;
      protectPtr(e, bin.length ? bin[bin.length - 1]! : 0, this.ptr);
      this.mem.store64(e, this.ptr[0]!, this.ptr[1]!);
      bin.push(c);
      this.setChunk(c, size, FAST);
      this.haveFastchunks = true;
      return;
    }
    const merged = this.mergeChunk(c, size);
    // _int_free_maybe_consolidate
    if (merged >= FASTBIN_CONSOLIDATION_THRESHOLD) {
      if (this.haveFastchunks) this.consolidate();
      if (this.topSize >= this.par.trimThreshold) systrim(this, this.par.topPad);
    }
  }

  /** malloc_consolidate: every fastbin chunk is merged with its free neighbours, into the unsorted bin or top. */
  consolidate(): void {
    this.haveFastchunks = false;
    for (const bin of this.fastbins) {
      while (bin.length) {
        const c = bin.pop()!;
        this.mergeChunk(c, this.size(c));
      }
    }
  }
}
