// /proc/vmstat (mm/vmstat.c vmstat_show): "name value" per line in VMSTAT_ITEMS order (6.18).
// A value is the machine's Counters slot of that name (what the upper layers count with
// Counters.add, and the events the physical layer provides per zone) plus what each kernel
// module keeps itself (KernelModule.vmstat: the zone and NUMA counters of the physical layer,
// the slab, kernel-stack and kernel page-table gauges of kernel-alloc): the kernel's view of
// global_node_page_state() / global_zone_page_state(). The dirty thresholds come from the
// page-writeback formula of the file module (domain_dirty_limits with the vm.dirty_* sysctls).
import { VMSTAT_ITEMS } from "@mmsim/base";
import { domainDirtyLimits } from "@mmsim/virtual";
import type { Kernel } from "./kernel";
import { fileKernelOf } from "./scenario/steps-file";

/**
 * Gauges /proc/meminfo reads that are not vmstat items, kept in the machine's Counters under
 * these names for the layers that will move them:
 *   nr_blockdev_pages  page-cache pages of block devices (Buffers: nr_blockdev_pages(), block/bdev.c)
 *   nr_swap_pages      free swap slots (SwapFree: the atomic nr_swap_pages, mm/swapfile.c); the
 *                      kernel sets it to the swap space at boot, as swapon does
 *   vm_committed_as    committed address space in pages (Committed_AS: vm_committed_as, mm/util.c)
 */
export const MEMINFO_GAUGES = ["nr_blockdev_pages", "nr_swap_pages", "vm_committed_as"] as const;

/**
 * Every vmstat item's machine-wide value, by name: Counters plus the modules' own items, and
 * the dirty thresholds (global_dirty_limits over the free pages and the file LRU).
 */
export function globalVmstat(k: Kernel): Map<string, number> {
  const values = new Map<string, number>();
  for (const name of VMSTAT_ITEMS) values.set(name, k.counters.get(name));
  for (const [m, layer] of k.moduleLayers()) {
    if (!m.vmstat) continue;
    for (const [name, v] of m.vmstat(layer, k)) values.set(name, (values.get(name) ?? 0) + v);
  }
  const [thresh, bg] = domainDirtyLimits(fileKernelOf(k).fs);
  values.set("nr_dirty_threshold", thresh);
  values.set("nr_dirty_background_threshold", bg);
  return values;
}

/** The /proc/vmstat text of `k`. */
export function renderVmstat(k: Kernel): string {
  const values = globalVmstat(k);
  let s = "";
  for (const name of VMSTAT_ITEMS) s += `${name} ${values.get(name)}\n`;
  return s;
}
