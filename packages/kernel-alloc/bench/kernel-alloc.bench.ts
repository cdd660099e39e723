// kernel-alloc benchmarks: the SLUB CPU-slab fast path (kmalloc-64 alloc+free pairs) and
// vmalloc+vfree of 16 pages (address space, 16 buddy pages, page-table entries, lazy purge).
import type { BenchCase } from "../../../scripts/run-bench";
import { Clock, Rng } from "@mmsim/base";
import { Ram } from "@mmsim/hardware";
import { GFP_KERNEL, PhysicalMemory } from "@mmsim/physical";
import { KernelAlloc } from "../src/index";

function boot(): KernelAlloc {
  const bytes = 256 * 1024 * 1024;
  const ram = new Ram({ bytes });
  const clock = new Clock();
  const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, clock, kernelImage: null });
  return KernelAlloc.boot({ phys, ram, clock, rng: new Rng(1) });
}

const PAIRS = 10000;
const ka1 = boot();
const k64 = ka1.cache("kmalloc-64")!;
// Warm the CPU slab so the loop stays on the fast path.
ka1.kfree(ka1.kmalloc(64));
const ka2 = boot();
const VPAGES = 16;
const VOPS = 200;

export const cases: BenchCase[] = [
  {
    name: "kmalloc(64)+kfree pair (CPU-slab fast path)",
    ops: PAIRS,
    minOpsPerSec: 20e6,
    fn: () => {
      for (let i = 0; i < PAIRS; i++) ka1.kfree(ka1.kmalloc(64, GFP_KERNEL));
    },
  },
  {
    name: "kmem_cache_alloc+free pair on kmalloc-64",
    ops: PAIRS,
    fn: () => {
      for (let i = 0; i < PAIRS; i++) ka1.kmemCacheFree(k64, ka1.kmemCacheAlloc(k64, GFP_KERNEL));
    },
  },
  {
    name: "vmalloc+vfree of 16 pages",
    ops: VOPS,
    minOpsPerSec: 200e3,
    fn: () => {
      for (let i = 0; i < VOPS; i++) ka2.vfree(ka2.vmalloc(VPAGES * 4096));
    },
    extra: () => ({ purges: ka2.vm.purges, fullFlushes: ka2.vm.tlbFullFlushes }),
  },
];
