// Property tests on random traces: the one-pass Mattson curve equals a separate LRU run at
// every size; every policy keeps its invariants (verify() after every batch), never holds more
// pages than frames, and counts hits + misses = requests with at least one miss per page; OPT
// never misses more than any other policy. MMSIM_PROPERTY_OPS sets the total number of
// simulated requests (default 400 000); the test prints how many it really ran.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyIndex, LruPolicy, MattsonLru, POLICY_NAMES, Replay, createPolicy } from "../src/index";

const TOTAL = Number(process.env.MMSIM_PROPERTY_OPS ?? 400_000);

/** A random trace: page numbers drawn from a skewed range so that hits and misses both happen. */
const traceArb = (maxPages: number, maxLen: number) =>
  fc.record({
    pages: fc.integer({ min: 1, max: maxPages }),
    refs: fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: maxLen, size: "max" }),
  });

function materialize(pages: number, refs: [number, number][]): Int32Array {
  // hot set: a quarter of references go to the first eighth of the pages
  return Int32Array.from(refs, ([r, k]) => (k === 0 ? r % Math.max(1, pages >> 3) : r % pages));
}

describe("Mattson's one-pass LRU curve", () => {
  it("equals a separate LRU run at every number of frames", () => {
    let requests = 0;
    // a run replays ~1000 requests through Mattson and through LRU at each of <= 100 sizes
    const runs = Math.max(20, Math.floor(TOTAL / 2 / 50_000));
    fc.assert(
      fc.property(traceArb(100, 2000), fc.integer({ min: 1, max: 64 }), ({ pages, refs }, batch) => {
        const ids = materialize(pages, refs);
        const index = new KeyIndex();
        const dense = ids.map((p) => index.intern(0, p));
        const m = new MattsonLru();
        m.reserve(index.size);
        for (let i = 0; i < dense.length; i += batch) m.access(dense.subarray(i, i + batch), Math.min(batch, dense.length - i));
        const curve = m.missCurve(index.size);
        for (let frames = 1; frames <= index.size; frames++) {
          const lru = new LruPolicy(frames);
          lru.reserve(index.size);
          lru.access(dense, dense.length);
          requests += dense.length;
          if (lru.misses !== curve[frames]) return false;
        }
        requests += dense.length;
        return curve[0] === dense.length;
      }),
      { numRuns: runs, seed: 18 },
    );
    console.log(`mattson property: ${requests} simulated requests`);
    expect(requests).toBeGreaterThan(0);
  }, 300_000);

  it("renumbers its time positions without changing a distance (trace longer than the tree)", () => {
    // 200 000 requests over 3 pages overflow the 65 536-position tree several times
    const m = new MattsonLru();
    const ids = Int32Array.from({ length: 200_000 }, (_, i) => i % 3);
    m.reserve(3);
    m.access(ids, ids.length);
    expect(Array.from(m.missCurve(3))).toEqual([200_000, 200_000, 200_000, 3]);
  });
});

describe("every policy", () => {
  it("keeps its invariants, its frame limit and exact counts on random traces; OPT is never beaten", () => {
    let requests = 0;
    const runs = Math.max(20, Math.floor(TOTAL / 2 / (POLICY_NAMES.length * 600)));
    fc.assert(
      fc.property(traceArb(400, 2000), fc.integer({ min: 1, max: 80 }), ({ pages, refs }, frames) => {
        const text = new TextEncoder().encode(Array.from(materialize(pages, refs)).join("\n") + "\n");
        const r = new Replay({ format: "text", jobs: POLICY_NAMES.map((policy) => ({ policy, frames })) });
        // push in uneven chunks, verifying after each
        for (let i = 0; i < text.length; i += 997) {
          r.push(text.subarray(i, i + 997));
          r.verify();
        }
        const rep = r.finish();
        r.verify();
        requests += rep.requests * POLICY_NAMES.length;
        const opt = rep.results.find((x) => x.policy === "opt")!.misses;
        for (const x of rep.results) {
          if (x.hits + x.misses !== rep.requests || x.misses < rep.pages) return false;
          if (x.policy !== "2q" && x.policy !== "s3fifo" && x.misses < opt) return false;
        }
        return true;
      }),
      { numRuns: runs, seed: 1818 },
    );
    console.log(`policy property: ${requests} simulated requests`);
    expect(requests).toBeGreaterThan(0);
  }, 300_000);

  it("rejects frames below 1 and bad shares as input errors", () => {
    expect(() => new Replay({ format: "text", jobs: [{ policy: "lru", frames: 0 }] })).toThrow(/invalid number of frames 0/);
    expect(() => createPolicy("2q", 10, { twoQKin: 1 })).toThrow(/invalid 2Q Kin share 1/);
    expect(() => createPolicy("s3fifo", 10, { s3fifoThreshold: 0 })).toThrow(/move-to-main threshold 0/);
  });
});
