// memblock conformance: the cases of Linux's tools/testing/memblock/tests/basic_api.c
// (memblock_add_*_check, memblock_reserve_*_check, memblock_remove_*_check and
// memblock_free_*_check): the same cases and expected region lists (the add and remove cases
// with basic_api.c's own addresses). Cases
// that test C-only limits (PHYS_ADDR_MAX capping, growing the static region array past
// INIT_MEMBLOCK_REGIONS) become "a region near the top is kept exact" and "many regions".
import { describe, expect, it } from "vitest";
import { Bug } from "@mmsim/base";
import { Memblock, memblockAllocTryNid, NUMA_NO_NODE } from "../src/index";

const K = 1024;
const M = 1024 * K;
const G = 1024 * M;

/** The regions of a memblock type as [base, size] pairs. */
function regs(t: { regions: { base: number; size: number }[] }): [number, number][] {
  return t.regions.map((r) => [r.base, r.size]);
}

describe("memblock_add (basic_api.c memblock_add_checks)", () => {
  it("simple: one region is stored as given", () => {
    const mb = new Memblock();
    mb.add(1 * G, 4 * M);
    expect(regs(mb.memory)).toEqual([[1 * G, 4 * M]]);
    expect(mb.memory.totalSize).toBe(4 * M);
  });
  it("node: memblock_add_node keeps the node id", () => {
    const mb = new Memblock();
    mb.addNode(16 * K, 2 * M, 1);
    expect(mb.memory.regions[0]).toMatchObject({ base: 16 * K, size: 2 * M, nid: 1 });
  });
  it("disjoint: two separate regions stay two, in address order", () => {
    const mb = new Memblock();
    mb.add(1 * G, 8 * K);
    mb.add(1 * G + 16 * K, 8 * K);
    expect(regs(mb.memory)).toEqual([[1 * G, 8 * K], [1 * G + 16 * K, 8 * K]]);
    expect(mb.memory.cnt).toBe(2);
    expect(mb.memory.totalSize).toBe(16 * K);
  });
  it("overlap top: a region overlapping the start of another merges into one", () => {
    const mb = new Memblock();
    mb.add(512 * M, 1 * G);
    mb.add(256 * M, 512 * M);
    expect(regs(mb.memory)).toEqual([[256 * M, 512 * M + 1 * G - 256 * M]]);
  });
  it("overlap bottom: a region overlapping the end of another merges into one", () => {
    const mb = new Memblock();
    mb.add(128 * M, 512 * M);
    mb.add(256 * M, 1 * G);
    expect(regs(mb.memory)).toEqual([[128 * M, 256 * M + 1 * G - 128 * M]]);
  });
  it("within: a region inside another changes nothing", () => {
    const mb = new Memblock();
    mb.add(8 * M, 32 * M);
    mb.add(16 * M, 1 * M);
    expect(regs(mb.memory)).toEqual([[8 * M, 32 * M]]);
    expect(mb.memory.totalSize).toBe(32 * M);
  });
  it("twice: adding the same region again changes nothing", () => {
    const mb = new Memblock();
    mb.add(2 * M, 2 * M);
    mb.add(2 * M, 2 * M);
    expect(regs(mb.memory)).toEqual([[2 * M, 2 * M]]);
  });
  it("between: a region filling the gap between two merges all three", () => {
    const mb = new Memblock();
    mb.add(1 * G, 8 * K);
    mb.add(1 * G + 16 * K, 8 * K);
    mb.add(1 * G + 8 * K, 8 * K);
    expect(regs(mb.memory)).toEqual([[1 * G, 24 * K]]);
  });
  it("adjacent regions of different nodes are not merged", () => {
    const mb = new Memblock();
    mb.addNode(0, 1 * G, 0);
    mb.addNode(1 * G, 1 * G, 1);
    expect(mb.memory.regions.map((r) => [r.base, r.size, r.nid])).toEqual([[0, 1 * G, 0], [1 * G, 1 * G, 1]]);
  });
  it("near the top of the address space: the region is kept exact (no wrap)", () => {
    const mb = new Memblock();
    const top = 2 ** 52;
    mb.add(top - 1 * M, 1 * M);
    expect(regs(mb.memory)).toEqual([[top - 1 * M, 1 * M]]);
  });
  it("many: 129 disjoint regions (past INIT_MEMBLOCK_REGIONS) are all kept", () => {
    const mb = new Memblock();
    for (let k = 0; k < 129; k++) mb.add(k * 2 * M, 1 * M);
    expect(mb.memory.cnt).toBe(129);
    expect(mb.memory.totalSize).toBe(129 * M);
  });
});

