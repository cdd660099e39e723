// A small machine for the virtual layer's tests: RAM, the buddy allocator, kernel-alloc with the
// kernel's named caches, and a VirtualMemory with the 6.18 defaults.
import { Clock, Rng } from "@mmsim/base";
import { CostModel, Cpu, Mmu, Ram } from "@mmsim/hardware";
import { KernelAlloc } from "@mmsim/kernel-alloc";
import { PhysicalMemory } from "@mmsim/physical";
import { VirtualMemory } from "../src/virtual-memory";
import type { VirtualConfig } from "../src/virtual-memory";
import type { MmStruct, VmAreaStruct } from "../src/mm-types";
import { vmaLink } from "../src/vma-merge";
import { vmGetPageProt } from "../src/mmap";

export function bootVirtual(cfg: Partial<VirtualConfig> = {}, mib = 64): VirtualMemory {
  const bytes = mib * 1024 * 1024;
  const ram = new Ram({ bytes });
  const clock = new Clock();
  const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, clock, kernelImage: null });
  const ka = KernelAlloc.boot({ phys, ram, clock, rng: new Rng(1) });
  const cpus = [new Cpu(0), new Cpu(1)];
  const mmu = new Mmu(ram, 4, new CostModel(), clock);
  return new VirtualMemory({ alloc: ka, phys, cpus, mmu, ...cfg });
}

/** An empty mm with Linux's non-randomized mmap_base (0x7ffff7fff000). */
export function newMm(vmm: VirtualMemory): MmStruct {
  const mm = vmm.mmAlloc()!;
  mm.mmapBase = 0x7ffff7fff000;
  return mm;
}

/** tools/testing/vma's alloc_and_link_vma: a VMA [start, end) at pgoff with flags, linked into mm. */
export function allocAndLinkVma(vmm: VirtualMemory, mm: MmStruct, start: number, end: number, pgoff: number, flags: number): VmAreaStruct {
  const vma = vmm.vmAreaAlloc(mm)!;
  vma.vmStart = start;
  vma.vmEnd = end;
  vma.vmPgoff = pgoff;
  vma.vmFlags = flags;
  vma.vmPageProt = vmGetPageProt(flags);
  vmaLink(mm, vma);
  return vma;
}

/** The mm's VMAs as "start-end" hex strings. */
export function ranges(mm: MmStruct): string[] {
  return mm.mmMt.vmas.map((v) => `${v.vmStart.toString(16)}-${v.vmEnd.toString(16)}`);
}

/** Active objects of a slab cache, from /proc/slabinfo's rows. */
export function activeObjs(vmm: VirtualMemory, name: string): number {
  return vmm.ka.slab.slabinfoRows().find((r) => r.name === name)!.activeObjs;
}

/**
 * Free pages of the machine once the caches of this layer were shrunk (kmem_cache_shrink) and
 * the PCP lists drained: what "every page is back" compares against its boot value.
 */
export function freePagesNow(vmm: VirtualMemory): number {
  for (const name of ["mm_struct", "vm_area_struct", "anon_vma", "anon_vma_chain"]) vmm.ka.kmemCacheShrink(vmm.ka.cache(name)!);
  vmm.phys.drainAllPages();
  return vmm.phys.zones().reduce((n, z) => n + z.nrFreePages, 0);
}
