// min_free_kbytes and per-zone watermarks against mm/page_alloc.c (calculate_min_free_kbytes,
// __setup_per_zone_wmarks, setup_per_zone_lowmem_reserve) and mm/khugepaged.c
// (set_recommended_min_free_kbytes), and the 6.18 reference snapshot (shared/reference/real-proc).
import { describe, expect, it } from "vitest";
import { minFreeKbytesFor, Pglist, Zone, PageArray, ZONE_NORMAL, totalReservePages } from "../src/index";
import { setupPerZoneWmarks, setupPerZoneLowmemReserve, zoneBatchsize, vmstatThreshold } from "../src/watermarks";
import { pciHole } from "../test/machines";

describe("min_free_kbytes = int_sqrt(lowmem_kbytes * 16), clamped to [128, 262144]", () => {
  it.each([
    [16 << 10, 512], [128 << 10, 1448], [512 << 10, 2896], [1 << 20, 4096], [2 << 20, 5792], [4 << 20, 8192],
    [8 << 20, 11585], [16 << 20, 16384], [64 << 20, 32768], [256 << 20, 65536], [4 * 2 ** 30, 262144], [1024, 128],
  ])("lowmem %i kB → %i kB", (kb, expected) => {
    expect(minFreeKbytesFor(kb)).toBe(expected);
  });
});

function zoneOf(managed: number): { node: Pglist; zone: Zone } {
  const node = new Pglist(0);
  const zone = new Zone(0, ZONE_NORMAL, 0, new PageArray(1, []));
  zone.managedPages = managed;
  node.zones = [zone];
  return { node, zone };
}

describe("__setup_per_zone_wmarks", () => {
  it("one 8 GiB zone with min_free_kbytes 11585 gives min 2896, low 4993, high 7090", () => {
    const { node, zone } = zoneOf(2097152);
    setupPerZoneWmarks([node], { min_free_kbytes: 11585, watermark_scale_factor: 10, watermark_boost_factor: 15000, lowmem_reserve_ratio: [32], percpu_pagelist_high_fraction: 0, numa_zonelist_order: "Node" });
    expect(Array.from(zone.watermark)).toEqual([2896, 4993, 7090, 9187]);
  });

  it("reproduces the 6.18 snapshot's watermarks, protection and PCP batch (DMA 3840, DMA32 772918, Normal 229376 managed)", () => {
    const node = new Pglist(0);
    const pa = new PageArray(1, []);
    const managed = [3840, 772918, 229376, 0, 0];
    node.zones = managed.map((n, i) => {
      const z = new Zone(0, [0, 1, 2, 4, 5][i], i, pa);
      z.managedPages = n;
      return z;
    });
    const sys = { min_free_kbytes: 67584, watermark_scale_factor: 10, watermark_boost_factor: 15000, lowmem_reserve_ratio: [256, 256, 32, 0, 0], percpu_pagelist_high_fraction: 0, numa_zonelist_order: "Node" };
    setupPerZoneWmarks([node], sys);
    setupPerZoneLowmemReserve([node], sys);
    expect(node.zones.map((z) => Array.from(z.watermark))).toEqual([[64, 80, 96, 112], [12979, 16223, 19467, 22711], [3851, 4813, 5775, 6737], [32, 32, 32, 32], [0, 0, 0, 0]]);
    expect(node.zones.map((z) => z.lowmemReserve)).toEqual([[0, 3019, 3915, 3915, 3915], [0, 0, 896, 896, 896], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
    expect(totalReservePages([node])).toBe(29978);
    expect(node.zones.slice(0, 3).map(zoneBatchsize)).toEqual([1, 63, 63]);
    expect(node.zones.slice(0, 3).map((z) => vmstatThreshold(z, 2))).toEqual([4, 24, 16]);
  });
});

describe("THP raises min_free_kbytes (set_recommended_min_free_kbytes)", () => {
  it("three populated zones up to Normal → 16896 pages = 67584 kB", () => {
    expect(pciHole({ thp: true }).sysctl.min_free_kbytes).toBe(67584);
  });
  it("without THP the int_sqrt rule applies: managed 3840 + 773290 + 1277952 pages → int_sqrt(8220328 × 16) = 11468", () => {
    const m = pciHole();
    expect(m.zones().map((z) => z.managedPages)).toEqual([3840, 773290, 1277952, 0, 0]);
    expect(m.sysctl.min_free_kbytes).toBe(11468);
  });
});