describe("memblock_reserve (basic_api.c memblock_reserve_checks)", () => {
  it("simple, disjoint, overlap top/bottom, within, twice, between", () => {
    const mb = new Memblock();
    mb.reserve(2 * G, 128 * M);
    expect(regs(mb.reserved)).toEqual([[2 * G, 128 * M]]);
    expect(mb.reserved.regions[0].nid).toBe(NUMA_NO_NODE);

    const d = new Memblock();
    d.reserve(256 * M, 16 * M);
    d.reserve(512 * M, 512 * M);
    expect(regs(d.reserved)).toEqual([[256 * M, 16 * M], [512 * M, 512 * M]]);

    const top = new Memblock();
    top.reserve(1 * G, 1 * G);
    top.reserve(128 * M, 1 * G);
    expect(regs(top.reserved)).toEqual([[128 * M, 2 * G - 128 * M]]);

    const bottom = new Memblock();
    bottom.reserve(2 * K, 128 * K);
    bottom.reserve(128 * K, 128 * K);
    expect(regs(bottom.reserved)).toEqual([[2 * K, 256 * K - 2 * K]]);

    const within = new Memblock();
    within.reserve(1 * M, 8 * M);
    within.reserve(2 * M, 64 * K);
    expect(regs(within.reserved)).toEqual([[1 * M, 8 * M]]);

    const twice = new Memblock();
    twice.reserve(16 * K, 2 * M);
    twice.reserve(16 * K, 2 * M);
    expect(regs(twice.reserved)).toEqual([[16 * K, 2 * M]]);

    const between = new Memblock();
    between.reserve(1 * G, 8 * K);
    between.reserve(1 * G + 16 * K, 8 * K);
    between.reserve(1 * G + 8 * K, 8 * K);
    expect(regs(between.reserved)).toEqual([[1 * G, 24 * K]]);
  });
});

describe("memblock_remove (basic_api.c memblock_remove_checks)", () => {
  it("simple: removing a whole region leaves the other", () => {
    const mb = new Memblock();
    mb.add(2 * K, 4 * K);
    mb.add(128 * M, 4 * M);
    mb.remove(2 * K, 4 * K);
    expect(regs(mb.memory)).toEqual([[128 * M, 4 * M]]);
    expect(mb.memory.totalSize).toBe(4 * M);
  });
  it("absent: removing memory that was never added changes nothing", () => {
    const mb = new Memblock();
    mb.add(512 * K, 4 * M);
    mb.remove(64 * M, 1 * G);
    expect(regs(mb.memory)).toEqual([[512 * K, 4 * M]]);
  });
  it("overlap top: removing the start of a region trims it", () => {
    const mb = new Memblock();
    mb.add(32 * M, 32 * M);
    mb.remove(16 * M, 32 * M);
    expect(regs(mb.memory)).toEqual([[48 * M, 16 * M]]);
  });
  it("overlap bottom: removing the end of a region trims it", () => {
    const mb = new Memblock();
    mb.add(2 * M, 64 * M);
    mb.remove(32 * M, 256 * M);
    expect(regs(mb.memory)).toEqual([[2 * M, 30 * M]]);
  });
  it("within: removing the middle splits a region in two", () => {
    const mb = new Memblock();
    mb.add(1 * M, 32 * M);
    mb.remove(16 * M, 1 * M);
    expect(regs(mb.memory)).toEqual([[1 * M, 15 * M], [17 * M, 16 * M]]);
    expect(mb.memory.cnt).toBe(2);
    expect(mb.memory.totalSize).toBe(31 * M);
  });
});

