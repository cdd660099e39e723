// The i_mmap interval tree (mm/interval_tree.c): lookups by pgoff range against a brute-force
// list, through random inserts, removals and re-keyings (split/merge moving a VMA's range), with
// the tree's invariants checked after every operation. MMSIM_PROPERTY_OPS sets the total number
// of operations (default 6,000).
import { describe, expect, it, test } from "vitest";
import fc from "fast-check";
import { VmaIntervalTree } from "./interval-tree";
import { VmAreaStruct } from "./mm-types";
import type { MmStruct } from "./mm-types";

const OPS_PER_RUN = 200;
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 6_000);
const RUNS = Math.max(1, Math.ceil(TOTAL / OPS_PER_RUN));

/** A detached VMA mapping file pages [pgoff, pgoff + pages - 1] (the tree reads only that). */
function vma(pgoff: number, pages: number, at = 0x10000000): VmAreaStruct {
  const v = new VmAreaStruct(null as unknown as MmStruct, 0);
  v.vmStart = at;
  v.vmEnd = at + pages * 4096;
  v.vmPgoff = pgoff;
  return v;
}

/** The VMAs vma_interval_tree_foreach visits for [first, last], in visiting order. */
function foreach(t: VmaIntervalTree, first: number, last: number): VmAreaStruct[] {
  const out: VmAreaStruct[] = [];
  for (let n = t.iterFirst(first, last); n >= 0; n = t.iterNext(n, first, last)) out.push(t.vmaAt(n));
  return out;
}

describe("vma interval tree", () => {
  it("visits exactly the VMAs overlapping the range, by start; a re-keyed VMA is found at its new range", () => {
    //  pgoff: 0    5    10   15   20   25   30
    //  a      [----]                                 [0, 4]
    //  b           [---------]                       [5, 14]
    //  c        [--------------------]               [3, 22]
    //  d                          [------]           [25, 31]
    const t = new VmaIntervalTree();
    const a = vma(0, 5);
    const b = vma(5, 10);
    const c = vma(3, 20);
    const d = vma(25, 7);
    for (const v of [a, b, c, d]) t.insert(v);
    t.verify();
    expect(foreach(t, 4, 4)).toEqual([a, c]);
    expect(foreach(t, 5, 5)).toEqual([c, b]);
    expect(foreach(t, 23, 24)).toEqual([]);
    expect(foreach(t, 20, Infinity)).toEqual([c, d]);
    expect(foreach(t, 0, Infinity)).toEqual([a, c, b, d]);
    expect([...t]).toEqual([a, c, b, d]);
    // a split keeps [3, 9] in c (vm_end moved): page 12 is no longer c's
    c.vmEnd = c.vmStart + 7 * 4096;
    t.update(c);
    t.verify();
    expect(foreach(t, 12, 12)).toEqual([b]);
    t.remove(b);
    expect(t.contains(b)).toBe(false);
    expect(b.iMmapNode).toBe(-1);
    expect(foreach(t, 12, 12)).toEqual([]);
    expect(t.length).toBe(3);
    t.verify();
  });

  it("stays balanced: 1,024 VMAs at increasing pgoffs give a height of at most 1.44 log2 n", () => {
    const t = new VmaIntervalTree();
    for (let k = 0; k < 1024; k++) t.insert(vma(k * 2, 1));
    t.verify();
    // an AVL tree of n nodes is at most 1.44 log2(n + 2) high; count the steps of a lookup
    let deepest = 0;
    for (const v of t) {
      let depth = 0;
      for (let n = v.iMmapNode; n >= 0; n = (t as unknown as { parent: Int32Array }).parent[n]!) depth++;
      deepest = Math.max(deepest, depth);
    }
    expect(deepest).toBeLessThanOrEqual(Math.floor(1.44 * Math.log2(1026)));
    expect(foreach(t, 1000, 1001)).toEqual([[...t][500]]);
  });
});

const opArb = fc.record({
  kind: fc.integer({ min: 0, max: 9 }),
  pick: fc.nat(),
  pgoff: fc.integer({ min: 0, max: 300 }),
  pages: fc.integer({ min: 1, max: 40 }),
  span: fc.integer({ min: 0, max: 60 }),
});

test(`random inserts, removals, re-keyings and lookups match a brute-force list (${RUNS} runs of ${OPS_PER_RUN})`, () => {
  let ran = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (ops) => {
      const t = new VmaIntervalTree();
      const list: VmAreaStruct[] = [];
      for (const op of ops) {
        if (op.kind <= 3 || list.length === 0) {
          const v = vma(op.pgoff, op.pages);
          t.insert(v);
          list.push(v);
        } else if (op.kind <= 5) {
          const v = list.splice(op.pick % list.length, 1)[0]!;
          t.remove(v);
        } else if (op.kind <= 6) {
          // a split or merge moves one end and the pgoff with vm_start
          const v = list[op.pick % list.length]!;
          v.vmStart = 0x10000000 + op.pgoff * 4096;
          v.vmEnd = v.vmStart + op.pages * 4096;
          v.vmPgoff = op.pgoff;
          t.update(v);
        } else {
          const first = op.pgoff;
          const last = op.kind === 9 ? Infinity : op.pgoff + op.span;
          const got = foreach(t, first, last);
          const want = list.filter((v) => v.vmPgoff <= last && v.vmPgoff + v.pages - 1 >= first);
          expect(new Set(got)).toEqual(new Set(want));
          expect(got.length).toBe(want.length);
          for (let k = 1; k < got.length; k++) expect(got[k]!.vmPgoff).toBeGreaterThanOrEqual(got[k - 1]!.vmPgoff);
        }
        t.verify();
        expect(t.length).toBe(list.length);
        ran++;
      }
    }),
    { numRuns: RUNS, seed: 20261205 },
  );
  console.log(`interval tree property test: ${ran} operations against a brute-force list`);
  expect(ran).toBe(RUNS * OPS_PER_RUN);
}, 300_000);
