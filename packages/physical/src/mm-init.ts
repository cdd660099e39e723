// Boot of the physical layer (mm/mm_init.c free_area_init, calc_nr_kernel_pages; mm/memblock.c
// memblock_free_all; mm/sparse.c; arch/x86 zone limits): memblock → nodes and zones → mem_map →
// memmap_init (memmap-init.ts) → the caller's early memblock allocations → the buddy allocator.
// Not modelled: deferred struct page init, mirrored kernelcore, memory hotplug, ZONE_DEVICE
// contents (the zone exists, empty), CMA areas.
import { InputError, MiB, PAGE_SIZE } from "@mmsim/base";
import { Memblock, memblockAllocTryNid, NUMA_NO_NODE } from "./memblock";
import type { MemblockAllocator } from "./memblock";
import { memmapInit } from "./memmap-init";
import { kernelImageLayout } from "./kernel-image";
import type { KernelImage, KernelImageLayout } from "./kernel-image";
import { PageArray } from "./mm-types";
import { MAX_ORDER_NR_PAGES, MAX_PAGE_ORDER, PAGEBLOCK_ORDER, PAGES_PER_SECTION } from "./mmzone";
import { Pglist, PerCpuPages, Zone, ZONE_DEVICE, ZONE_DMA, ZONE_DMA32, ZONE_HIGHMEM, ZONE_MOVABLE, ZONE_NORMAL } from "./mmzone";
import { MAX_NUMNODES, PG_reserved } from "./page-flags";
import { freeOnePage } from "./buddy";

/** x86 zone limits in pfns (arch/x86/mm/init.c zone_sizes_init). */
export const MAX_DMA_PFN = (16 * MiB) / PAGE_SIZE;
export const MAX_DMA32_PFN = 2 ** 32 / PAGE_SIZE;
/** i386 lowmem limit: 896 MiB (MAXMEM with the default 3G/1G split). */
export const MAX_LOWMEM_PFN_I386 = (896 * MiB) / PAGE_SIZE;
/** x86 reserves the first 1 MiB (arch/x86/kernel/setup.c, since 5.13). */
export const X86_LOW_RESERVE = 1 * MiB;
/** sizeof(struct page) on x86-64: 64 bytes, so a 128 MiB section needs a 2 MiB mem_map. */
export const STRUCT_PAGE_SIZE = 64;

export { DEFAULT_KERNEL_IMAGE } from "./kernel-image";
export { KERNEL_LOAD_ADDR } from "./kernel-image";
export type { KernelImage } from "./kernel-image";

/** What bootMemory() needs: RAM ranges, reservations, CPUs and the arch's boot options. */
export interface BootInput {
  memory: { base: number; size: number; nid: number }[];
  reserved?: { base: number; size: number; name?: string }[];
  nrCpus: number;
  arch: "x86_64" | "i386";
  kernelcore?: number;
  movablecore?: number;
  kernelImage: KernelImage | null;
  cpuToNode?: number[];
  /** memblock allocations between the memory map and memblock_free_all (see MemblockAllocator) */
  earlyAllocations?: (mb: MemblockAllocator) => void;
}

/** What boot produces; PhysicalMemory wraps it. */
export interface BootState {
  memblock: Memblock;
  pages: PageArray;
  nodes: Pglist[];
  maxPfn: number;
  zoneTypes: number[];
  /** [lowest, highest) pfn of each zone type in the arch's enum, for the "Zone ranges" log */
  archZoneRanges: { type: number; start: number; end: number }[];
  zoneMovablePfn: number[];
  memmapPages: number;
  cpuToNode: number[];
  /** where the kernel image lies (null when booted without one) */
  kernelImageLayout: KernelImageLayout | null;
  /** nr_kernel_pages and nr_all_pages of calc_nr_kernel_pages() */
  nrKernelPages: number;
  nrAllPages: number;
  log: string[];
}

function hex18(v: number): string {
  return "0x" + v.toString(16).padStart(16, "0");
}

function check(cond: boolean, field: string, what: string): void {
  if (!cond) throw new InputError(what, { field });
}

/** Validates the boot input; throws InputError naming the field. */
function validate(input: BootInput): void {
  check(input.memory.length > 0, "memory", "at least one usable RAM range is required");
  input.memory.forEach((m, k) => {
    check(Number.isSafeInteger(m.base) && m.base >= 0, `memory[${k}].base`, "expected a byte address ≥ 0");
    check(Number.isSafeInteger(m.size) && m.size > 0, `memory[${k}].size`, "expected a size in bytes > 0");
    check(Number.isInteger(m.nid) && m.nid >= 0 && m.nid < MAX_NUMNODES, `memory[${k}].nid`, `expected a node id 0..${MAX_NUMNODES - 1}`);
    check((m.base + m.size) / PAGE_SIZE < 2 ** 32, `memory[${k}]`, "RAM above 16 TiB is not supported");
  });
  (input.reserved ?? []).forEach((r, k) => {
    check(Number.isSafeInteger(r.base) && r.base >= 0 && Number.isSafeInteger(r.size) && r.size >= 0, `reserved[${k}]`, "expected base and size in bytes");
  });
  check(Number.isInteger(input.nrCpus) && input.nrCpus >= 1 && input.nrCpus <= 4096, "nrCpus", "expected 1..4096 CPUs");
}