describe("memblock_free (basic_api.c memblock_free_checks): the same on the reserved list", () => {
  it("simple, absent, overlap top/bottom, within", () => {
    const mb = new Memblock();
    mb.reserve(4 * M, 1 * M);
    mb.reserve(8 * M, 1 * M);
    mb.free(4 * M, 1 * M);
    expect(regs(mb.reserved)).toEqual([[8 * M, 1 * M]]);
    mb.free(16 * M, 1 * M);
    expect(regs(mb.reserved)).toEqual([[8 * M, 1 * M]]);

    const top = new Memblock();
    top.reserve(8 * G, 32 * M);
    top.free(8 * G - 1 * M, 2 * M);
    expect(regs(top.reserved)).toEqual([[8 * G + 1 * M, 31 * M]]);

    const bottom = new Memblock();
    bottom.reserve(2 * M, 32 * M);
    bottom.free(32 * M, 64 * M);
    expect(regs(bottom.reserved)).toEqual([[2 * M, 30 * M]]);

    const within = new Memblock();
    within.reserve(1 * M, 8 * M);
    within.free(4 * M, 1 * M);
    expect(regs(within.reserved)).toEqual([[1 * M, 3 * M], [5 * M, 4 * M]]);
  });
});

describe("free ranges and bottom-up use", () => {
  it("for_each_free_mem_range is memory minus reserved, node by node", () => {
    const mb = new Memblock();
    mb.addNode(0, 64 * M, 0);
    mb.addNode(64 * M, 64 * M, 1);
    mb.reserve(60 * M, 8 * M);
    expect(mb.freeRanges()).toEqual([
      { base: 0, end: 60 * M, nid: 0 },
      { base: 68 * M, end: 128 * M, nid: 1 },
    ]);
    expect(mb.freeRanges(1)).toEqual([{ base: 68 * M, end: 128 * M, nid: 1 }]);
  });
  it("memblock_alloc top-down takes the highest aligned free range below the limit, -1 when none fits", () => {
    const mb = new Memblock();
    mb.add(0, 64 * M);
    mb.reserve(62 * M, 2 * M);
    expect(mb.allocTopDown(4 * M, 2 * M, -1)).toBe(58 * M);
    expect(regs(mb.reserved)).toEqual([[58 * M, 6 * M]]);
    expect(mb.allocTopDown(1 * M, 1 * M, -1, 16 * M)).toBe(15 * M);
    expect(mb.allocTopDown(1 * G, 4 * K, -1)).toBe(-1);
  });
});

describe("memblock_alloc_try_nid (mm/memblock.c memblock_alloc_internal, memblock_alloc_range_nid)", () => {
  const twoNodes = (): Memblock => {
    const mb = new Memblock();
    mb.addNode(0, 64 * M, 0);
    mb.addNode(64 * M, 64 * M, 1);
    return mb;
  };
  it("top-down on the requested node: the highest aligned address below the node's end", () => {
    const mb = twoNodes();
    expect(memblockAllocTryNid(mb, 3 * M, 2 * M, 0, "a")).toBe(60 * M);
    expect(memblockAllocTryNid(mb, 4 * K, 64, 1, "b")).toBe(128 * M - 4 * K);
    expect(mb.reserved.regions.map((r) => r.name)).toEqual(["a", "b"]);
  });
  it("falls back to any node (the highest free range) when the node has no room", () => {
    const mb = twoNodes();
    mb.reserve(0, 60 * M);
    expect(memblockAllocTryNid(mb, 8 * M, 4 * K, 0, "big")).toBe(120 * M);
  });
  it("retries without min_addr when nothing fits above it, and returns -1 when nothing fits at all", () => {
    const mb = twoNodes();
    mb.reserve(16 * M, 112 * M);
    expect(memblockAllocTryNid(mb, 1 * M, 4 * K, NUMA_NO_NODE, "low", 64 * M)).toBe(15 * M);
    expect(memblockAllocTryNid(mb, 1 * M, 4 * K, NUMA_NO_NODE, "above", 8 * M)).toBe(14 * M);
    expect(memblockAllocTryNid(mb, 32 * M, 4 * K, 1, "too big")).toBe(-1);
  });
  it("a size of 0 or an alignment that is not a power of two is a Bug", () => {
    expect(() => memblockAllocTryNid(twoNodes(), 0, 64, 0, "zero")).toThrow(Bug);
    expect(() => memblockAllocTryNid(twoNodes(), 4 * K, 48, 0, "odd")).toThrow(/memblock_alloc_try_nid: alignment 48 for odd is not a power of two/);
  });
});
