// A seeded pseudo-random generator, identical in Node and in every browser.
//
// Algorithm: xoshiro128** 1.1 (Blackman & Vigna, 2018; https://prng.di.unimi.it/), 128 bits of
// state, period 2^128 - 1. The state is filled from the seed by splitmix32 so that nearby seeds
// give unrelated streams: x = seed; four times { x += 0x9e3779b9 (mod 2^32); s[i] =
// fmix32(x) } where fmix32 is MurmurHash3's finalizer (z ^= z >>> 16; z *= 0x85ebca6b;
// z ^= z >>> 13; z *= 0xc2b2ae35; z ^= z >>> 16, all mod 2^32), filling s0, s1, s2, s3 in
// order (an all-zero state, never seen, would become s0 = 1).
// Every step is 32-bit integer arithmetic (Math.imul, >>>, ^), which ECMAScript defines
// exactly, so the same seed gives the same stream on every engine. Seeds are unsigned 32-bit
// integers; any other number is reduced modulo 2^32 (ToUint32).

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(readonly seed: number) {
    let x = seed >>> 0;
    const next = () => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), n <= 2^32, without modulo bias. */
  nextInt(n: number): number {
    if (n <= 0) return 0;
    const limit = 4294967296 - (4294967296 % n);
    let r: number;
    do r = this.nextU32();
    while (r >= limit);
    return r % n;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.nextInt(hi - lo + 1);
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.nextInt(items.length)]!;
  }

  /** A new generator whose stream depends only on this one's next output (for sub-systems). */
  fork(): Rng {
    return new Rng(this.nextU32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
