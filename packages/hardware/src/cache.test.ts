// The CPU cache model: geometry, LRU order, counts and csim-ref's replacement details.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InputError } from "@mmsim/base";
import { CACHE_EVICT, CACHE_HIT, CACHE_MISS, CpuCache } from "./cache";

const MISS_EVICT = CACHE_MISS | CACHE_EVICT;

describe("CpuCache", () => {
  it("splits the address as | tag | set | offset | (s=4, b=4: 0x10 and 0x110 share set 1, tags 0 and 1)", () => {
    const c = new CpuCache({ setBits: 4, ways: 1, blockBits: 4 });
    expect(c.accessAddr(0x10)).toBe(CACHE_MISS);
    expect(c.accessAddr(0x1f)).toBe(CACHE_HIT); // same block
    expect(c.accessAddr(0x20)).toBe(CACHE_MISS); // set 2
    expect(c.accessAddr(0x110)).toBe(MISS_EVICT); // set 1, tag 1
    expect(c.accessAddr(0x10)).toBe(MISS_EVICT);
    expect([c.hits, c.misses, c.evictions]).toEqual([1, 4, 2]);
    c.verify();
  });

  it("evicts the least recently used line: fill A B C D, touch A, then E evicts B", () => {
    // one set (s=0), 4 ways, 1-byte blocks: every address is its own tag
    const c = new CpuCache({ setBits: 0, ways: 4, blockBits: 0 });
    for (const a of [0xa, 0xb, 0xc, 0xd]) expect(c.accessAddr(a)).toBe(CACHE_MISS);
    expect(c.accessAddr(0xa)).toBe(CACHE_HIT);
    expect(c.accessAddr(0xe)).toBe(MISS_EVICT);
    expect(c.accessAddr(0xa)).toBe(CACHE_HIT);
    expect(c.accessAddr(0xc)).toBe(CACHE_HIT);
    expect(c.accessAddr(0xb)).toBe(MISS_EVICT); // B was evicted; this evicts D
    expect(c.accessAddr(0xd)).toBe(MISS_EVICT);
    expect([c.hits, c.misses, c.evictions]).toEqual([3, 7, 3]);
    c.verify();
  });

  it("keeps the high 32 bits of a 64-bit address in the tag", () => {
    const c = new CpuCache({ setBits: 2, ways: 1, blockBits: 3 });
    expect(c.access(0, 0x40)).toBe(CACHE_MISS);
    expect(c.access(1, 0x40)).toBe(MISS_EVICT); // same set and low tag bits, other high half
    expect(c.access(1, 0x47)).toBe(CACHE_HIT);
    expect(c.access(0xffffffff, 0xfffffff8)).toBe(CACHE_MISS); // set (0xfffffff8 >> 3) & 3 = 3, empty
    expect(c.hits).toBe(1);
  });

  it("takes shift counts mod 64 as x86 computes csim-ref's 64-bit shifts (s+b = 64 means no shift)", () => {
    const c = new CpuCache({ setBits: 0, ways: 1, blockBits: 64 });
    expect(c.accessAddr(1)).toBe(CACHE_MISS);
    expect(c.accessAddr(2)).toBe(MISS_EVICT); // tag = addr >> 0
  });

  it("misses every access with 0 ways, and reset() empties it", () => {
    const c = new CpuCache({ setBits: 1, ways: 0, blockBits: 1 });
    expect(c.accessAddr(0)).toBe(CACHE_MISS);
    expect(c.accessAddr(0)).toBe(CACHE_MISS);
    expect(c.evictions).toBe(0);
    const d = new CpuCache({ setBits: 1, ways: 1, blockBits: 1 });
    d.accessAddr(0);
    d.reset();
    expect(d.accessAddr(0)).toBe(CACHE_MISS);
    expect([d.hits, d.misses]).toEqual([0, 1]);
    d.verify();
  });

  it("rejects a negative or oversized geometry with an InputError", () => {
    expect(() => new CpuCache({ setBits: -1, ways: 1, blockBits: 0 })).toThrow(InputError);
    expect(() => new CpuCache({ setBits: 20, ways: 32, blockBits: 0 })).toThrow(/limit of 16777216 lines/);
  });
});

// Property: CpuCache equals a plain LRU model (per set, a JS array ordered least recently used
// first) on random geometries and address streams: the same result for every access and the
// same counts; verify() holds at the end of each run. 20,000 accesses in CI;
// MMSIM_PROPERTY_OPS sets the total.
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const PROPERTY_OPS = Number(ENV?.MMSIM_PROPERTY_OPS ?? 20_000);
const ACCESSES_PER_RUN = 200;

describe("CpuCache property", () => {
  it("matches a reference LRU model access for access", () => {
    let ran = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0x3ff })), { minLength: ACCESSES_PER_RUN, maxLength: ACCESSES_PER_RUN }),
        (s, E, b, stream) => {
          const cache = new CpuCache({ setBits: s, ways: E, blockBits: b });
          const sets: string[][] = Array.from({ length: 2 ** s }, () => []);
          for (const [hi, lo] of stream) {
            const block = (hi * 2 ** 32 + lo) / 2 ** b;
            const set = Math.floor(block) % 2 ** s;
            const tag = String(Math.floor(block / 2 ** s));
            const lines = sets[set];
            const at = lines.indexOf(tag);
            let expected = CACHE_HIT;
            if (at >= 0) lines.splice(at, 1);
            else {
              expected = CACHE_MISS;
              if (lines.length === E) {
                lines.shift();
                expected |= CACHE_EVICT;
              }
            }
            lines.push(tag);
            expect(cache.access(hi, lo)).toBe(expected);
            ran++;
          }
          cache.verify();
        },
      ),
      { numRuns: Math.max(1, Math.ceil(PROPERTY_OPS / ACCESSES_PER_RUN)) },
    );
    console.log(`CpuCache property test: ${ran} accesses`);
  });
});
