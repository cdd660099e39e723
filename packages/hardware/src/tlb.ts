// A translation lookaside buffer with PCID tags and global pages (Intel SDM vol. 3A §4.10).
// Models one set-associative array per page size (4 KiB, 2 MiB, 1 GiB) — a unified, STLB-like
// TLB serving data and instruction fetches — with true LRU replacement per set. Does not model
// separate L1 i/d TLBs, paging-structure caches or the TLB's own latency (that is cost.ts).
//
//   va ─┬─ vpn = va >> 12 (4K) / >> 21 (2M) / >> 30 (1G), split into int32 halves (hi, lo)
//       └─ set = lo & (sets - 1) ──► ways[set*W .. set*W+W-1]
//   hit  ⇔ valid ∧ tagLo = lo ∧ tagHi = hi ∧ (global ∨ pcid = current PCID)
//
// Replacement: true LRU. Every hit or fill stamps the entry with a rising counter; a fill takes
// the lowest-numbered invalid way of the set, else the way with the oldest stamp. So with 4
// ways, filling A B C D, touching A, then filling E evicts B.
//
// Flushes (SDM §4.10.4): invlpg(va) drops that page's entries in the current PCID plus global
// entries for it, at every page size; flushPcid (INVPCID single-context) drops the PCID's
// non-global entries; flushNonGlobal (CR3 write without PCIDs, INVPCID type 3) drops every
// non-global entry; flushAll (CR4.PGE toggle, INVPCID type 2) drops everything.
import { BUG, TWO_32 } from "@mmsim/base";
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

/** One set-associative array for one page size. */
class TlbArray {
  readonly tagLo: Int32Array;
  readonly tagHi: Int32Array;
  readonly pcid: Int32Array;
  readonly flags: Uint8Array;
  /** physical base of the page, in 4 KiB frames (ppn < 2^40 as a double) */
  readonly ppn: Float64Array;
  readonly stamp: Float64Array;
  readonly setMask: number;
  /** bytes per page and the in-page offset mask (precomputed: `2 ** shift` on the hit path is a slow runtime call) */
  readonly pageSize: number;
  readonly offMask: number;
  valid = 0;

  constructor(readonly shift: number, readonly sets: number, readonly ways: number) {
    if (sets <= 0 || (sets & (sets - 1)) !== 0 || ways <= 0) BUG("Tlb", `sets ${sets} must be a power of two, ways ${ways} positive`);
    const n = sets * ways;
    this.tagLo = new Int32Array(n);
    this.tagHi = new Int32Array(n);
    this.pcid = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.ppn = new Float64Array(n);
    this.stamp = new Float64Array(n);
    this.setMask = sets - 1;
    this.pageSize = 2 ** shift;
    this.offMask = this.pageSize - 1;
  }

  /** Index of the entry for (vpnLo, vpnHi) visible to `pcid`, or -1. */
  find(vpnLo: number, vpnHi: number, pcid: number): number {
    const w = this.ways;
    const start = (vpnLo & this.setMask) * w;
    for (let i = start; i < start + w; i++) {
      const f = this.flags[i];
      if ((f & F_VALID) !== 0 && this.tagLo[i] === vpnLo && this.tagHi[i] === vpnHi && ((f & F_GLOBAL) !== 0 || this.pcid[i] === pcid)) return i;
    }
    return -1;
  }

  /** The way a fill of (vpnLo, vpnHi, pcid) goes to: the same tag, else an invalid way, else LRU. */
  victim(vpnLo: number, vpnHi: number, pcid: number): number {
    const existing = this.find(vpnLo, vpnHi, pcid);
    if (existing >= 0) return existing;
    const w = this.ways;
    const start = (vpnLo & this.setMask) * w;
    let best = start;
    for (let i = start; i < start + w; i++) {
      if ((this.flags[i] & F_VALID) === 0) return i;
      if (this.stamp[i] < this.stamp[best]) best = i;
    }
    return best;
  }

