// The TLB's entry format and geometry (tlb.ts has the lookups): the words of an entry, the
// default Skylake-like geometry, and the cold whole-array passes (entries() for displays,
// verify(), the renumbering of LRU stamps). Nothing here runs on a TLB hit.
import { BUG } from "@mmsim/base";
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

/** A TLB entry as shown to tests and the docs (allocated on demand, never on hot paths). */
export interface TlbEntryView {
  pageSize: number;
  /** virtual page number in units of pageSize */
  vpn: number;
  /** the PCID the entry was filled under (a global entry matches every PCID) */
  pcid: number;
  global: boolean;
  writable: boolean;
  user: boolean;
  nx: boolean;
  dirty: boolean;
  /** physical address of the page */
  pa: number;
}

// An entry is four int32 words: tagLo, key, flags, LRU stamp.
//   key   = tagHi | owner << OWNER_SHIFT; owner = the PCID, or GLOBAL_OWNER for a global entry
//   flags = F_VALID | RIGHT_* bits (WalkResult's, unchanged) | filling PCID << F_PCID_SHIFT
/** Int32 words per entry */
export const STRIDE = 4;
export const F_VALID = 1;
export const F_GLOBAL = RIGHT_GLOBAL;
/** The rights bits WalkResult.rights can hold. */
export const F_RIGHTS = RIGHT_GLOBAL | RIGHT_WRITABLE | RIGHT_USER | RIGHT_NX | RIGHT_DIRTY;
/** where an entry's flags keep the PCID it was filled under (for entries()) */
export const F_PCID_SHIFT = 8;
/** Tag highs are < 2^13 (57-bit VA, 4 KiB pages), so the owner fits above bit 16. */
export const OWNER_SHIFT = 16;
export const TAG_HI_MASK = (1 << OWNER_SHIFT) - 1;
/** The owner of a global entry: above every 12-bit PCID, so one compare matches it for any PCID. */
export const GLOBAL_OWNER = 0x1000;
export const GLOBAL_KEY = GLOBAL_OWNER << OWNER_SHIFT;
/** key of an invalid entry: real keys are >= 0, so a probe never matches an invalid entry */
export const NO_TAG = -1;
/** LRU stamps stay Smis (31-bit) on the hit path; past this the stamps are renumbered. */
export const TICK_LIMIT = 0x3fffffff;

const TWO_32 = 4294967296;
const PAGE_BYTES = [4096, 2097152, 1073741824] as const;

/** The valid entries of entry words `e` (arrays at base[0..3]), 4 KiB array first, in way order. */
export function entryViews(e: Int32Array, pageBase: Float64Array, base: Int32Array): TlbEntryView[] {
  const out: TlbEntryView[] = [];
  for (let k = 0; k < 3; k++) {
    for (let i = base[k]; i < base[k + 1]; i++) {
      const x = i * STRIDE;
      const f = e[x + 2];
      if ((f & F_VALID) === 0) continue;
      out.push({
        pageSize: PAGE_BYTES[k], vpn: (e[x + 1] & TAG_HI_MASK) * TWO_32 + (e[x] >>> 0), pcid: f >>> F_PCID_SHIFT,
        global: (f & F_GLOBAL) !== 0, writable: (f & RIGHT_WRITABLE) !== 0, user: (f & RIGHT_USER) !== 0,
        nx: (f & RIGHT_NX) !== 0, dirty: (f & RIGHT_DIRTY) !== 0, pa: pageBase[i],
      });
    }
  }
  return out;
}

/** Tlb.verify(): the entry invariants of tlb.ts over entry words `e`, with valid counts `valid`. */
export function verifyEntries(e: Int32Array, base: Int32Array, valid: Int32Array): void {
  for (let k = 0; k < 3; k++) {
    let n = 0;
    for (let i = base[k]; i < base[k + 1]; i++) {
      const x = i * STRIDE;
      const f = e[x + 2];
      const isValid = (f & F_VALID) !== 0;
      if (isValid !== (e[x + 1] !== NO_TAG)) BUG("Tlb.verify", `entry ${i} is ${isValid ? "valid" : "invalid"} but its key is ${e[x + 1]}`);
      if (!isValid) continue;
      n++;
      const owner = e[x + 1] >>> OWNER_SHIFT;
      if (owner !== ((f & F_GLOBAL) !== 0 ? GLOBAL_OWNER : f >>> F_PCID_SHIFT)) BUG("Tlb.verify", `entry ${i} has owner ${owner} but flags 0x${f.toString(16)}`);
    }
    if (n !== valid[k]) BUG("Tlb.verify", `${PAGE_BYTES[k]}-byte array counts ${valid[k]} valid entries, holds ${n}`);
  }
}

/**
 * Replaces the LRU stamps of every set by their ranks 1..ways within the set, which keeps
 * every comparison a fill's victim choice makes; returns the largest rank handed out (the
 * tick restarts there). Invalid entries' stamps are never compared; they get ranks too.
 */
export function renumberStamps(e: Int32Array, base: Int32Array, waysOf: Int32Array): number {
  let top = 0;
  for (let k = 0; k < 3; k++) {
    const ways = waysOf[k];
    const rank = new Int32Array(ways);
    for (let start = base[k]; start < base[k + 1]; start += ways) {
      for (let i = 0; i < ways; i++) {
        const si = e[((start + i) << 2) + 3];
        let r = 1;
        for (let j = 0; j < ways; j++) {
          const sj = e[((start + j) << 2) + 3];
          if (sj < si || (sj === si && j < i)) r++;
        }
        rank[i] = r;
      }
      for (let i = 0; i < ways; i++) e[((start + i) << 2) + 3] = rank[i];
    }
    if (ways > top) top = ways;
  }
  return top;
}
