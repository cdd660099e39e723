// A CPU data cache: 2^s sets of E lines of 2^b bytes, true LRU within a set (CS:APP 3e §6.4).
// Models presence only (no data, no write-back or dirty state, no coherence); an access is a
// hit, a miss into an empty line, or a miss that evicts the set's least recently used line.
//
//   64-bit address (hi, lo halves):  | tag = addr >> (s + b) | set = (addr >> b) & (2^s - 1) | offset |
//   line k of set i: valid[i*E + k], tagLo/tagHi[i*E + k], stamp[i*E + k]
//
// Replacement follows the CS:APP cache lab's reference simulator (csim-ref): every hit or fill
// stamps the line with a rising counter starting at 1; a miss fills the first line with the
// smallest stamp below 2^32 - 1 (empty lines have stamp 0, so the first empty line), else line 0.
// Shift counts are taken mod 64, as its 64-bit shifts compute them on x86.
//
// Invariants (checked by verify()): an empty line has stamp 0 and a filled one a stamp in
// [1, clock); with E > 0, hits + misses = stamps taken; evictions <= misses.
import { BUG, InputError } from "@mmsim/base";

/** access() result bits. */
export const CACHE_HIT = 1;
export const CACHE_MISS = 2;
export const CACHE_EVICT = 4;

/** The largest cache modelled, in lines (sets × ways): 2^24 lines cost ~290 MB of host memory. */
export const CACHE_MAX_LINES = 1 << 24;
/** csim-ref's initial "oldest stamp" when it looks for a victim (0xFFFFFFFF as a u64). */
const VICTIM_STAMP_START = 0xffffffff;
const TWO_32 = 4294967296;

/** Geometry: s set-index bits, E lines per set, b block-offset bits. */
export interface CacheConfig {
  setBits: number;
  ways: number;
  blockBits: number;
}

/** A set-associative cache with LRU replacement and hit/miss/eviction counts. */
export class CpuCache {
  readonly setBits: number;
  readonly ways: number;
  readonly blockBits: number;
  hits = 0;
  misses = 0;
  evictions = 0;
  private readonly valid: Uint8Array;
  private readonly tagLo: Uint32Array;
  private readonly tagHi: Uint32Array;
  private readonly stamp: Float64Array;
  private readonly setMask: number;
  private clock = 1;

  /** Throws InputError for a negative geometry or one above CACHE_MAX_LINES lines. */
  constructor(config: CacheConfig) {
    const { setBits, ways, blockBits } = config;
    for (const [name, v] of [["setBits", setBits], ["ways", ways], ["blockBits", blockBits]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new InputError(`cache ${name} must be a whole number >= 0, not ${v}`, { field: name });
    }
    if (setBits > 24 || 2 ** setBits * ways > CACHE_MAX_LINES) {
      throw new InputError(`a cache of 2^${setBits} sets x ${ways} lines is above mmsim's limit of ${CACHE_MAX_LINES} lines`, { field: "setBits" });
    }
    this.setBits = setBits;
    this.ways = ways;
    this.blockBits = blockBits;
    const lines = 2 ** setBits * ways;
    this.valid = new Uint8Array(lines);
    this.tagLo = new Uint32Array(lines);
    this.tagHi = new Uint32Array(lines);
    this.stamp = new Float64Array(lines);
    this.setMask = 2 ** setBits - 1;
  }

  /**
   * One access to the 64-bit address hi * 2^32 + lo (both halves unsigned 32-bit): CACHE_HIT,
   * CACHE_MISS, or CACHE_MISS | CACHE_EVICT. A cache of 0 ways misses every access.
   */
  access(hi: number, lo: number): number {
    const b = this.blockBits & 63;
    const sb = (this.setBits + this.blockBits) & 63;
    const setLo = b === 0 ? lo : b < 32 ? ((lo >>> b) | (hi << (32 - b))) >>> 0 : hi >>> (b - 32);
    let tLo: number;
    let tHi: number;
    if (sb === 0) {
      tLo = lo;
      tHi = hi;
    } else if (sb < 32) {
      tLo = ((lo >>> sb) | (hi << (32 - sb))) >>> 0;
      tHi = hi >>> sb;
    } else {
      tLo = hi >>> (sb - 32);
      tHi = 0;
    }
    const E = this.ways;
    const base = (setLo & this.setMask) * E;
    const valid = this.valid;
    for (let k = base; k < base + E; k++) {
      if (valid[k] === 1 && this.tagLo[k] === tLo && this.tagHi[k] === tHi) {
        this.hits++;
        this.stamp[k] = this.clock++;
        return CACHE_HIT;
      }
    }
    this.misses++;
    if (E === 0) return CACHE_MISS;
    let victim = base;
    let oldest = VICTIM_STAMP_START;
    const stamp = this.stamp;
    for (let k = base; k < base + E; k++) {
      if (stamp[k] < oldest) {
        victim = k;
        oldest = stamp[k];
      }
    }
    let result = CACHE_MISS;
    if (valid[victim] === 1) {
      this.evictions++;
      result |= CACHE_EVICT;
    }
    valid[victim] = 1;
    this.tagLo[victim] = tLo;
    this.tagHi[victim] = tHi;
    stamp[victim] = this.clock++;
    return result;
  }

  /** access() for an address below 2^53. */
  accessAddr(addr: number): number {
    return this.access(Math.floor(addr / TWO_32), addr % TWO_32);
  }

  /** Empties every line and zeroes the counts. */
  reset(): void {
    this.valid.fill(0);
    this.stamp.fill(0);
    this.hits = this.misses = this.evictions = 0;
    this.clock = 1;
  }

  /** Checks the invariants in the header; a broken one is a Bug naming this function. */
  verify(): void {
    for (let k = 0; k < this.valid.length; k++) {
      const s = this.stamp[k];
      if (this.valid[k] === 0 ? s !== 0 : !(s >= 1 && s < this.clock)) BUG("CpuCache.verify", `line ${k}: valid ${this.valid[k]} with stamp ${s}`);
    }
    // every hit and every fill takes one stamp (a 0-way cache fills nothing)
    if (this.ways > 0 && this.hits + this.misses !== this.clock - 1) BUG("CpuCache.verify", `${this.hits} hits + ${this.misses} misses != ${this.clock - 1} stamps`);
    if (this.evictions > this.misses) BUG("CpuCache.verify", `${this.evictions} evictions > ${this.misses} misses`);
  }
}
