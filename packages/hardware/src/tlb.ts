// A translation lookaside buffer with PCID tags and global pages (Intel SDM vol. 3A §4.10).
// Models one set-associative array per page size (4 KiB, 2 MiB, 1 GiB) — a unified, STLB-like
// TLB serving data and instruction fetches — with true LRU replacement per set. Does not model
// separate L1 i/d TLBs, paging-structure caches or the TLB's own latency (that is cost.ts).
//
//   va ─┬─ vpn = va >> 12 (4K) / >> 21 (2M) / >> 30 (1G), split into int32 halves (hi, lo)
//       └─ set = lo & (sets - 1) ──► ways[set*W .. set*W+W-1]
//   hit  ⇔ tagLo = lo ∧ tagHi = hi ∧ (global ∨ pcid = current PCID)   (an invalid entry has tagHi = -1)
//
// Replacement: true LRU. Every hit or fill stamps the entry with a rising counter; a fill takes
// the lowest-numbered invalid way of the set, else the way with the oldest stamp. So with 4
// ways, filling A B C D, touching A, then filling E evicts B.
//
// Flushes (SDM §4.10.4): invlpg(va) drops that page's entries in the current PCID plus global
// entries for it, at every page size; flushPcid (INVPCID single-context) drops the PCID's
// non-global entries; flushNonGlobal (CR3 write without PCIDs, INVPCID type 3) drops every
// non-global entry; flushAll (CR4.PGE toggle, INVPCID type 2) drops everything.
//
// Invariants (checked by verify()):
//   - an entry is valid exactly when its tagHi is not NO_TAG (so the hit path needs no valid bit);
//   - each array's valid count equals its number of valid entries.
import { BUG } from "@mmsim/base";
import type { WalkResult } from "./walk";

/** Linux's tlb_single_page_flush_ceiling (arch/x86/mm/tlb.c): above 33 pages, flush it all. */
export const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;

/** Geometry of a TLB: sets (a power of two) × ways per page size. */
export interface TlbConfig {
  sets4k: number; ways4k: number;
  sets2m: number; ways2m: number;
  sets1g: number; ways1g: number;
}

/**
 * Default geometry, after Intel Skylake (Intel optimization manual, table "TLB parameters"):
 * STLB 1536 entries 12-way for 4 KiB pages (128 sets), 32 entries 4-way for 2 MiB (L1 dTLB),
 * 16 entries 4-way for 1 GiB (STLB).
 */
export const DEFAULT_TLB_CONFIG: TlbConfig = Object.freeze({ sets4k: 128, ways4k: 12, sets2m: 8, ways2m: 4, sets1g: 4, ways1g: 4 });

const F_VALID = 1, F_GLOBAL = 2, F_WRITABLE = 4, F_USER = 8, F_NX = 16, F_DIRTY = 32;
/** tagHi of an invalid entry: real tag highs are >= 0, so a probe never matches an invalid entry */
const NO_TAG = -1;
const TWO_32 = 4294967296;
/** log2 of the page size of array k (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) */
const SHIFT = [12, 21, 30] as const;
const PAGE_BYTES = [4096, 2097152, 1073741824] as const;

/** A TLB entry as shown to tests and the docs (allocated on demand, never on hot paths). */
export interface TlbEntryView {
  pageSize: number;
  /** virtual page number in units of pageSize */
  vpn: number;
  pcid: number;
  global: boolean;
  writable: boolean;
  user: boolean;
  nx: boolean;
  dirty: boolean;
  /** physical address of the page */
  pa: number;
}

export class Tlb {
  /** the PCID lookups and fills use (the CPU sets it on CR3 writes) */
  pcid = 0;
  hits = 0;
  misses = 0;
  /** valid entries replaced by fills */
  evictions = 0;
  /** flush operations (invlpg, flushPcid, flushNonGlobal, flushAll) */
  flushes = 0;
  private tick = 0;

  // The three arrays (k = 0: 4 KiB, 1: 2 MiB, 2: 1 GiB) share one struct-of-arrays, held in
  // direct fields so a hit costs a handful of loads: entries [0, n4k) are the 4 KiB array,
  // then the 2 MiB one, then the 1 GiB one. Set s of array k is the ways
  // base[k] + s * ways[k] .. + ways[k] - 1. The page number is kept as int32 halves
  // (tagLo = vpn mod 2^32, tagHi = vpn / 2^32), never as a float.
  private readonly tagLo: Int32Array;
  private readonly tagHi: Int32Array;
  private readonly entryPcid: Int32Array;
  private readonly flags: Uint8Array;
  /** physical base of the page, in 4 KiB frames (ppn < 2^40 as a double) */
  private readonly ppn: Float64Array;
  private readonly stamp: Float64Array;
  private readonly base: Int32Array;
  private readonly setMask: Int32Array;
  private readonly ways: Int32Array;
  /** valid entries per array */
  private readonly valid: Int32Array;

