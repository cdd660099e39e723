import { describe, expect, it } from "vitest";
import { Bug, collect, Counters } from "@mmsim/base";
import { GFP_ATOMIC, GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, __GFP_COMP, __GFP_NOWARN, __GFP_ZERO } from "./gfp";
import { PG_lru, PGTY_slab, PGTY_table } from "./page-flags";
import { ZONE_DMA, ZONE_NORMAL } from "./mmzone";
import { tiny, twoNodes, twoSmallNodes } from "../test/machines";
import { PhysicalMemory } from "./page-alloc";

describe("allocPages / freePages", () => {
  it("GFP_KERNEL order 0 comes from the PCP list refilled from DMA32 and frees back", () => {
    const m = tiny();
    const managed = m.zones().reduce((n, z) => n + z.managedPages, 0);
    // memblock_free_all()'s frees count as pgfree (__free_pages_ok counts PGFREE): in the 6.18
    // snapshot pgfree exceeds the pgalloc_* sum by about nr_free_pages.
    expect(m.counters.get("pgfree")).toBe(managed);
    const pfn = m.allocPages(GFP_KERNEL, 0);
    expect(m.pageZone(pfn)!.name).toBe("DMA32");
    expect(m.pages.refCount(pfn)).toBe(1);
    m.verify();
    m.freePages(pfn, 0);
    expect(m.pages.refCount(pfn)).toBe(0);
    m.verify();
    expect(m.counters.get("pgalloc_dma32")).toBe(1);
    expect(m.counters.get("pgfree")).toBe(managed + 1);
  });

  it("GFP_DMA stays below 16 MiB and is counted as pgalloc_dma", () => {
    const m = tiny();
    const pfn = m.allocPages(GFP_DMA | GFP_KERNEL, 2);
    expect(pfn).toBeLessThan(4096);
    expect(pfn % 4).toBe(0);
    expect(m.counters.get("pgalloc_dma")).toBe(4);
    m.verify();
  });

  it("a freed page is reused first (PCP lists are LIFO)", () => {
    const m = tiny();
    const a = m.allocPages(GFP_KERNEL, 0);
    m.freePages(a, 0);
    expect(m.allocPages(GFP_KERNEL, 0)).toBe(a);
  });

  it("a double free is a Bug naming __free_pages", () => {
    const m = tiny();
    const pfn = m.allocPages(GFP_KERNEL, 3);
    m.freePages(pfn, 3);
    expect(() => m.freePages(pfn, 3)).toThrow(Bug);
    expect(() => m.freePages(pfn, 3)).toThrow(/^__free_pages: pfn \d+: page is free/);
  });

  it("freeing a page that was never allocated or has no struct page is a Bug", () => {
    const m = tiny();
    expect(() => m.freePages(5000, 0)).toThrow(/__free_pages/);
    expect(() => m.freePages(1 << 30, 0)).toThrow(/__free_pages: pfn 1073741824 has no struct page/);
  });

  it("freeing a page still on an LRU is a bad page state Bug", () => {
    const m = tiny();
    const pfn = m.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    m.pages.setFlag(pfn, PG_lru);
    expect(() => m.freePages(pfn, 0)).toThrow(/free_pages_prepare: bad page state/);
  });

  it("page types: setType/clearType as SLUB uses them; free resets the type", () => {
    const m = tiny();
    const pfn = m.allocPages(GFP_KERNEL, 1);
    m.pages.setType(pfn, PGTY_slab);
    expect(m.pages.getType(pfn)).toBe(PGTY_slab);
    expect(() => m.pages.setType(pfn, PGTY_table)).toThrow(/__SetPageType/);
    expect(() => m.pages.clearType(pfn, PGTY_table)).toThrow(/__ClearPageType/);
    m.freePages(pfn, 1);
    expect(m.pages.getType(pfn)).toBe(0);
    m.verify();
  });

  it("__GFP_COMP builds a compound page whose tails point at the head", () => {
    const m = tiny();
    const pfn = m.allocPages(GFP_KERNEL | __GFP_COMP, 2);
    expect(m.compoundOrder(pfn)).toBe(2);
    expect(m.compoundHead(pfn + 3)).toBe(pfn);
    expect(() => m.freePages(pfn, 1)).toThrow(/compound order 2 freed as order 1/);
    m.freePages(pfn, 2);
    expect(m.compoundHead(pfn + 3)).toBe(pfn + 3);
    m.verify();
  });

  it("__GFP_ZERO zeroes every frame through the FrameZeroer", () => {
    const zeroed: number[] = [];
    const m = tiny({ ram: { zeroFrame: (pfn) => zeroed.push(pfn) } });
    const pfn = m.allocPages(GFP_KERNEL | __GFP_ZERO, 1);
    expect(zeroed).toEqual([pfn, pfn + 1]);
  });

  it("emits mm_page_alloc and mm_page_free tracepoints", () => {
    const m = tiny();
    const { events } = collect(m.trace);
    const pfn = m.allocPages(GFP_KERNEL, 0);
    m.freePages(pfn, 0);
    expect(events.map((e) => e.name)).toEqual(["mm_page_alloc", "mm_page_free"]);
    expect(events[0].fields).toEqual({ pfn, order: 0, gfp_flags: GFP_KERNEL, migratetype: 0 });
  });

  it("shares the caller's Counters", () => {
    const counters = new Counters();
    const m = tiny({ counters });
    m.allocPages(GFP_KERNEL, 1);
    expect(counters.get("pgalloc_dma32")).toBe(2);
  });
});

