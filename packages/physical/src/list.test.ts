// list.ts against a model: every operation on a few lists of a small page set is mirrored on
// plain JS arrays, and after each step the intrusive lists read exactly as the arrays do,
// from the head and from the tail, with listCheck() agreeing on their lengths.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bug } from "@mmsim/base";
import { ListHeads, listAdd, listAddTail, listCheck, listDel, listEmpty, listFirst, listLast, listMove, listMoveTail, listNext, listPrev, listSplice, listSpliceTail } from "./list";
import type { ListLinks } from "./list";
import { propertyOps, propertyRuns } from "../test/property-ops";

const NR_ENTRIES = 16;
const NR_LISTS = 3;

function links(n: number): ListLinks {
  return { lruNext: new Int32Array(n).fill(-1), lruPrev: new Int32Array(n).fill(-1) };
}

/** The entries of list h, head to tail, then checked against a walk from the tail. */
function read(l: ListLinks, lh: ListHeads, h: number): number[] {
  const out: number[] = [];
  for (let i = listFirst(lh.head, h); i >= 0; i = listNext(l, i)) out.push(i);
  const back: number[] = [];
  for (let i = listLast(lh.tail, h); i >= 0; i = listPrev(l, i)) back.push(i);
  expect(back.reverse()).toEqual(out);
  return out;
}

