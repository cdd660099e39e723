// The kernel's own module: the files that gather every layer's numbers (/proc/meminfo from
// fs/proc/meminfo.c, /proc/vmstat from mm/vmstat.c), the gauges meminfo reads that are not
// vmstat items (MEMINFO_GAUGES), the cat and sysctl steps, and the checks of the counters
// against each other that no single layer can make.
import { BUG, VMSTAT_ITEMS } from "@mmsim/base";
import type { Kernel } from "../kernel";
import { renderMeminfo } from "../meminfo";
import { defineModule } from "../module";
import { catStep, sysctlStep } from "../scenario/steps-core";
import { MEMINFO_GAUGES, renderVmstat } from "../vmstat";

/**
 * Identities Linux's counters obey (checked by verify): the zone LRU counters sum to the node
 * ones (both move in update_lru_size), and NR_ZONE_WRITE_PENDING moves with every dirty and
 * writeback page (folio_account_dirtied, __folio_start_writeback, folio_end_writeback).
 */
const SAME_PAGES: readonly [string, string][] = [
  ["nr_zone_inactive_anon", "nr_inactive_anon"],
  ["nr_zone_active_anon", "nr_active_anon"],
  ["nr_zone_inactive_file", "nr_inactive_file"],
  ["nr_zone_active_file", "nr_active_file"],
  ["nr_zone_unevictable", "nr_unevictable"],
];

export const coreModule = defineModule<Kernel>({
  name: "core",
  init(k) {
    for (const name of MEMINFO_GAUGES) k.counters.id(name);
    // swapon at boot: every slot of the swap devices is free
    k.counters.set("nr_swap_pages", k.swapTotalPages());
    k.procfs.register("/proc/meminfo", () => renderMeminfo(k));
    k.procfs.register("/proc/vmstat", () => renderVmstat(k));
    return k;
  },
  verify(k) {
    // The gauges upper layers move live in the machine's Counters; the items the physical and
    // slab layers keep themselves are recounted by those layers' verify().
    const c = k.counters;
    for (const name of [...VMSTAT_ITEMS, ...MEMINFO_GAUGES]) {
      const x = c.get(name);
      if (!Number.isInteger(x) || x < 0) BUG("Kernel.verify", `counter ${name} is ${x}: a gauge must be a whole number >= 0`);
    }
    for (const [zone, node] of SAME_PAGES) {
      if (c.get(zone) !== c.get(node)) BUG("Kernel.verify", `${zone} ${c.get(zone)} != ${node} ${c.get(node)}: the zone and node LRU counters count the same pages`);
    }
    const pending = c.get("nr_dirty") + c.get("nr_writeback");
    if (c.get("nr_zone_write_pending") !== pending) BUG("Kernel.verify", `nr_zone_write_pending ${c.get("nr_zone_write_pending")} != nr_dirty + nr_writeback ${pending}`);
    if (c.get("nr_swap_pages") > k.swapTotalPages()) BUG("Kernel.verify", `nr_swap_pages ${c.get("nr_swap_pages")} exceeds the swap space (${k.swapTotalPages()} pages)`);
  },
  steps: [catStep, sysctlStep],
});
