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
import { RIGHT_DIRTY, RIGHT_GLOBAL, RIGHT_NX, RIGHT_USER, RIGHT_WRITABLE } from "./walk";

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

// An entry's flags: its valid bit, then WalkResult's RIGHT_* bits unchanged (so a hit reports
// them with one store). Local copies: an imported binding is a load through a module cell per use.
const F_VALID = 1, F_GLOBAL = RIGHT_GLOBAL, F_WRITABLE = RIGHT_WRITABLE, F_USER = RIGHT_USER, F_NX = RIGHT_NX, F_DIRTY = RIGHT_DIRTY;
/** The rights bits WalkResult.rights can hold. */
const F_RIGHTS = F_GLOBAL | F_WRITABLE | F_USER | F_NX | F_DIRTY;
/** tagHi of an invalid entry: real tag highs are >= 0, so a probe never matches an invalid entry */
const NO_TAG = -1;
const TWO_32 = 4294967296;
/** log2 of the page size of array k (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) */
const SHIFT = [12, 21, 30] as const;
const PAGE_BYTES = [4096, 2097152, 1073741824] as const;
/** Int32 words per entry in `e`: tagLo, tagHi, pcid, flags */
const STRIDE = 4;
/** LRU stamps stay Smis (31-bit) on the hit path; past this the stamps are renumbered (see renumber). */
const TICK_LIMIT = 0x3fffffff;

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
  /** the last LRU stamp handed out (a Smi: see TICK_LIMIT) */
  private tick = 0;

  // Fields assigned in the constructor are `declare`d: a plain declaration would first define
  // them as undefined (ES2022 class fields), and V8 would then type them as "anything" and check
  // their maps and Smi tags on every probe.
  declare readonly config: TlbConfig;

  // The three arrays (k = 0: 4 KiB, 1: 2 MiB, 2: 1 GiB) share one struct-of-arrays: entries
  // [0, n4k) are the 4 KiB array, then the 2 MiB one, then the 1 GiB one. Set s of array k is
  // the ways base[k] + s * ways[k] .. + ways[k] - 1. Entry i's tag, PCID and flags are the four
  // int32 words e[4i .. 4i+3] = tagLo, tagHi, pcid, flags, so a probe reads one array (one
  // base pointer, one bounds check per word, one cache line per set of 4 ways). The page
  // number is kept as int32 halves (tagLo = vpn mod 2^32, tagHi = vpn / 2^32), never as a float.
  private declare readonly e: Int32Array;
  /** physical address of the page each entry maps (< 2^52, exact as a double) */
  private declare readonly pageBase: Float64Array;
  /** LRU stamps, compared only within a set */
  private declare readonly stamp: Int32Array;
  private declare readonly base: Int32Array;
  private declare readonly setMask: Int32Array;
  private declare readonly ways: Int32Array;
  /** valid entries per array */
  private declare readonly valid: Int32Array;
  // The 4 KiB array's geometry as plain Smi fields for the hit path (its base is 0).
  private declare readonly mask4k: number;
  private declare readonly ways4k: number;

  constructor(config: TlbConfig = DEFAULT_TLB_CONFIG) {
    this.config = config;
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
    this.mask4k = this.setMask[0];
    this.ways4k = this.ways[0];
    const n = this.base[3];
    this.e = new Int32Array(n * STRIDE);
    for (let i = 0; i < n; i++) this.e[i * STRIDE + 1] = NO_TAG;
    this.pageBase = new Float64Array(n);
    this.stamp = new Int32Array(n);
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
    return this.probe(va, out) !== 0;
  }

  /**
   * lookup() for the MMU: on a hit returns the entry's flags, 1 (valid) | out.rights (RIGHT_*
   * bits), so the caller can check rights without reading `out` back; on a miss returns 0.
   */
  probe(va: number, out: WalkResult): number {
    // The fast path, kept small so callers can inline it: split va into int32 halves (va < 2^57,
    // so the high half is va / 2^32 truncated, exact because the scale is a power of two) and
    // probe the 4 KiB array; huge pages and misses go to probeHuge.
    const vlo = va >>> 0;
    const vhi = (va / TWO_32) >>> 0;
    const tLo = (vlo >>> 12) | (vhi << 20);
    const tHi = vhi >>> 12;
    const e = this.e;
    const ways = this.ways4k;
    const first = (tLo & this.mask4k) * ways;
    for (let i = first; i < first + ways; i++) {
      const x = i << 2; // i * STRIDE
      if (e[x] === tLo && e[x + 1] === tHi && (e[x + 2] === this.pcid || (e[x + 3] & F_GLOBAL) !== 0)) {
        return this.hit(i, 4096, 1, vlo, out);
      }
    }
    return this.probeHuge(vlo, vhi, out);
  }

  /** probe() after a 4 KiB miss: the 2 MiB, then the 1 GiB array (each skipped while empty). */
  private probeHuge(vlo: number, vhi: number, out: WalkResult): number {
    const valid = this.valid;
    if (valid[1] !== 0) {
      const i = this.find(1, (vlo >>> 21) | (vhi << 11), vhi >>> 21);
      if (i >= 0) return this.hit(i, 2097152, 2, vlo, out);
    }
    if (valid[2] !== 0) {
      const i = this.find(2, (vlo >>> 30) | (vhi << 2), vhi >>> 30);
      if (i >= 0) return this.hit(i, 1073741824, 3, vlo, out);
    }
    this.misses++;
    return 0;
  }

  /**
   * Counts a hit on entry i (a page of pageSize at paging `level`), makes it the most recently
   * used, reports it in `out` and returns its flags.
   */
  private hit(i: number, pageSize: number, level: number, vlo: number, out: WalkResult): number {
    const f = this.e[(i << 2) + 3];
    const t = this.tick + 1;
    this.tick = t;
    this.stamp[i] = t;
    if (t === TICK_LIMIT) this.renumber();
    this.hits++;
    out.ok = true;
    out.tlbHit = true;
    out.pageSize = pageSize;
    out.pa = this.pageBase[i] + (vlo & (pageSize - 1));
    out.rights = f ^ F_VALID;
    out.errorCode = 0;
    out.level = level;
    out.entriesRead = 0;
    return f;
  }

  /** Caches the successful walk in `w` for `va` under the current PCID (global if the leaf is). */
  fill(va: number, w: WalkResult): void {
    if (!w.ok) BUG("Tlb.fill", "filling a failed walk");
    const pageSize = w.pageSize;
    const vlo = va >>> 0;
    const vhi = (va / TWO_32) >>> 0;
    let k = 0, tLo = 0, tHi = 0;
    if (pageSize === 4096) {
      tLo = (vlo >>> 12) | (vhi << 20);
      tHi = vhi >>> 12;
    } else if (pageSize === 2097152) {
      k = 1;
      tLo = (vlo >>> 21) | (vhi << 11);
      tHi = vhi >>> 21;
    } else {
      k = 2;
      tLo = (vlo >>> 30) | (vhi << 2);
      tHi = vhi >>> 30;
    }
    const i = this.victim(k, tLo, tHi);
    const e = this.e;
    const x = i << 2;
    if (e[x + 1] === NO_TAG) this.valid[k]++;
    else if (!(e[x] === tLo && e[x + 1] === tHi)) this.evictions++;
    e[x] = tLo;
    e[x + 1] = tHi;
    e[x + 2] = this.pcid;
    e[x + 3] = F_VALID | (w.rights & F_RIGHTS);
    this.pageBase[i] = w.pa - (vlo & (pageSize - 1));
    const t = this.tick + 1;
    this.tick = t;
    this.stamp[i] = t;
    if (t === TICK_LIMIT) this.renumber();
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
    const e = this.e;
    for (let x = 0; x < e.length; x += STRIDE) {
      e[x + 1] = NO_TAG;
      e[x + 3] = 0;
    }
    this.valid.fill(0);
  }

  /** The valid entries, 4 KiB array first, in way order (for tests and displays). */
  entries(): TlbEntryView[] {
    const out: TlbEntryView[] = [];
    const e = this.e;
    for (let k = 0; k < 3; k++) {
      for (let i = this.base[k]; i < this.base[k + 1]; i++) {
        const x = i * STRIDE;
        const f = e[x + 3];
        if ((f & F_VALID) === 0) continue;
        out.push({
          pageSize: PAGE_BYTES[k], vpn: (e[x + 1] >>> 0) * TWO_32 + (e[x] >>> 0), pcid: e[x + 2],
          global: (f & F_GLOBAL) !== 0, writable: (f & F_WRITABLE) !== 0, user: (f & F_USER) !== 0,
          nx: (f & F_NX) !== 0, dirty: (f & F_DIRTY) !== 0, pa: this.pageBase[i],
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
    const e = this.e;
    for (let k = 0; k < 3; k++) {
      let n = 0;
      for (let i = this.base[k]; i < this.base[k + 1]; i++) {
        const x = i * STRIDE;
        const valid = (e[x + 3] & F_VALID) !== 0;
        if (valid !== (e[x + 1] !== NO_TAG)) BUG("Tlb.verify", `entry ${i} is ${valid ? "valid" : "invalid"} but its tagHi is ${e[x + 1]}`);
        if (valid) n++;
      }
      if (n !== this.valid[k]) BUG("Tlb.verify", `${PAGE_BYTES[k]}-byte array counts ${this.valid[k]} valid entries, holds ${n}`);
    }
  }

  /**
   * The probe for array k: index of the entry for page number (tLo, tHi) visible to the
   * current PCID, or -1. Invalid entries carry tagHi = NO_TAG, so no valid-bit test.
   */
  private find(k: number, tLo: number, tHi: number): number {
    const e = this.e;
    const ways = this.ways[k];
    const start = this.base[k] + (tLo & this.setMask[k]) * ways;
    for (let i = start; i < start + ways; i++) {
      const x = i << 2;
      if (e[x] === tLo && e[x + 1] === tHi && (e[x + 2] === this.pcid || (e[x + 3] & F_GLOBAL) !== 0)) return i;
    }
    return -1;
  }

  /**
   * The way a fill of (tLo, tHi) in array k goes to: the entry already holding that page (for
   * the current PCID or global), else the lowest-numbered invalid way, else the least recently
   * used way. One pass over the set.
   */
  private victim(k: number, tLo: number, tHi: number): number {
    const e = this.e;
    const stamp = this.stamp;
    const ways = this.ways[k];
    const start = this.base[k] + (tLo & this.setMask[k]) * ways;
    let free = -1;
    let lru = start; // only compared while every way so far is valid (else `free` wins)
    for (let i = start; i < start + ways; i++) {
      const x = i << 2;
      const hi = e[x + 1];
      if (hi === NO_TAG) {
        if (free < 0) free = i;
      } else if (e[x] === tLo && hi === tHi && (e[x + 2] === this.pcid || (e[x + 3] & F_GLOBAL) !== 0)) {
        return i;
      } else if (stamp[i] < stamp[lru]) {
        lru = i;
      }
    }
    return free >= 0 ? free : lru;
  }

  /**
   * Renumbers the LRU stamps when the tick reaches TICK_LIMIT (every ~10^9 hits and fills), so
   * stamps stay int32 and the tick a Smi: within each set the stamps are replaced by their
   * ranks 1..ways, which keeps every comparison victim() makes, and the tick restarts above
   * them. Invalid entries' stamps are never compared; they get ranks too.
   */
  private renumber(): void {
    const stamp = this.stamp;
    let top = 0;
    for (let k = 0; k < 3; k++) {
      const ways = this.ways[k];
      const rank = new Int32Array(ways);
      for (let start = this.base[k]; start < this.base[k + 1]; start += ways) {
        for (let i = 0; i < ways; i++) {
          const si = stamp[start + i];
          let r = 1;
          for (let j = 0; j < ways; j++) {
            const sj = stamp[start + j];
            if (sj < si || (sj === si && j < i)) r++;
          }
          rank[i] = r;
        }
        stamp.set(rank, start);
      }
      if (ways > top) top = ways;
    }
    this.tick = top;
  }

  private invalidate(k: number, i: number): void {
    const x = i * STRIDE;
    if (this.e[x + 1] !== NO_TAG) this.valid[k]--;
    this.e[x + 3] = 0;
    this.e[x + 1] = NO_TAG;
  }

  /** Drops the valid non-global entries tagged with `pcid`, or of every PCID when pcid is -1. */
  private dropWhere(pcid: number): void {
    const e = this.e;
    for (let k = 0; k < 3; k++) {
      for (let i = this.base[k]; i < this.base[k + 1]; i++) {
        const f = e[i * STRIDE + 3];
        if ((f & F_VALID) !== 0 && (f & F_GLOBAL) === 0 && (pcid < 0 || e[i * STRIDE + 2] === pcid)) this.invalidate(k, i);
      }
    }
  }
}
