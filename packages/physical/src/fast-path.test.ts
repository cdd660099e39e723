// The order-0 fast paths of allocPages/freePages (page-alloc.ts) must leave the machine in
// exactly the state the full paths (get-page.ts, free-page.ts) would, and step aside whenever
// the full path has more to do. DESIGN.md "Fast paths" lists what they fold.
import { describe, expect, it } from "vitest";
import { collect } from "@mmsim/base";
import { GFP_KERNEL, __GFP_ZERO } from "./gfp";
import { FAST_MARK_NONE, WMARK_HIGH, WMARK_LOW } from "./mmzone";
import type { Zone } from "./mmzone";
import { pageTypeValue } from "./mm-types";
import { PG_referenced, PGTY_buddy, PGTY_slab, PGTY_table } from "./page-flags";
import { pciHole, tiny, twoNodes } from "../test/machines";
import { FAST_PATH_LITERALS } from "./page-alloc";
import type { PhysicalMemory } from "./page-alloc";
import { GFP_MOVABLE_MASK, GFP_ZONEMASK, __GFP_COMP } from "./gfp";
import { MIGRATE_PCPTYPES, PAGEBLOCK_ORDER, PAGES_PER_SECTION, PCP_BATCH_SCALE_MAX, PFN_SECTION_SHIFT } from "./mmzone";
import { PAGEFLAGS_MASK } from "./page-flags";

/** Everything allocation and freeing change in a zone, as plain data. */
function zoneState(m: PhysicalMemory): unknown[] {
  return m.zones().map((z: Zone) => ({
    free: z.nrFreePages, pgalloc: z.pgalloc, pgfree: z.pgfree, hit: z.numaHit, miss: z.numaMiss, local: z.numaLocal, other: z.numaOther,
    pcp: z.pcp.map((p) => ({ count: p.count, high: p.high, freeCount: p.freeCount, allocFactor: p.allocFactor, head: Array.from(p.head), tail: Array.from(p.tail) })),
  }));
}

