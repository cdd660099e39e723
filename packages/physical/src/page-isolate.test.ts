// The primitives compaction and migration use (page-isolate.ts): isolating free blocks with
// __isolate_free_page's watermark, isolate_freepages_block's scan of a pageblock, putting a
// block back, post_alloc_hook + split_page, move_freepages_block, copy_highpage/folio_copy.
// verify() runs after every step; freeing everything returns buddyinfo to the boot state.
import { describe, expect, it } from "vitest";
import { Ram } from "@mmsim/hardware";
import { AllocContext, CompactControl, DEF_COMPACT_PRIORITY } from "./alloc-context";
import { GFP_KERNEL, __GFP_MOVABLE } from "./gfp";
import { listFirst, listNext } from "./list";
import { MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, WMARK_MIN } from "./mmzone";
import { copyHighpage, folioCopy, isolateFreePage, isolateFreepagesBlock, moveFreepagesBlock, postAllocHook, putbackIsolatedPage, splitPage } from "./page-isolate";
import { tiny } from "../test/machines";

const MOVABLE = GFP_KERNEL | __GFP_MOVABLE;

describe("isolating free pages for compaction", () => {
  it("takes a free block off the buddy lists and puts it back, merging again", () => {
    const m = tiny();
    const boot = m.buddyinfo();
    const z = m.zones()[1]; // DMA32
    const [B] = z.freeList(10, MIGRATE_MOVABLE);
    const free = z.nrFreePages;
    expect(isolateFreePage(m, B, 10)).toBe(1024);
    expect([z.nrFreePages, z.freeTaken, m.pages.refCount(B), m.pages.getType(B)]).toEqual([free - 1024, 1024, 0, 0]);
    expect(z.freeList(10, MIGRATE_MOVABLE)).not.toContain(B);
    m.verify();
    putbackIsolatedPage(m, B, 10, MIGRATE_MOVABLE);
    expect([z.nrFreePages, z.freeTaken]).toEqual([free, 0]);
    expect(m.buddyinfo()).toBe(boot);
    m.verify();
    expect(() => putbackIsolatedPage(m, B, 10, MIGRATE_MOVABLE)).toThrow("__putback_isolated_page: pfn " + B + " is not an isolated free page");
    expect(() => isolateFreePage(m, B + 1, 0)).toThrow(`__isolate_free_page: pfn ${B + 1} is not a free block of order 0`);
  });

  it("obeys the min watermark raised by the block's size, except in MIGRATE_ISOLATE pageblocks", () => {
    const m = tiny();
    const z = m.zones()[1];
    const [B] = z.freeList(10, MIGRATE_MOVABLE);
    const order = 10;
    // zone_watermark_ok(zone, 0, min + 2^order, 0, ALLOC_CMA): free must exceed min + 1024 +
    // lowmem_reserve[0]; one page short is refused
    z.watermark[WMARK_MIN] = z.nrFreePages - (1 << order) - z.lowmemReserve[0];
    z.updateFastMark();
    expect(isolateFreePage(m, B, order)).toBe(0);
    z.watermark[WMARK_MIN]--;
    z.updateFastMark();
    expect(isolateFreePage(m, B, order)).toBe(1 << order);
    putbackIsolatedPage(m, B, order, MIGRATE_MOVABLE);
    z.watermark[WMARK_MIN]++;
    z.updateFastMark();
    expect(z.freeTaken).toBe(0);
    m.verify();
    // a MIGRATE_ISOLATE pageblock is taken whatever the watermark (its pages are not counted
    // free); isolating B's first pageblock splits the order-10 block into two of order 9
    expect(moveFreepagesBlock(m, B, MIGRATE_ISOLATE)).toBe(512);
    m.verify();
    expect(isolateFreePage(m, B, 9)).toBe(512);
    m.verify();
    putbackIsolatedPage(m, B, 9, MIGRATE_ISOLATE);
    expect(moveFreepagesBlock(m, B, MIGRATE_MOVABLE)).toBe(512);
    m.verify();
  });

  it("scans a pageblock as isolate_freepages_block does, then maps, splits and copies the pages", () => {
    const m = tiny();
    const boot = m.buddyinfo();
    const ram = new Ram({ bytes: 64 * 2 ** 20 });
    // X: an order-9 block split into 512 order-0 pages, of which X+1..X+3 are freed again:
    // X+1 (order 0) and X+2 (order 1, X+2 and X+3 merged) lie free in the buddy lists
    const X = m.allocPages(MOVABLE, 9);
    splitPage(m, X, 9);
    for (const k of [1, 2, 3]) m.freePages(X + k, 0);
    m.drainAllPages();
    m.verify();
    const ac = new AllocContext();
    ac.migratetype = MIGRATE_MOVABLE;
    const cc = new CompactControl(ac, MOVABLE, 0, 0, DEF_COMPACT_PRIORITY);
    expect(isolateFreepagesBlock(m, cc, X, X + 512)).toBe(3);
    const p = m.pages;
    const onList = (order: number): number[] => {
      const out: number[] = [];
      for (let i = listFirst(cc.freepages.head, order); i >= 0; i = listNext(p, i)) out.push(p.pfn(i));
      return out;
    };
    expect([onList(0), onList(1), cc.nrFreepages, cc.totalFreeScanned]).toEqual([[X + 1], [X + 2], 3, 512]);
    expect(p.private[p.idx(X + 2)]).toBe(1); // set_page_private(page, order)
    m.verify();
    // compaction_alloc: post_alloc_hook; split the order-1 block into order-0 pages
    postAllocHook(m, X + 1, 0);
    postAllocHook(m, X + 2, 1);
    splitPage(m, X + 2, 1);
    expect([p.refCount(X + 1), p.refCount(X + 2), p.refCount(X + 3)]).toEqual([1, 1, 1]);
    m.verify();
    // migrate_folio's copy: bytes of X+5 to X+1, of X+6..X+7 to X+2..X+3
    ram.write((X + 5) * 4096 + 100, new Uint8Array([1, 2, 3]));
    ram.write((X + 7) * 4096 + 4095, new Uint8Array([9]));
    copyHighpage(ram, X + 1, X + 5);
    folioCopy(ram, X + 2, X + 6, 1);
    expect(Array.from(ram.read((X + 1) * 4096 + 100, 3))).toEqual([1, 2, 3]);
    expect(ram.read((X + 3) * 4096 + 4095, 1)[0]).toBe(9);
    expect(ram.isBacked(X + 2)).toBe(false); // X+6 was never written: the copy is zeroes
    // everything freed page by page returns the machine to its boot state
    for (let k = 0; k < 512; k++) m.freePages(X + k, 0);
    m.drainAllPages();
    m.verify();
    expect(m.buddyinfo()).toBe(boot);
    expect(m.zones()[1].freeTaken).toBe(3);
  });

  it("moves a pageblock's free pages to another migratetype, splitting a larger free block, and refuses HighAtomic", () => {
    const m = tiny();
    const z = m.zones()[1];
    const [B] = z.freeList(10, MIGRATE_MOVABLE);
    // the second pageblock of the order-10 block B: B splits into two order-9 blocks first
    expect(moveFreepagesBlock(m, B + 700, MIGRATE_UNMOVABLE)).toBe(512);
    expect([z.freeList(9, MIGRATE_UNMOVABLE), z.freeList(9, MIGRATE_MOVABLE).includes(B)]).toEqual([[B + 512], true]);
    expect(z.pageblockTypes(B, B + 1024)).toEqual([MIGRATE_MOVABLE, MIGRATE_UNMOVABLE]);
    m.verify();
    expect(moveFreepagesBlock(m, B, MIGRATE_UNMOVABLE)).toBe(512);
    m.verify();
    expect(() => moveFreepagesBlock(m, B, MIGRATE_HIGHATOMIC)).toThrow("move_freepages_block");
    expect(() => splitPage(m, B, 1)).toThrow(`split_page: pfn ${B} has refcount 0`);
  });
});
