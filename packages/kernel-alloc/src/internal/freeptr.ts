// The SLUB free pointer as bytes in simulated RAM (mm/slub.c get_freepointer /
// set_freepointer). A free object holds, at s->offset, the 64-bit kernel virtual address of the
// next free object (0 = end of list), little-endian, sign-extended like every x86-64 kernel
// pointer. With CONFIG_SLAB_FREELIST_HARDENED the stored word is
//     ptr ^ s->random ^ swab(address of the pointer slot)
// so a leaked or overwritten free pointer does not give away or redirect the freelist.
// Values are handled as two 32-bit halves so that all 64 bits are exact (also with LA57).
import type { Memory } from "../deps";

const TWO_32 = 4294967296;

function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** The per-cache hardening key (s->random), as two halves. */
export interface FreelistKey {
  randomLo: number;
  randomHi: number;
}

/**
 * The physical address an unhardened free pointer points to, from its stored halves `lo`/`hi`
 * (readU32Pair / pairHi) and PAGE_OFFSET's halves `poLo`/`poHiExt` (FreePointers.poLo/poHiExt):
 * 0 for NULL (both halves 0). The single place that decodes the stored word, shared by
 * getPlain and Slub's alloc fast path (which reads the halves itself to stay within V8's
 * inlining budget; see Slub.alloc). 39 bytecodes, no property loads.
 */
export function decodePlainFreePtr(lo: number, hi: number, poLo: number, poHiExt: number): number {
  // lo and hi are 32-bit values, so `|` is exact here.
  return (lo | hi) === 0 ? 0 : (hi - poHiExt) * 4294967296 + lo - poLo;
}

export class FreePointers {
  // Fields are `declare`d and assigned in the constructor: a TypeScript field or parameter
  // property without `declare` is emitted (ES2022) as a field first defined as undefined, and
  // V8 then types it "any value" and checks it on every use in the fast paths.
  declare private readonly ram: Memory;
  /** PAGE_OFFSET as a canonical tail (0x888000000000 on 4-level) */
  declare readonly pageOffset: number;
  declare readonly hardened: boolean;
  /** low half of PAGE_OFFSET */
  declare readonly poLo: number;
  /** high half of PAGE_OFFSET, sign extension included */
  declare readonly poHiExt: number;
  /** physical addresses below this add to PAGE_OFFSET without carrying into the high half (see setPlain) */
  declare readonly noCarry: number;

  constructor(ram: Memory, pageOffset: number, vaBits: number, hardened: boolean) {
    this.ram = ram;
    this.pageOffset = pageOffset;
    this.hardened = hardened;
    this.poLo = pageOffset % TWO_32;
    this.poHiExt = (pageOffset - this.poLo) / TWO_32 + (TWO_32 - 2 ** (vaBits - 32));
    this.noCarry = TWO_32 - this.poLo;
  }

  /** get_freepointer: the next free object after `obj` (a physical address, 0 = none). */
  get(key: FreelistKey, obj: number, offset: number): number {
    if (this.hardened) return this.getHardened(key, obj + offset);
    return this.getPlain(obj + offset);
  }

  /** set_freepointer: stores `next` (0 = NULL) in free object `obj`. */
  set(key: FreelistKey, obj: number, offset: number, next: number): void {
    if (this.hardened) this.setHardened(key, obj + offset, next);
    else this.setPlain(obj + offset, next);
  }

  // getPlain/setPlain are SLUB's fast paths (callers check that the freelist is not
  // hardened). They stay small so that V8 inlines them and the Ram accesses into the
  // kmalloc/kfree callers (it inlines by bytecode size, within a budget per compiled
  // function); NULL and pointers whose low half would carry go out of line. Ram has no exact
  // 64-bit access for values >= 2^53 (every sign-extended kernel pointer is one), so the
  // halves go through Ram's pair accessors (one frame-cache test for both, no allocation).

  /** The unhardened free pointer stored at physical address `at` (0 = NULL). */
  getPlain(at: number): number {
    const lo = this.ram.readU32Pair(at);
    return decodePlainFreePtr(lo, this.ram.pairHi, this.poLo, this.poHiExt);
  }

  /**
   * Stores the unhardened free pointer to `next` (0 = NULL) at physical address `at`. Slub's
   * free fast path repeats the common case (0 < next < noCarry: halves poLo + next, poHiExt)
   * and calls this for the rest.
   */
  setPlain(at: number, next: number): void {
    if (next === 0 || next >= this.noCarry) {
      this.setPlainSlow(at, next);
      return;
    }
    // PAGE_OFFSET + next without a carry out of the low half: the high half is PAGE_OFFSET's.
    this.ram.writeU32Pair(at, this.poLo + next, this.poHiExt);
  }

  /** setPlain for NULL and pointers whose low half carries. */
  setPlainSlow(at: number, next: number): void {
    const [lo, hi] = next === 0 ? [0, 0] : this.slotHalves(next);
    this.ram.writeU32Pair(at, lo, hi);
  }

  /** The halves of the kernel address PAGE_OFFSET + `at` (sign-extended), e.g. of a pointer slot for the hardening XOR. */
  private slotHalves(at: number): [number, number] {
    const sum = this.poLo + (at >>> 0);
    return [sum >>> 0, (this.poHiExt + Math.floor(at / TWO_32) + (sum >= TWO_32 ? 1 : 0)) >>> 0];
  }

  private getHardened(key: FreelistKey, at: number): number {
    const [alo, ahi] = this.slotHalves(at);
    const lo = (this.ram.readU32(at) ^ key.randomLo ^ bswap32(ahi)) >>> 0;
    const hi = (this.ram.readU32(at + 4) ^ key.randomHi ^ bswap32(alo)) >>> 0;
    return lo === 0 && hi === 0 ? 0 : (hi - this.poHiExt) * TWO_32 + lo - this.poLo;
  }

  private setHardened(key: FreelistKey, at: number, next: number): void {
    let lo = 0;
    let hi = 0;
    if (next !== 0) [lo, hi] = this.slotHalves(next);
    const [alo, ahi] = this.slotHalves(at);
    this.ram.writeU32(at, (lo ^ key.randomLo ^ bswap32(ahi)) >>> 0);
    this.ram.writeU32(at + 4, (hi ^ key.randomHi ^ bswap32(alo)) >>> 0);
  }
}