describe("order-0 fast paths", () => {
  it("write as literals exactly the constants they stand for", () => {
    expect(FAST_PATH_LITERALS).toEqual({
      "__GFP_ZERO | __GFP_COMP": __GFP_ZERO | __GFP_COMP,
      "GFP_ZONEMASK | GFP_MOVABLE_MASK": GFP_ZONEMASK | GFP_MOVABLE_MASK,
      PFN_SECTION_SHIFT,
      PAGES_PER_SECTION,
      PAGEBLOCK_ORDER,
      PAGEFLAGS_MASK,
      MIGRATE_PCPTYPES,
      PCP_BATCH_SCALE_MAX,
    });
  });

  it("allocate and free exactly as the full paths do", () => {
    // nid given explicitly takes rmqueueFast(); the default takes the inlined fast path
    const fast = tiny();
    const full = tiny();
    const a = fast.allocPages(GFP_KERNEL, 0);
    const b = full.allocPages(GFP_KERNEL, 0, 0);
    expect(a).toBe(b);
    expect(zoneState(fast)).toEqual(zoneState(full));
    expect(fast.pages.refCount(a)).toBe(1);
    // a page with PG_referenced set is freed by the full path (flags cleared there)
    fast.freePages(a, 0);
    full.pages.setFlag(b, PG_referenced);
    full.freePages(b, 0);
    expect(zoneState(fast)).toEqual(zoneState(full));
    expect(full.pages.pageFlags(b)).toBe(0);
    fast.verify();
    full.verify();
  });

  it("link and unlink PCP pages exactly as list.ts's listDel/listAdd, which the full paths use", () => {
    // The inline copies in allocPages/freePages (page-alloc.ts) against rmqueueFast's pcpPop
    // (listDel) and freeToPcp's pushHead (listAdd): same order of operations on two machines,
    // then every link word of struct page and every PCP head/tail must be equal.
    const fast = tiny();
    const full = tiny();
    const held: number[][] = [[], []];
    let seed = 7;
    for (let step = 0; step < 3000; step++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const free = held[0].length > 0 && seed % 3 === 0;
      if (free) {
        const k = seed % held[0].length;
        const a = held[0].splice(k, 1)[0];
        const b = held[1].splice(k, 1)[0];
        expect(a).toBe(b);
        fast.freePages(a, 0);
        full.pages.setFlag(b, PG_referenced); // a PG_* flag sends the free down the full path
        full.freePages(b, 0);
      } else {
        held[0].push(fast.allocPages(GFP_KERNEL, 0));
        held[1].push(full.allocPages(GFP_KERNEL, 0, 0)); // an explicit nid takes rmqueueFast
      }
    }
    expect(held[0]).toEqual(held[1]);
    expect(zoneState(fast)).toEqual(zoneState(full));
    expect(Array.from(fast.pages.lruNext)).toEqual(Array.from(full.pages.lruNext));
    expect(Array.from(fast.pages.lruPrev)).toEqual(Array.from(full.pages.lruPrev));
    fast.verify();
    full.verify();
  });

  it("count numa_hit and numa_local from the same events as the full path", () => {
    const m = twoNodes();
    const z = m.pageZone(m.allocPages(GFP_KERNEL, 0))!;
    expect([z.pgalloc, z.numaHit, z.numaLocal, z.numaOther, z.numaMiss]).toEqual([1, 1, 1, 0, 0]);
    m.allocPages(GFP_KERNEL, 2);
    expect([z.pgalloc, z.numaHit, z.numaLocal]).toEqual([5, 2, 2]);
  });

  it("step aside while ZONE_BOOSTED_WATERMARK is set, so kswapd is woken", () => {
    const m = tiny();
    const woken: string[] = [];
    m.setHooks({ wakeupKswapd: (zone) => void woken.push(zone.name) });
    const z = m.pageZone(m.allocPages(GFP_KERNEL, 0))!;
    z.boostedWatermark = true;
    expect(z.fastMark[z.idx]).toBe(FAST_MARK_NONE);
    m.allocPages(GFP_KERNEL, 0);
    expect(woken).toEqual(["DMA32"]);
    expect(z.boostedWatermark).toBe(false);
    m.verify();
  });

  it("fold the watermark, boost, reserves and free HighAtomic/CMA pages into fastMark", () => {
    const m = tiny();
    const z = m.zones()[1];
    const lowmem = z.lowmemReserve[z.idx];
    expect(z.fastMark[z.idx]).toBe(z.watermark[WMARK_HIGH] + lowmem);
    z.belowHigh = true;
    z.watermarkBoost = 7;
    z.nrFreeHighatomic += 3;
    expect(z.fastMark[z.idx]).toBe(z.watermark[WMARK_LOW] + 7 + 3 + lowmem);
    z.nrFreeHighatomic -= 3;
    z.watermarkBoost = 0;
    z.belowHigh = false;
    m.verify();
  });

  it("step aside for __GFP_ZERO and a traced machine, and still do the work", () => {
    const zeroed: number[] = [];
    const m = tiny({ ram: { zeroFrame: (pfn) => zeroed.push(pfn) } });
    const pfn = m.allocPages(GFP_KERNEL | __GFP_ZERO, 0);
    expect(zeroed).toEqual([pfn]);
    const { events } = collect(m.trace);
    m.freePages(pfn, 0);
    expect(events.map((e) => e.name)).toEqual(["mm_page_free"]);
  });

  it("follow the current CPU's PCP lists; a CPU that does not exist is a Bug", () => {
    const m = twoNodes();
    m.cpu = 1;
    const pfn = m.allocPages(GFP_KERNEL, 0);
    const z = m.pageZone(pfn)!;
    expect(z.nid).toBe(1);
    m.freePages(pfn, 0);
    expect(z.pcp[1].count).toBeGreaterThan(0);
    expect(z.thisCpuPcp).toBe(z.pcp[1]);
    expect(() => (m.cpu = 2)).toThrow("smp_processor_id: no CPU 2 (2 CPUs)");
    m.verify();
  });
});

describe("struct page in 30 bytes", () => {
  it("keeps page_type in the top byte of a 16-bit _mapcount, as Linux does in 32 bits", () => {
    // include/linux/page-flags.h: PGTY_buddy = 0xf0 in the top byte; 0xffff (-1) = no type
    expect(pageTypeValue(PGTY_buddy)).toBe(-0x1000);
    expect(pageTypeValue(PGTY_slab) & 0xffff).toBe(0xf500);
    const m = tiny();
    const pfn = m.allocPages(GFP_KERNEL, 0);
    m.pages.setType(pfn, PGTY_slab);
    expect(m.pages.getType(pfn)).toBe(PGTY_slab);
    expect(() => m.pages.clearType(pfn, PGTY_table)).toThrow("__ClearPageType: pfn " + pfn + ": page_type 0xf500 is not 0xf2");
    expect(() => m.pages.setType(pfn, PGTY_table)).toThrow("__SetPageType: pfn " + pfn + ": page_type 0xf500 is not empty");
  });

  it("costs 30 bytes per frame plus the pageblock bytes and section tables", () => {
    const m = tiny();
    const p = m.pages;
    const slots = p.nrSlots * 32768;
    // seven 32-bit fields skewed by 192 bytes each, the 16-bit _mapcount, one byte per pageblock
    const memmap = 7 * (slots * 4 + 192) + slots * 2;
    expect(p.hostBytes()).toBe(memmap + slots / 512 + p.sectionSlot.byteLength + p.slotPfn.byteLength);
    // per frame of present RAM on a PC with holes (issue 4: at most 32)
    const pc = pciHole();
    const present = pc.zones().reduce((n, z) => n + z.presentPages, 0);
    expect(pc.pages.hostBytes() / present).toBeLessThan(30.01);
  });
});
