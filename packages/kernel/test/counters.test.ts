// The meminfo and vmstat lines the upper layers will move read counters (fs/proc/meminfo.c
// meminfo_proc_show, mm/vmstat.c vmstat_show): moving each gauge in the machine's Counters
// moves exactly its /proc/meminfo line(s) and its /proc/vmstat item, nothing else.
import { describe, expect, it } from "vitest";
import { GiB, MiB } from "@mmsim/base";
import { totalReservePages } from "@mmsim/physical";
import { Kernel } from "../src/index";

const parseMeminfo = (t: string) => new Map(t.trimEnd().split("\n").map((l) => [l.slice(0, l.indexOf(":")), Number(/(\d+)/.exec(l.slice(l.indexOf(":")))![1])]));
const parseVmstat = (t: string) => new Map(t.trimEnd().split("\n").map((l) => l.split(" ")).map(([n, v]) => [n!, Number(v)]));

/** name → changed value, for the keys whose value differs. */
function diff(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of b) if (a.get(k) !== v) out[k] = v - a.get(k)!;
  return out;
}

/** Pages moved per case (10 pages = 40 kB); huge-page gauges count huge pages (1 = 2048 kB). */
const N = 10;

// [counter, meminfo deltas in kB]. MemAvailable (si_mem_available, mm/show_mem.c) gains half
// of what the page cache and the reclaimable kernel memory gain while that half is below the
// low watermarks: 10 pages → +5 pages = 20 kB. Cached = nr_file_pages − SwapCached − Buffers,
// clamped at 0, so SwapCached and Buffers alone leave it at 0.
const CASES: [string, Record<string, number>][] = [
  ["nr_anon_pages", { AnonPages: 40 }],
  ["nr_file_pages", { Cached: 40 }],
  ["nr_active_anon", { Active: 40, "Active(anon)": 40 }],
  ["nr_inactive_anon", { Inactive: 40, "Inactive(anon)": 40 }],
  ["nr_active_file", { Active: 40, "Active(file)": 40, MemAvailable: 20 }],
  ["nr_inactive_file", { Inactive: 40, "Inactive(file)": 40, MemAvailable: 20 }],
  ["nr_unevictable", { Unevictable: 40 }],
  ["nr_mlock", { Mlocked: 40 }],
  ["nr_swapcached", { SwapCached: 40 }],
  ["nr_dirty", { Dirty: 40 }],
  ["nr_writeback", { Writeback: 40 }],
  ["nr_mapped", { Mapped: 40 }],
  ["nr_shmem", { Shmem: 40 }],
  ["nr_kernel_misc_reclaimable", { KReclaimable: 40, MemAvailable: 20 }],
  ["nr_page_table_pages", { PageTables: 40 }],
  ["nr_sec_page_table_pages", { SecPageTables: 40 }],
  ["nr_anon_transparent_hugepages", { AnonHugePages: N * 2048 }],
  ["nr_shmem_hugepages", { ShmemHugePages: N * 2048 }],
  ["nr_shmem_pmdmapped", { ShmemPmdMapped: N * 2048 }],
  ["nr_file_hugepages", { FileHugePages: N * 2048 }],
  ["nr_file_pmdmapped", { FilePmdMapped: N * 2048 }],
  ["nr_balloon_pages", { Balloon: 40 }],
];

describe("meminfo and vmstat read the counters", () => {
  for (const [name, lines] of CASES) {
    it(`${name} moves ${Object.keys(lines).join(", ")} and vmstat's ${name}`, () => {
      const k = Kernel.boot({ ram: GiB });
      const m0 = parseMeminfo(k.cat("/proc/meminfo"));
      const v0 = parseVmstat(k.cat("/proc/vmstat"));
      k.counters.add(k.counters.id(name), N);
      expect(diff(m0, parseMeminfo(k.cat("/proc/meminfo")))).toEqual(lines);
      const dv = diff(v0, parseVmstat(k.cat("/proc/vmstat")));
      expect(dv[name]).toBe(N);
      // the file LRU also raises the dirtyable memory of global_dirty_limits()
      const others = Object.keys(dv).filter((n) => n !== name && n !== "nr_dirty_threshold" && n !== "nr_dirty_background_threshold");
      expect(others).toEqual([]);
    });
  }

  it("Buffers reads nr_blockdev_pages and leaves it out of Cached (Cached = file − swapcache − buffers)", () => {
    const k = Kernel.boot({ ram: GiB });
    k.counters.add(k.counters.id("nr_file_pages"), 100);
    k.counters.add(k.counters.id("nr_blockdev_pages"), 30);
    k.counters.add(k.counters.id("nr_swapcached"), 20);
    const m = parseMeminfo(k.cat("/proc/meminfo"));
    expect([m.get("Buffers"), m.get("SwapCached"), m.get("Cached")]).toEqual([120, 80, 200]);
  });

  it("SwapFree reads the free swap slots (nr_swap_pages, all free at boot) and Committed_AS vm_committed_as", () => {
    const k = Kernel.boot({ ram: GiB, swap: 64 * MiB });
    const m0 = parseMeminfo(k.cat("/proc/meminfo"));
    expect(m0.get("SwapFree")).toBe(m0.get("SwapTotal"));
    expect(m0.get("SwapTotal")).toBe(64 * 1024 - 4); // mkswap's header page is not swap space
    k.counters.add(k.counters.id("nr_swap_pages"), -N);
    k.counters.add(k.counters.id("vm_committed_as"), N);
    expect(diff(m0, parseMeminfo(k.cat("/proc/meminfo")))).toEqual({ SwapFree: -40, Committed_AS: 40 });
  });

  it("the dirty thresholds count the file LRU as dirtyable memory and follow vm.dirty_ratio (global_dirty_limits, mm/page-writeback.c)", () => {
    const k = Kernel.boot({ ram: GiB });
    k.counters.add(k.counters.id("nr_inactive_file"), 3000);
    k.counters.add(k.counters.id("nr_active_file"), 1000);
    const v = parseVmstat(k.cat("/proc/vmstat"));
    // dirtyable = free - min(free, totalreserve) + file LRU + 1; thresh = (ratio * 4096 / 100) * dirtyable / 4096
    const dirtyable = v.get("nr_free_pages")! - Math.min(v.get("nr_free_pages")!, totalReservePages(k.phys.nodes)) + 4000 + 1;
    const limit = (ratio: number) => Math.floor((Math.floor((ratio * 4096) / 100) * dirtyable) / 4096);
    expect([v.get("nr_dirty_threshold"), v.get("nr_dirty_background_threshold")]).toEqual([limit(20), limit(10)]);
    k.sysctl.set({ "vm.dirty_ratio": "40", "vm.dirty_background_ratio": "5" });
    const w = parseVmstat(k.cat("/proc/vmstat"));
    expect([w.get("nr_dirty_threshold"), w.get("nr_dirty_background_threshold")]).toEqual([limit(40), limit(5)]);
  });
});
