import { describe, expect, it } from "vitest";
import { InputError } from "@mmsim/base";
import {
  GFP_ATOMIC, GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_KERNEL_ACCOUNT, GFP_NOFS, GFP_NOIO, GFP_NOWAIT, GFP_USER,
  __GFP_COMP, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_MOVABLE, __GFP_RECLAIMABLE, __GFP_ZERO, formatGfp, gfpMigratetype, gfpZone, parseGfp,
  GFP_VALID_MASK, GFP_ZONEMASK, gfpCheck,
} from "./gfp";
import { MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, ZONE_DMA, ZONE_DMA32, ZONE_HIGHMEM, ZONE_MOVABLE, ZONE_NORMAL } from "./mmzone";

describe("GFP composites (include/linux/gfp_types.h, 6.3+ numbering)", () => {
  it("have the hex values that OOM and failure reports print", () => {
    expect(GFP_KERNEL).toBe(0xcc0);
    expect(GFP_ATOMIC).toBe(0x820);
    expect(GFP_NOWAIT).toBe(0x2800);
    expect(GFP_NOIO).toBe(0xc00);
    expect(GFP_NOFS).toBe(0xc40);
    expect(GFP_USER).toBe(0x100cc0);
    expect(GFP_HIGHUSER_MOVABLE).toBe(0x100cca);
    expect(GFP_KERNEL_ACCOUNT).toBe(0x400cc0);
  });
});

describe("formatGfp (%pGg)", () => {
  it("prints the composite first, then leftover bits", () => {
    expect(formatGfp(GFP_KERNEL | __GFP_ZERO)).toBe("GFP_KERNEL|__GFP_ZERO");
    expect(formatGfp(GFP_HIGHUSER_MOVABLE | __GFP_COMP)).toBe("GFP_HIGHUSER_MOVABLE|__GFP_COMP");
    expect(formatGfp(GFP_KERNEL | GFP_DMA)).toBe("GFP_KERNEL|GFP_DMA");
    expect(formatGfp(GFP_ATOMIC)).toBe("GFP_ATOMIC");
    expect(formatGfp(0)).toBe("none");
    expect(formatGfp(0x200)).toBe("0x200");
  });
  it("round-trips through parseGfp", () => {
    expect(parseGfp("GFP_KERNEL|__GFP_ZERO")).toBe(0xdc0);
    expect(parseGfp(" GFP_HIGHUSER_MOVABLE | __GFP_COMP ")).toBe(0x140cca);
    expect(parseGfp("0x820")).toBe(GFP_ATOMIC);
  });
  it("rejects an unknown name with an InputError naming the field", () => {
    expect(() => parseGfp("GFP_KERNAL", "steps[0].gfp")).toThrow(InputError);
    expect(() => parseGfp("GFP_KERNAL", "steps[0].gfp")).toThrow(/steps\[0\]\.gfp: unknown GFP flag "GFP_KERNAL"/);
  });
  it("takes numbers up to gfp_t's 32 bits (include/linux/types.h: unsigned int)", () => {
    expect(parseGfp("0xffffffff")).toBe(0xffffffff);
    expect(parseGfp("4294967295|GFP_KERNEL")).toBe(0xffffffff);
    expect(parseGfp("0|0x0")).toBe(0);
    expect(parseGfp("0x00000000000000cc0")).toBe(GFP_KERNEL);
  });
  it("rejects a number above 32 bits or negative, naming the token, before | truncates it", () => {
    const range = (tok: string) => `gfp: GFP value "${tok}" is out of range: a gfp_t is 32 bits, from 0 to 0xffffffff`;
    for (const tok of ["0x100000000", "4294967296", "0x1ffffffff", "99999999999999999999999", "-1", "-0x10", "-0"]) {
      expect(() => parseGfp(`GFP_KERNEL|${tok}`)).toThrow(InputError);
      expect(() => parseGfp(`GFP_KERNEL | ${tok}`)).toThrow(range(tok));
    }
    expect(() => parseGfp("0x100000000", "steps[1].alloc_pages.gfp")).toThrow(/^steps\[1\]\.alloc_pages\.gfp: GFP value "0x100000000" is out of range/);
  });
});

