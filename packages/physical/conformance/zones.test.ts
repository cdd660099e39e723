// Zone layout of an x86-64 PC with a PCI hole (arch/x86/mm/init.c zone_sizes_init,
// mm/mm_init.c free_area_init and its boot lines), kernelcore= (find_zone_movable_pfns_for_nodes)
// and i386 HighMem.
import { describe, expect, it } from "vitest";
import { GiB, MiB } from "@mmsim/base";
import { PhysicalMemory } from "../src/index";
import { pciHole } from "../test/machines";

describe("x86-64 with usable [4K,636K) + [1M,3G) + [4G,9G)", () => {
  const m = pciHole();
  const [dma, dma32, normal, movable, device] = m.nodes[0].zones;
  it("DMA starts at pfn 1, spans 4095, 3998 present, 3840 managed (first 1 MiB reserved)", () => {
    expect([dma.zoneStartPfn, dma.spannedPages, dma.presentPages, dma.managedPages]).toEqual([1, 4095, 3998, 3840]);
  });
  it("DMA32 spans 16M..4G including the PCI hole (present 16M..3G), Normal 4G..9G; Movable and Device are empty", () => {
    expect([dma32.zoneStartPfn, dma32.spannedPages, dma32.presentPages]).toEqual([4096, 1044480, 782336]);
    expect([normal.zoneStartPfn, normal.spannedPages, normal.presentPages]).toEqual([1048576, 1310720, 1310720]);
    expect([movable.presentPages, device.presentPages]).toEqual([0, 0]);
  });
  it("prints the zone ranges and node ranges as free_area_init does", () => {
    // "On node ..." is init_unavailable_range() (mm/mm_init.c): pfn 0 and [636K, 1M) have
    // struct pages but no memory. "Fallback order" is build_zonelists()'s pr_info +
    // pr_cont("%d ") (mm/page_alloc.c).
    expect(m.bootLog().slice(0, 15)).toEqual([
      "Zone ranges:",
      "  DMA      [mem 0x0000000000001000-0x0000000000ffffff]",
      "  DMA32    [mem 0x0000000001000000-0x00000000ffffffff]",
      "  Normal   [mem 0x0000000100000000-0x000000023fffffff]",
      "  Device   empty",
      "Movable zone start for each node",
      "Early memory node ranges",
      "  node   0: [mem 0x0000000000001000-0x000000000009efff]",
      "  node   0: [mem 0x0000000000100000-0x00000000bfffffff]",
      "  node   0: [mem 0x0000000100000000-0x000000023fffffff]",
      "Initmem setup node 0 [mem 0x0000000000001000-0x000000023fffffff]",
      "On node 0, zone DMA: 1 pages in unavailable ranges",
      "On node 0, zone DMA: 97 pages in unavailable ranges",
      "Fallback order for Node 0: 0 ",
      "Built 1 zonelists, mobility grouping on.  Total pages: 2097054",
    ]);
    expect(m.bootLog()[16]).toMatch(/^Memory: \d+K\/8388216K available \(18468K kernel code, 2544K rwdata, 10276K rodata, 3728K init, 1168K bss, \d+K reserved, 0K cma-reserved\)$/);
  });
});

describe("kernelcore= carves ZONE_MOVABLE from the top of Normal", () => {
  it("kernelcore=4G on a 8 GiB machine starts Movable at 4G minus the lowmem already counted", () => {
    const m = PhysicalMemory.boot({ memory: [{ base: 0, size: 8 * GiB, nid: 0 }], nrCpus: 1, kernelcore: 4 * GiB, kernelImage: null });
    const movable = m.nodes[0].zones[3];
    // 4 GiB of kernelcore are all below 4G (DMA + DMA32), so Movable takes the whole of Normal.
    expect(movable.zoneStartPfn).toBe(1048576);
    expect(movable.presentPages).toBe(1048576);
    expect(m.nodes[0].zones[2].presentPages).toBe(0);
    expect(m.bootLog()).toContain("  Node 0: 0x0000000100000000");
    m.verify();
  });
});

describe("i386: ZONE_HIGHMEM above 896 MiB", () => {
  it("has DMA, Normal up to 896M and HighMem above", () => {
    const m = PhysicalMemory.boot({ memory: [{ base: 0, size: 2 * GiB, nid: 0 }], nrCpus: 1, arch: "i386", kernelImage: null });
    const names = m.nodes[0].zones.map((z) => `${z.name}:${z.presentPages}`);
    expect(names).toEqual(["DMA:4096", `Normal:${(896 * MiB) / 4096 - 4096}`, `HighMem:${(2 * GiB - 896 * MiB) / 4096}`, "Movable:0"]);
    expect(m.nodes[0].zones[2].watermark[0]).toBe(128);
    m.verify();
  });
});
