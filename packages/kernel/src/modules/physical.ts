// The physical layer as a kernel module: the files Linux renders in mm/vmstat.c (buddyinfo,
// pagetypeinfo, zoneinfo, the extfrag debugfs files), the vm sysctls mm/page_alloc.c owns, the
// the zone and NUMA counters of /proc/vmstat, the alloc_pages/free_pages steps and verify().
// The layer itself (PhysicalMemory) is booted by the kernel before any module runs.
import { PHYSICAL_SYSCTLS, type PhysicalMemory } from "@mmsim/physical";
import { defineModule } from "../module";
import { globalVmstat } from "../vmstat";
import { allocPagesStep, freePagesStep } from "../scenario/steps-physical";

/**
 * The vmstat items the physical layer keeps in its zones (mm/vmstat.c zone_stat_item and the
 * NUMA events): it owns these, and everything else it reports (pgalloc_*, pgfree) is in the
 * machine's Counters already, or belongs to upper layers (nr_zone_*_anon/file, nr_mlock).
 */
const OWN_ITEMS = new Set([
  "nr_free_pages", "nr_free_pages_blocks", "nr_free_cma",
  "numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other",
  "nr_memmap_pages", "nr_memmap_boot_pages",
]);

export const physicalModule = defineModule<PhysicalMemory>({
  name: "physical",
  init(k) {
    const p = k.phys;
    k.procfs.register("/proc/buddyinfo", () => p.buddyinfo());
    k.procfs.register("/proc/pagetypeinfo", () => p.pagetypeinfo());
    k.procfs.register("/proc/zoneinfo", () => {
      // The gauges are machine-wide (docs/design/kernel.md "Counters"): with one node they are
      // that node's per-node stats; with several, the split is not kept and they print 0.
      const nodes = p.nodes.filter((n) => n.nodePresentPages > 0).length;
      const v = nodes === 1 ? globalVmstat(k) : null;
      return p.zoneinfo({ nodeCounter: (_node, name) => v?.get(name) ?? 0 });
    });
    k.procfs.register("/sys/kernel/debug/extfrag/extfrag_index", () => p.extfragIndex());
    k.procfs.register("/sys/kernel/debug/extfrag/unusable_index", () => p.unusableIndex());
    for (const key of PHYSICAL_SYSCTLS) {
      k.sysctl.register({ name: `vm.${key}`, get: () => p.getSysctl(key), set: (text) => p.setSysctl(key, text) });
    }
    return p;
  },
  vmstat(p) {
    return p.vmstatItems().filter(([name]) => OWN_ITEMS.has(name));
  },
  verify(p) {
    p.verify();
  },
  steps: [allocPagesStep, freePagesStep],
});
