// /proc/zoneinfo, /proc/pagetypeinfo and /proc/buddyinfo against the real 6.18 snapshot
// (conformance/fixtures, copied from shared/reference/real-proc; formats of mm/vmstat.c
// zoneinfo_show_print, pagetypeinfo_showfree_print, pagetypeinfo_showblockcount_print and
// frag_show_print). The machine is shaped like the snapshot's (linux-facts §13): 2 CPUs, e820
// usable [4K, 636K) + [1M, 3G) + [4G, 25G), so zone spans, present pages and start pfns are
// the real ones; the other numbers differ (the snapshot is a running system), so the texts are
// compared with every number masked, keeping the width of right-aligned columns.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GiB, MiB } from "@mmsim/base";
import { GFP_KERNEL, PhysicalMemory } from "../src/index";

/** Copies of shared/reference/real-proc files (a Linux 6.18 x86-64 machine, 2 CPUs). */
const real = (f: string): string => readFileSync(fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url)), "utf8");

const m = PhysicalMemory.boot({
  memory: [
    { base: 0x1000, size: 0x9f000 - 0x1000, nid: 0 },
    { base: 1 * MiB, size: 3 * GiB - 1 * MiB, nid: 0 },
    { base: 4 * GiB, size: 21 * GiB, nid: 0 },
  ],
  nrCpus: 2,
});
// The snapshot's CPU 0 has used its pagesets (high ≠ 0); CPU 1 of DMA32 has not.
m.freePages(m.allocPages(GFP_KERNEL, 0), 0);

/** Numbers masked; free-format values (after a left-justified label) become "N". */
const maskFree = (s: string): string => s.replace(/\d+/g, "N");
/** Numbers masked keeping the width of each space-padded column (" *123" → "#4"). */
const maskCols = (s: string): string => s.replace(/ *(>?)\d+/g, (t) => `#${t.length}`);

describe("zoneinfo against the 6.18 snapshot", () => {
  const ours = m.zoneinfo();
  it("has the snapshot's structure line for line (labels, spacing, per-node stats, pagesets)", () => {
    expect(maskFree(ours)).toBe(maskFree(real("zoneinfo.txt")));
  });
  it("matches the snapshot's spans, present pages and start pfns, and DMA's managed pages", () => {
    const pick = (text: string, key: string): string[] => text.split("\n").filter((l) => l.trimStart().startsWith(key));
    for (const key of ["spanned", "present", "start_pfn"]) expect(pick(ours, key)).toEqual(pick(real("zoneinfo.txt"), key));
    expect(pick(ours, "managed")[0]).toBe("        managed  3840");
  });
});

describe("pagetypeinfo against the 6.18 snapshot", () => {
  it("has the snapshot's structure with the same column widths", () => {
    expect(maskCols(m.pagetypeinfo())).toBe(maskCols(real("pagetypeinfo.txt")));
  });
  it("per-migratetype free counts add up to buddyinfo's, as in the snapshot", () => {
    const rows = m.pagetypeinfo().split("\n").filter((l) => l.includes(", type "));
    const bi = m.buddyinfo().split("\n").filter(Boolean);
    for (const [k, zone] of ["DMA", "DMA32", "Normal"].entries()) {
      const sums = new Array(11).fill(0);
      for (const r of rows.filter((l) => l.includes(`zone ${zone.padStart(8)},`))) {
        r.trim().split(/\s+/).slice(-11).forEach((v, o) => (sums[o] += Number(v)));
      }
      expect(sums).toEqual(bi[k].trim().split(/\s+/).slice(-11).map(Number));
    }
  });
});

describe("buddyinfo against the 6.18 snapshot", () => {
  it("has the snapshot's structure with the same column widths", () => {
    expect(maskCols(m.buddyinfo())).toBe(maskCols(real("buddyinfo.txt")));
  });
});

describe("vmstatItems against the 6.18 snapshot's /proc/vmstat", () => {
  const items = m.vmstatItems();
  it("names are real vmstat names, in vmstat's order", () => {
    const names = real("vmstat.txt").split("\n").filter(Boolean).map((l) => l.split(" ")[0]);
    const pos = items.map(([n]) => names.indexOf(n));
    expect(pos.every((p) => p >= 0)).toBe(true);
    expect([...pos].sort((a, b) => a - b)).toEqual(pos);
  });
  it("nr_memmap_boot_pages is the snapshot's: 192 present sections × 2 MiB of struct pages", () => {
    expect(Object.fromEntries(items).nr_memmap_boot_pages).toBe(98304);
    expect(real("vmstat.txt")).toContain("\nnr_memmap_boot_pages 98304\n");
  });
});
