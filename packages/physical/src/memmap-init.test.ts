// memmap_init() on random memory layouts (mm/mm_init.c memmap_init, memmap_init_range,
// init_unavailable_range): pageblock types, zone links and PG_reserved of hole pages, and the
// "pages in unavailable ranges" counts, checked against a recount from the layout alone.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InputError, PAGE_SIZE } from "@mmsim/base";
import { PhysicalMemory } from "./page-alloc";
import { MIGRATE_MOVABLE, MIGRATE_UNMOVABLE, PAGEBLOCK_NR_PAGES, PAGES_PER_SECTION } from "./mmzone";
import { PG_reserved } from "./page-flags";
import { propertyOpsTotal } from "../test/property-ops";

/**
 * Boots in CI: 40. A boot walks every struct page, so MMSIM_PROPERTY_OPS=N (a long run) counts
 * each as 2500 operations: 10^7 gives 4000 boots. Not part of the package's 10^5 shares.
 */
const OPS_TOTAL = propertyOpsTotal();
const BOOTS = OPS_TOTAL === null ? 40 : Math.max(40, Math.round(OPS_TOTAL / 2500));
const SECTION = PAGES_PER_SECTION;

/** A layout: sorted, disjoint pfn ranges, node ids non-decreasing. */
const layout = fc
  .record({
    first: fc.integer({ min: 0, max: 2 * SECTION }),
    pieces: fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 3 * SECTION }), fc.constant(-1)),
        size: fc.integer({ min: 4096, max: 3 * SECTION }),
        newNode: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ first, pieces }) => {
    const ranges: { start: number; end: number; nid: number }[] = [];
    let cur = first;
    let nid = 0;
    pieces.forEach((p, k) => {
      if (k > 0) {
        // gap -1: jump to 4 GiB (ZONE_NORMAL) when still below it
        cur = p.gap === -1 ? Math.max(cur + 1, 1 << 20) : cur + p.gap;
        if (p.newNode && nid < 2) nid++;
      }
      ranges.push({ start: cur, end: cur + p.size, nid });
      cur += p.size;
    });
    return ranges;
  });

describe("memmap_init on random layouts", () => {
  it("types, zone links and unavailable-range counts match a recount from the layout", { timeout: 600_000 }, () => {
    let boots = 0;
    fc.assert(
      fc.property(layout, fc.integer({ min: 1, max: 2 }), (ranges, nrCpus) => {
        let m: PhysicalMemory;
        try {
          m = PhysicalMemory.boot({ memory: ranges.map((r) => ({ base: r.start * PAGE_SIZE, size: (r.end - r.start) * PAGE_SIZE, nid: r.nid })), nrCpus, kernelImage: null });
        } catch (e) {
          // a node too small for its contiguous mem_map is refused as bad input
          if (e instanceof InputError) return true;
          throw e;
        }
        boots++;
        const p = m.pages;
        const inRange = (pfn: number): boolean => ranges.some((r) => pfn >= r.start && pfn < r.end);
        const sections = new Set<number>();
        for (const r of ranges) for (let s = Math.floor(r.start / SECTION); s * SECTION < r.end; s++) sections.add(s);
        // pageblock types: Movable exactly where the pageblock's first pfn is memory
        const wrong: string[] = [];
        for (const s of sections) {
          for (let pfn = s * SECTION; pfn < (s + 1) * SECTION; pfn += PAGEBLOCK_NR_PAGES) {
            const i = p.sectionSlot[s] * SECTION + (pfn - s * SECTION);
            const want = inRange(pfn) ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE;
            if (p.pageblockMt[i / PAGEBLOCK_NR_PAGES] !== want) wrong.push(`pageblock at pfn ${pfn}: type ${p.pageblockMt[i / PAGEBLOCK_NR_PAGES]}, want ${want}`);
          }
        }
        // every struct page outside memory is counted once in the boot log
        const rangePages = ranges.reduce((n, r) => n + r.end - r.start, 0);
        const counted = m
          .bootLog()
          .map((l) => /^On node \d+, zone \w+: (\d+) pages in unavailable ranges$/.exec(l))
          .reduce((n, g) => n + (g ? Number(g[1]) : 0), 0);
        expect(counted).toBe(sections.size * SECTION - rangePages);
        // a hole page links to the zone holding the start of the next range (the last
        // populated zone of the last range's node after the end), PG_reserved, one reference
        const zoneOfPfn = (nid: number, pfn: number): number => m.nodes[nid].zones.find((z) => z.populated && z.spans(pfn))!.type;
        const last = ranges[ranges.length - 1];
        const tailZone = Math.max(...m.nodes[last.nid].zones.filter((z) => z.populated).map((z) => z.type));
        // holes, in address order: [section start or previous range end, next range start)
        const sorted = [...sections].sort((a, b) => a - b);
        for (const s of sorted) {
          for (let pfn = s * SECTION; pfn < (s + 1) * SECTION && wrong.length < 5; ) {
            const here = ranges.find((r) => pfn >= r.start && pfn < r.end);
            if (here) {
              pfn = here.end;
              continue;
            }
            const next = ranges.find((r) => r.start > pfn);
            const bits = next ? (next.nid << 3) | zoneOfPfn(next.nid, next.start) : (last.nid << 3) | tailZone;
            const holeEnd = Math.min((s + 1) * SECTION, next ? next.start : Infinity);
            for (; pfn < holeEnd; pfn++) {
              const i = p.sectionSlot[s] * SECTION + (pfn - s * SECTION);
              const f = p.flags[i];
              if (f >>> 24 !== bits || ((f >>> PG_reserved) & 1) !== 1 || p.refcount[i] !== 1) {
                wrong.push(`hole pfn ${pfn}: zone bits ${f >>> 24} (want ${bits}), reserved ${(f >>> PG_reserved) & 1}, refcount ${p.refcount[i]}`);
                break;
              }
            }
          }
        }
        expect(wrong).toEqual([]);
        m.verify();
        return true;
      }),
      { numRuns: BOOTS },
    );
    console.log(`memmap_init property: ${boots} boots of random layouts checked (${BOOTS} generated)`);
    expect(boots).toBeGreaterThan(BOOTS / 2);
  });
});