  invalidate(i: number): void {
    if ((this.flags[i] & F_VALID) !== 0) this.valid--;
    this.flags[i] = 0;
  }
}

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
  private readonly arrays: readonly [TlbArray, TlbArray, TlbArray];

  constructor(readonly config: TlbConfig = DEFAULT_TLB_CONFIG) {
    this.arrays = [
      new TlbArray(12, config.sets4k, config.ways4k),
      new TlbArray(21, config.sets2m, config.ways2m),
      new TlbArray(30, config.sets1g, config.ways1g),
    ];
  }

  /** Number of valid entries. */
  get size(): number {
    return this.arrays[0].valid + this.arrays[1].valid + this.arrays[2].valid;
  }

  /**
   * Looks `va` up for the current PCID. On a hit fills out.pa, pageSize, rights, global and
   * dirty (out.ok = true, out.tlbHit = true) and returns true; on a miss returns false and
   * leaves `out` alone. Counts hits and misses.
   */
  lookup(va: number, out: WalkResult): boolean {
    const vlo = va >>> 0;
    const vhi = (va - vlo) / TWO_32;
    const pcid = this.pcid;
    for (let k = 0; k < 3; k++) {
      const a = this.arrays[k];
      const s = a.shift;
      const tLo = (vlo >>> s) | (vhi << (32 - s));
      const tHi = vhi >>> s;
      const i = a.find(tLo, tHi, pcid);
      if (i < 0) continue;
      const f = a.flags[i];
      a.stamp[i] = ++this.tick;
      out.ok = true;
      out.tlbHit = true;
      out.pageSize = a.pageSize;
      out.pa = a.ppn[i] * 4096 + (vlo & a.offMask);
      out.writable = (f & F_WRITABLE) !== 0;
      out.user = (f & F_USER) !== 0;
      out.nx = (f & F_NX) !== 0;
      out.global = (f & F_GLOBAL) !== 0;
      out.dirty = (f & F_DIRTY) !== 0;
      out.errorCode = 0;
      out.level = k + 1;
      out.entriesRead = 0;
      this.hits++;
      return true;
    }
    this.misses++;
    return false;
  }

  /** Caches the successful walk in `w` for `va` under the current PCID (global if the leaf is). */
  fill(va: number, w: WalkResult): void {
    if (!w.ok) BUG("Tlb.fill", "filling a failed walk");
    const k = w.pageSize === 4096 ? 0 : w.pageSize === 2097152 ? 1 : 2;
    const a = this.arrays[k];
    const vlo = va >>> 0;
    const vhi = (va - vlo) / TWO_32;
    const s = a.shift;
    const tLo = (vlo >>> s) | (vhi << (32 - s));
    const tHi = vhi >>> s;
    const i = a.victim(tLo, tHi, this.pcid);
    if ((a.flags[i] & F_VALID) !== 0) {
      if (!(a.tagLo[i] === tLo && a.tagHi[i] === tHi)) this.evictions++;
      a.valid--;
    }
    a.tagLo[i] = tLo;
    a.tagHi[i] = tHi;
    a.pcid[i] = this.pcid;
    a.ppn[i] = (w.pa - (vlo & (w.pageSize - 1))) / 4096;
    a.flags[i] = F_VALID | (w.global ? F_GLOBAL : 0) | (w.writable ? F_WRITABLE : 0) | (w.user ? F_USER : 0) |
      (w.nx ? F_NX : 0) | (w.dirty ? F_DIRTY : 0);
    a.stamp[i] = ++this.tick;
    a.valid++;
  }

  /** INVLPG: drops the entries for the page containing `va` in the current PCID, and global ones. */
  invlpg(va: number): void {
    this.flushes++;
    const vlo = va >>> 0;
    const vhi = (va - vlo) / TWO_32;
    for (let k = 0; k < 3; k++) {
      const a = this.arrays[k];
      const s = a.shift;
      const tLo = (vlo >>> s) | (vhi << (32 - s));
      const tHi = vhi >>> s;
      const start = (tLo & a.setMask) * a.ways;
      for (let i = start; i < start + a.ways; i++) {
        const f = a.flags[i];
        if ((f & F_VALID) !== 0 && a.tagLo[i] === tLo && a.tagHi[i] === tHi && ((f & F_GLOBAL) !== 0 || a.pcid[i] === this.pcid)) a.invalidate(i);
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
    this.dropWhere((f, p) => (f & F_GLOBAL) === 0 && p === pcid);
  }

  /** Drops every non-global entry of every PCID. */
  flushNonGlobal(): void {
    this.flushes++;
    this.dropWhere((f) => (f & F_GLOBAL) === 0);
  }

  /** Drops every entry, global ones included. */
  flushAll(): void {
    this.flushes++;
    for (const a of this.arrays) {
      a.flags.fill(0);
      a.valid = 0;
    }
  }

  /** The valid entries, 4 KiB array first, in way order (for tests and displays). */
  entries(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    for (const a of this.arrays) {
      for (let i = 0; i < a.flags.length; i++) {
        const f = a.flags[i];
        if ((f & F_VALID) === 0) continue;
        out.push({
          pageSize: 2 ** a.shift, vpn: (a.tagHi[i] >>> 0) * TWO_32 + (a.tagLo[i] >>> 0), pcid: a.pcid[i],
          global: (f & F_GLOBAL) !== 0, writable: (f & F_WRITABLE) !== 0, user: (f & F_USER) !== 0,
          nx: (f & F_NX) !== 0, dirty: (f & F_DIRTY) !== 0, pa: a.ppn[i] * 4096,
        });
      }
    }
    return out;
  }

  /** Checks that each array's valid count matches its entries; throws Bug otherwise. */
  verify(): void {
    for (const a of this.arrays) {
      let n = 0;
      for (let i = 0; i < a.flags.length; i++) if ((a.flags[i] & F_VALID) !== 0) n++;
      if (n !== a.valid) BUG("Tlb.verify", `${2 ** a.shift}-byte array counts ${a.valid} valid entries, holds ${n}`);
    }
  }

  private dropWhere(pred: (flags: number, pcid: number) => boolean): void {
    for (const a of this.arrays) {
      for (let i = 0; i < a.flags.length; i++) if ((a.flags[i] & F_VALID) !== 0 && pred(a.flags[i], a.pcid[i])) a.invalidate(i);
    }
  }
}
