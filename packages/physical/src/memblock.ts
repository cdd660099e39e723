// memblock (mm/memblock.c): the boot-time allocator, two sorted lists of [base, base+size)
// regions, "memory" (RAM, with a node id) and "reserved" (firmware, kernel image, mem_map,
// early allocations). Adding merges overlapping and adjacent regions of the same node;
// removing splits regions. Freeing what is left to the buddy allocator is mm-init's job.
// Not modelled: region flags (hotplug, mirror, nomap), memblock.current_limit, physmem.
import { BUG } from "@mmsim/base";

/** One region. `nid` is -1 (NUMA_NO_NODE / MAX_NUMNODES) for reserved regions. */
export interface MemblockRegion {
  base: number;
  size: number;
  nid: number;
  name?: string;
}

/** NUMA_NO_NODE. */
export const NUMA_NO_NODE = -1;

/** One memblock type (memory or reserved): regions sorted by base, never overlapping. */
export class MemblockType {
  regions: MemblockRegion[] = [];
  constructor(readonly name: string) {}

  /** Sum of region sizes. */
  get totalSize(): number {
    let t = 0;
    for (const r of this.regions) t += r.size;
    return t;
  }

  get cnt(): number {
    return this.regions.length;
  }

  /**
   * memblock_add_range(): inserts [base, base+size), keeping existing regions where they
   * overlap (their node wins), then merges neighbours with the same node. Size 0 is a no-op.
   */
  add(base: number, size: number, nid: number, name?: string): void {
    if (size <= 0) return;
    const end = base + size;
    const out: MemblockRegion[] = [];
    let cur = base;
    for (const r of this.regions) {
      const rEnd = r.base + r.size;
      if (rEnd <= cur || r.base >= end) {
        out.push(r);
        continue;
      }
      if (r.base > cur) out.push({ base: cur, size: r.base - cur, nid, name });
      out.push(r);
      cur = Math.max(cur, rEnd);
    }
    if (cur < end) out.push({ base: cur, size: end - cur, nid, name });
    out.sort((a, b) => a.base - b.base);
    this.regions = merge(out);
  }

  /** memblock_remove_range(): removes [base, base+size) from every region, splitting them. */
  remove(base: number, size: number): void {
    if (size <= 0) return;
    const end = base + size;
    const out: MemblockRegion[] = [];
    for (const r of this.regions) {
      const rEnd = r.base + r.size;
      if (rEnd <= base || r.base >= end) {
        out.push(r);
        continue;
      }
      if (r.base < base) out.push({ ...r, size: base - r.base });
      if (rEnd > end) out.push({ ...r, base: end, size: rEnd - end });
    }
    this.regions = out;
  }

  /** True when [base, base+size) overlaps a region (memblock_overlaps_region). */
  overlaps(base: number, size: number): boolean {
    return this.regions.some((r) => r.base < base + size && base < r.base + r.size);
  }
}

function merge(rs: MemblockRegion[]): MemblockRegion[] {
  const out: MemblockRegion[] = [];
  for (const r of rs) {
    const last = out[out.length - 1];
    if (last && last.base + last.size === r.base && last.nid === r.nid) {
      out[out.length - 1] = { ...last, size: last.size + r.size };
    } else out.push({ ...r });
  }
  return out;
}

/** struct memblock: the memory and reserved lists. */
export class Memblock {
  readonly memory = new MemblockType("memory");
  readonly reserved = new MemblockType("reserved");

  /** memblock_add_node(). */
  addNode(base: number, size: number, nid: number): void {
    this.memory.add(base, size, nid);
  }

  /** memblock_add(): RAM on node 0 (MAX_NUMNODES in Linux, resolved later). */
  add(base: number, size: number): void {
    this.memory.add(base, size, 0);
  }

  /** memblock_remove(). */
  remove(base: number, size: number): void {
    this.memory.remove(base, size);
  }

  /** memblock_reserve(). */
  reserve(base: number, size: number, name?: string): void {
    this.reserved.add(base, size, NUMA_NO_NODE, name);
  }

  /** memblock_free() of a reserved range (phys_free). */
  free(base: number, size: number): void {
    this.reserved.remove(base, size);
  }

