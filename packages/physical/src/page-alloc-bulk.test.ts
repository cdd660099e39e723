// allocPagesBulk (alloc_pages_bulk_node) and the debugPageChecks option of free_pages_prepare.
import { describe, expect, it } from "vitest";
import { Bug, collect } from "@mmsim/base";
import { GFP_KERNEL, GFP_NOWAIT, __GFP_NOWARN, __GFP_ZERO } from "./gfp";
import { NUMA_NO_NODE } from "./memblock";
import { PG_lru } from "./page-flags";
import { tiny, twoNodes } from "../test/machines";

describe("allocPagesBulk", () => {
  it("fills out[0..n) with n distinct order-0 pages, each with one reference", () => {
    const m = tiny();
    const out = new Int32Array(100);
    expect(m.allocPagesBulk(GFP_KERNEL, 0, 100, out)).toBe(100);
    expect(new Set(out).size).toBe(100);
    for (const pfn of out) {
      expect(m.pages.refCount(pfn)).toBe(1);
      expect(m.pageZone(pfn)!.name).toBe("DMA32");
    }
    m.verify();
    for (const pfn of out) m.freePages(pfn, 0);
    m.verify();
  });

  it("hands out the same pages in the same order as nrPages allocPages calls (the PCP list, hot end first)", () => {
    const a = tiny();
    const b = tiny();
    const bulk: number[] = [];
    expect(a.allocPagesBulk(GFP_KERNEL, 0, 300, bulk)).toBe(300);
    const single: number[] = [];
    for (let k = 0; k < 300; k++) single.push(b.allocPages(GFP_KERNEL, 0));
    expect(bulk).toEqual(single);
  });

  it("counts pgalloc and the NUMA events once for the whole batch", () => {
    const m = twoNodes();
    const out: number[] = [];
    expect(m.allocPagesBulk(GFP_KERNEL, 1, 40, out)).toBe(40);
    const z = m.pageZone(out[0])!;
    expect(z.nid).toBe(1);
    expect(out.every((pfn) => m.pageZone(pfn) === z)).toBe(true);
    expect(z.numaHit).toBe(40);
    expect(z.numaOther).toBe(40); // CPU 0 runs on node 0
    expect(m.counters.get("pgalloc_normal")).toBe(40);
    m.verify();
  });

  it("NUMA_NO_NODE means the current CPU's node", () => {
    const m = twoNodes();
    m.cpu = 1;
    const out: number[] = [];
    expect(m.allocPagesBulk(GFP_KERNEL, NUMA_NO_NODE, 5, out)).toBe(5);
    expect(out.map((pfn) => m.pageZone(pfn)!.nid)).toEqual([1, 1, 1, 1, 1]);
    expect(m.pageZone(out[0])!.numaLocal).toBe(5);
  });

  it("asking for 0 or fewer pages returns 0 and leaves out alone; 1 page goes through allocPages", () => {
    const m = tiny();
    const out = [7];
    expect(m.allocPagesBulk(GFP_KERNEL, 0, 0, out)).toBe(0);
    expect(m.allocPagesBulk(GFP_KERNEL, 0, -3, out)).toBe(0);
    expect(out).toEqual([7]);
    expect(m.allocPagesBulk(GFP_KERNEL, 0, 1, out)).toBe(1);
    expect(m.pages.refCount(out[0])).toBe(1);
    expect(m.counters.get("pgalloc_dma32")).toBe(1);
  });

  it("below low + nrPages it falls back to allocPages page by page and stops where allocPages fails", () => {
    const a = tiny();
    const b = tiny();
    const want = 20000; // more than the 64 MiB machine can give
    const out = new Int32Array(want);
    const n = a.allocPagesBulk(GFP_NOWAIT | __GFP_NOWARN, 0, want, out);
    let single = 0;
    while (b.allocPages(GFP_NOWAIT | __GFP_NOWARN, 0) >= 0) single++;
    expect(n).toBe(single);
    expect(n).toBeLessThan(want);
    expect(a.allocFailures).toBe(1);
    a.verify();
  });

  it("zeroes and traces every page like allocPages", () => {
    const zeroed: number[] = [];
    const m = tiny({ ram: { zeroFrame: (pfn) => zeroed.push(pfn) } });
    const { events } = collect(m.trace);
    const out: number[] = [];
    m.allocPagesBulk(GFP_KERNEL | __GFP_ZERO, 0, 3, out);
    expect(zeroed).toEqual(out);
    expect(events.map((e) => e.fields.pfn)).toEqual(out);
    expect(events[0].name).toBe("mm_page_alloc");
  });

  it("an Int32Array shorter than nrPages is a Bug naming alloc_pages_bulk", () => {
    const m = tiny();
    expect(() => m.allocPagesBulk(GFP_KERNEL, 0, 5, new Int32Array(4))).toThrow(Bug);
    expect(() => m.allocPagesBulk(GFP_KERNEL, 0, 5, new Int32Array(4))).toThrow(/^alloc_pages_bulk: out holds 4 pfns but 5 were asked for/);
  });
});

