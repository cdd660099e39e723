// Split and merge on the DMA zone of the 64 MiB test machine. Free lists are drawn per order
// as "order: pfn pfn ..." (Movable lists; every pageblock starts Movable).
import { describe, expect, it } from "vitest";
import { freeOnePage, rmqueueSmallest } from "./buddy";
import { MIGRATE_MOVABLE, MIGRATE_UNMOVABLE } from "./mmzone";
import type { Zone } from "./mmzone";
import { PGTY_buddy } from "./page-flags";
import { tiny } from "../test/machines";

function draw(z: Zone): string[] {
  const out: string[] = [];
  for (let o = 0; o <= 10; o++) {
    const l = z.freeList(o, MIGRATE_MOVABLE);
    if (l.length) out.push(`${o}: ${l.join(" ")}`);
  }
  return out;
}

describe("buddy allocator: boot free lists", () => {
  it("DMA of a 64 MiB machine holds 256..4095 as max-order-aligned blocks", () => {
    const m = tiny();
    const dma = m.nodes[0].zones[0];
    // memblock_free_all frees [1M, 16M) as 256@order8, 512@order9, 1024/2048/3072@order10
    expect(draw(dma)).toEqual(["8: 256", "9: 512", "10: 1024 2048 3072"]);
    expect(dma.nrFreeByOrder()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3]);
    m.verify();
  });
});

describe("expand(): splitting on allocation", () => {
  it("an order-0 request splits the order-8 block at 256 into one block per order", () => {
    const m = tiny();
    const z = m.nodes[0].zones[0];
    const i = rmqueueSmallest(z, 0, MIGRATE_MOVABLE);
    expect(m.pages.pfn(i)).toBe(256);
    // 256 allocated; 257@0, 258@1, 260@2, 264@3, 272@4, 288@5, 320@6, 384@7
    expect(draw(z)).toEqual(["0: 257", "1: 258", "2: 260", "3: 264", "4: 272", "5: 288", "6: 320", "7: 384", "9: 512", "10: 1024 2048 3072"]);
    expect(z.nrFreePages).toBe(3840 - 1);
    expect(m.pages.getType(257)).toBe(PGTY_buddy);
    expect(m.pages.getType(256)).toBe(0);
  });

  it("returns -1 when no list of that migratetype has a large enough block", () => {
    const m = tiny();
    const z = m.nodes[0].zones[0];
    expect(rmqueueSmallest(z, 0, MIGRATE_UNMOVABLE)).toBe(-1);
  });
});

describe("__free_one_page(): merging on free", () => {
  it("freeing the split page merges all the way back to order 8 at 256", () => {
    const m = tiny();
    const z = m.nodes[0].zones[0];
    const i = rmqueueSmallest(z, 0, MIGRATE_MOVABLE);
    freeOnePage(z, i, 0, MIGRATE_MOVABLE, false);
    expect(draw(z)).toEqual(["8: 256", "9: 512", "10: 1024 2048 3072"]);
  });

  it("stops merging at an allocated buddy (pfn 8 ^ 4 = 12 free, 8 ^ 8 = 0 not)", () => {
    const m = tiny();
    const z = m.nodes[0].zones[0];
    // take 256..263 as eight order-0 pages, then free 260..263 in the order 260, 261, 262, 263
    const got = Array.from({ length: 8 }, () => m.pages.pfn(rmqueueSmallest(z, 0, MIGRATE_MOVABLE)));
    expect(got).toEqual([256, 257, 258, 259, 260, 261, 262, 263]);
    const idx = (pfn: number) => m.pages.idx(pfn);
    freeOnePage(z, idx(260), 0, MIGRATE_MOVABLE, false);
    expect(draw(z).slice(0, 1)).toEqual(["0: 260"]);
    freeOnePage(z, idx(261), 0, MIGRATE_MOVABLE, false); // 260+261 → order 1 at 260
    expect(draw(z).slice(0, 2)).toEqual(["1: 260", "3: 264"]);
    freeOnePage(z, idx(263), 0, MIGRATE_MOVABLE, false);
    freeOnePage(z, idx(262), 0, MIGRATE_MOVABLE, false); // 262+263 → 1@262, + 260 → 2@260; buddy 256 busy
    expect(draw(z).slice(0, 2)).toEqual(["2: 260", "3: 264"]);
    expect(z.freeArea[2].nrFree).toBe(1);
  });
});
