// SLUB's partial slabs (mm/slub.c): the per-CPU partial chain and the node partial lists as
// allocation and free move slabs between them (get_partial_node, put_cpu_partial,
// __put_partials, deactivate_slab), and the flushes that empty a CPU (flush_cpu_slab,
// kmem_cache_shrink). Slub (slub.ts) adds the allocation and free paths on top.
import { ON_CPU_PARTIAL, ON_NO_LIST } from "./internal/slab-meta";
import type { KmemCache } from "./kmem-cache";
import { SlubSlabs } from "./slub-slabs";

/** SLUB's slabs with their partial lists; Slub adds the alloc/free paths. */
export abstract class SlubPartial extends SlubSlabs {
  /** get_partial_node (local node first, then the others): a slab for the CPU, more onto its partial chain. */
  protected getPartial(s: KmemCache, cpu: number): number {
    for (let k = 0; k < this.nrNodes; k++) {
      const node = k;
      let partial = -1;
      let partialSlabs = 0;
      let slot = s.partialHead[node];
      while (slot >= 0) {
        const next = this.meta.lruNext[slot];
        this.removePartial(s, node, slot);
        if (partial < 0) {
          partial = slot;
          if (s.cpuPartial === 0) break;
        } else {
          this.putCpuPartial(s, slot, cpu, false);
          if (++partialSlabs > s.cpuPartialSlabs / 2) break;
        }
        slot = next;
      }
      if (partial >= 0) return partial;
    }
    return -1;
  }

  /** put_cpu_partial: pushes a slab on the CPU partial chain, draining a full chain to the node lists. */
  protected putCpuPartial(s: KmemCache, slot: number, cpu: number, drain: boolean): void {
    const m = this.meta;
    let old = s.cpuPartialHead[cpu];
    let slabs = 0;
    let toPut = -1;
    if (old >= 0) {
      if (drain && m.slabs[old] >= s.cpuPartialSlabs) {
        toPut = old;
        old = -1;
      } else slabs = m.slabs[old];
    }
    m.slabs[slot] = slabs + 1;
    m.lruNext[slot] = old;
    m.where[slot] = ON_CPU_PARTIAL;
    s.cpuPartialHead[cpu] = slot;
    if (toPut >= 0) this.putPartials(s, toPut);
  }

  /** __put_partials: a CPU partial chain goes to the node lists (empty slabs beyond min_partial are freed). */
  protected putPartials(s: KmemCache, slot: number): void {
    const m = this.meta;
    while (slot >= 0) {
      const next = m.lruNext[slot];
      m.lruNext[slot] = -1;
      m.where[slot] = ON_NO_LIST;
      const node = this.nodeOf(slot);
      if (m.inuse[slot] === 0 && s.nrPartial[node] >= s.minPartial) this.discardSlab(s, slot);
      else this.addPartial(s, node, slot, true);
      slot = next;
    }
  }

  /** deactivate_slab: the CPU slab and its CPU freelist go back to the node. */
  protected deactivateSlab(s: KmemCache, slot: number, freelist: number): void {
    const m = this.meta;
    const toTail = m.freelist[slot] !== 0;
    // Splice the CPU freelist in front of the slab's own freelist.
    let count = 0;
    let tail = 0;
    for (let p = freelist; p !== 0; p = this.fp.get(s, p, s.offset)) {
      tail = p;
      count++;
    }
    if (tail !== 0) {
      this.fp.set(s, tail, s.offset, m.freelist[slot]);
      m.freelist[slot] = freelist;
      m.inuse[slot] -= count;
    }
    m.frozen[slot] = 0;
    m.where[slot] = ON_NO_LIST;
    const node = this.nodeOf(slot);
    if (m.inuse[slot] === 0 && s.nrPartial[node] >= s.minPartial) this.discardSlab(s, slot);
    else if (m.freelist[slot] !== 0) this.addPartial(s, node, slot, toTail);
  }

  /** flush_cpu_slab: CPU slab and CPU partial chain of `cpu` go back to the node lists. */
  flushCpu(s: KmemCache, cpu: number): void {
    const slot = s.cpuSlab[cpu];
    if (slot >= 0) {
      const fl = s.cpuFreelist[cpu];
      s.cpuSlab[cpu] = -1;
      s.cpuFreelist[cpu] = 0;
      this.deactivateSlab(s, slot, fl);
    }
    const chain = s.cpuPartialHead[cpu];
    s.cpuPartialHead[cpu] = -1;
    if (chain >= 0) this.putPartials(s, chain);
  }

  /** kmem_cache_shrink: flushes every CPU and frees every empty slab. Returns pages freed. */
  shrink(s: KmemCache): number {
    for (let cpu = 0; cpu < this.opts.nrCpus; cpu++) this.flushCpu(s, cpu);
    let freed = 0;
    for (let node = 0; node < this.nrNodes; node++) {
      for (let slot = s.partialHead[node]; slot >= 0;) {
        const next = this.meta.lruNext[slot];
        if (this.meta.inuse[slot] === 0) {
          freed += 2 ** this.meta.order[slot];
          this.removePartial(s, node, slot);
          this.discardSlab(s, slot);
        }
        slot = next;
      }
    }
    return freed;
  }
}
