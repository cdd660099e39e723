// Per-page arrays of the upper layers are indexed like struct page and sized like the mem_map.
import { describe, expect, it } from "vitest";
import { GFP_KERNEL } from "./gfp";
import { pageExtArray } from "./page-ext";
import { pciHole, tiny } from "../test/machines";

describe("pageExtArray", () => {
  it("has one element per struct page, filled as asked, indexed by pages.idx(pfn)", () => {
    const m = tiny();
    const lruGen = pageExtArray(m.pages, Int32Array, -1);
    expect(lruGen.length).toBe(32768); // one present 128 MiB section
    expect(lruGen.every((v) => v === -1)).toBe(true);
    const pfn = m.allocPages(GFP_KERNEL, 0);
    lruGen[m.pages.idx(pfn)] = 7;
    expect(lruGen[m.pages.idx(pfn)]).toBe(7);
    expect(pageExtArray(m.pages, Uint8Array).every((v) => v === 0)).toBe(true);
  });

  it("costs nothing for holes: only present sections are backed", () => {
    const m = pciHole();
    // [0, 3G) is 24 sections, [4G, 9G) 40: 64 present sections of 32768 pages
    expect(pageExtArray(m.pages, Uint16Array).length).toBe(64 * 32768);
    expect(m.pages.length).toBe(64 * 32768);
  });
});
