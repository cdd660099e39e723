// The page index of a replay: maps each distinct 64-bit page number (or libCacheSim object id)
// to a dense id 0, 1, 2... in order of first appearance, so every policy can keep its state in
// typed arrays indexed by id. Open addressing with linear probing over parallel Uint32Arrays
// (hi, lo halves of the key); no JS Map on the hot path (ARCHITECTURE §3: a Map whose hot keys
// are deleted and re-inserted collapses to 0.1-2 M/s). Nothing is ever deleted.
//
//   slots:  keyHi[]  keyLo[]  slotId[] (-1 = empty)       ids:  idHi[id] idLo[id]
//           hash(hi, lo) -> probe +1 ... until key or -1           (the key of every id)

/** Initial number of hash slots (a power of two); the table doubles at 50 % load. */
const INITIAL_SLOTS = 1 << 12;

/** Multiplicative hashing constants (Knuth's golden ratio and a second odd 32-bit multiplier). */
const GOLDEN_32 = 0x9e3779b1;
const MIX_32 = 0x85ebca6b;

/** Dense ids for 64-bit keys held as two unsigned 32-bit halves. */
export class KeyIndex {
  private mask = INITIAL_SLOTS - 1;
  private keyHi = new Uint32Array(INITIAL_SLOTS);
  private keyLo = new Uint32Array(INITIAL_SLOTS);
  private slotId = new Int32Array(INITIAL_SLOTS).fill(-1);
  private idHi = new Uint32Array(INITIAL_SLOTS >> 1);
  private idLo = new Uint32Array(INITIAL_SLOTS >> 1);
  /** number of distinct keys seen: the next new key gets this id */
  size = 0;
  /** one-entry cache: consecutive references to one page are the common case in a lackey trace */
  private lastHi = -1;
  private lastLo = -1;
  private lastId = -1;

  /** The dense id of key (hi, lo), allocating the next id for a key never seen. */
  intern(hi: number, lo: number): number {
    if (lo === this.lastLo && hi === this.lastHi) return this.lastId;
    const mask = this.mask;
    let s = (Math.imul(lo, GOLDEN_32) ^ Math.imul(hi, MIX_32)) >>> 0;
    s = (s ^ (s >>> 16)) & mask;
    const slotId = this.slotId;
    const keyLo = this.keyLo;
    const keyHi = this.keyHi;
    for (;;) {
      const id = slotId[s]!;
      if (id < 0) break;
      if (keyLo[s] === lo && keyHi[s] === hi) {
        this.lastHi = hi;
        this.lastLo = lo;
        this.lastId = id;
        return id;
      }
      s = (s + 1) & mask;
    }
    const id = this.size++;
    slotId[s] = id;
    keyLo[s] = lo;
    keyHi[s] = hi;
    if (id >= this.idLo.length) this.growIds();
    this.idLo[id] = lo;
    this.idHi[id] = hi;
    this.lastHi = hi;
    this.lastLo = lo;
    this.lastId = id;
    if (this.size * 2 > mask) this.rehash();
    return id;
  }

  /** The id of (hi, lo), or -1 if the key was never interned. */
  lookup(hi: number, lo: number): number {
    const mask = this.mask;
    let s = (Math.imul(lo, GOLDEN_32) ^ Math.imul(hi, MIX_32)) >>> 0;
    s = (s ^ (s >>> 16)) & mask;
    for (;;) {
      const id = this.slotId[s]!;
      if (id < 0 || (this.keyLo[s] === lo && this.keyHi[s] === hi)) return id;
      s = (s + 1) & mask;
    }
  }

  /** The key of `id` as a JS number (exact below 2^53; larger keys lose their low bits). */
  keyOf(id: number): number {
    return this.idHi[id]! * 0x1_0000_0000 + this.idLo[id]!;
  }

  /** The key of `id` as its two 32-bit halves. */
  keyHalves(id: number): [hi: number, lo: number] {
    return [this.idHi[id]!, this.idLo[id]!];
  }

  private growIds(): void {
    const hi = new Uint32Array(this.idHi.length * 2);
    const lo = new Uint32Array(this.idLo.length * 2);
    hi.set(this.idHi);
    lo.set(this.idLo);
    this.idHi = hi;
    this.idLo = lo;
  }

  private rehash(): void {
    const slots = (this.mask + 1) * 2;
    const mask = slots - 1;
    const keyHi = new Uint32Array(slots);
    const keyLo = new Uint32Array(slots);
    const slotId = new Int32Array(slots).fill(-1);
    for (let id = 0; id < this.size; id++) {
      const hi = this.idHi[id]!;
      const lo = this.idLo[id]!;
      let s = (Math.imul(lo, GOLDEN_32) ^ Math.imul(hi, MIX_32)) >>> 0;
      s = (s ^ (s >>> 16)) & mask;
      while (slotId[s]! >= 0) s = (s + 1) & mask;
      slotId[s] = id;
      keyHi[s] = hi;
      keyLo[s] = lo;
    }
    this.mask = mask;
    this.keyHi = keyHi;
    this.keyLo = keyLo;
    this.slotId = slotId;
  }
}
