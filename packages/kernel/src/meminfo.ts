// /proc/meminfo, as fs/proc/meminfo.c prints it on Linux 6.18 (x86-64, CONFIG_ZSWAP,
// CONFIG_TRANSPARENT_HUGEPAGE, no CONFIG_MEMORY_FAILURE; i386 adds the HIGHMEM lines).
// Each line is show_val_kb(): the label padded to 16 columns, the value right-aligned in 8,
// then " kB"; the HugePages_ counts have no unit (mm/hugetlb.c hugetlb_report_meminfo).
//
// Every number comes from a counter, as in Linux: the vmstat items (globalVmstat: the
// machine's Counters plus what each module keeps itself) and the gauges of MEMINFO_GAUGES.
// The layers that move them (page cache, anon memory, swap) update the counters; the lines
// of what no layer counts yet read 0. Zswap and hugetlb are not modelled (always 0).
import { KiB, PAGE_SIZE } from "@mmsim/base";
import { totalReservePages, WMARK_LOW, ZONE_HIGHMEM } from "@mmsim/physical";
import type { Kernel } from "./kernel";
import { globalVmstat } from "./vmstat";

/** HPAGE_PMD_NR: base pages in a PMD-mapped huge page (2 MiB / 4 KiB). */
const HPAGE_PMD_NR = 512;

function kb(label: string, valueKb: number): string {
  return `${(label + ":").padEnd(16)}${String(valueKb).padStart(8)} kB\n`;
}

function count(label: string, n: number): string {
  return `${(label + ":").padEnd(16)}${String(n).padStart(5).padStart(8)}\n`;
}

const pagesToKb = (pages: number) => (pages * PAGE_SIZE) / KiB;

/** The /proc/meminfo text of `k` (meminfo_proc_show). */
export function renderMeminfo(k: Kernel): string {
  const zones = k.phys.nodes.flatMap((n) => n.zones);
  let totalram = 0;
  let wmarkLow = 0;
  let highTotal = 0;
  let highFree = 0;
  for (const z of zones) {
    totalram += z.managedPages;
    wmarkLow += z.wmark(WMARK_LOW);
    if (z.type === ZONE_HIGHMEM) {
      highTotal += z.managedPages;
      highFree += z.nrFreePages;
    }
  }
  const v = globalVmstat(k);
  const g = (name: string) => v.get(name)!;
  const c = (name: string) => k.counters.get(name);
  const freeram = g("nr_free_pages");
  const ka = k.alloc.meminfo();
  const activeAnon = g("nr_active_anon");
  const inactiveAnon = g("nr_inactive_anon");
  const activeFile = g("nr_active_file");
  const inactiveFile = g("nr_inactive_file");
  const sreclaimable = g("nr_slab_reclaimable");
  const kreclaimable = sreclaimable + g("nr_kernel_misc_reclaimable");
  // si_mem_available() (mm/show_mem.c): free pages above the reserves, plus the part of the
  // page cache and of the reclaimable kernel memory that reclaim would give back.
  let avail = freeram - totalReservePages(k.phys.nodes);
  const pagecache = activeFile + inactiveFile;
  avail += pagecache - Math.min(Math.floor(pagecache / 2), wmarkLow);
  avail += kreclaimable - Math.min(Math.floor(kreclaimable / 2), wmarkLow);
  const available = Math.max(avail, 0);
  const bufferram = c("nr_blockdev_pages");
  const swapcache = g("nr_swapcached");
  // Cached: the page cache minus the swap cache and the block devices' pages, never negative
  const cached = Math.max(g("nr_file_pages") - swapcache - bufferram, 0);
  const swapPages = k.swapTotalPages();
  // vm_commit_limit() and vm_committed_as belong to the layer that owns the overcommit policy
  // (the virtual module reports them by these names); Counters' vm_committed_as adds to it.
  const commitLimit = v.get("vm_commit_limit") ?? 0;
  const committedAs = c("vm_committed_as") + (v.get("vm_committed_as") ?? 0);
  const dm = directMapKb(k);
  let s = "";
  s += kb("MemTotal", pagesToKb(totalram));
  s += kb("MemFree", pagesToKb(freeram));
  s += kb("MemAvailable", pagesToKb(available));
  s += kb("Buffers", pagesToKb(bufferram));
  s += kb("Cached", pagesToKb(cached));
  s += kb("SwapCached", pagesToKb(swapcache));
  s += kb("Active", pagesToKb(activeAnon + activeFile));
  s += kb("Inactive", pagesToKb(inactiveAnon + inactiveFile));
  s += kb("Active(anon)", pagesToKb(activeAnon));
  s += kb("Inactive(anon)", pagesToKb(inactiveAnon));
  s += kb("Active(file)", pagesToKb(activeFile));
  s += kb("Inactive(file)", pagesToKb(inactiveFile));
  s += kb("Unevictable", pagesToKb(g("nr_unevictable")));
  s += kb("Mlocked", pagesToKb(g("nr_mlock")));
  if (k.config.arch === "i386") {
    s += kb("HighTotal", pagesToKb(highTotal));
    s += kb("HighFree", pagesToKb(highFree));
    s += kb("LowTotal", pagesToKb(totalram - highTotal));
    s += kb("LowFree", pagesToKb(freeram - highFree));
  }
  s += kb("SwapTotal", pagesToKb(swapPages));
  s += kb("SwapFree", pagesToKb(c("nr_swap_pages")));
  s += kb("Zswap", 0);
  s += kb("Zswapped", 0);
  s += kb("Dirty", pagesToKb(g("nr_dirty")));
  s += kb("Writeback", pagesToKb(g("nr_writeback")));
  s += kb("AnonPages", pagesToKb(g("nr_anon_pages")));
  s += kb("Mapped", pagesToKb(g("nr_mapped")));
  s += kb("Shmem", pagesToKb(g("nr_shmem")));
  s += kb("KReclaimable", pagesToKb(kreclaimable));
  s += kb("Slab", pagesToKb(sreclaimable + g("nr_slab_unreclaimable")));
  s += kb("SReclaimable", pagesToKb(sreclaimable));
  s += kb("SUnreclaim", pagesToKb(g("nr_slab_unreclaimable")));
  s += kb("KernelStack", g("nr_kernel_stack"));
  s += kb("PageTables", pagesToKb(g("nr_page_table_pages")));
  s += kb("SecPageTables", pagesToKb(g("nr_sec_page_table_pages")));
  s += kb("NFS_Unstable", 0);
  s += kb("Bounce", 0);
  s += kb("WritebackTmp", 0); // NR_WRITEBACK_TEMP is gone in 6.18; the line stays, always 0
  s += kb("CommitLimit", pagesToKb(commitLimit));
  s += kb("Committed_AS", pagesToKb(committedAs));
  s += kb("VmallocTotal", ka.VmallocTotal);
  s += kb("VmallocUsed", ka.VmallocUsed);
  s += kb("VmallocChunk", 0);
  s += kb("Percpu", pagesToKb(k.percpuPages()));
  s += kb("AnonHugePages", pagesToKb(g("nr_anon_transparent_hugepages") * HPAGE_PMD_NR));
  s += kb("ShmemHugePages", pagesToKb(g("nr_shmem_hugepages") * HPAGE_PMD_NR));
  s += kb("ShmemPmdMapped", pagesToKb(g("nr_shmem_pmdmapped") * HPAGE_PMD_NR));
  s += kb("FileHugePages", pagesToKb(g("nr_file_hugepages") * HPAGE_PMD_NR));
  s += kb("FilePmdMapped", pagesToKb(g("nr_file_pmdmapped") * HPAGE_PMD_NR));
  s += kb("Balloon", pagesToKb(g("nr_balloon_pages")));
  for (const l of ["HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp"]) s += count(l, 0);
  s += kb("Hugepagesize", 2048);
  s += kb("Hugetlb", 0);
  s += kb("DirectMap4k", dm[0]);
  s += kb("DirectMap2M", dm[1]);
  s += kb("DirectMap1G", dm[2]);
  return s;
}

