// The first per-CPU chunk (mm/percpu.c pcpu_embed_first_chunk, arch/x86/kernel/setup_percpu.c
// setup_per_cpu_areas): every CPU gets a unit holding a copy of the kernel's static per-CPU
// data, the module reserve and the dynamic area, carved from one memblock allocation per NUMA
// group before memblock_free_all. What a unit does not use goes back to memblock; the rest
// stays reserved and is what meminfo's Percpu counts. Later chunks (allocated as the system
// runs) and the per-CPU allocator itself are not modelled.
//
//   group (one per node)   [ unit cpu0 | unit cpu1 | ... ]   nr_units * unit_size, atom-aligned
//   unit                   [ static | reserved | dynamic | returned to memblock ... ]
//                          <------- size_sum ---------->
import { BUG, MiB, PAGE_SIZE } from "@mmsim/base";
import type { MemblockAllocator } from "@mmsim/physical";

/** PERCPU_MODULE_RESERVE (include/linux/percpu.h, CONFIG_MODULES): x86's PERCPU_FIRST_CHUNK_RESERVE. */
export const PERCPU_MODULE_RESERVE = 8 << 10;
/** PERCPU_DYNAMIC_RESERVE (include/linux/percpu.h): 28 KiB on 64-bit, 20 KiB on 32-bit. */
export const PERCPU_DYNAMIC_RESERVE_64 = 28 << 10;
export const PERCPU_DYNAMIC_RESERVE_32 = 20 << 10;
/** PERCPU_DYNAMIC_EARLY_SIZE (include/linux/percpu.h): the dynamic area is at least this. */
export const PERCPU_DYNAMIC_EARLY_SIZE = 20 << 10;
/** PCPU_MIN_UNIT_SIZE (include/linux/percpu.h): PFN_ALIGN(32 KiB). */
export const PCPU_MIN_UNIT_SIZE = 32 << 10;
/** MAX_DMA_ADDRESS on x86: per-CPU areas are allocated above the ISA DMA zone (pcpu_fc_alloc). */
const MAX_DMA_ADDRESS = 16 * MiB;
/** PMD_SIZE: x86-64 embeds the first chunk in 2 MiB atoms (setup_per_cpu_areas). */
const PMD_SIZE = 2 * MiB;
/**
 * Static per-CPU data of a 6.18 distro kernel (__per_cpu_end - __per_cpu_start), a property of
 * the build: Debian's 6.18-amd64 boots with "percpu: Embedded 62 pages/cpu s217088 r8192
 * d28672 ...". The reference machine's boot log is not available.
 */
export const DEFAULT_PERCPU_STATIC_SIZE = 217088;

/** What pcpu_build_alloc_info() decides (struct pcpu_alloc_info) and where the groups went. */
export interface PercpuFirstChunk {
  staticSize: number;
  reservedSize: number;
  dynSize: number;
  unitSize: number;
  atomSize: number;
  allocSize: number;
  /** per group: its node, its CPUs, its units (CPUs rounded up to units per allocation) and its physical base */
  groups: { nid: number; cpus: number[]; nrUnits: number; base: number }[];
  /** pcpu_nr_units: units of all groups, unused ones included */
  nrUnits: number;
  /** pcpu_nr_populated after the first chunk: PFN_DOWN(size_sum) */
  nrPopulated: number;
}

const pfnAlign = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;

/**
 * pcpu_build_alloc_info(): sizes the units and groups CPUs by node. size_sum = static +
 * reserved + max(dyn, early), page-aligned, the dynamic area taking the rounding; a unit is at
 * least PCPU_MIN_UNIT_SIZE; an allocation is a whole number of atoms holding `upa` units, upa
 * chosen as the largest that wastes at most a third of the CPUs' worth of units without
 * needing more allocations.
 */