describe("gfp_zone (GFP_ZONE_TABLE)", () => {
  it("maps zone modifiers to the highest usable zone", () => {
    expect(gfpZone(GFP_KERNEL, false)).toBe(ZONE_NORMAL);
    expect(gfpZone(GFP_DMA, false)).toBe(ZONE_DMA);
    expect(gfpZone(__GFP_DMA32, false)).toBe(ZONE_DMA32);
    expect(gfpZone(__GFP_MOVABLE, false)).toBe(ZONE_NORMAL);
    expect(gfpZone(GFP_HIGHUSER_MOVABLE, false)).toBe(ZONE_MOVABLE);
    expect(gfpZone(__GFP_HIGHMEM, false)).toBe(ZONE_NORMAL);
    expect(gfpZone(__GFP_HIGHMEM, true)).toBe(ZONE_HIGHMEM);
    expect(gfpZone(GFP_DMA | __GFP_DMA32, false)).toBe(-1);
  });
  it("gfp_migratetype reads the mobility bits", () => {
    expect(gfpMigratetype(GFP_KERNEL)).toBe(MIGRATE_UNMOVABLE);
    expect(gfpMigratetype(GFP_HIGHUSER_MOVABLE)).toBe(MIGRATE_MOVABLE);
    expect(gfpMigratetype(GFP_KERNEL | __GFP_RECLAIMABLE)).toBe(MIGRATE_RECLAIMABLE);
  });
});

describe("gfpCheck: user masks checked before anything runs", () => {
  it("accepts every composite and rejects exactly the GFP_ZONE_BAD zone combinations", () => {
    for (const g of [GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_USER, GFP_HIGHUSER_MOVABLE, GFP_KERNEL_ACCOUNT, GFP_KERNEL | GFP_DMA, GFP_KERNEL | __GFP_DMA32]) expect(gfpCheck(g)).toBeNull();
    // include/linux/gfp.h GFP_ZONE_BAD: DMA|HIGHMEM, DMA|DMA32, DMA32|HIGHMEM, all three, each
    // also with MOVABLE; gfp_zone() BUGs on exactly these (gfpZone returns -1)
    for (let z = 0; z <= GFP_ZONEMASK; z++) expect([z, gfpCheck(z) === null]).toEqual([z, gfpZone(z, false) >= 0]);
  });

  it("names the conflicting bits in a sentence", () => {
    expect(gfpCheck(__GFP_HIGHMEM | __GFP_DMA32)).toBe("gfp 0x6: __GFP_HIGHMEM and __GFP_DMA32 cannot be combined (GFP_ZONE_BAD in include/linux/gfp.h)");
    expect(gfpCheck(GFP_KERNEL | __GFP_DMA | __GFP_DMA32)).toBe("gfp 0xcc5: __GFP_DMA and __GFP_DMA32 cannot be combined (GFP_ZONE_BAD in include/linux/gfp.h)");
    expect(gfpCheck(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_MOVABLE)).toBe("gfp 0xf: __GFP_DMA, __GFP_HIGHMEM and __GFP_DMA32 cannot be combined (GFP_ZONE_BAD in include/linux/gfp.h)");
    expect(gfpCheck(GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE)).toBe("gfp 0xcd8: __GFP_MOVABLE and __GFP_RECLAIMABLE cannot be combined (no migratetype has both)");
  });

  it("reports bits 6.18 does not define, and values that are not masks", () => {
    expect(gfpCheck(GFP_KERNEL | 0x200)).toBe("gfp 0xec0: unknown gfp bits 0x200 (6.18 defines bits 0-8 and 10-23)");
    expect(gfpCheck(0x1000000 | __GFP_DMA | __GFP_HIGHMEM)).toBe("gfp 0x1000003: unknown gfp bits 0x1000000 (6.18 defines bits 0-8 and 10-23); __GFP_DMA and __GFP_HIGHMEM cannot be combined (GFP_ZONE_BAD in include/linux/gfp.h)");
    expect(gfpCheck(0xffffffff)).toMatch(/^gfp 0xffffffff: unknown gfp bits 0xff000200 /);
    expect(gfpCheck(-1)).toBe("gfp mask -1 is not a 32-bit unsigned integer");
    expect(gfpCheck(1.5)).toBe("gfp mask 1.5 is not a 32-bit unsigned integer");
    expect(gfpCheck(2 ** 32)).toBe("gfp mask 4294967296 is not a 32-bit unsigned integer");
    expect(gfpCheck(GFP_VALID_MASK & ~(__GFP_DMA | __GFP_HIGHMEM | __GFP_RECLAIMABLE))).toBeNull();
  });
});