describe("allocation failure", () => {
  it("an order above MAX_PAGE_ORDER returns -1 and is counted", () => {
    const m = tiny();
    expect(m.allocPages(GFP_KERNEL | __GFP_NOWARN, 11)).toBe(-1);
    expect(m.allocFailures).toBe(1);
  });

  it("exhausting memory returns -1, never throws, and logs Linux's failure line", () => {
    const lines: string[] = [];
    const m = tiny({ log: (l) => lines.push(l) });
    let n = 0;
    while (m.allocPages(GFP_KERNEL, 0) >= 0) n++;
    // GFP_KERNEL stops at the min watermark of DMA32 and DMA (lowmem_reserve keeps DMA back)
    expect(n).toBeGreaterThan(10000);
    expect(m.allocFailures).toBe(1);
    expect(lines[0]).toBe("mmsim: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null)");
    expect(lines).toContain("Mem-Info:");
    m.verify();
  });

  it("__GFP_NOWARN suppresses the report; GFP_ATOMIC digs deeper than GFP_NOWAIT", () => {
    const m = tiny();
    let nowait = 0;
    while (m.allocPages(GFP_NOWAIT, 0) >= 0) nowait++;
    let atomic = 0;
    while (m.allocPages(GFP_ATOMIC | __GFP_NOWARN, 0) >= 0) atomic++;
    expect(m.kmsg).toEqual([]);
    expect(nowait).toBeGreaterThan(10000);
    expect(atomic).toBeGreaterThan(0);
    m.verify();
  });
});

describe("NUMA", () => {
  it("allocates from the requested node and counts numa_hit/numa_local", () => {
    const m = twoNodes();
    const pfn = m.allocPages(GFP_KERNEL, 0, 1);
    const z = m.pageZone(pfn)!;
    expect(z.nid).toBe(1);
    expect(z.type).toBe(ZONE_NORMAL);
    expect(z.numaHit).toBe(1);
    expect(z.numaOther).toBe(1); // CPU 0 runs on node 0
    m.cpu = 1;
    m.allocPages(GFP_KERNEL, 0, 1);
    expect(z.numaLocal).toBe(1);
  });

  it("zonelists list the local node first, highest zone first, then the remote node", () => {
    const m = twoNodes();
    expect(m.nodes[0].zonelistFallback.map((z) => `${z.nid}:${z.name}`)).toEqual(["0:DMA32", "0:DMA", "1:Normal"]);
    expect(m.nodes[1].zonelistFallback.map((z) => `${z.nid}:${z.name}`)).toEqual(["1:Normal", "0:DMA32", "0:DMA"]);
    expect(m.nodes[0].zones[ZONE_DMA].presentPages).toBe(4096);
  });
});

describe("boot input errors", () => {
  it("names the field of a bad range", () => {
    expect(() => PhysicalMemory.boot({ memory: [{ base: 0, size: -1, nid: 0 }], nrCpus: 1 })).toThrow(/memory\[0\]\.size/);
    expect(() => PhysicalMemory.boot({ memory: [], nrCpus: 1 })).toThrow(/memory: at least one/);
    expect(() => PhysicalMemory.boot({ memory: [{ base: 0, size: 1 << 30, nid: 0 }], nrCpus: 0 })).toThrow(/nrCpus/);
  });
});

describe("vmstatItems", () => {
  it("sums the zone gauges and NUMA events over zones and reports pgalloc_<zone>/pgfree in pages", () => {
    const m = twoSmallNodes({ counters: new Counters() });
    const before = Object.fromEntries(m.vmstatItems());
    const a = m.allocPages(GFP_KERNEL, 2, 0);
    const b = m.allocPages(GFP_KERNEL, 0, 1);
    m.freePages(a, 2);
    const v = Object.fromEntries(m.vmstatItems());
    const zones = m.zones();
    expect(v.nr_free_pages).toBe(zones.reduce((s, z) => s + z.nrFreePages, 0));
    expect(v.numa_hit).toBe(2);
    expect(v.numa_local).toBe(1);
    expect(v.numa_other).toBe(1);
    expect(v.pgalloc_dma32 + v.pgalloc_dma + v.pgalloc_normal - before.pgalloc_dma32 - before.pgalloc_dma - before.pgalloc_normal).toBe(5);
    expect(v.pgfree - before.pgfree).toBe(4);
    expect(v.nr_memmap_boot_pages).toBe(2 * 512);
    expect(Object.keys(v).slice(0, 2)).toEqual(["nr_free_pages", "nr_free_pages_blocks"]);
    m.freePages(b, 0);
  });
});
