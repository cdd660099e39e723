// The highatomic pageblock reserve against mm/page_alloc.c (6.18): reserve_highatomic_pageblock()
// after an ALLOC_HIGHATOMIC allocation in get_page_from_freelist(), unreserve_highatomic_pageblock()
// from __alloc_pages_direct_reclaim() (not a zone's last pageblock) and should_reclaim_retry()
// (force), with verify() after every step (after each fill loop as a whole). Memory pressure comes
// from filling node 1 of twoNodes() (one Normal zone: 129024 managed pages, 126 free order-10
// blocks, watermarks 508/637/766).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bug } from "@mmsim/base";
import { GFP_ATOMIC, GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_MOVABLE, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN, __GFP_RECLAIM, __GFP_THISNODE } from "./gfp";
import { maxReservedHighatomic } from "./highatomic";
import { MIGRATE_HIGHATOMIC, MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, WMARK_LOW, WMARK_MIN, ZONE_DMA, ZONE_NORMAL } from "./mmzone";
import type { Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { pciHole, tiny, twoNodes } from "../test/machines";

const HA = MIGRATE_HIGHATOMIC;
const MOV = MIGRATE_MOVABLE;
const UNM = MIGRATE_UNMOVABLE;
/** Movable filler on node 1 only (reclaim allowed, but the default hooks reclaim nothing). */
const FILL = GFP_HIGHUSER_MOVABLE | __GFP_THISNODE | __GFP_NOWARN;
/** Filler that neither reclaims nor may use any reserve (no ALLOC_NON_BLOCK, no HighAtomic). */
const NOFILL = (GFP_HIGHUSER_MOVABLE & ~__GFP_RECLAIM) | __GFP_NOMEMALLOC | __GFP_THISNODE | __GFP_NOWARN;
const ATOMIC = GFP_ATOMIC | __GFP_THISNODE | __GFP_NOWARN;
const KERNEL = GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN;

function normal1(m: PhysicalMemory): Zone {
  return m.nodes[1].zones.find((z) => z.type === ZONE_NORMAL)!;
}

/** One step: an allocation on node `nid`, then verify(). */
function alloc(m: PhysicalMemory, gfp: number, order: number, nid = 1): number {
  const pfn = m.allocPages(gfp, order, nid);
  m.verify();
  return pfn;
}

/** Fills node 1 with order-10 Movable blocks while `more()` holds (one verify() at the end). */
function fill10(m: PhysicalMemory, more: () => boolean): void {
  while (more()) expect(m.allocPages(FILL, 10, 1)).toBeGreaterThanOrEqual(0);
  m.verify();
}

/** Allocates with `gfp` at each order from 10 down to 0 until it fails (one verify() per order). */
function fillUntilFailure(m: PhysicalMemory, gfp: number): void {
  for (let o = 10; o >= 0; o--) {
    while (m.allocPages(gfp, o, 1) >= 0);
    m.verify();
  }
}

/** A pagetypeinfo free-count row of node 1's Normal zone. */
function typeRow(m: PhysicalMemory, type: string): string {
  return m.pagetypeinfo().split("\n").find((l) => l.startsWith(`Node    1, zone   Normal, type ${type.padStart(12)}`))!;
}

/** The "Number of blocks type" row of node 1's Normal zone (Unmovable Movable Reclaimable HighAtomic Isolate). */
function blockRow(m: PhysicalMemory): number[] {
  const line = m.pagetypeinfo().split("\n").find((l) => l.startsWith("Node 1, zone   Normal "))!;
  return line.trim().split(/\s+/).slice(4).map(Number);
}

/**
 * Fills node 1 until one free order-10 block B is left, carves B down to 640 free pages (an
 * order-7 block at B+384 and an order-9 one at B+512), then makes a GFP_ATOMIC order-4
 * allocation: 640 − 15 ≤ low 637 sends it to the slow path with ALLOC_HIGHATOMIC.
 */
function reserveOnePageblock(): { m: PhysicalMemory; z: Zone; B: number } {
  const m = twoNodes();
  const z = normal1(m);
  expect([z.managedPages, z.watermark[WMARK_MIN], z.watermark[WMARK_LOW], z.freeArea[10].count[MOV]]).toEqual([129024, 508, 637, 126]);
  let left = 126;
  fill10(m, () => --left > 0);
  const [B] = z.freeList(10, MOV);
  expect(z.nrFreePages).toBe(1024);
  expect(alloc(m, FILL, 8)).toBe(B);
  expect(alloc(m, FILL, 7)).toBe(B + 256);
  expect(z.nrFreePages).toBe(640);
  expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([0, 0]);
  // __rmqueue claims the order-9 Movable block for Unmovable (expand leaves orders 8..4 free in
  // it), then reserve_highatomic_pageblock moves those 496 free pages to HighAtomic.
  expect(alloc(m, ATOMIC, 4)).toBe(B + 512);
  return { m, z, B };
}

describe("reserve_highatomic_pageblock", () => {
  it("an atomic order-4 allocation in the slow path reserves its pageblock (pageblock_nr_pages counted, free pages moved)", () => {
    const { m, z, B } = reserveOnePageblock();
    expect(z.nrReservedHighatomic).toBe(512);
    expect(z.nrFreeHighatomic).toBe(496);
    expect([4, 5, 6, 7, 8].map((o) => z.freeList(o, HA))).toEqual([[B + 528], [B + 544], [B + 576], [B + 640], [B + 768]]);
    expect(z.pageblockTypes(B, B + 1024)).toEqual([MOV, HA]);
    expect(z.freeList(7, MOV)).toEqual([B + 384]);
    expect(typeRow(m, "HighAtomic")).toBe("Node    1, zone   Normal, type   HighAtomic      0      0      0      0      1      1      1      1      1      0      0 ");
    expect(typeRow(m, "Unmovable")).toBe("Node    1, zone   Normal, type    Unmovable      0      0      0      0      0      0      0      0      0      0      0 ");
    expect(blockRow(m)).toEqual([0, 255, 0, 1, 0]);
  });

  it("a later atomic high-order allocation takes from the reserve and reserves nothing more", () => {
    const { m, z, B } = reserveOnePageblock();
    // rmqueue_buddy tries __rmqueue_smallest(MIGRATE_HIGHATOMIC) first for ALLOC_HIGHATOMIC
    expect(alloc(m, ATOMIC, 4)).toBe(B + 528);
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([512, 480]);
    expect(z.freeList(7, MOV)).toEqual([B + 384]);
    expect(blockRow(m)).toEqual([0, 255, 0, 1, 0]);
  });

  it("pages freed into a HighAtomic pageblock go back to its free lists; nr_reserved does not change", () => {
    const { m, z, B } = reserveOnePageblock();
    expect(alloc(m, ATOMIC, 4)).toBe(B + 528);
    m.freePages(B + 528, 4);
    m.verify();
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([512, 496]);
    m.freePages(B + 512, 4);
    m.verify();
    // the whole pageblock merges into one free HighAtomic order-9 block
    expect(z.freeList(9, HA)).toEqual([B + 512]);
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([512, 512]);
  });

  it("stops at ALIGN(managed / 100, pageblock_nr_pages); a block of pageblock size or more adds 1 << order", () => {
    const m = twoNodes();
    const z = normal1(m);
    expect(maxReservedHighatomic(z)).toBe(1536); // 129024 / 100 = 1290 → 3 pageblocks
    // vm.watermark_scale_factor = 1000 puts low at 508 + 12902, so filling down to it leaves 13
    // free order-10 blocks and every atomic request below goes through the slow path.
    m.setSysctl("watermark_scale_factor", 1000);
    expect(z.watermark[WMARK_LOW]).toBe(13410);
    fill10(m, () => z.nrFreePages > z.watermark[WMARK_LOW]);
    expect(z.freeArea[10].count[MOV]).toBe(13);
    const [C, D, E] = z.freeList(10, MOV);
    expect(alloc(m, ATOMIC, 4)).toBe(C); // claims C for Unmovable; C's first pageblock is reserved
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([512, 496]);
    expect(z.pageblockTypes(C, C + 1024)).toEqual([HA, UNM]);
    expect(alloc(m, ATOMIC, 10)).toBe(D); // change_pageblock_range over both pageblocks of D
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([1536, 496]);
    expect(z.pageblockTypes(D, D + 1024)).toEqual([HA, HA]);
    expect(alloc(m, ATOMIC, 10)).toBe(E); // at the cap: E stays Unmovable
    expect(z.nrReservedHighatomic).toBe(1536);
    expect(z.pageblockTypes(E, E + 1024)).toEqual([UNM, UNM]);
    expect(blockRow(m)).toEqual([3, 250, 0, 3, 0]);
  });

  it("an order-10 reservation may pass the cap: the check is made before adding", () => {
    const m = twoNodes();
    const z = normal1(m);
    m.setSysctl("watermark_scale_factor", 1000);
    fill10(m, () => z.nrFreePages > z.watermark[WMARK_LOW]);
    const [C, D, E] = z.freeList(10, MOV);
    expect([alloc(m, ATOMIC, 10), z.nrReservedHighatomic]).toEqual([C, 1024]);
    expect([alloc(m, ATOMIC, 10), z.nrReservedHighatomic]).toEqual([D, 2048]);
    expect([alloc(m, ATOMIC, 10), z.nrReservedHighatomic]).toEqual([E, 2048]);
    expect(blockRow(m)).toEqual([2, 250, 0, 4, 0]);
  });

  it("reserves nothing in a zone whose 1% is below one pageblock (6.8+)", () => {
    const m = tiny();
    const dma = m.nodes[0].zones.find((z) => z.type === ZONE_DMA)!;
    expect(m.zones().filter((z) => z.managedPages).map(maxReservedHighatomic)).toEqual([0, 0]); // 3840 and 11776 managed
    // DMA: free Movable blocks of orders 10 (×3), 9 and 8; carve them down to one free order-6
    // block with Movable allocations (no fallback, so no watermark boost)
    for (const o of [10, 10, 10, 9, 7, 6]) expect(alloc(m, GFP_KERNEL | __GFP_MOVABLE | GFP_DMA | __GFP_NOWARN, o, 0)).toBeGreaterThanOrEqual(0);
    expect(dma.nrFreePages).toBe(64); // 64 − 15 ≤ low 76: the slow path, with ALLOC_HIGHATOMIC
    const pfn = alloc(m, GFP_ATOMIC | GFP_DMA | __GFP_NOWARN, 4, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect([dma.nrReservedHighatomic, dma.nrFreeHighatomic]).toEqual([0, 0]);
    expect(dma.pageblockTypes().includes(HA)).toBe(false);
  });

  it("caps the zones of pciHole() at 1% of their managed pages, rounded up to pageblocks", () => {
    const m = pciHole();
    expect(m.zones().filter((z) => z.managedPages).map((z) => [z.name, z.managedPages, maxReservedHighatomic(z)])).toEqual(PCI_HOLE_CAPS);
  });
});

describe("unreserve_highatomic_pageblock", () => {
  it("without force keeps a zone's last reserved pageblock: a NORETRY allocation fails after reclaim progress", () => {
    const { m, z } = reserveOnePageblock();
    // 624 free, 496 of them HighAtomic: 128 usable ≤ min 508
    m.setHooks({ tryToFreePages: () => 1 });
    expect(alloc(m, KERNEL | __GFP_NORETRY, 0)).toBe(-1);
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([512, 496]);
  });

  it("with force (should_reclaim_retry giving up) gives the last pageblock back and the allocation retries", () => {
    const { m, z, B } = reserveOnePageblock();
    // no reclaim progress: should_reclaim_retry finds no zone that could meet min, so it
    // unreserves before OOM; the pageblock becomes Unmovable (GFP_KERNEL's migratetype)
    expect(alloc(m, KERNEL, 0)).toBe(B + 528);
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([0, 0]);
    expect(z.pageblockTypes(B, B + 1024)).toEqual([MOV, UNM]);
    expect(blockRow(m)).toEqual([1, 255, 0, 0, 0]);
    expect(m.allocFailures).toBe(0);
  });

  it("after reclaim progress gives back one pageblock of a zone holding more, before draining the PCP lists", () => {
    const m = twoNodes();
    const z = normal1(m);
    m.setSysctl("watermark_scale_factor", 1000);
    fill10(m, () => z.nrFreePages > z.watermark[WMARK_LOW]);
    const [C, D] = z.freeList(10, MOV);
    expect(alloc(m, ATOMIC, 4)).toBe(C);
    expect(alloc(m, ATOMIC, 10)).toBe(D);
    expect(z.nrReservedHighatomic).toBe(1536);
    fillUntilFailure(m, NOFILL);
    expect(z.nrFreeHighatomic).toBe(496); // no filler touched the reserve
    expect(z.nrFreePages - z.nrFreeHighatomic).toBeLessThanOrEqual(508);
    // __alloc_pages_direct_reclaim: progress, still no page → unreserve (C's pageblock, the
    // first free HighAtomic block by order), drain, retry. NORETRY: should_reclaim_retry is
    // never reached, so the force path plays no part.
    m.setHooks({ tryToFreePages: () => 1 });
    expect(alloc(m, KERNEL | __GFP_NORETRY, 0)).toBe(C + 16);
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([1024, 0]);
    expect(z.pageblockTypes(C, C + 512)).toEqual([UNM]);
    expect(z.pageblockTypes(D, D + 1024)).toEqual([HA, HA]);
    // D freed fills the reserve again; an order-10 free HighAtomic block goes back whole
    m.freePages(D, 10);
    m.verify();
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([1024, 1024]);
    fillUntilFailure(m, NOFILL);
    m.setHooks({ tryToFreePages: () => 0 });
    expect(alloc(m, KERNEL, 0)).toBeGreaterThanOrEqual(0);
    expect([z.nrReservedHighatomic, z.nrFreeHighatomic]).toEqual([0, 0]);
    expect(z.pageblockTypes(D, D + 1024)).toEqual([UNM, UNM]);
    expect(blockRow(m)[3]).toBe(0);
  });
});

describe("verify() and the reserve", () => {
  it("reports nr_reserved_highatomic out of step with the zone's HighAtomic pageblocks", () => {
    const { m, z } = reserveOnePageblock();
    m.verify();
    z.nrReservedHighatomic += 512;
    expect(() => m.verify()).toThrow(Bug);
    expect(() => m.verify()).toThrow("Normal: nr_reserved_highatomic 1024 but 1 HighAtomic pageblocks (512 pages)");
  });

  it("property: random atomic, kernel and no-reserve allocations and frees under pressure keep every invariant", () => {
    const op = fc.record({
      kind: fc.constantFrom("atomic", "atomic", "kernel", "kernel", "kernel", "nofill", "free", "free"),
      order: fc.nat(10),
      progress: fc.nat(1),
      pick: fc.nat(),
    });
    let reserves = 0;
    let unreserves = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const m = twoNodes();
        const z = normal1(m);
        // low = 13410: every atomic request of the run goes through the slow path
        m.setSysctl("watermark_scale_factor", 1000);
        let left = 126;
        fill10(m, () => --left > 3);
        const held: { pfn: number; order: number }[] = [];
        for (const o of ops) {
          const before = z.nrReservedHighatomic;
          if (o.kind === "free") {
            if (!held.length) continue;
            const [b] = held.splice(o.pick % held.length, 1);
            m.freePages(b.pfn, b.order);
          } else if (o.kind === "nofill") {
            // pressure: no-reserve allocations of this order until one fails
            for (let pfn = m.allocPages(NOFILL, o.order, 1); pfn >= 0; pfn = m.allocPages(NOFILL, o.order, 1)) held.push({ pfn, order: o.order });
          } else {
            m.setHooks({ tryToFreePages: () => o.progress });
            const order = o.kind === "kernel" ? o.order & 3 : o.order;
            const pfn = m.allocPages(o.kind === "atomic" ? ATOMIC : KERNEL, order, 1);
            if (pfn >= 0) held.push({ pfn, order });
          }
          m.verify();
          if (z.nrReservedHighatomic > before) reserves++;
          if (z.nrReservedHighatomic < before) unreserves++;
        }
      }),
      { numRuns: 10, seed: 7 },
    );
    // the sequences do reach both paths
    expect(reserves).toBeGreaterThan(0);
    expect(unreserves).toBeGreaterThan(0);
  }, 60_000);
});

/** [zone, managed pages, cap]: 772284 / 100 = 7722 → 16 pageblocks; 1277952 / 100 = 12779 → 25. */
const PCI_HOLE_CAPS: [string, number, number][] = [
  ["DMA", 3840, 0],
  ["DMA32", 772284, 8192],
  ["Normal", 1277952, 12800],
];
