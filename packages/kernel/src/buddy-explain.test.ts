import { describe, expect, it } from "vitest";
import { inputError } from "../test/input-error";
import { MiB } from "@mmsim/base";
import { GFP_KERNEL, __GFP_ZERO } from "@mmsim/physical";
import { Kernel } from "./kernel";
import { parseBuddyOps, runBuddyOps } from "./buddy-explain";

describe("mmsim buddy operations", () => {
  it("parses alloc, free ranges and drain", () => {
    expect(parseBuddyOps("alloc 3, alloc 0 GFP_KERNEL|__GFP_ZERO x4, free 1, free 2-5/2, drain")).toEqual([
      { kind: "alloc", order: 3, gfp: GFP_KERNEL, count: 1, text: "alloc 3" },
      { kind: "alloc", order: 0, gfp: GFP_KERNEL | __GFP_ZERO, count: 4, text: "alloc 0 GFP_KERNEL|__GFP_ZERO x4" },
      { kind: "free", from: 1, to: 1, stride: 1, text: "free 1" },
      { kind: "free", from: 2, to: 5, stride: 2, text: "free 2-5/2" },
      { kind: "drain", text: "drain" },
    ]);
  });

  it("rejects a mask with conflicting zone modifiers when parsing, naming the bits (never gfp_zone's BUG)", () => {
    expect(inputError(() => parseBuddyOps("alloc 0 __GFP_HIGHMEM|__GFP_DMA32"))).toBe(
      '--ops: invalid operation "alloc 0 __GFP_HIGHMEM|__GFP_DMA32": gfp 0x6: __GFP_HIGHMEM and __GFP_DMA32 cannot be combined (GFP_ZONE_BAD in include/linux/gfp.h)',
    );
    expect(inputError(() => parseBuddyOps("drain, alloc 0 GFP_KERNEL|__GFP_DMA|__GFP_DMA32"))).toMatch(
      /^--ops: invalid operation "alloc 0 GFP_KERNEL\|__GFP_DMA\|__GFP_DMA32": gfp 0x[0-9a-f]+: __GFP_DMA and __GFP_DMA32 cannot be combined/,
    );
    expect(inputError(() => parseBuddyOps("alloc 0 __GFP_DMA|__GFP_DMA32|__GFP_MOVABLE"))).toMatch(/^--ops: invalid operation "[^"]+": gfp 0xd: __GFP_DMA and __GFP_DMA32 cannot be combined/);
    expect(inputError(() => parseBuddyOps("alloc 0 0x80000000"))).toMatch(/^--ops: invalid operation "alloc 0 0x80000000": gfp 0x80000000: unknown gfp bits 0x80000000/);
  });

  it("says an allocation was already freed, and by which operation, instead of freeing it twice", () => {
    const k = Kernel.boot({ ram: 64 * MiB });
    expect(inputError(() => runBuddyOps(k, parseBuddyOps("alloc 0, free 1, free 1")))).toBe(
      '--ops: invalid operation "free 1": allocation #1 was already freed (by "free 1")',
    );
    const k2 = Kernel.boot({ ram: 64 * MiB });
    expect(inputError(() => runBuddyOps(k2, parseBuddyOps("alloc 0 x4, free 1-4/2, free 3")))).toBe(
      '--ops: invalid operation "free 3": allocation #3 was already freed (by "free 1-4/2")',
    );
  });

  it("says which allocation numbers exist when a free names one that does not", () => {
    expect(inputError(() => runBuddyOps(Kernel.boot({ ram: 64 * MiB }), parseBuddyOps("free 1")))).toBe(
      '--ops: invalid operation "free 1": there is no allocation #1 yet (nothing was allocated)',
    );
    expect(inputError(() => runBuddyOps(Kernel.boot({ ram: 64 * MiB }), parseBuddyOps("alloc 0 x2, free 1-3")))).toBe(
      '--ops: invalid operation "free 1-3": there is no allocation #3 yet (#1..#2 exist)',
    );
  });
});