/** find_zone_movable_pfns_for_nodes(): where ZONE_MOVABLE starts in each node (0 = none). */
function zoneMovablePfns(input: BootInput, mb: Memblock, nids: number[], usableStart: number): number[] {
  const zmp = new Array<number>(MAX_NUMNODES).fill(0);
  const ranges = mb.memory.regions.map((r) => ({ nid: r.nid, start: Math.ceil(r.base / PAGE_SIZE), end: Math.floor((r.base + r.size) / PAGE_SIZE) }));
  const totalpages = ranges.reduce((s, r) => s + Math.max(0, r.end - r.start), 0);
  let required = input.kernelcore ? Math.floor(input.kernelcore / PAGE_SIZE) : 0;
  if (input.movablecore) {
    const movable = Math.min(totalpages, Math.floor(input.movablecore / PAGE_SIZE));
    required = Math.max(required, totalpages - movable);
  }
  if (!required || required >= totalpages) return zmp;
  let usableNodes = nids.length;
  for (;;) {
    let kernelcoreNode = Math.floor(required / usableNodes);
    for (const nid of nids) {
      if (required < kernelcoreNode) kernelcoreNode = Math.floor(required / usableNodes);
      let remaining = kernelcoreNode;
      for (const r of ranges) {
        if (r.nid !== nid) continue;
        let start = Math.max(r.start, zmp[nid]);
        const end = r.end;
        if (start >= end) continue;
        if (start < usableStart) {
          const kp = Math.min(end, usableStart) - start;
          remaining -= Math.min(kp, remaining);
          required -= Math.min(kp, required);
          if (end <= usableStart) {
            zmp[nid] = end;
            continue;
          }
          start = usableStart;
        }
        const size = Math.min(end - start, remaining);
        zmp[nid] = start + size;
        required -= Math.min(required, size);
        remaining -= size;
        if (!remaining) break;
      }
    }
    usableNodes--;
    if (!(usableNodes && required > usableNodes)) break;
  }
  for (const nid of nids) {
    const nodeEnd = Math.max(...ranges.filter((r) => r.nid === nid).map((r) => r.end));
    zmp[nid] = Math.ceil(zmp[nid] / MAX_ORDER_NR_PAGES) * MAX_ORDER_NR_PAGES;
    if (zmp[nid] >= nodeEnd) zmp[nid] = 0;
  }
  return zmp;
}

