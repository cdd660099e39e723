// The kernel's own module: the files that gather every layer's numbers (/proc/meminfo from
// fs/proc/meminfo.c, /proc/vmstat from mm/vmstat.c), the gauges meminfo reads that are not
// vmstat items (MEMINFO_GAUGES), the cat and sysctl steps, and the checks of the counters
// against each other that no single layer can make.
import { BUG, VMSTAT_ITEMS } from "@mmsim/base";
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

/** The kernel's own state: the Counters slots verify() reads (resolved once, at boot). */
export interface CoreState {
  /** every vmstat item and meminfo gauge: each must stay a whole number >= 0 */
  readonly gaugeSlots: Int32Array;
  /** SAME_PAGES as slot pairs */
  readonly sameSlots: Int32Array;
  readonly dirty: number;
  readonly writeback: number;
  readonly writePending: number;
  readonly swapFree: number;
}

export const coreModule = defineModule<CoreState>({
  name: "core",
  init(k) {
    const c = k.counters;
    for (const name of MEMINFO_GAUGES) c.id(name);
    // swapon at boot: every slot of the swap devices is free
    c.set("nr_swap_pages", k.swapTotalPages());
    k.procfs.register("/proc/meminfo", () => renderMeminfo(k));
    k.procfs.register("/proc/vmstat", () => renderVmstat(k));
    return {
      gaugeSlots: Int32Array.from([...VMSTAT_ITEMS, ...MEMINFO_GAUGES], (n) => c.id(n)),
      sameSlots: Int32Array.from(SAME_PAGES.flat(), (n) => c.id(n)),
      dirty: c.id("nr_dirty"),
      writeback: c.id("nr_writeback"),
      writePending: c.id("nr_zone_write_pending"),
      swapFree: c.id("nr_swap_pages"),
    };
  },
  verify(s, k) {
    // The gauges upper layers move live in the machine's Counters; the items the physical and
    // slab layers keep themselves are recounted by those layers' verify(). Counters that the
    // physical layer provides (pgalloc_*, pgfree) are events summed from its zones: their
    // slots stay 0 here.
    const v = k.counters.values;
    const name = (slot: number) => [...VMSTAT_ITEMS, ...MEMINFO_GAUGES][s.gaugeSlots.indexOf(slot)] ?? `slot ${slot}`;
    for (let i = 0; i < s.gaugeSlots.length; i++) {
      const x = v[s.gaugeSlots[i]!]!;
      if (!Number.isInteger(x) || x < 0) BUG("Kernel.verify", `counter ${name(s.gaugeSlots[i]!)} is ${x}: a gauge must be a whole number >= 0`);
    }
    for (let i = 0; i < s.sameSlots.length; i += 2) {
      const [zone, node] = SAME_PAGES[i / 2]!;
      const a = v[s.sameSlots[i]!]!;
      const b = v[s.sameSlots[i + 1]!]!;
      if (a !== b) BUG("Kernel.verify", `${zone} ${a} != ${node} ${b}: the zone and node LRU counters count the same pages`);
    }
    const pending = v[s.dirty]! + v[s.writeback]!;
    if (v[s.writePending] !== pending) BUG("Kernel.verify", `nr_zone_write_pending ${v[s.writePending]} != nr_dirty + nr_writeback ${pending}`);
    if (v[s.swapFree]! > k.swapTotalPages()) BUG("Kernel.verify", `nr_swap_pages ${v[s.swapFree]} exceeds the swap space (${k.swapTotalPages()} pages)`);
  },
  steps: [catStep, sysctlStep],
});