describe("free_pages_prepare tail checks (debugPageChecks)", () => {
  it("with debugPageChecks a tail page still referenced is a bad page state Bug", () => {
    const m = tiny({ debugPageChecks: true });
    const pfn = m.allocPages(GFP_KERNEL, 2);
    m.pages.refcount[m.pages.idx(pfn + 1)] = 1;
    expect(() => m.freePages(pfn, 2)).toThrow(new RegExp(`^free_pages_prepare: bad page state: tail pfn ${pfn + 1} has refcount 1`));
  });

  it("with debugPageChecks a mapped or LRU tail page is a Bug", () => {
    const m = tiny({ debugPageChecks: true });
    const a = m.allocPages(GFP_KERNEL, 3);
    m.pages.mapcount[m.pages.idx(a + 5)] = 0;
    expect(() => m.freePages(a, 3)).toThrow(new RegExp(`^free_pages_prepare: bad page state: pfn ${a + 5} still mapped \\(mapcount 1\\)`));
    const b = m.allocPages(GFP_KERNEL, 1);
    m.pages.setFlag(b + 1, PG_lru);
    expect(() => m.freePages(b, 1)).toThrow(/^free_pages_prepare: bad page state: pfn \d+ flags 0x20/);
  });

  it("without it (the default, as Linux without CONFIG_DEBUG_VM) the free succeeds and verify() reports the tail", () => {
    const m = tiny();
    expect(m.debugPageChecks).toBe(false);
    const pfn = m.allocPages(GFP_KERNEL, 2);
    m.pages.refcount[m.pages.idx(pfn + 3)] = 2;
    m.freePages(pfn, 2);
    expect(() => m.verify()).toThrow(new RegExp(`^verify: free tail pfn ${pfn + 3} in bad state \\(refcount 2, mapcount 0, flags 0x0\\)`));
  });

  it("without it a mapped tail stays mapped inside the free block and verify() reports it", () => {
    const m = tiny();
    const pfn = m.allocPages(GFP_KERNEL, 1);
    m.pages.mapcount[m.pages.idx(pfn + 1)] = 0;
    m.freePages(pfn, 1);
    expect(() => m.verify()).toThrow(/^verify: free tail pfn \d+ in bad state \(refcount 0, mapcount 1, flags 0x0\)/);
  });

  it("without it tail PG_* flags are cleared unchecked, and the first page is still checked", () => {
    const m = tiny();
    const a = m.allocPages(GFP_KERNEL, 1);
    m.pages.setFlag(a + 1, PG_lru);
    m.freePages(a, 1);
    expect(m.pages.pageFlags(a + 1)).toBe(0);
    m.verify();
    const b = m.allocPages(GFP_KERNEL, 1);
    m.pages.setFlag(b, PG_lru);
    expect(() => m.freePages(b, 1)).toThrow(/^free_pages_prepare: bad page state: pfn \d+ flags 0x20/);
  });
});
