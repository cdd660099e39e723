// A translation lookaside buffer with PCID tags and global pages (Intel SDM vol. 3A §4.10).
// Models one set-associative array per page size (4 KiB, 2 MiB, 1 GiB) — a unified, STLB-like
// TLB serving data and instruction fetches — with true LRU replacement per set. Does not model
// separate L1 i/d TLBs, paging-structure caches or the TLB's own latency (that is cost.ts).
//
//   va ─┬─ vpn = va >> 12 (4K) / >> 21 (2M) / >> 30 (1G), split into int32 halves (hi, lo)
//       └─ set = lo & (sets - 1) ──► ways[set*W .. set*W+W-1]
//   key  = hi | owner << 16, owner = the entry's PCID, or GLOBAL_OWNER for a global entry
//   hit  ⇔ tagLo = lo ∧ (key = hi | PCID << 16 ∨ key = hi | GLOBAL_OWNER << 16)
//        (an invalid entry has key = -1; the PCID costs no compare of its own)
//
// Replacement: true LRU. Every hit or fill stamps the entry with a rising counter; a fill takes
// the lowest-numbered invalid way of the set, else the way with the oldest stamp. So with 4
// ways, filling A B C D, touching A, then filling E evicts B. The same counter counts the
// hits: hits = tick - fills - denied hits (+ what renumbering took off), so a hit adds nothing.
//
// Flushes (SDM §4.10.4): invlpg(va) drops that page's entries in the current PCID plus global
// entries for it, at every page size; flushPcid (INVPCID single-context) drops the PCID's
// non-global entries; flushNonGlobal (CR3 write without PCIDs, INVPCID type 3) drops every
// non-global entry; flushAll (CR4.PGE toggle, INVPCID type 2) drops everything.
//
// Invariants (checked by verify()):
//   - an entry is valid exactly when its key is not NO_TAG (so the hit path needs no valid bit);
//   - a valid entry's owner is GLOBAL_OWNER exactly when its flags have RIGHT_GLOBAL;
//   - each array's valid count equals its number of valid entries.
import { BUG } from "@mmsim/base";
import type { WalkResult } from "./walk";
import type { TlbConfig, TlbEntryView } from "./tlb-entry";
import {
  DEFAULT_TLB_CONFIG, F_GLOBAL as F_GLOBAL_, F_PCID_SHIFT as F_PCID_SHIFT_, F_RIGHTS as F_RIGHTS_, F_VALID as F_VALID_,
  GLOBAL_KEY as GLOBAL_KEY_, NO_TAG as NO_TAG_, OWNER_SHIFT as OWNER_SHIFT_, STRIDE as STRIDE_, TAG_HI_MASK as TAG_HI_MASK_,
  TICK_LIMIT as TICK_LIMIT_, entryViews, renumberStamps, verifyEntries,
} from "./tlb-entry";

export { DEFAULT_TLB_CONFIG, TLB_SINGLE_PAGE_FLUSH_CEILING } from "./tlb-entry";
export type { TlbConfig, TlbEntryView } from "./tlb-entry";

// Local copies of the entry format (tlb-entry.ts): an imported binding is a load through a
// module cell per use.
const F_VALID = F_VALID_, F_GLOBAL = F_GLOBAL_, F_RIGHTS = F_RIGHTS_, F_PCID_SHIFT = F_PCID_SHIFT_;
const OWNER_SHIFT = OWNER_SHIFT_, TAG_HI_MASK = TAG_HI_MASK_, GLOBAL_KEY = GLOBAL_KEY_, NO_TAG = NO_TAG_;
const STRIDE = STRIDE_, TICK_LIMIT = TICK_LIMIT_;
/**
 * 2^-32: multiplying by a power of two is exact, like dividing by it, and stays one
 * multiplication in the bundled dist, where a module constant becomes a `var` and a division by
 * it a real division (performance.md, rule 9).
 */
const INV_TWO_32 = 1 / 4294967296;
/** log2 of the page size of array k (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB) */
const SHIFT = [12, 21, 30] as const;
const PAGE_BYTES = [4096, 2097152, 1073741824] as const;
const OFF_4K = 4095, OFF_2M = 2097151, OFF_1G = 1073741823;

