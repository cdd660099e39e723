// The page cache's xarray: a first store far from index 0 builds a tree with no empty node
// (the verify invariant "no empty node stays linked"), and erasing everything empties it.
import { describe, expect, it } from "vitest";
import { XArray } from "./xarray";

describe("XArray", () => {
  it("a first store at index 463 (libc's data page) links no empty leaf below the root", () => {
    const xa = new XArray();
    xa.store(463, 7);
    expect(xa.recount()).toBe(1);
    xa.store(5, 8);
    expect(xa.entries()).toEqual([[5, 8], [463, 7]]);
    expect(xa.recount()).toBe(2);
    expect(xa.erase(463)).toBe(7);
    expect(xa.erase(5)).toBe(8);
    expect([xa.size, xa.recount(), xa.load(463)]).toEqual([0, 0, -1]);
  });
});