  constructor(readonly config: TlbConfig = DEFAULT_TLB_CONFIG) {
    const sets = [config.sets4k, config.sets2m, config.sets1g];
    const ways = [config.ways4k, config.ways2m, config.ways1g];
    this.base = new Int32Array(4);
    this.setMask = new Int32Array(3);
    this.ways = new Int32Array(3);
    this.valid = new Int32Array(3);
    for (let k = 0; k < 3; k++) {
      if (sets[k] <= 0 || (sets[k] & (sets[k] - 1)) !== 0 || ways[k] <= 0) BUG("Tlb", `sets ${sets[k]} must be a power of two, ways ${ways[k]} positive`);
      this.setMask[k] = sets[k] - 1;
      this.ways[k] = ways[k];
      this.base[k + 1] = this.base[k] + sets[k] * ways[k];
    }
    const n = this.base[3];
    this.tagLo = new Int32Array(n);
    this.tagHi = new Int32Array(n).fill(NO_TAG);
    this.entryPcid = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.ppn = new Float64Array(n);
    this.stamp = new Float64Array(n);
  }

  /** Number of valid entries. */
  get size(): number {
    return this.valid[0] + this.valid[1] + this.valid[2];
  }

  /**
   * Looks `va` up for the current PCID. On a hit fills out.pa, pageSize, rights, global and
   * dirty (out.ok = true, out.tlbHit = true) and returns true; on a miss returns false and
   * leaves `out` alone. Counts hits and misses.
   */
  lookup(va: number, out: WalkResult): boolean {
    // The fast path, kept small so callers can inline it: split va into int32 halves (va < 2^57,
    // so the high half is va / 2^32 truncated, exact because the scale is a power of two) and
    // probe the 4 KiB array; huge pages and misses go to lookupHuge.
    const vlo = va >>> 0;
    const vhi = (va / TWO_32) >>> 0;
    const i = this.find(0, (vlo >>> 12) | (vhi << 20), vhi >>> 12);
    if (i < 0) return this.lookupHuge(vlo, vhi, out);
    this.hit(i, 0, vlo, out);
    return true;
  }

  /** lookup() after a 4 KiB miss: probes the 2 MiB, then the 1 GiB array. */
  private lookupHuge(vlo: number, vhi: number, out: WalkResult): boolean {
    let k = 1;
    let i = this.find(1, (vlo >>> 21) | (vhi << 11), vhi >>> 21);
    if (i < 0) {
      k = 2;
      i = this.find(2, (vlo >>> 30) | (vhi << 2), vhi >>> 30);
      if (i < 0) {
        this.misses++;
        return false;
      }
    }
    this.hit(i, k, vlo, out);
    return true;
  }

  /** Counts a hit on entry i of array k, makes it the most recently used, and reports it in `out`. */
  private hit(i: number, k: number, vlo: number, out: WalkResult): void {
    const f = this.flags[i];
    const pageSize = PAGE_BYTES[k];
    this.stamp[i] = ++this.tick;
    this.hits++;
    out.ok = true;
    out.tlbHit = true;
    out.pageSize = pageSize;
    out.pa = this.ppn[i] * 4096 + (vlo & (pageSize - 1));
    out.writable = (f & F_WRITABLE) !== 0;
    out.user = (f & F_USER) !== 0;
    out.nx = (f & F_NX) !== 0;
    out.global = (f & F_GLOBAL) !== 0;
    out.dirty = (f & F_DIRTY) !== 0;
    out.errorCode = 0;
    out.level = k + 1;
    out.entriesRead = 0;
  }

  /** Caches the successful walk in `w` for `va` under the current PCID (global if the leaf is). */
  fill(va: number, w: WalkResult): void {
    if (!w.ok) BUG("Tlb.fill", "filling a failed walk");
    const k = w.pageSize === 4096 ? 0 : w.pageSize === 2097152 ? 1 : 2;
    const vlo = va >>> 0;
    const vhi = (va / TWO_32) >>> 0;
    const s = SHIFT[k];
    const tLo = (vlo >>> s) | (vhi << (32 - s));
    const tHi = vhi >>> s;
    const i = this.victim(k, tLo, tHi);
    if (this.tagHi[i] !== NO_TAG) {
      if (!(this.tagLo[i] === tLo && this.tagHi[i] === tHi)) this.evictions++;
      this.valid[k]--;
    }
    this.tagLo[i] = tLo;
    this.tagHi[i] = tHi;
    this.entryPcid[i] = this.pcid;
    this.ppn[i] = (w.pa - (vlo & (w.pageSize - 1))) / 4096;
    this.flags[i] = F_VALID | (w.global ? F_GLOBAL : 0) | (w.writable ? F_WRITABLE : 0) | (w.user ? F_USER : 0) |
      (w.nx ? F_NX : 0) | (w.dirty ? F_DIRTY : 0);
    this.stamp[i] = ++this.tick;
    this.valid[k]++;
  }

