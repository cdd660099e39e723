// The machine's state to compare with its boot state once every task has gone: caches shrunk,
// lazily freed vmalloc areas purged and the per-CPU page lists drained first, as a quiescent
// kernel would be, then the files that show every free page, table page and slab.
import type { Kernel } from "../src/index";

/** buddyinfo, MemFree, PageTables, AnonPages and slabinfo of `k` after settling it. */
export function settle(k: Kernel): string[] {
  for (const c of k.alloc.slab.caches) k.alloc.kmemCacheShrink(c);
  k.alloc.vm.purgeLazy();
  k.phys.drainAllPages();
  const m = k.cat("/proc/meminfo");
  return [k.cat("/proc/buddyinfo"), /^MemFree:.*$/m.exec(m)![0], /^PageTables:.*$/m.exec(m)![0], /^AnonPages:.*$/m.exec(m)![0], k.cat("/proc/slabinfo")];
}
