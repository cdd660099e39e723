// min_free_kbytes and per-zone watermarks against mm/page_alloc.c (calculate_min_free_kbytes,
// __setup_per_zone_wmarks, setup_per_zone_lowmem_reserve) and mm/khugepaged.c
// (set_recommended_min_free_kbytes), and the 6.18 reference snapshot (shared/reference/real-proc).
import { describe, expect, it } from "vitest";
import { MiB } from "@mmsim/base";
import { intSqrt, minFreeKbytesFor, Pglist, PhysicalMemory, Zone, PageArray, ZONE_NORMAL, totalReservePages, WMARK_HIGH, WMARK_MIN } from "../src/index";
import { setRecommendedMinFreeKbytes } from "../src/sysctl";
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
  it("three populated zones up to Normal → 16896 pages = 67584 kB, with THP always or madvise", () => {
    expect(pciHole({ transparentHugepage: "madvise" }).sysctl.min_free_kbytes).toBe(67584);
    expect(pciHole({ transparentHugepage: "always" }).sysctl.min_free_kbytes).toBe(67584);
  });
  it("without THP support the int_sqrt rule applies: managed 3840 + 772284 + 1277952 pages → int_sqrt(8216304 × 16) = 11465", () => {
    // DMA32 holds the kernel image: 36184K of sections plus its two 2012K alignment gaps
    const m = pciHole();
    expect(m.zones().map((z) => z.managedPages)).toEqual([3840, 772284, 1277952, 0, 0]);
    expect(m.sysctl.min_free_kbytes).toBe(11465);
    expect(m.transparentHugepage).toBe(null);
  });
  it("with THP never, start_stop_khugepaged() recomputes it once the high watermarks are in place", () => {
    // calculate_min_free_kbytes() again: nr_free_buffer_pages() is now Σ (managed − high), with
    // the high watermarks init_per_zone_wmark_min() set from 11465 (a machine without THP)
    const first = pciHole();
    const buffer = first.zones().reduce((s, z) => (z.type <= 2 && z.managedPages > z.watermark[WMARK_HIGH] ? s + z.managedPages - z.watermark[WMARK_HIGH] : s), 0);
    const m = pciHole({ transparentHugepage: "never" });
    expect(m.sysctl.min_free_kbytes).toBe(intSqrt(buffer * 4 * 16));
    expect(m.sysctl.min_free_kbytes).toBe(11446);
  });
  it("below 512 MiB of managed memory hugepage_init() turns THP off and leaves min_free_kbytes alone", () => {
    const m = PhysicalMemory.boot({ memory: [{ base: 0, size: 256 * MiB, nid: 0 }], nrCpus: 1, kernelImage: null, transparentHugepage: "madvise" });
    expect(m.transparentHugepage).toBe("never");
    expect(m.sysctl.min_free_kbytes).toBe(minFreeKbytesFor(m.zones().reduce((s, z) => s + z.managedPages, 0) * 4));
  });
  it("a min_free_kbytes given at boot is written after khugepaged's raise, as sysctl.conf would", () => {
    const m = pciHole({ transparentHugepage: "madvise", sysctl: { min_free_kbytes: 20000 } });
    expect(m.sysctl.min_free_kbytes).toBe(20000);
    expect(m.userMinFreeKbytes).toBe(20000);
  });
  it("setRecommendedMinFreeKbytes() after a switch to madvise raises it and prints the raise when the user had set a value", () => {
    const m = pciHole({ transparentHugepage: "never", sysctl: { min_free_kbytes: 20000 } });
    m.transparentHugepage = "madvise";
    setRecommendedMinFreeKbytes(m);
    expect(m.sysctl.min_free_kbytes).toBe(67584);
    // mm/khugepaged.c set_recommended_min_free_kbytes(): pr_info when user_min_free_kbytes >= 0
    expect(m.kmsg).toEqual(["raising min_free_kbytes from 20000 to 67584 to help transparent hugepage allocations"]);
    expect(m.zones()[2].watermark[WMARK_MIN]).toBe(Math.floor((16896 * 1277952) / (3840 + 772284 + 1277952)));
  });
  it("a switch back to never keeps a larger user value and says so (calculate_min_free_kbytes' pr_warn)", () => {
    const m = pciHole({ transparentHugepage: "madvise", sysctl: { min_free_kbytes: 20000 } });
    m.transparentHugepage = "never";
    setRecommendedMinFreeKbytes(m);
    expect(m.sysctl.min_free_kbytes).toBe(20000);
    expect(m.kmsg[0]).toMatch(/^min_free_kbytes is not updated to \d+ because user defined value 20000 is preferred$/);
  });
  it("an unknown THP mode is an InputError naming transparentHugepage", () => {
    expect(() => pciHole({ transparentHugepage: "sometimes" as never })).toThrow(/transparentHugepage|expected one of always, madvise, never/);
  });
});