  /** INVLPG: drops the entries for the page containing `va` in the current PCID, and global ones. */
  invlpg(va: number): void {
    this.flushes++;
    const vlo = va >>> 0;
    const vhi = (va / TWO_32) >>> 0;
    for (let k = 0; k < 3; k++) {
      const s = SHIFT[k];
      // find() returns the only entry that can match: fills never duplicate a (tag, PCID).
      for (;;) {
        const i = this.find(k, (vlo >>> s) | (vhi << (32 - s)), vhi >>> s);
        if (i < 0) break;
        this.invalidate(k, i);
      }
    }
  }

  /**
   * Drops the entries for `va`'s page visible to the current PCID without counting a flush:
   * what the CPU does itself when it raises a page fault (SDM §4.10.4.1).
   */
  dropPage(va: number): void {
    this.invlpg(va);
    this.flushes--;
  }

  /** Drops the non-global entries tagged with `pcid` (INVPCID single-context). */
  flushPcid(pcid: number): void {
    this.flushes++;
    this.dropWhere(pcid);
  }

  /** Drops every non-global entry of every PCID. */
  flushNonGlobal(): void {
    this.flushes++;
    this.dropWhere(-1);
  }

  /** Drops every entry, global ones included. */
  flushAll(): void {
    this.flushes++;
    this.flags.fill(0);
    this.tagHi.fill(NO_TAG);
    this.valid.fill(0);
  }

  /** The valid entries, 4 KiB array first, in way order (for tests and displays). */
  entries(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    for (let k = 0; k < 3; k++) {
      for (let i = this.base[k]; i < this.base[k + 1]; i++) {
        const f = this.flags[i];
        if ((f & F_VALID) === 0) continue;
        out.push({
          pageSize: PAGE_BYTES[k], vpn: (this.tagHi[i] >>> 0) * TWO_32 + (this.tagLo[i] >>> 0), pcid: this.entryPcid[i],
          global: (f & F_GLOBAL) !== 0, writable: (f & F_WRITABLE) !== 0, user: (f & F_USER) !== 0,
          nx: (f & F_NX) !== 0, dirty: (f & F_DIRTY) !== 0, pa: this.ppn[i] * 4096,
        });
      }
    }
    return out;
  }

  /**
   * Checks the invariants — each array's valid count matches its entries, and an entry is
   * valid exactly when its tagHi is not NO_TAG — and throws Bug on the first broken one.
   */
  verify(): void {
    for (let k = 0; k < 3; k++) {
      let n = 0;
      for (let i = this.base[k]; i < this.base[k + 1]; i++) {
        const valid = (this.flags[i] & F_VALID) !== 0;
        if (valid !== (this.tagHi[i] !== NO_TAG)) BUG("Tlb.verify", `entry ${i} is ${valid ? "valid" : "invalid"} but its tagHi is ${this.tagHi[i]}`);
        if (valid) n++;
      }
      if (n !== this.valid[k]) BUG("Tlb.verify", `${PAGE_BYTES[k]}-byte array counts ${this.valid[k]} valid entries, holds ${n}`);
    }
  }

  /**
   * The hit path's probe: index of the entry of array k for page number (tLo, tHi) visible to
   * the current PCID, or -1. Invalid entries carry tagHi = NO_TAG, so no valid-bit test.
   */
  private find(k: number, tLo: number, tHi: number): number {
    const ways = this.ways[k];
    const start = this.base[k] + (tLo & this.setMask[k]) * ways;
    const end = start + ways;
    for (let i = start; i < end; i++) {
      if (this.tagLo[i] === tLo && this.tagHi[i] === tHi && (this.entryPcid[i] === this.pcid || (this.flags[i] & F_GLOBAL) !== 0)) return i;
    }
    return -1;
  }

  /** The way a fill of (tLo, tHi) in array k goes to: the same tag, else an invalid way, else LRU. */
  private victim(k: number, tLo: number, tHi: number): number {
    const existing = this.find(k, tLo, tHi);
    if (existing >= 0) return existing;
    const ways = this.ways[k];
    const start = this.base[k] + (tLo & this.setMask[k]) * ways;
    let best = start;
    for (let i = start; i < start + ways; i++) {
      if (this.tagHi[i] === NO_TAG) return i;
      if (this.stamp[i] < this.stamp[best]) best = i;
    }
    return best;
  }

  private invalidate(k: number, i: number): void {
    if (this.tagHi[i] !== NO_TAG) this.valid[k]--;
    this.flags[i] = 0;
    this.tagHi[i] = NO_TAG;
  }

  /** Drops the valid non-global entries tagged with `pcid`, or of every PCID when pcid is -1. */
  private dropWhere(pcid: number): void {
    for (let k = 0; k < 3; k++) {
      for (let i = this.base[k]; i < this.base[k + 1]; i++) {
        const f = this.flags[i];
        if ((f & F_VALID) !== 0 && (f & F_GLOBAL) === 0 && (pcid < 0 || this.entryPcid[i] === pcid)) this.invalidate(k, i);
      }
    }
  }
}