  /**
   * for_each_free_mem_range(): memory minus reserved, as [base, end, nid] pieces in address
   * order (optionally of one node).
   */
  freeRanges(nid?: number): { base: number; end: number; nid: number }[] {
    const out: { base: number; end: number; nid: number }[] = [];
    const res = this.reserved.regions;
    for (const m of this.memory.regions) {
      if (nid !== undefined && m.nid !== nid) continue;
      let cur = m.base;
      const end = m.base + m.size;
      for (const r of res) {
        if (cur >= end) break;
        const rEnd = r.base + r.size;
        if (rEnd <= cur) continue;
        if (r.base >= end) break;
        if (r.base > cur) out.push({ base: cur, end: r.base, nid: m.nid });
        cur = Math.max(cur, rEnd);
      }
      if (cur < end) out.push({ base: cur, end, nid: m.nid });
    }
    return out;
  }

  /**
   * memblock_find_in_range_node() top-down plus the reservation: reserves `size` bytes aligned
   * to `align` at the highest free address of node `nid` (any node if -1) in [minAddr, limit).
   * Returns the base, or -1.
   */
  allocTopDown(size: number, align: number, nid: number, limit = Infinity, name?: string, minAddr = 0): number {
    const free = this.freeRanges(nid < 0 ? undefined : nid);
    for (let k = free.length - 1; k >= 0; k--) {
      const f = free[k];
      const top = Math.min(f.end, limit);
      const bottom = Math.max(f.base, minAddr);
      if (top - bottom < size) continue;
      const cand = top - size - ((top - size) % align);
      if (cand >= bottom) {
        this.reserve(cand, size, name);
        return cand;
      }
    }
    return -1;
  }
}

/** SMP_CACHE_BYTES (L1_CACHE_BYTES on x86-64, 64): the alignment of memblock_alloc(). */
export const SMP_CACHE_BYTES = 64;

/**
 * memblock_alloc_try_nid(): `size` bytes aligned to `align` (a power of two), top-down, on
 * node `nid` and then on any node, at or above `minAddr` and then anywhere
 * (memblock_alloc_internal drops min_addr on failure). The region is reserved under `name`.
 * Returns its physical address, or -1 when no free range is large enough (memblock_alloc
 * returns NULL). A size ≤ 0 or an alignment that is not a power of two is a Bug.
 */
export function memblockAllocTryNid(mb: Memblock, size: number, align: number, nid: number, name: string, minAddr = 0): number {
  if (!(Number.isSafeInteger(size) && size > 0)) BUG("memblock_alloc_try_nid", `size ${size} for ${name}`);
  if (!(Number.isSafeInteger(align) && align > 0 && 2 ** Math.round(Math.log2(align)) === align)) {
    BUG("memblock_alloc_try_nid", `alignment ${align} for ${name} is not a power of two`);
  }
  for (const min of minAddr > 0 ? [minAddr, 0] : [0]) {
    let base = mb.allocTopDown(size, align, nid, Infinity, name, min);
    if (base < 0 && nid >= 0) base = mb.allocTopDown(size, align, NUMA_NO_NODE, Infinity, name, min);
    if (base >= 0) return base;
  }
  return -1;
}

/**
 * What PhysicalConfig.earlyAllocations receives: memblock after the memory map is set up
 * (free_area_init) and before memblock_free_all() hands free memory to the buddy allocator,
 * where Linux allocates the per-CPU areas (setup_per_cpu_areas) and the dentry and inode hash
 * tables (vfs_caches_init_early). What is reserved here stays PG_reserved and outside the
 * zones' managed pages.
 */
export interface MemblockAllocator {
  /** the memblock lists (read them; change them through alloc and free) */
  readonly memblock: Memblock;
  /** nr_kernel_pages: free pages below HighMem when free_area_init ran (calc_nr_kernel_pages) */
  readonly nrKernelPages: number;
  /** nr_all_pages: free pages when free_area_init ran */
  readonly nrAllPages: number;
  /** num_node_state(N_MEMORY): nodes with memory (hashdist is 0 with one) */
  readonly nrMemoryNodes: number;
  /** memblock_alloc_try_nid(size, align, minAddr, nid) reserving under `name`; address or -1 */
  alloc(size: number, align: number, name: string, nid?: number, minAddr?: number): number;
  /** memblock_free(): returns [base, base+size) of a reservation to memblock */
  free(base: number, size: number): void;
  /** prints a boot log line at this point of the boot (between the memory map and the zonelists) */
  printk(line: string): void;
}
