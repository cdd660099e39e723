// virtual benchmarks: an anonymous mmap+munmap pair at the VMA level (get_unmapped_area,
// overcommit accounting, vm_area_struct from the slab, the VMA index, and back), on an mm that
// already holds 64 VMAs, and the same pair when the new mapping merges with its neighbour. Each
// case also records its pairs per CPU-second (process.cpuUsage).
import type { BenchCase } from "../../../scripts/run-bench";
import { perCpuSecond } from "../../../scripts/bench-cpu";
import { Clock, Rng } from "@mmsim/base";
import { Ram } from "@mmsim/hardware";
import { KernelAlloc } from "@mmsim/kernel-alloc";
import { PhysicalMemory } from "@mmsim/physical";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, VirtualMemory, sysMmap as sysMmap_, sysMunmap as sysMunmap_ } from "../src/index";
import type { MmapResult } from "../src/index";

// local copies: an imported binding is a getter call under the tsx loader (performance.md rule 2)
const sysMmap = sysMmap_;
const sysMunmap = sysMunmap_;

function boot(): VirtualMemory {
  const bytes = 256 * 1024 * 1024;
  const ram = new Ram({ bytes });
  const clock = new Clock();
  const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, clock, kernelImage: null });
  return new VirtualMemory({ alloc: KernelAlloc.boot({ phys, ram, clock, rng: new Rng(1) }) });
}

const PAIRS = 10000;
const vmm = boot();
const mm = vmm.mmAlloc()!;
mm.mmapBase = 0x7ffff7fff000;
const out: MmapResult = { addr: 0, populate: 0 };
// 64 VMAs of alternating protections so that the new mapping cannot merge with them
for (let i = 0; i < 64; i++) sysMmap(vmm, mm, 0x10000000 + i * 0x2000, 4096, i & 1 ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0, out);
sysMmap(vmm, mm, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0, out);
const RW = PROT_READ | PROT_WRITE;
const FLAGS = MAP_PRIVATE | MAP_ANONYMOUS;

function pairsNew(): void {
  for (let i = 0; i < PAIRS; i++) sysMunmap(vmm, mm, sysMmap(vmm, mm, 0, 16384, RW, FLAGS, null, 0, out), 16384);
}
function pairsMerging(): void {
  for (let i = 0; i < PAIRS; i++) sysMunmap(vmm, mm, sysMmap(vmm, mm, 0, 16384, PROT_READ, FLAGS, null, 0, out), 16384);
}

export const cases: BenchCase[] = [
  {
    name: "mmap+munmap pair, 16 KiB anonymous (new VMA)",
    ops: PAIRS,
    minOpsPerSec: 1e6,
    fn: pairsNew,
    extra: () => ({ vmas: mm.mapCount, pairsPerCpuSecond: perCpuSecond(pairsNew, PAIRS, 50) }),
  },
  {
    name: "mmap+munmap pair, 16 KiB anonymous (merging)",
    ops: PAIRS,
    fn: pairsMerging,
    extra: () => ({ pairsPerCpuSecond: perCpuSecond(pairsMerging, PAIRS, 50) }),
  },
];
