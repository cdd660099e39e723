// PyRandom against CPython 3.11 (values printed by python3 3.11.7 with the calls in each test's
// comment): MT19937 seeded by init_by_array on the seed's 32-bit words (Modules/_randommodule.c)
// and the getrandbits-based helpers of Lib/random.py.
import { describe, expect, it } from "vitest";
import { PyException, PyRandom } from "./py-random";

describe("PyRandom", () => {
  it("gives CPython's first outputs for seed 0 (Random(0).getrandbits(32) x3)", () => {
    const r = new PyRandom(0);
    expect([r.getrandbits(32), r.getrandbits(32), r.getrandbits(32)]).toEqual([3626764237, 1654615998, 3255389356]);
  });

  it("seeds from every 32-bit word of a big int, and from |seed| for negatives", () => {
    const big = new PyRandom(12345678901234567890n);
    expect([big.random(), big.random()]).toEqual([0.5120180983871961, 0.9318805526703359]);
    expect(new PyRandom(2n ** 64n + 7n).random()).toBe(0.9625990769630326);
    expect(new PyRandom(-5).random()).toBe(0.6229016948897019);
    expect(new PyRandom(5).random()).toBe(0.6229016948897019);
  });

  it("randint(1, 6) x10 with seed 1 is [2, 5, 1, 3, 1, 4, 4, 4, 6, 4]", () => {
    const r = new PyRandom(1);
    expect(Array.from({ length: 10 }, () => r.randint(1, 6))).toEqual([2, 5, 1, 3, 1, 4, 4, 4, 6, 4]);
  });

  it("randrange with one, two and three arguments, and getrandbits above 32 bits (seed 2)", () => {
    const r = new PyRandom(2);
    expect(Array.from({ length: 5 }, () => r.randrange(10))).toEqual([0, 1, 1, 5, 2]);
    expect(r.randrange(3, 20, 4)).toBe(11);
    expect(r.randrange(20, 3, -5)).toBe(10);
    expect(r.getrandbits(53)).toBe(1911499272431662);
    expect(r.getrandbits(33)).toBe(2606193617);
    expect(r.getrandbits(0)).toBe(0);
  });

  it("randrange(2**40) uses two words per draw (seed 4)", () => {
    const r = new PyRandom(4);
    expect([r.randrange(2 ** 40), r.randrange(2 ** 40), r.randrange(2 ** 40)]).toEqual([666733749719, 1053968044713, 198234096474]);
  });

  it("shuffle and choice match (seed 3)", () => {
    const r = new PyRandom(3);
    const x = Array.from({ length: 10 }, (_, i) => i);
    r.shuffle(x);
    expect(x).toEqual([1, 5, 6, 0, 9, 4, 7, 2, 8, 3]);
    expect(r.choice("abcdef")).toBe("d");
  });

  it("raises Python's errors for empty ranges and empty sequences", () => {
    const r = new PyRandom(0);
    expect(() => r.randrange(0)).toThrow(new PyException("ValueError", "empty range for randrange()"));
    expect(() => r.randrange(5, 5)).toThrow(new PyException("ValueError", "empty range for randrange() (5, 5, 0)"));
    expect(() => r.randrange(0, 5, 0)).toThrow(new PyException("ValueError", "zero step for randrange()"));
    expect(() => r.choice([])).toThrow(new PyException("IndexError", "Cannot choose from an empty sequence"));
  });
});
