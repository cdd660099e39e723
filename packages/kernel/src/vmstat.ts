// /proc/vmstat (mm/vmstat.c vmstat_show): "name value" per line in VMSTAT_ITEMS order (6.18).
// Each value comes from the layer that owns it: the zone and NUMA counters and pgalloc/pgfree
// from the physical layer, the slab and kernel-stack gauges from kernel-alloc, the dirty
// thresholds from the page-writeback formula, and every other event from the machine's
// Counters (0 until the layer that counts it exists).
import { VMSTAT_ITEMS } from "@mmsim/base";
import { totalReservePages } from "@mmsim/physical";
import type { Kernel } from "./kernel";

/** vm.dirty_ratio and vm.dirty_background_ratio defaults (mm/page-writeback.c). */
export const DIRTY_RATIO = 20;
export const DIRTY_BACKGROUND_RATIO = 10;

/**
 * global_dirty_limits(): the ratios become 1/4096 fractions (ratio * 4096 / 100), applied to the
 * dirtyable memory = free - min(free, totalreserve) + file LRU + 1 (mm/page-writeback.c).
 * Returns [nr_dirty_threshold, nr_dirty_background_threshold] in pages.
 */
export function dirtyLimits(free: number, totalreserve: number, fileLru: number): [number, number] {
  const dirtyable = free - Math.min(free, totalreserve) + fileLru + 1;
  const ratio = Math.floor((DIRTY_RATIO * 4096) / 100);
  const bgRatio = Math.floor((DIRTY_BACKGROUND_RATIO * 4096) / 100);
  const thresh = Math.floor((ratio * dirtyable) / 4096);
  let bg = Math.floor((bgRatio * dirtyable) / 4096);
  if (bg >= thresh) bg = Math.floor(thresh / 2);
  return [thresh, bg];
}

export function renderVmstat(k: Kernel): string {
  const values = new Map<string, number>(k.phys.vmstatItems());
  const ka = k.alloc.meminfo();
  values.set("nr_slab_reclaimable", ka.SReclaimable / 4);
  values.set("nr_slab_unreclaimable", ka.SUnreclaim / 4);
  values.set("nr_kernel_stack", ka.KernelStack);
  values.set("nr_page_table_pages", ka.PageTables / 4 + k.userPgtablePages);
  const free = k.phys.zones().reduce((n, z) => n + z.nrFreePages, 0);
  const [thresh, bg] = dirtyLimits(free, totalReservePages(k.phys.nodes), 0);
  values.set("nr_dirty_threshold", thresh);
  values.set("nr_dirty_background_threshold", bg);
  let s = "";
  for (const name of VMSTAT_ITEMS) {
    const v = values.get(name) ?? (k.counters.has(name) ? k.counters.get(name) : 0);
    s += `${name} ${v}\n`;
  }
  return s;
}
