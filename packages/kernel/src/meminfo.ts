// /proc/meminfo, as fs/proc/meminfo.c prints it on Linux 6.18 (x86-64, CONFIG_ZSWAP,
// CONFIG_TRANSPARENT_HUGEPAGE, no CONFIG_MEMORY_FAILURE; i386 adds the HIGHMEM lines).
// Each line is show_val_kb(): the label padded to 16 columns, the value right-aligned in 8,
// then " kB"; the HugePages_ counts have no unit (mm/hugetlb.c hugetlb_report_meminfo).
//
// Lines of layers not simulated yet (page cache, anon memory, swap cache, hugetlb) are 0;
// Percpu is 0 because mmsim does not model the percpu allocator (docs/design/kernel.md).
import { KiB, PAGE_SIZE } from "@mmsim/base";
import { totalReservePages, WMARK_LOW, ZONE_HIGHMEM } from "@mmsim/physical";
import type { Kernel } from "./kernel";

/** vm.overcommit_ratio's default (mm/util.c sysctl_overcommit_ratio = 50). */
export const DEFAULT_OVERCOMMIT_RATIO = 50;

function kb(label: string, valueKb: number): string {
  return `${(label + ":").padEnd(16)}${String(valueKb).padStart(8)} kB\n`;
}

function count(label: string, n: number): string {
  return `${(label + ":").padEnd(16)}${String(n).padStart(5).padStart(8)}\n`;
}

const pagesToKb = (pages: number) => (pages * PAGE_SIZE) / KiB;

/** The /proc/meminfo text of `k`. */
export function renderMeminfo(k: Kernel): string {
  const zones = k.phys.nodes.flatMap((n) => n.zones);
  let totalram = 0;
  let freeram = 0;
  let wmarkLow = 0;
  let highTotal = 0;
  let highFree = 0;
  for (const z of zones) {
    totalram += z.managedPages;
    freeram += z.nrFreePages;
    wmarkLow += z.wmark(WMARK_LOW);
    if (z.type === ZONE_HIGHMEM) {
      highTotal += z.managedPages;
      highFree += z.nrFreePages;
    }
  }
  const ka = k.alloc.meminfo();
  const sreclaimable = ka.SReclaimable / 4; // pages
  // si_mem_available(): free pages above the reserves, plus the reclaimable part of the page
  // cache and of reclaimable slab (mm/show_mem.c).
  let avail = freeram - totalReservePages(k.phys.nodes);
  const pagecache = 0;
  avail += pagecache - Math.min(Math.floor(pagecache / 2), wmarkLow);
  avail += sreclaimable - Math.min(Math.floor(sreclaimable / 2), wmarkLow);
  const available = Math.max(avail, 0);
  const swapPages = k.swapTotalPages();
  const commitLimit = Math.floor((totalram * DEFAULT_OVERCOMMIT_RATIO) / 100) + swapPages;
  const dm = directMapKb(k);
  let s = "";
  s += kb("MemTotal", pagesToKb(totalram));
  s += kb("MemFree", pagesToKb(freeram));
  s += kb("MemAvailable", pagesToKb(available));
  for (const l of ["Buffers", "Cached", "SwapCached", "Active", "Inactive", "Active(anon)", "Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable", "Mlocked"]) s += kb(l, 0);
  if (k.config.arch === "i386") {
    s += kb("HighTotal", pagesToKb(highTotal));
    s += kb("HighFree", pagesToKb(highFree));
    s += kb("LowTotal", pagesToKb(totalram - highTotal));
    s += kb("LowFree", pagesToKb(freeram - highFree));
  }
  s += kb("SwapTotal", pagesToKb(swapPages));
  s += kb("SwapFree", pagesToKb(swapPages));
  for (const l of ["Zswap", "Zswapped", "Dirty", "Writeback", "AnonPages", "Mapped", "Shmem"]) s += kb(l, 0);
  s += kb("KReclaimable", ka.SReclaimable);
  s += kb("Slab", ka.Slab);
  s += kb("SReclaimable", ka.SReclaimable);
  s += kb("SUnreclaim", ka.SUnreclaim);
  s += kb("KernelStack", ka.KernelStack);
  s += kb("PageTables", ka.PageTables + pagesToKb(k.userPgtablePages));
  for (const l of ["SecPageTables", "NFS_Unstable", "Bounce", "WritebackTmp"]) s += kb(l, 0);
  s += kb("CommitLimit", pagesToKb(commitLimit));
  s += kb("Committed_AS", 0);
  s += kb("VmallocTotal", ka.VmallocTotal);
  s += kb("VmallocUsed", ka.VmallocUsed);
  s += kb("VmallocChunk", 0);
  s += kb("Percpu", 0);
  for (const l of ["AnonHugePages", "ShmemHugePages", "ShmemPmdMapped", "FileHugePages", "FilePmdMapped", "Balloon"]) s += kb(l, 0);
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
