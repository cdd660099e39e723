// The VMA index: find_vma, vma_lookup, find_vma_intersection, neighbours, and its invariants.
import { describe, expect, test } from "vitest";
import { allocAndLinkVma, bootVirtual, newMm } from "../test/boot";
import { VM_READ } from "./mm-flags";

describe("VmaTree lookups (find_vma and friends)", () => {
  const vmm = bootVirtual();
  const mm = newMm(vmm);
  // 0x1000-0x3000, 0x5000-0x6000, 0x8000-0xa000
  const a = allocAndLinkVma(vmm, mm, 0x1000, 0x3000, 1, VM_READ);
  const b = allocAndLinkVma(vmm, mm, 0x8000, 0xa000, 8, VM_READ);
  const c = allocAndLinkVma(vmm, mm, 0x5000, 0x6000, 5, VM_READ);
  const t = mm.mmMt;

  test("VMAs are kept in address order whatever the insertion order", () => {
    expect(t.vmas).toEqual([a, c, b]);
    t.verify();
  });

  test("find_vma returns the first VMA ending above addr, even one starting above it", () => {
    expect([0, 0x1000, 0x2fff, 0x3000, 0x6000, 0x9fff, 0xa000].map((x) => t.findVma(x))).toEqual([a, a, a, c, b, b, null]);
  });

  test("vma_lookup returns only a VMA containing addr (end exclusive)", () => {
    expect([0x0fff, 0x1000, 0x2fff, 0x3000, 0x5000, 0x6000].map((x) => t.vmaLookup(x))).toEqual([null, a, a, null, c, null]);
  });

  test("find_vma_intersection finds an overlap of [start, end) or null", () => {
    expect(t.findVmaIntersection(0x3000, 0x5000)).toBe(null);
    expect(t.findVmaIntersection(0x3000, 0x5001)).toBe(c);
    expect(t.findVmaIntersection(0x2fff, 0x9000)).toBe(a);
  });

  test("neighbours: vma_next, vma_prev, the VMA before a gap and the one after it", () => {
    expect([t.vmaNext(a), t.vmaNext(b), t.vmaPrev(a), t.vmaPrev(b)]).toEqual([c, null, null, c]);
    expect([t.prevOf(0x4000), t.nextFrom(0x4000), t.prevOf(0x1000), t.nextFrom(0xa000)]).toEqual([a, c, null, null]);
  });

  test("linking an overlapping VMA is a Bug naming vma_iter_store", () => {
    const v = vmm.vmAreaAlloc(mm)!;
    v.vmStart = 0x2000;
    v.vmEnd = 0x4000;
    expect(() => t.insert(v)).toThrow("vma_iter_store");
  });
});
