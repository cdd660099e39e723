import { describe, expect, it } from "vitest";
import { Rng } from "./rng";

// An independent reference, written from the published algorithms with BigInt so that it
// shares no code (and no Math.imul/>>> tricks) with rng.ts:
//   xoshiro128** 1.1, https://prng.di.unimi.it/xoshiro128starstar.c
//   splitmix32 as rng.ts documents it: Weyl step 0x9e3779b9, then MurmurHash3's fmix32.
const M32 = (1n << 32n) - 1n;
const mul = (a: bigint, b: bigint) => (a * b) & M32;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M32;

function splitmix32State(seed: number): bigint[] {
  let x = BigInt(seed) & M32;
  const out: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & M32;
    let z = x;
    z = mul(z ^ (z >> 16n), 0x85ebca6bn);
    z = mul(z ^ (z >> 13n), 0xc2b2ae35n);
    out.push(z ^ (z >> 16n));
  }
  return out;
}

function xoshiro128ss(state: bigint[]): () => number {
  const s = [...state];
  return () => {
    const result = mul(rotl(mul(s[1], 5n), 7n), 9n);
    const t = (s[1] << 9n) & M32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return Number(result);
  };
}

function reference(seed: number, n: number): number[] {
  const next = xoshiro128ss(splitmix32State(seed));
  return Array.from({ length: n }, next);
}

/** An Rng whose nextU32 replays a fixed list (to test the derived methods exactly). */
class ScriptedRng extends Rng {
  private i = 0;
  constructor(private readonly script: number[]) {
    super(0);
  }
  override nextU32(): number {
    return this.script[this.i++];
  }
}

describe("Rng reference implementation", () => {
  it("reproduces the xoshiro128** vector for state {1, 2, 3, 4} (rand_xoshiro's test vector)", () => {
    const next = xoshiro128ss([1n, 2n, 3n, 4n]);
    expect(Array.from({ length: 10 }, next)).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });
});

describe("Rng", () => {
  it("steps xoshiro128** exactly: from state {1, 2, 3, 4} it yields the published vector", () => {
    const rng = new Rng(0);
    Object.assign(rng as unknown as Record<string, number>, { s0: 1, s1: 2, s2: 3, s3: 4 });
    expect(Array.from({ length: 10 }, () => rng.nextU32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  it("pins the first outputs of seed 42 and seed 0 (computed by the BigInt reference)", () => {
    const seed42 = new Rng(42);
    const seed0 = new Rng(0);
    expect(Array.from({ length: 6 }, () => seed42.nextU32())).toEqual(reference(42, 6));
    expect(Array.from({ length: 6 }, () => seed0.nextU32())).toEqual(reference(0, 6));
    expect(reference(42, 4)).toEqual([2837322924, 544945897, 479756282, 3500138142]);
    expect(reference(0, 4)).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
  });

  it("matches the reference for 2000 outputs of several seeds, including ones reduced mod 2^32", () => {
    for (const seed of [1, 2, 0xdeadbeef, 0xffffffff, 123456789]) {
      const rng = new Rng(seed);
      expect(Array.from({ length: 2000 }, () => rng.nextU32())).toEqual(reference(seed, 2000));
    }
    const big = new Rng(2 ** 32 + 5);
    expect(Array.from({ length: 8 }, () => big.nextU32())).toEqual(reference(5, 8));
  });

  it("gives unrelated streams for neighbouring seeds", () => {
    const a = reference(1000, 64);
    const b = reference(1001, 64);
    expect(a.filter((x, i) => x === b[i])).toEqual([]);
  });

  it("nextFloat is nextU32 / 2^32, in [0, 1)", () => {
    expect(new ScriptedRng([0]).nextFloat()).toBe(0);
    expect(new ScriptedRng([2 ** 31]).nextFloat()).toBe(0.5);
    expect(new ScriptedRng([0xffffffff]).nextFloat()).toBe(0xffffffff / 2 ** 32);
    expect(new ScriptedRng([0xffffffff]).nextFloat()).toBeLessThan(1);
  });

  it("nextInt rejects draws at or above the largest multiple of n (no modulo bias)", () => {
    // n = 3: 2^32 mod 3 = 1, so the limit is 2^32 - 1 and 0xffffffff is redrawn.
    expect(new ScriptedRng([0xffffffff, 5]).nextInt(3)).toBe(2);
    expect(new ScriptedRng([0xfffffffe]).nextInt(3)).toBe(0xfffffffe % 3);
    // n = 10: 2^32 mod 10 = 6, so the limit is 4294967290.
    expect(new ScriptedRng([4294967290, 4294967295, 4294967289]).nextInt(10)).toBe(9);
    // n = 3 * 2^30: the limit is 3 * 2^30; draws at or above it are redrawn.
    const n = 3 * 2 ** 30;
    expect(new ScriptedRng([n, n + 1, n - 1]).nextInt(n)).toBe(n - 1);
    // powers of two and 2^32 never redraw
    expect(new ScriptedRng([0xffffffff]).nextInt(2 ** 32)).toBe(0xffffffff);
    expect(new ScriptedRng([0xffffffff]).nextInt(16)).toBe(15);
  });

  it("nextInt(1) and nextInt(n <= 0) return 0", () => {
    expect(new ScriptedRng([0xffffffff]).nextInt(1)).toBe(0);
    expect(new Rng(7).nextInt(0)).toBe(0);
    expect(new Rng(7).nextInt(-3)).toBe(0);
  });

  it("nextInt(6) spreads 60000 draws evenly (each face within 3% of 10000)", () => {
    const rng = new Rng(2024);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 60000; i++) counts[rng.nextInt(6)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(300);
    expect(counts.reduce((a, b) => a + b)).toBe(60000);
  });

  it("range(lo, hi) is inclusive at both ends and pick chooses every element", () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const v = rng.range(-2, 2);
      expect(v >= -2 && v <= 2).toBe(true);
      seen.add(v);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    const picked = new Set<string>();
    for (let i = 0; i < 100; i++) picked.add(rng.pick(["a", "b", "c"]));
    expect([...picked].sort()).toEqual(["a", "b", "c"]);
  });

  it("fork seeds a child from the parent's next output and advances the parent by one", () => {
    const parent = new Rng(99);
    const twin = new Rng(99);
    const child = parent.fork();
    const firstOfTwin = twin.nextU32();
    expect(child.seed).toBe(firstOfTwin);
    expect(child.nextU32()).toBe(reference(firstOfTwin, 1)[0]);
    expect(parent.nextU32()).toBe(twin.nextU32());
    const other = parent.fork();
    expect(other.nextU32()).not.toBe(new Rng(99).fork().nextU32());
  });

  it("two generators with the same seed give identical streams", () => {
    const a = new Rng(77);
    const b = new Rng(77);
    for (let i = 0; i < 100; i++) expect(a.nextInt(1000)).toBe(b.nextInt(1000));
  });
});