describe("list.ts (include/linux/list.h over lruNext/lruPrev)", () => {
  it("adds at either end, deletes from the middle and both ends", () => {
    const l = links(8);
    const lh = new ListHeads(2);
    expect(listEmpty(lh.head, 0)).toBe(true);
    listAdd(l, lh.head, lh.tail, 0, 3); // [3]
    listAdd(l, lh.head, lh.tail, 0, 5); // [5 3]
    listAddTail(l, lh.head, lh.tail, 0, 1); // [5 3 1]
    listAddTail(l, lh.head, lh.tail, 0, 7); // [5 3 1 7]
    expect(read(l, lh, 0)).toEqual([5, 3, 1, 7]);
    listDel(l, lh.head, lh.tail, 0, 3);
    expect(read(l, lh, 0)).toEqual([5, 1, 7]);
    listDel(l, lh.head, lh.tail, 0, 5);
    listDel(l, lh.head, lh.tail, 0, 7);
    expect(read(l, lh, 0)).toEqual([1]);
    expect([listFirst(lh.head, 0), listLast(lh.tail, 0)]).toEqual([1, 1]);
    listDel(l, lh.head, lh.tail, 0, 1);
    expect(listEmpty(lh.head, 0)).toBe(true);
    expect([lh.head[0], lh.tail[0]]).toEqual([-1, -1]);
  });

  it("moves entries between lists and splices whole lists, emptying the source", () => {
    const l = links(8);
    const lh = new ListHeads(2);
    for (const i of [0, 1, 2]) listAddTail(l, lh.head, lh.tail, 0, i);
    for (const i of [5, 6]) listAddTail(l, lh.head, lh.tail, 1, i);
    listMove(l, lh.head, lh.tail, 0, 1, 1); // 0: [0 2]  1: [1 5 6]
    listMoveTail(l, lh.head, lh.tail, 0, 1, 0); // 0: [2]  1: [1 5 6 0]
    expect(read(l, lh, 0)).toEqual([2]);
    expect(read(l, lh, 1)).toEqual([1, 5, 6, 0]);
    listAddTail(l, lh.head, lh.tail, 0, 4); // 0: [2 4]
    listSplice(l, lh.head, lh.tail, 0, 1);
    expect(read(l, lh, 1)).toEqual([2, 4, 1, 5, 6, 0]);
    expect(listEmpty(lh.head, 0)).toBe(true);
    listSpliceTail(l, lh.head, lh.tail, 1, 0);
    expect(read(l, lh, 0)).toEqual([2, 4, 1, 5, 6, 0]);
    expect(read(l, lh, 1)).toEqual([]);
    listSplice(l, lh.head, lh.tail, 1, 0); // splicing an empty list changes nothing
    expect(read(l, lh, 0)).toEqual([2, 4, 1, 5, 6, 0]);
  });

  it("listCheck counts a list and reports a broken prev link, a wrong tail and a cycle as Bugs", () => {
    const l = links(8);
    const lh = new ListHeads(1);
    for (const i of [0, 1, 2]) listAddTail(l, lh.head, lh.tail, 0, i);
    expect(listCheck(l, lh.head, lh.tail, 0, 8, "test", "list 0")).toBe(3);
    l.lruPrev[2] = 0;
    expect(() => listCheck(l, lh.head, lh.tail, 0, 8, "test", "list 0")).toThrow(/test: list 0: entry 2 has prev 0, expected 1/);
    l.lruPrev[2] = 1;
    lh.tail[0] = 1;
    expect(() => listCheck(l, lh.head, lh.tail, 0, 8, "test", "list 0")).toThrow(/tail is 1 but the last entry is 2/);
    lh.tail[0] = 2;
    l.lruNext[2] = 0;
    l.lruPrev[0] = 2;
    expect(() => listCheck(l, lh.head, lh.tail, 0, 8, "test", "list 0")).toThrow(Bug);
  });

  it("property: random operations read back exactly as a model of arrays", () => {
    const op = fc.record({ kind: fc.nat(7), a: fc.nat(NR_LISTS - 1), b: fc.nat(NR_LISTS - 1), e: fc.nat(NR_ENTRIES - 1) });
    const target = propertyOps(25_000, 0.05);
    // an array of 1..100 steps averages about 50
    const runs = propertyRuns(target, 50);
    let ops = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 100, size: "max" }), (steps) => {
        const l = links(NR_ENTRIES);
        const lh = new ListHeads(NR_LISTS);
        const model: number[][] = Array.from({ length: NR_LISTS }, () => []);
        const on = new Int32Array(NR_ENTRIES).fill(-1);
        for (const s of steps) {
          const { a, b, e } = s;
          ops++;
          if (s.kind <= 1) {
            if (on[e] >= 0) continue;
            if (s.kind === 0) {
              listAdd(l, lh.head, lh.tail, a, e);
              model[a].unshift(e);
            } else {
              listAddTail(l, lh.head, lh.tail, a, e);
              model[a].push(e);
            }
            on[e] = a;
          } else if (s.kind <= 4) {
            if (on[e] < 0) continue;
            const from = on[e];
            model[from].splice(model[from].indexOf(e), 1);
            if (s.kind === 2) {
              listDel(l, lh.head, lh.tail, from, e);
              on[e] = -1;
            } else if (s.kind === 3) {
              listMove(l, lh.head, lh.tail, from, b, e);
              model[b].unshift(e);
              on[e] = b;
            } else {
              listMoveTail(l, lh.head, lh.tail, from, b, e);
              model[b].push(e);
              on[e] = b;
            }
          } else if (a !== b && s.kind <= 6) {
            for (const x of model[a]) on[x] = b;
            if (s.kind === 5) {
              listSplice(l, lh.head, lh.tail, a, b);
              model[b] = [...model[a], ...model[b]];
            } else {
              listSpliceTail(l, lh.head, lh.tail, a, b);
              model[b] = [...model[b], ...model[a]];
            }
            model[a] = [];
          }
          for (let h = 0; h < NR_LISTS; h++) {
            expect(read(l, lh, h)).toEqual(model[h]);
            expect(listCheck(l, lh.head, lh.tail, h, NR_ENTRIES, "list.test", `list ${h}`)).toBe(model[h].length);
            expect(listEmpty(lh.head, h)).toBe(model[h].length === 0);
          }
        }
      }),
      { numRuns: runs, seed: 11 },
    );
    console.log(`list.ts property: ${ops} operations`);
    expect(ops).toBeGreaterThanOrEqual(target * 0.8);
  }, 60_000);
});
