// verify() still catches each kind of broken state after it was made cheap (one pass over the
// page arrays, messages built only on failure): every test corrupts one thing in a clean
// machine and expects the message that names it.
import { describe, expect, it } from "vitest";
import { Bug } from "@mmsim/base";
import { BUDDY_TYPE } from "../buddy";
import { GFP_KERNEL } from "../gfp";
import { MAX_PAGE_ORDER, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, PAGEBLOCK_ORDER } from "../mmzone";
import type { Zone } from "../mmzone";
import type { PhysicalMemory } from "../page-alloc";
import { PG_lru, PG_reserved } from "../page-flags";
import { tiny } from "../../test/machines";

/** A clean 64 MiB machine (tiny: DMA 256..4095, DMA32 4096..15871 free) and its DMA32 zone. */
function machine(): { m: PhysicalMemory; z: Zone } {
  const m = tiny();
  const z = m.zones().find((x) => x.name === "DMA32")!;
  m.verify();
  return { m, z };
}

/** The head (page index) of the first free MAX_PAGE_ORDER block on DMA32's Movable list. */
function bigBlock(z: Zone): number {
  const i = z.freeArea[MAX_PAGE_ORDER].head[MIGRATE_MOVABLE];
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

function verifyError(m: PhysicalMemory): string {
  try {
    m.verify();
  } catch (e) {
    expect(e).toBeInstanceOf(Bug);
    return (e as Bug).message;
  }
  throw new Error("verify() found nothing wrong");
}

describe("verify() catches", () => {
  it("a free block on the list of another migratetype", () => {
    const { m, z } = machine();
    const i = bigBlock(z);
    m.pages.pageblockMt[i >>> PAGEBLOCK_ORDER] = MIGRATE_UNMOVABLE;
    expect(verifyError(m)).toBe(`verify: free block on list ${MIGRATE_MOVABLE} in pageblock of type ${MIGRATE_UNMOVABLE}: DMA32 order ${MAX_PAGE_ORDER} ${MIGRATE_MOVABLE} pfn ${m.pages.pfn(i)}`);
  });

  it("a free block whose order is not its list's", () => {
    const { m, z } = machine();
    const i = bigBlock(z);
    m.pages.private[i] = MAX_PAGE_ORDER - 1;
    expect(verifyError(m)).toBe(`verify: free block not marked PageBuddy order ${MAX_PAGE_ORDER}: DMA32 order ${MAX_PAGE_ORDER} ${MIGRATE_MOVABLE} pfn ${m.pages.pfn(i)}`);
  });

  it("a wrong nr_free count", () => {
    const { m, z } = machine();
    const n = z.freeArea[MAX_PAGE_ORDER].nrFree;
    z.freeArea[MAX_PAGE_ORDER].nrFree = n + 1;
    expect(verifyError(m)).toBe(`verify: DMA32 order ${MAX_PAGE_ORDER}: nr_free ${n + 1} but ${n} blocks`);
  });

  it("a wrong NR_FREE_PAGES", () => {
    const { m, z } = machine();
    const n = z.nrFreePages;
    z.nrFreePages = n - 1;
    expect(verifyError(m)).toBe(`verify: DMA32: NR_FREE_PAGES ${n - 1} but ${n} free`);
  });

  it("a refcount on a free block's head and on one of its tails", () => {
    const { m, z } = machine();
    const i = bigBlock(z);
    m.pages.refcount[i] = 1;
    expect(verifyError(m)).toBe(`verify: free block has refcount 1: DMA32 order ${MAX_PAGE_ORDER} ${MIGRATE_MOVABLE} pfn ${m.pages.pfn(i)}`);
    m.pages.refcount[i] = 0;
    m.pages.refcount[i + 77] = 1;
    expect(verifyError(m)).toBe(`verify: free tail pfn ${m.pages.pfn(i + 77)} in bad state (refcount 1, mapcount 0, flags 0x0): DMA32 order ${MAX_PAGE_ORDER} ${MIGRATE_MOVABLE} pfn ${m.pages.pfn(i)}`);
  });

  it("a PG_* flag on the last tail of a free block", () => {
    const { m, z } = machine();
    const i = bigBlock(z);
    const last = i + (1 << MAX_PAGE_ORDER) - 1;
    m.pages.flags[last] |= 1 << PG_lru;
    expect(verifyError(m)).toBe(`verify: free tail pfn ${m.pages.pfn(last)} in bad state (refcount 0, mapcount 0, flags 0x${(1 << PG_lru).toString(16)}): DMA32 order ${MAX_PAGE_ORDER} ${MIGRATE_MOVABLE} pfn ${m.pages.pfn(i)}`);
  });

  it("a PCP page marked PageBuddy", () => {
    const { m, z } = machine();
    const pfn = m.allocPages(GFP_KERNEL, 0);
    m.freePages(pfn, 0); // onto CPU 0's order-0 list of its migratetype
    m.verify();
    const i = m.pages.idx(pfn);
    m.pages.mapcount[i] = BUDDY_TYPE;
    expect(verifyError(m)).toMatch(new RegExp(`^verify: pcp page in bad state: DMA32 cpu 0 pcp list \\d+ pfn ${pfn}$`));
    expect(z.pcp[0].count).toBe(1);
  });

  it("a PageBuddy page on no free list", () => {
    const { m } = machine();
    const pfn = m.allocPages(GFP_KERNEL, 0);
    m.pages.mapcount[m.pages.idx(pfn)] = BUDDY_TYPE;
    m.pages.private[m.pages.idx(pfn)] = 0;
    expect(verifyError(m)).toBe(`verify: PageBuddy page pfn ${pfn} (order 0) is on no free list`);
  });

  it("a PCP page inside a free block", () => {
    const { m, z } = machine();
    const pfn = m.allocPages(GFP_KERNEL, 0);
    m.freePages(pfn, 0);
    const pcp = z.pcp[0];
    const k = pcp.head.findIndex((h) => h >= 0);
    // relink the PCP list to hold a tail page of a free block instead of the freed page
    const i = bigBlock(z);
    pcp.head[k] = i + 1;
    pcp.tail[k] = i + 1;
    expect(verifyError(m)).toBe(`verify: page counted twice (overlapping free blocks): DMA32 order ${MAX_PAGE_ORDER} ${MIGRATE_MOVABLE} pfn ${m.pages.pfn(i)} covers DMA32 cpu 0 pcp list ${k} pfn ${m.pages.pfn(i + 1)}`);
  });

  it("a wrong pcp count", () => {
    const { m, z } = machine();
    const pfn = m.allocPages(GFP_KERNEL, 0);
    m.freePages(pfn, 0);
    z.pcp[0].count = 2;
    expect(verifyError(m)).toBe("verify: DMA32 cpu 0: pcp count 2 but 1 pages on lists");
  });

  it("broken free-list links", () => {
    const { m, z } = machine();
    const i = bigBlock(z);
    const next = m.pages.lruNext[i];
    expect(next).toBeGreaterThanOrEqual(0);
    m.pages.lruPrev[next] = -1;
    expect(verifyError(m)).toBe(`verify: free list links broken at DMA32 order ${MAX_PAGE_ORDER} ${MIGRATE_MOVABLE} pfn ${m.pages.pfn(next)}`);
  });

  it("a page that left the reserved set without being managed", () => {
    const { m } = machine();
    const dma = m.zones().find((x) => x.name === "DMA")!;
    // tiny(): pfns 1..255 of DMA are memblock-reserved (the first MiB below 256 is kept)
    const i = m.pages.idx(dma.zoneStartPfn);
    expect(m.pages.flags[i]! & (1 << PG_reserved)).not.toBe(0);
    m.pages.flags[i] &= ~(1 << PG_reserved);
    expect(verifyError(m)).toBe(`verify: DMA: ${dma.presentPages - dma.managedPages - 1} reserved present pages but present − managed = ${dma.presentPages - dma.managedPages}`);
  });

  it("a stale fastMark", () => {
    const { m, z } = machine();
    z.fastMark[0] += 1;
    expect(verifyError(m)).toMatch(/^verify: DMA32: fastMark \[.*\] is stale \(recomputed \[.*\]\)$/);
  });
});