const MB2 = 2 * 1024 * 1024;
const GB1 = 1024 * 1024 * 1024;

/**
 * DirectMap4k/2M/1G: how the direct map covers RAM (arch/x86/mm/init.c). init_mem_mapping()
 * maps the ISA range [0, 1 MiB) with 4 KiB pages whatever it holds; every RAM range above it,
 * trimmed to whole pages (PFN_UP start, PFN_DOWN end), is split by split_mem_range(): 4 KiB
 * pages up to the first 2 MiB boundary, 2 MiB pages up to the first 1 GiB boundary, 1 GiB pages
 * in the middle (X86_FEATURE_GBPAGES assumed), and the reverse at the end.
 */
export function directMapKb(k: Kernel): [number, number, number] {
  const ISA_END = 1024 * 1024;
  const out: [number, number, number] = [ISA_END, 0, 0];
  for (const e of k.hw.e820) {
    if (e.type !== "usable") continue;
    const start = Math.max(ISA_END, Math.ceil(e.addr / PAGE_SIZE) * PAGE_SIZE);
    const end = Math.floor((e.addr + e.size) / PAGE_SIZE) * PAGE_SIZE;
    if (end > start) splitRange(start, end, out);
  }
  return [out[0] / KiB, out[1] / KiB, out[2] / KiB];
}

function splitRange(start: number, end: number, out: [number, number, number]): void {
  const up = (v: number, a: number) => Math.ceil(v / a) * a;
  const down = (v: number, a: number) => Math.floor(v / a) * a;
  let a = Math.min(up(start, MB2), end);
  out[0] += a - start;
  let b = Math.min(up(a, GB1), down(end, MB2));
  if (b > a) out[1] += b - a;
  else b = a;
  const c = down(end, GB1);
  if (c > b) {
    out[2] += c - b;
    a = c;
  } else a = b;
  const d = down(end, MB2);
  if (d > a) {
    out[1] += d - a;
    a = d;
  }
  out[0] += end - a;
}
