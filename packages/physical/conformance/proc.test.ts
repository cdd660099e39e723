// /proc renderers in 6.18's format (mm/vmstat.c frag_show_print, pagetypeinfo_showfree_print,
// zoneinfo_show_print, extfrag_show_print, unusable_show_print), on the 64 MiB test machine:
// DMA free = 256@8 + 512@9 + 3×1024@10; DMA32 free = [16M, 62M) (the mem_map takes 62M..64M).
import { describe, expect, it } from "vitest";
import { tiny } from "../test/machines";

describe("buddyinfo / pagetypeinfo", () => {
  it("buddyinfo prints populated zones with %6lu columns and a trailing space", () => {
    expect(tiny().buddyinfo()).toBe(
      "Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      3 \n" +
        "Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      1     11 \n",
    );
  });
  it("pagetypeinfo matches the real layout (no CMA column without CONFIG_CMA)", () => {
    const t = tiny().pagetypeinfo().split("\n");
    expect(t.slice(0, 5)).toEqual([
      "Page block order: 9",
      "Pages per block:  512",
      "",
      "Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 ",
      "Node    0, zone      DMA, type    Unmovable      0      0      0      0      0      0      0      0      0      0      0 ",
    ]);
    expect(t[5]).toBe("Node    0, zone      DMA, type      Movable      0      0      0      0      0      0      0      0      1      1      3 ");
    expect(t.slice(15)).toEqual([
      "Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic      Isolate ",
      "Node 0, zone      DMA            0            8            0            0            0 ",
      "Node 0, zone    DMA32            0           24            0            0            0 ",
      "",
    ]);
  });
});

describe("zoneinfo", () => {
  it("prints per-node stats under the first populated zone and the 6.18 pageset lines", () => {
    const z = tiny().zoneinfo().split("\n");
    expect(z[0]).toBe("Node 0, zone      DMA");
    expect(z[1]).toBe("  per-node stats");
    expect(z[2]).toBe("      nr_inactive_anon 0");
    expect(z).toContain("      nr_mapped    0");
    // min_free_kbytes = int_sqrt((3840 + 11776) × 4 × 16) = 999 → 249 pages; DMA share
    // 249 × 3840 / 15616 = 61, gap max(61/4, 3) = 15; protection DMA32 11776 / 256 = 46.
    const i = z.indexOf("  pages free     3840");
    expect(z.slice(i, i + 14)).toEqual([
      "  pages free     3840", "        boost    0", "        min      61", "        low      76", "        high     91",
      "        promo    106", "        spanned  4096", "        present  4096", "        managed  3840", "        cma      0",
      "        protection: (0, 46, 46, 46, 46)", "      nr_free_pages 3840", "      nr_free_pages_blocks 3584", "      nr_zone_inactive_anon 0",
    ]);
    expect(z).toContain("  pagesets");
    expect(z).toContain("    cpu: 0");
    expect(z).toContain("              batch:    1");
    expect(z).toContain("  vm stats threshold: 2");
    expect(z).toContain("  node_unreclaimable:  0");
    expect(z).toContain("  start_pfn:           0");
    const mv = z.indexOf("Node 0, zone  Movable");
    expect(z.slice(mv, mv + 13)).toEqual([
      "Node 0, zone  Movable", "  pages free     0", "        boost    0", "        min      32", "        low      32", "        high     32",
      "        promo    32", "        spanned  0", "        present  0", "        managed  0", "        cma      0", "        protection: (0, 0, 0, 0, 0)", "Node 0, zone   Device",
    ]);
  });
});

describe("extfrag indexes", () => {
  it("index is -1.000 where a block exists; unusable index counts too-small free memory", () => {
    const m = tiny();
    expect(m.extfragIndex().split("\n")[0]).toBe("Node 0, zone      DMA " + "-1.000 ".repeat(11));
    // DMA: 3840 free pages; for order 9 only 512 + 3×1024 = 3584 usable → (3840 − 3584)/3840 = 0.066, order 10: (3840 − 3072)/3840 = 0.200
    expect(m.unusableIndex().split("\n")[0]).toBe("Node 0, zone      DMA " + "0.000 ".repeat(9) + "0.066 0.200 ");
  });
});