export class Tlb {
  misses = 0;
  /** valid entries replaced by fills */
  evictions = 0;
  /** flush operations (invlpg, flushPcid, flushNonGlobal, flushAll) */
  flushes = 0;
  /** the last LRU stamp handed out (a Smi: see TICK_LIMIT); every hit, fill and denied hit takes one */
  private tick = 0;
  /** hits - tick: minus the fills and denied hits, plus what renumbering took off the tick */
  private hitsAdj = 0;
  /** set by a denied hit (an entry that maps va but fails the rights rule); see dropPageAfterMiss */
  private deniedHit = false;
  /**
   * The va of the last fault (dropPageAfterMiss), while nothing has been filled and the PCID has
   * not changed since: no entry maps its page then (-1: none). See hitPaRetry.
   */
  private faultVa = -1;
  /** the current PCID, and it << OWNER_SHIFT as the key's owner part */
  private curPcid = 0;
  private ownerKey = 0;

  // Fields assigned in the constructor are `declare`d: a plain declaration would first define
  // them as undefined (ES2022 class fields), and V8 would then type them as "anything" and check
  // their maps and Smi tags on every probe.
  declare readonly config: TlbConfig;

  // The three arrays (k = 0: 4 KiB, 1: 2 MiB, 2: 1 GiB) share one struct-of-arrays: entries
  // [0, n4k) are the 4 KiB array, then the 2 MiB one, then the 1 GiB one. Set s of array k is
  // the ways base[k] + s * ways[k] .. + ways[k] - 1. Entry i is the four int32 words
  // e[4i .. 4i+3] = tagLo, key, flags, LRU stamp, so a hit touches one array (one base
  // pointer, one bounds check per word, one cache line per set of 4 ways). The page number is
  // kept as int32 halves (tagLo = vpn mod 2^32, tagHi = vpn / 2^32), never as a float.
  private declare readonly e: Int32Array;
  /** physical address of the page each entry maps (< 2^52, exact as a double) */
  private declare readonly pageBase: Float64Array;
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
  }

  /** the PCID lookups and fills use (the CPU sets it on CR3 writes; 12 bits) */
  get pcid(): number {
    return this.curPcid;
  }
  set pcid(pcid: number) {
    if (pcid !== (pcid & 0xfff)) BUG("Tlb.pcid", `pcid ${pcid} is not 12 bits`);
    this.curPcid = pcid;
    this.ownerKey = pcid << OWNER_SHIFT;
    this.faultVa = -1;
  }

  /** Lookups that hit and whose rights allowed the access (a denied hit counts as a miss). */
  get hits(): number {
    return this.tick + this.hitsAdj;
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
    if (this.hitPa(va, 0) < 0) return false;
    this.report(va, out);
    return true;
  }

  /**
   * The TLB hit as the MMU uses it: looks `va` up for the current PCID and returns its physical
   * address when an entry maps it and the entry's flags pass `rule`, else -1. `rule` is
   * (want << 8) | mask over the RIGHT_* bits (mmu.ts's rightsRule): the flags pass when
   * (flags & mask) === want; rule 0 passes any entry. A hit makes the entry the most recently
   * used; an entry that fails the rule (a denied hit: the MMU walks again) is counted as a miss.
   */
  hitPa(va: number, rule: number): number {
    // The fast path, small enough for callers to inline: split va into int32 halves (va < 2^57,
    // so the high half is va / 2^32 truncated, exact because the scale is a power of two) and
    // probe the 4 KiB array, comparing the tag's low half, then its high half and owner in one
    // word; huge pages and misses go to hitHuge.
    const vlo = va >>> 0;
    const vhi = (va * INV_TWO_32) >>> 0;
    const tLo = (vlo >>> 12) | (vhi << 20);
    const tHi = vhi >>> 12;
    const key = tHi | this.ownerKey;
    const e = this.e;
    const ways = this.ways4k;
    const first = (tLo & this.mask4k) * ways;
    for (let i = first; i < first + ways; i++) {
      const x = i << 2; // i * STRIDE
      if (e[x] === tLo) {
        const k = e[x + 1];
        if (k === key || k === (tHi | GLOBAL_KEY)) {
          const t = this.tick + 1;
          this.tick = t;
          e[x + 3] = t;
          if ((e[x + 2] & rule) !== rule >>> 8 || t === TICK_LIMIT) return this.hitSlow(i, rule, vlo & OFF_4K);
          return this.pageBase[i] + (vlo & OFF_4K);
        }
      }
    }
    return this.hitHuge(vlo, vhi, rule);
  }

  /** hitPa() after a 4 KiB miss: the 2 MiB, then the 1 GiB array (each skipped while empty). */
  private hitHuge(vlo: number, vhi: number, rule: number): number {
    const valid = this.valid;
    if (valid[1] !== 0) {
      const i = this.find(1, (vlo >>> 21) | (vhi << 11), vhi >>> 21);
      if (i >= 0) return this.hitAt(i, rule, vlo & OFF_2M);
    }
    if (valid[2] !== 0) {
      const i = this.find(2, (vlo >>> 30) | (vhi << 2), vhi >>> 30);
      if (i >= 0) return this.hitAt(i, rule, vlo & OFF_1G);
    }
    this.misses++;
    return -1;
  }

  /** A hit on entry i (at `off` into its page) outside the 4 KiB fast path: stamp, then hitSlow. */
  private hitAt(i: number, rule: number, off: number): number {
    const t = this.tick + 1;
    this.tick = t;
    this.e[(i << 2) + 3] = t;
    return this.hitSlow(i, rule, off);
  }

  /** The rare ends of a stamped hit on entry i: renumbering at TICK_LIMIT, and a denied hit (-1). */
  private hitSlow(i: number, rule: number, off: number): number {
    if (this.tick === TICK_LIMIT) this.renumber();
    if ((this.e[(i << 2) + 2] & rule) !== rule >>> 8) {
      this.hitsAdj--;
      this.misses++;
      this.deniedHit = true;
      return -1;
    }
    return this.pageBase[i] + off;
  }

  /**
   * Reports the entry that maps `va` for the current PCID in `out` (ok, tlbHit, pa, pageSize,
   * rights, level; entriesRead and errorCode 0), without counting or touching the LRU order.
   * Returns false, leaving `out` alone, when no entry maps it.
   */
  report(va: number, out: WalkResult): boolean {
    const vlo = va >>> 0;
    const vhi = (va * INV_TWO_32) >>> 0;
    for (let k = 0; k < 3; k++) {
      const s = SHIFT[k];
      const i = this.find(k, (vlo >>> s) | (vhi << (32 - s)), vhi >>> s);
      if (i < 0) continue;
      const pageSize = PAGE_BYTES[k];
      out.ok = true;
      out.tlbHit = true;
      out.pageSize = pageSize;
      out.pa = this.pageBase[i] + (vlo & (pageSize - 1));
      out.rights = this.e[(i << 2) + 2] & F_RIGHTS;
      out.errorCode = 0;
      out.level = k + 1;
      out.entriesRead = 0;
      return true;
    }
    return false;
  }

  /** Caches the successful walk in `w` for `va` under the current PCID (global if the leaf is). */
  fill(va: number, w: WalkResult): void {
    if (!w.ok) BUG("Tlb.fill", "filling a failed walk");
    const pageSize = w.pageSize;
    const vlo = va >>> 0;
    const vhi = (va * INV_TWO_32) >>> 0;
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
    this.faultVa = -1;
    const e = this.e;
    const x = i << 2;
    if (e[x + 1] === NO_TAG) this.valid[k]++;
    else if (!(e[x] === tLo && (e[x + 1] & TAG_HI_MASK) === tHi)) this.evictions++;
    const rights = w.rights & F_RIGHTS;
    e[x] = tLo;
    e[x + 1] = tHi | ((rights & F_GLOBAL) !== 0 ? GLOBAL_KEY : this.ownerKey);
    e[x + 2] = F_VALID | rights | (this.curPcid << F_PCID_SHIFT);
    this.pageBase[i] = w.pa - (vlo & (pageSize - 1));
    const t = this.tick + 1;
    this.tick = t;
    this.hitsAdj--;
    e[x + 3] = t;
    if (t === TICK_LIMIT) this.renumber();
  }

  /** INVLPG: drops the entries for the page containing `va` in the current PCID, and global ones. */
  invlpg(va: number): void {
    this.flushes++;
    const vlo = va >>> 0;
    const vhi = (va * INV_TWO_32) >>> 0;
    const valid = this.valid;
    for (let k = 0; k < 3; k++) {
      if (valid[k] === 0) continue; // an empty array holds nothing to drop (most runs have no huge pages)
      const s = SHIFT[k];
      // find() returns the first entry that matches; loop in case a global and a PCID entry both do.
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

  /**
   * dropPage(va) for the fault the MMU raises right after hitPa(va, ...) returned -1: when that
   * probe found no entry (no denied hit since the last such call) there is none to drop, and the
   * probe of every array is skipped. Observably the same as dropPage (which counts nothing).
   */
  dropPageAfterMiss(va: number): void {
    this.faultVa = va;
    if (!this.deniedHit) return;
    this.deniedHit = false;
    this.invlpg(va);
    this.flushes--;
  }

  /**
   * hitPa(va, rule) for the access that faulted at va, run again after the fault handler (the
   * faulting instruction's retry): when nothing was filled and the PCID has not changed since
   * that fault, no entry can map va's page (the fault dropped them, and only a fill adds one),
   * so the probe is skipped and the miss counted as hitPa counts it. Observably the same as hitPa.
   */
  hitPaRetry(va: number, rule: number): number {
    if (va !== this.faultVa) return this.hitPa(va, rule);
    this.misses++;
    return -1;
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
      e[x + 2] = 0;
    }
    this.valid.fill(0);
  }

  /** The valid entries, 4 KiB array first, in way order (for tests and displays). */
  entries(): TlbEntryView[] {
    return entryViews(this.e, this.pageBase, this.base);
  }

  /**
   * Checks the invariants — each array's valid count matches its entries, an entry is valid
   * exactly when its key is not NO_TAG, and a valid entry's owner is GLOBAL_OWNER exactly when
   * it is global, else the PCID in its flags — and throws Bug on the first broken one.
   */
  verify(): void {
    verifyEntries(this.e, this.base, this.valid);
  }

  /**
   * The probe for array k: index of the entry for page number (tLo, tHi) visible to the
   * current PCID (its own or a global one), or -1. Invalid entries carry key NO_TAG.
   */
  private find(k: number, tLo: number, tHi: number): number {
    const e = this.e;
    const ways = this.ways[k];
    const start = this.base[k] + (tLo & this.setMask[k]) * ways;
    const key = tHi | this.ownerKey;
    for (let i = start; i < start + ways; i++) {
      const x = i << 2;
      if (e[x] === tLo && (e[x + 1] === key || e[x + 1] === (tHi | GLOBAL_KEY))) return i;
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
    const ways = this.ways[k];
    const start = this.base[k] + (tLo & this.setMask[k]) * ways;
    const key = tHi | this.ownerKey;
    let free = -1;
    let lru = start; // only compared while every way so far is valid (else `free` wins)
    for (let i = start; i < start + ways; i++) {
      const x = i << 2;
      const kx = e[x + 1];
      if (kx === NO_TAG) {
        if (free < 0) free = i;
      } else if (e[x] === tLo && (kx === key || kx === (tHi | GLOBAL_KEY))) {
        return i;
      } else if (e[x + 3] < e[(lru << 2) + 3]) {
        lru = i;
      }
    }
    return free >= 0 ? free : lru;
  }

  /**
   * Renumbers the LRU stamps when the tick reaches TICK_LIMIT (every ~10^9 hits and fills), so
   * stamps stay int32 and the tick a Smi (renumberStamps); hitsAdj keeps the hit count.
   */
  private renumber(): void {
    const top = renumberStamps(this.e, this.base, this.ways);
    this.hitsAdj += this.tick - top;
    this.tick = top;
  }

  private invalidate(k: number, i: number): void {
    const x = i * STRIDE;
    if (this.e[x + 1] !== NO_TAG) this.valid[k]--;
    this.e[x + 2] = 0;
    this.e[x + 1] = NO_TAG;
  }

  /** Drops the valid non-global entries tagged with `pcid`, or of every PCID when pcid is -1. */
  private dropWhere(pcid: number): void {
    const e = this.e;
    for (let k = 0; k < 3; k++) {
      for (let i = this.base[k]; i < this.base[k + 1]; i++) {
        const x = i * STRIDE;
        const f = e[x + 2];
        if ((f & F_VALID) !== 0 && (f & F_GLOBAL) === 0 && (pcid < 0 || e[x + 1] >>> OWNER_SHIFT === pcid)) this.invalidate(k, i);
      }
    }
  }
}