export function pcpuBuildAllocInfo(reservedSize: number, dynSize: number, atomSize: number, staticSize: number, cpuToNode: readonly number[]): Omit<PercpuFirstChunk, "groups" | "nrUnits" | "nrPopulated"> & { groups: { nid: number; cpus: number[]; nrUnits: number }[] } {
  const sizeSum = pfnAlign(staticSize + reservedSize + Math.max(dynSize, PERCPU_DYNAMIC_EARLY_SIZE));
  const dyn = sizeSum - staticSize - reservedSize;
  const minUnitSize = Math.max(sizeSum, PCPU_MIN_UNIT_SIZE);
  const allocSize = Math.ceil(minUnitSize / atomSize) * atomSize;
  let upa = Math.floor(allocSize / minUnitSize);
  while (allocSize % upa || (allocSize / upa) % PAGE_SIZE) upa--;
  const maxUpa = upa;
  // CPUs at a distance above LOCAL_DISTANCE go to different groups: here, one group per node
  const byNode = new Map<number, number[]>();
  cpuToNode.forEach((nid, cpu) => byNode.set(nid, [...(byNode.get(nid) ?? []), cpu]));
  const groups = [...byNode].map(([nid, cpus]) => ({ nid, cpus }));
  const nrCpus = cpuToNode.length;
  let lastAllocs = Infinity;
  let bestUpa = 0;
  for (upa = maxUpa; upa; upa--) {
    if (allocSize % upa || (allocSize / upa) % PAGE_SIZE) continue;
    let allocs = 0;
    let wasted = 0;
    for (const g of groups) {
      const n = Math.ceil(g.cpus.length / upa);
      allocs += n;
      wasted += n * upa - g.cpus.length;
    }
    // more than a third of the CPUs' units wasted is refused; upa = 1 always passes
    if (wasted > Math.floor(nrCpus / 3)) continue;
    if (allocs > lastAllocs) break;
    lastAllocs = allocs;
    bestUpa = upa;
  }
  if (bestUpa === 0) BUG("pcpu_build_alloc_info", "no units-per-allocation fits");
  return {
    staticSize, reservedSize, dynSize: dyn, unitSize: allocSize / bestUpa, atomSize, allocSize,
    groups: groups.map((g) => ({ ...g, nrUnits: Math.ceil(g.cpus.length / bestUpa) * bestUpa })),
  };
}

/**
 * setup_per_cpu_areas() on x86 with the embedding first-chunk allocator: builds the allocation
 * info, allocates each group's units from memblock on its node (atom-aligned, above
 * MAX_DMA_ADDRESS), returns every unit's unused tail and every unused unit to memblock, and
 * prints pcpu_embed_first_chunk's "percpu: Embedded ..." line. Linux panics when memblock
 * cannot hold the chunk: a Bug here.
 */
export function setupPerCpuAreas(mb: MemblockAllocator, cpuToNode: readonly number[], arch: "x86_64" | "i386", staticSize = DEFAULT_PERCPU_STATIC_SIZE): PercpuFirstChunk {
  const reserved = PERCPU_MODULE_RESERVE;
  const dyn = PERCPU_MODULE_RESERVE + (arch === "x86_64" ? PERCPU_DYNAMIC_RESERVE_64 : PERCPU_DYNAMIC_RESERVE_32) - reserved;
  const atom = arch === "x86_64" ? PMD_SIZE : PAGE_SIZE;
  const ai = pcpuBuildAllocInfo(reserved, dyn, atom, staticSize, cpuToNode);
  const sizeSum = ai.staticSize + ai.reservedSize + ai.dynSize;
  const groups = ai.groups.map((g) => {
    const base = mb.alloc(g.nrUnits * ai.unitSize, ai.atomSize, "percpu", g.nid, MAX_DMA_ADDRESS);
    if (base < 0) BUG("pcpu_embed_first_chunk", `cannot allocate ${g.nrUnits * ai.unitSize} bytes for group of node ${g.nid}`);
    return { ...g, base };
  });
  for (const g of groups) {
    for (let i = 0; i < g.nrUnits; i++) {
      const unit = g.base + i * ai.unitSize;
      if (i >= g.cpus.length) mb.free(unit, ai.unitSize);
      else if (ai.unitSize > sizeSum) mb.free(unit + sizeSum, ai.unitSize - sizeSum);
    }
  }
  mb.printk(`percpu: Embedded ${sizeSum / PAGE_SIZE} pages/cpu s${ai.staticSize} r${ai.reservedSize} d${ai.dynSize} u${ai.unitSize}`);
  return { ...ai, groups, nrUnits: groups.reduce((n, g) => n + g.nrUnits, 0), nrPopulated: sizeSum / PAGE_SIZE };
}

/** pcpu_nr_pages(): populated pages of every chunk times the units, meminfo's Percpu. */
export function pcpuNrPages(c: PercpuFirstChunk): number {
  return c.nrPopulated * c.nrUnits;
}
