/**
 * CPython's `random` module as CPython 3.11 computes it: the MT19937 generator (Matsumoto &
 * Nishimura, 1998), seeded from an int by `init_by_array` on its 32-bit words as
 * `random.seed(int)` does, `random()` as a 53-bit float from two outputs, and the integer
 * helpers built on `getrandbits` (`_randbelow`, `randrange`, `randint`, `choice`, `shuffle`).
 * Not modelled: seeding from str/bytes/float, `gauss` and the other distributions.
 */

/** MT19937 state size and twist offset (mt19937ar.c). */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
/** init_genrand's multiplier and init_by_array's seed and multipliers (mt19937ar.c). */
const INIT_MULT = 1812433253;
const INIT_BY_ARRAY_SEED = 19650218;
const ARRAY_MULT_1 = 1664525;
const ARRAY_MULT_2 = 1566083941;
/** random(): (a * 2^26 + b) / 2^53 with a 27 and b 26 bits (_randommodule.c random_random). */
const TWO_26 = 67108864;
const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

/** A value CPython would raise on: the exception's type and message, printed as Python does. */
export class PyException extends Error {
  constructor(
    readonly pyType: string,
    readonly pyMessage: string,
  ) {
    super(`${pyType}: ${pyMessage}`);
  }
}

/** CPython's `random.Random`: one instance per simulated interpreter, no shared state. */
export class PyRandom {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  /**
   * random.seed(a) for an int `a`: init_by_array on the 32-bit words of |a|, least significant
   * first, with one zero word for 0 (_randommodule.c random_seed). version=1 or 2 is the same for ints.
   */
  seed(a: number | bigint): void {
    let n = typeof a === "bigint" ? a : BigInt(Math.trunc(a));
    if (n < 0n) n = -n;
    const key: number[] = [];
    while (n > 0n) {
      key.push(Number(n & 0xffffffffn));
      n >>= 32n;
    }
    if (key.length === 0) key.push(0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (Math.imul(INIT_MULT, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.mti = N;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(INIT_BY_ARRAY_SEED);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), ARRAY_MULT_1)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ Math.imul(prev ^ (prev >>> 30), ARRAY_MULT_2)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = UPPER_MASK; // MSB is 1, assuring a non-zero initial array
  }

  /** One 32-bit output of MT19937 (genrand_uint32). */
  genrandUint32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + M] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      }
      const y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
      mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random.random(): a float in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.genrandUint32() >>> 5;
    const b = this.genrandUint32() >>> 6;
    return (a * TWO_26 + b) / TWO_53;
  }

  /**
   * random.getrandbits(k) for 0 <= k <= 53 (exact in a double): 32-bit words, least significant
   * first, the last one keeping its top k % 32 bits.
   */
  getrandbits(k: number): number {
    if (k < 0) throw new PyException("ValueError", "number of bits must be non-negative");
    if (k === 0) return 0;
    if (k <= 32) return this.genrandUint32() >>> (32 - k);
    if (k > 53) throw new RangeError("getrandbits: mmsim's PyRandom returns at most 53 bits");
    const lo = this.genrandUint32();
    const hi = this.genrandUint32() >>> (64 - k);
    return hi * TWO_32 + lo;
  }

  /** random._randbelow(n) for n > 0: rejection sampling on bit_length(n) bits. */
  randbelow(n: number): number {
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** random.randrange(start, stop?, step?) with CPython 3.11's checks and messages. */
  randrange(start: number, stop?: number, step = 1): number {
    if (stop === undefined) {
      if (step !== 1) throw new PyException("TypeError", "Missing a non-None stop argument");
      if (start > 0) return this.randbelow(start);
      throw new PyException("ValueError", "empty range for randrange()");
    }
    const width = stop - start;
    if (step === 1) {
      if (width > 0) return start + this.randbelow(width);
      throw new PyException("ValueError", `empty range for randrange() (${start}, ${stop}, ${width})`);
    }
    let n: number;
    if (step > 0) n = Math.floor((width + step - 1) / step);
    else if (step < 0) n = Math.floor((width + step + 1) / step);
    else throw new PyException("ValueError", "zero step for randrange()");
    if (n <= 0) throw new PyException("ValueError", "empty range for randrange()");
    return start + step * this.randbelow(n);
  }

  /** random.randint(a, b): randrange(a, b + 1). */
  randint(a: number, b: number): number {
    return this.randrange(a, b + 1);
  }

  /** random.choice(seq). */
  choice<T>(seq: ArrayLike<T>): T {
    if (seq.length === 0) throw new PyException("IndexError", "Cannot choose from an empty sequence");
    return seq[this.randbelow(seq.length)];
  }

  /** random.shuffle(x) in place: Fisher-Yates from the end, j = _randbelow(i + 1). */
  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
  }
}

/** int.bit_length() for 0 <= n < 2^53. */
function bitLength(n: number): number {
  let k = 0;
  while (n >= TWO_32) {
    n = Math.floor(n / TWO_32);
    k += 32;
  }
  return k + (n === 0 ? 0 : 32 - Math.clz32(n));
}