/** Boots memblock, nodes, zones and the mem_map, and frees all free memory to the buddy lists. */
export function bootMemory(input: BootInput): BootState {
  validate(input);
  const log: string[] = [];
  const mb = new Memblock();
  for (const m of input.memory) mb.addNode(m.base, m.size, m.nid);
  mb.reserve(0, X86_LOW_RESERVE, "low 1M");
  const img = input.kernelImage;
  const layout = img ? kernelImageLayout(img, input.arch) : null;
  if (layout) mb.reserve(layout.reserved.start, layout.reserved.end - layout.reserved.start, "kernel");
  for (const r of input.reserved ?? []) mb.reserve(r.base, r.size, r.name);

  const ranges = mb.memory.regions
    .map((r) => ({ nid: r.nid, start: Math.ceil(r.base / PAGE_SIZE), end: Math.floor((r.base + r.size) / PAGE_SIZE) }))
    .filter((r) => r.end > r.start);
  const maxPfn = Math.max(...ranges.map((r) => r.end));
  const minPfn = Math.min(...ranges.map((r) => r.start));
  const nids = [...new Set(ranges.map((r) => r.nid))].sort((a, b) => a - b);
  const nrNodes = Math.max(...nids) + 1;

  // Arch zone limits (zone_sizes_init) and the printed ranges (free_area_init).
  const x86 = input.arch === "x86_64";
  const zoneTypes = x86 ? [ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE, ZONE_DEVICE] : [ZONE_DMA, ZONE_NORMAL, ZONE_HIGHMEM, ZONE_MOVABLE];
  const limits: Record<number, number> = x86
    ? { [ZONE_DMA]: MAX_DMA_PFN, [ZONE_DMA32]: MAX_DMA32_PFN, [ZONE_NORMAL]: maxPfn }
    : { [ZONE_DMA]: MAX_DMA_PFN, [ZONE_NORMAL]: Math.min(maxPfn, MAX_LOWMEM_PFN_I386), [ZONE_HIGHMEM]: maxPfn };
  const archZoneRanges: { type: number; start: number; end: number }[] = [];
  let lo = minPfn;
  for (const t of zoneTypes) {
    if (t === ZONE_MOVABLE || t === ZONE_DEVICE) {
      archZoneRanges.push({ type: t, start: 0, end: 0 });
      continue;
    }
    const hi = Math.max(limits[t], lo);
    archZoneRanges.push({ type: t, start: lo, end: hi });
    lo = hi;
  }
  // ZONE_MOVABLE takes from the highest populated kernel zone (find_usable_zone_for_movable).
  const movableFrom = [...archZoneRanges].reverse().find((r) => r.end > r.start && r.type !== ZONE_MOVABLE && r.type !== ZONE_DEVICE)!;
  const zmp = zoneMovablePfns(input, mb, nids, movableFrom.start);

  // SPARSEMEM: a mem_map for every section holding present memory, from memblock top-down.
  const sectionSet = new Set<number>();
  for (const r of ranges) for (let s = Math.floor(r.start / PAGES_PER_SECTION); s * PAGES_PER_SECTION < r.end; s++) sectionSet.add(s);
  const sections = [...sectionSet].sort((a, b) => a - b);
  let memmapPages = 0;
  for (const nid of nids) {
    const own = sections.filter((s) => ranges.some((r) => r.nid === nid && r.start < (s + 1) * PAGES_PER_SECTION && r.end > s * PAGES_PER_SECTION));
    const bytes = own.length * PAGES_PER_SECTION * STRUCT_PAGE_SIZE;
    if (mb.allocTopDown(bytes, 2 * MiB, nid, Infinity, "mem_map") < 0 && mb.allocTopDown(bytes, PAGE_SIZE, nid, Infinity, "mem_map") < 0) {
      throw new InputError(`node ${nid} has too little free RAM for its mem_map (${bytes} bytes)`, { field: "memory" });
    }
    memmapPages += bytes / PAGE_SIZE;
  }

  const pages = new PageArray(maxPfn, sections);
  const nodes: Pglist[] = [];
  for (let nid = 0; nid < nrNodes; nid++) nodes.push(new Pglist(nid));
  const cpuToNode = input.cpuToNode ?? Array.from({ length: input.nrCpus }, (_, c) => nids[Math.floor((c * nids.length) / input.nrCpus)]);
  cpuToNode.forEach((nid, cpu) => nodes[nid]?.cpus.push(cpu));

  for (const node of nodes) {
    const own = ranges.filter((r) => r.nid === node.nid);
    if (own.length) {
      node.nodeStartPfn = Math.min(...own.map((r) => r.start));
      node.nodeSpannedPages = Math.max(...own.map((r) => r.end)) - node.nodeStartPfn;
      node.nodePresentPages = own.reduce((s, r) => s + r.end - r.start, 0);
    }
    const nodeEnd = node.nodeStartPfn + node.nodeSpannedPages;
    zoneTypes.forEach((t, idx) => {
      const z = new Zone(node.nid, t, idx, pages);
      z.pcp = Array.from({ length: input.nrCpus }, () => new PerCpuPages());
      node.zones.push(z);
      if (!own.length || t === ZONE_DEVICE) return;
      const ar = archZoneRanges[idx];
      let start = Math.max(node.nodeStartPfn, ar.start);
      let end = Math.min(nodeEnd, ar.end);
      const m = zmp[node.nid];
      if (t === ZONE_MOVABLE) {
        if (!m) return;
        start = m;
        end = Math.min(nodeEnd, movableFrom.end);
      } else if (m && start < m && end > m) end = m;
      else if (m && start >= m) start = end;
      if (end <= start) return;
      z.zoneStartPfn = start;
      z.spannedPages = end - start;
      z.presentPages = own.reduce((s, r) => s + Math.max(0, Math.min(r.end, end) - Math.max(r.start, start)), 0);
    });
  }

  // The "Zone ranges" part of the boot log (free_area_init).
  log.push("Zone ranges:");
  for (const r of archZoneRanges) {
    if (r.type === ZONE_MOVABLE) continue;
    const name = ["DMA", "DMA32", "Normal", "HighMem", "Movable", "Device"][r.type].padEnd(8);
    log.push(r.start === r.end ? `  ${name} empty` : `  ${name} [mem ${hex18(r.start * PAGE_SIZE)}-${hex18(r.end * PAGE_SIZE - 1)}]`);
  }
  log.push("Movable zone start for each node");
  for (let nid = 0; nid < MAX_NUMNODES; nid++) if (zmp[nid]) log.push(`  Node ${nid}: ${hex18(zmp[nid] * PAGE_SIZE)}`);
  log.push("Early memory node ranges");
  for (const r of ranges) log.push(`  node ${String(r.nid).padStart(3)}: [mem ${hex18(r.start * PAGE_SIZE)}-${hex18(r.end * PAGE_SIZE - 1)}]`);
  for (const node of nodes) {
    if (!node.nodeSpannedPages) continue;
    log.push(`Initmem setup node ${node.nid} [mem ${hex18(node.nodeStartPfn * PAGE_SIZE)}-${hex18((node.nodeStartPfn + node.nodeSpannedPages) * PAGE_SIZE - 1)}]`);
  }

  // calc_nr_kernel_pages(): memblock's free pages after the mem_map, below HighMem for nr_kernel_pages.
  const highZoneLow = archZoneRanges.find((r) => r.type === ZONE_HIGHMEM)?.start ?? Infinity;
  let nrAllPages = 0;
  let nrKernelPages = 0;
  for (const f of mb.freeRanges()) {
    const a = Math.ceil(f.base / PAGE_SIZE);
    const b = Math.floor(f.end / PAGE_SIZE);
    if (a >= b) continue;
    nrAllPages += b - a;
    nrKernelPages += Math.min(b, highZoneLow) - Math.min(a, highZoneLow);
  }
  // memmap_init(): zone links, pageblock types, holes (memmap-init.ts).
  memmapInit(nodes, pages, ranges, log);

  // Early memblock users (setup_per_cpu_areas, vfs_caches_init_early), then everything that
  // does not reach the buddy allocator (memblock reservations, holes) stays PG_reserved with
  // one reference (reserve_bootmem_region); the buffer starts zeroed, the state of a free page.
  if (input.earlyAllocations) {
    input.earlyAllocations({
      memblock: mb,
      nrKernelPages,
      nrAllPages,
      nrMemoryNodes: nids.length,
      alloc: (size, align, name, nid = NUMA_NO_NODE, minAddr = 0) => memblockAllocTryNid(mb, size, align, nid, name, minAddr),
      free: (base, size) => mb.free(base, size),
      printk: (line) => log.push(line),
    });
  }
  const free = mb.freeRanges().map((f) => ({ nid: f.nid, start: Math.ceil(f.base / PAGE_SIZE), end: Math.floor(f.end / PAGE_SIZE) })).filter((f) => f.end > f.start);
  const reserve = (a: number, b: number): void => {
    const { flags, refcount } = pages;
    forEachIdxRange(pages, a, b, (x, y) => {
      refcount.fill(1, x, y);
      for (let j = x; j < y; j++) flags[j] = (flags[j] | (1 << PG_reserved)) >>> 0;
    });
  };
  let cursor = 0;
  for (const f of free) {
    if (f.start > cursor) reserve(cursor, f.start);
    cursor = Math.max(cursor, f.end);
  }
  if (cursor < maxPfn) reserve(cursor, maxPfn);

  // memblock_free_all(): free ranges go to the buddy lists in max-order aligned blocks, each on
  // the list of its pageblock's migratetype (__free_pages_core → __free_one_page).
  for (const f of free) {
    let start = f.start;
    const end = f.end;
    while (start < end) {
      let order = start === 0 ? MAX_PAGE_ORDER : Math.min(MAX_PAGE_ORDER, ctz(start));
      while (start + (1 << order) > end) order--;
      const zone = zoneOf(nodes[f.nid], start);
      const n = 1 << order;
      const i = pages.idx(start);
      zone.managedPages += n;
      zone.pgfree += n;
      freeOnePage(zone, i, order, pages.pageblockMt[i >>> PAGEBLOCK_ORDER], true);
      start += n;
    }
  }
  return {
    memblock: mb, pages, nodes, maxPfn, zoneTypes, archZoneRanges, zoneMovablePfn: zmp, memmapPages, cpuToNode,
    kernelImageLayout: layout, nrKernelPages, nrAllPages, log,
  };
}

/** The zone of `node` spanning pfn (free memory is always inside one). */
function zoneOf(node: Pglist, pfn: number): Zone {
  for (const z of node.zones) if (z.spans(pfn)) return z;
  throw new Error(`pfn ${pfn} is in no zone of node ${node.nid}`);
}

/** Count of trailing zero bits (__ffs) of a positive pfn (< 2^32). */
function ctz(v: number): number {
  return 31 - Math.clz32((v & -v) >>> 0);
}

/** Calls fn(a, b) with the page-index ranges covering pfns [start, end) that have a mem_map. */
export function forEachIdxRange(pages: PageArray, start: number, end: number, fn: (a: number, b: number) => void): void {
  let pfn = start;
  while (pfn < end) {
    const secEnd = Math.min(end, (Math.floor(pfn / PAGES_PER_SECTION) + 1) * PAGES_PER_SECTION);
    const i = pages.idx(pfn);
    if (i >= 0) fn(i, i + (secEnd - pfn));
    pfn = secEnd;
  }
}
