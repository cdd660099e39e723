// memblock (mm/memblock.c): the boot-time allocator, two sorted lists of [base, base+size)
// regions, "memory" (RAM, with a node id) and "reserved" (firmware, kernel image, mem_map,
// early allocations). Adding merges overlapping and adjacent regions of the same node;
// removing splits regions. Freeing what is left to the buddy allocator is mm-init's job.
// Not modelled: region flags (hotplug, mirror, nomap), memblock.current_limit, physmem.

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
   * memblock_alloc_try_nid() top-down: reserves `size` bytes aligned to `align` at the highest
   * free address of node `nid` (any node if -1) below `limit`. Returns the base, or -1.
   */
  allocTopDown(size: number, align: number, nid: number, limit = Infinity, name?: string): number {
    const free = this.freeRanges(nid < 0 ? undefined : nid);
    for (let k = free.length - 1; k >= 0; k--) {
      const f = free[k];
      const top = Math.min(f.end, limit);
      if (top - f.base < size) continue;
      const cand = top - size - ((top - size) % align);
      if (cand >= f.base) {
        this.reserve(cand, size, name);
        return cand;
      }
    }
    return -1;
  }
}
