// /proc/vmstat against mm/vmstat.c (6.18) and the reference machine's file: the same 192
// names in the same order, "name value" lines, and values tied to the layers that own them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GiB } from "@mmsim/base";
import { GFP_KERNEL, totalReservePages } from "@mmsim/physical";
import { domainDirtyLimits } from "@mmsim/virtual";
import { Kernel, fileKernelOf } from "../src/index";

const real = readFileSync(new URL("../../../reference/real-proc/vmstat.txt", import.meta.url), "utf8");
const parse = (t: string) => new Map(t.trimEnd().split("\n").map((l) => l.split(" ") as [string, string]).map(([n, v]) => [n, Number(v)]));

describe("/proc/vmstat", () => {
  it("prints the reference machine's names in its order, one 'name value' per line", () => {
    const text = Kernel.boot({ ram: 2 * GiB }).cat("/proc/vmstat");
    expect([...parse(text).keys()]).toEqual([...parse(real).keys()]);
    for (const line of text.trimEnd().split("\n")) expect(line).toMatch(/^[a-z0-9_]+ \d+$/);
  });

  it("takes nr_free_pages from the zones, slab pages from kernel-alloc and counts pgalloc/pgfree", () => {
    const k = Kernel.boot({ ram: 2 * GiB });
    const before = parse(k.cat("/proc/vmstat"));
    expect(before.get("nr_free_pages")).toBe(k.phys.zones().reduce((s, z) => s + z.nrFreePages, 0));
    expect(before.get("nr_slab_unreclaimable")! * 4).toBe(k.alloc.meminfo().SUnreclaim);
    const pfn = k.phys.allocPages(GFP_KERNEL, 2);
    k.phys.freePages(pfn, 2);
    const after = parse(k.cat("/proc/vmstat"));
    expect(after.get("pgalloc_dma32")! + after.get("pgalloc_normal")! - before.get("pgalloc_dma32")! - before.get("pgalloc_normal")!).toBe(4);
    expect(after.get("pgfree")! - before.get("pgfree")!).toBe(4);
  });

  it("computes the dirty thresholds as global_dirty_limits() (20% and 10% as 819/4096 and 409/4096)", () => {
    // the reference snapshot (linux-facts §14): free 6058411, totalreserve 29978, file LRU 78736
    const r = parse(real);
    const k = Kernel.boot({ ram: 2 * GiB });
    // domain_dirty_limits over the reference's dirtyable memory: free - min(free, totalreserve) + file LRU + 1
    const fs = fileKernelOf(k).fs;
    expect(domainDirtyLimits(fs, 6058411 - 29978 + 78736 + 1)).toEqual([r.get("nr_dirty_threshold"), r.get("nr_dirty_background_threshold")]);
    expect(domainDirtyLimits(fs, 6058411 - 29978 + 78736 + 1)).toEqual([1221135, 609822]);
    const v = parse(k.cat("/proc/vmstat"));
    const dirtyable = v.get("nr_free_pages")! - totalReservePages(k.phys.nodes) + 1;
    expect([v.get("nr_dirty_threshold"), v.get("nr_dirty_background_threshold")]).toEqual([Math.floor((819 * dirtyable) / 4096), Math.floor((409 * dirtyable) / 4096)]);
  });
});
