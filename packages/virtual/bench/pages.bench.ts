// virtual page-level benchmarks: the anonymous write fault end to end (MMU miss, do_user_addr_fault,
// table walk, page allocation, zeroing, rmap, PTE set, the retried access; the mmap that makes the
// range and the munmap that tears it down are not timed, and a second case times them too), an 8-byte load and
// store that hit the TLB through the task API next to Mmu.translate's own hit rate, and fork + exit
// of a task with 1 GiB touched. Each case also records its rate per CPU-second (process.cpuUsage),
// since the wall clock of a shared machine under load says little.
import type { BenchCase } from "../../../scripts/run-bench";
import { perCpuSecond } from "../../../scripts/bench-cpu";
import { Clock, Rng } from "@mmsim/base";
import { ACCESS_WRITE, CostModel, Cpu, Mmu, Ram, WalkResult } from "@mmsim/hardware";
import { KernelAlloc } from "@mmsim/kernel-alloc";
import { PhysicalMemory } from "@mmsim/physical";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, VirtualMemory, sysMmap as sysMmap_, sysMunmap as sysMunmap_ } from "../src/index";

const sysMmap = sysMmap_;
const sysMunmap = sysMunmap_;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function boot(gib: number): VirtualMemory {
  const bytes = gib * 1024 * 1024 * 1024;
  const ram = new Ram({ bytes });
  const clock = new Clock();
  const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, clock, kernelImage: null });
  const ka = KernelAlloc.boot({ phys, ram, clock, rng: new Rng(1) });
  return new VirtualMemory({ alloc: ka, phys, cpus: [new Cpu(0), new Cpu(1)], mmu: new Mmu(ram, 4, new CostModel(), clock) });
}

// ---- write faults: a store to each of the 1024 pages of a new 4 MiB mapping per call
const FAULTS = 1024;
const fv = boot(1);
const fmm = fv.mmAlloc()!;
fmm.mmapBase = 0x7ffff7fff000;
const fcpu = fv.cpus[0];
const one = new Uint8Array(8).fill(1);
let fa = -1;
/** The untimed set-up of a call of faults(): the mapping its stores fault in. */
function mapRange(): void {
  fa = sysMmap(fv, fmm, 0, FAULTS * 4096, RW, ANON, null, 0);
}
/** The untimed teardown: munmap frees the pages and the page tables. */
function unmapRange(): void {
  sysMunmap(fv, fmm, fa, FAULTS * 4096);
}
function faults(): void {
  for (let i = 0; i < FAULTS; i++) fv.store(fmm, fcpu, fa + i * 4096, one);
}
/** The same with the mmap and munmap in the time (the figure issue 16's earlier sessions reported). */
function faultsAndUnmap(): void {
  mapRange();
  faults();
  unmapRange();
}

// ---- TLB hits: one prefaulted page, 8-byte stores and loads, and the MMU alone
const HITS = 100000;
const hmm = fv.mmAlloc()!;
hmm.mmapBase = 0x7ffff7fff000;
const ha = sysMmap(fv, hmm, 0, 4096, RW, ANON, null, 0);
const hcpu = fv.cpus[1];
fv.store(hmm, hcpu, ha, one);
const buf = new Uint8Array(8);
function hits(): void {
  for (let i = 0; i < HITS; i += 2) {
    fv.store(hmm, hcpu, ha + 64, one);
    fv.load(hmm, hcpu, ha + 64, buf);
  }
}
const mmu = fv.mmu!;
let sink = 0;
function translates(): void {
  let s = 0;
  for (let i = 0; i < HITS; i++) s += mmu.translatePa(hcpu, ha + 64, ACCESS_WRITE);
  sink += s;
}
/** The same hits through Mmu.translate, which reports each in a WalkResult (the API before translatePa). */
const w = new WalkResult();
function translatesReported(): void {
  let s = 0;
  for (let i = 0; i < HITS; i++) {
    mmu.translate(hcpu, ha + 64, ACCESS_WRITE, w);
    s += w.pa;
  }
  sink += s;
}
/** Keeps the translations' results observable, so they cannot be optimized away. */
export function _accessSink(): number {
  return sink;
}

/**
 * Issue 16's access figures, interleaved in CPU time: the task API's rate, Mmu.translatePa's and
 * Mmu.translate's hit rates on the same page, and the ratios to each (the target is a third).
 */
function accessFigures(): Record<string, number> {
  const access = perCpuSecond(hits, HITS, 50);
  const pa = perCpuSecond(translates, HITS, 50);
  const reported = perCpuSecond(translatesReported, HITS, 50);
  return {
    accessesPerCpuSecond: access,
    mmuTranslatePaPerCpuSecond: pa,
    mmuTranslatePerCpuSecond: reported,
    accessToTranslatePaRatio: Math.round((access / pa) * 1000) / 1000,
    accessToTranslateRatio: Math.round((access / reported) * 1000) / 1000,
  };
}

// ---- fork of a task with 1 GiB touched (a zero byte per page: faulted, no host memory)
const kv = boot(2);
const kmm = kv.mmAlloc()!;
kmm.mmapBase = 0x7ffff7fff000;
const GIB = 1024 * 1024 * 1024;
const ka = sysMmap(kv, kmm, 0, GIB, RW, ANON, null, 0);
const zero = new Uint8Array(1);
for (let off = 0; off < GIB; off += 4096) kv.store(kmm, kv.cpus[0], ka + off, zero);
function forkExit(): void {
  kv.exitMm(kv.fork(kmm)!);
}

export const cases: BenchCase[] = [
  {
    name: "anonymous write fault end to end (1024 stores into a new 4 MiB mapping)",
    ops: FAULTS,
    minOpsPerSec: 2e6,
    fn: faults,
    beforeEach: mapRange,
    afterEach: unmapRange,
    extra: () => ({ faultsPerCpuSecond: perCpuSecond(faults, FAULTS, 200, mapRange, unmapRange) }),
  },
  {
    name: "the same with its mmap and munmap timed (4 MiB: 1024 faults + munmap)",
    ops: FAULTS,
    fn: faultsAndUnmap,
    extra: () => ({ perCpuSecond: perCpuSecond(faultsAndUnmap, FAULTS, 100) }),
  },
  {
    name: "TLB-hit 8-byte store/load through the task API",
    ops: HITS,
    minOpsPerSec: 50e6,
    fn: hits,
    extra: accessFigures,
  },
  {
    name: "Mmu.translatePa TLB hit (same CPU and page, for the ratio)",
    ops: HITS,
    fn: translates,
  },
  {
    name: "fork + exit of a task with 1 GiB touched",
    ops: 1,
    minOpsPerSec: 50,
    fn: forkExit,
    extra: () => ({ forksPerCpuSecond: perCpuSecond(forkExit, 1, 5) }),
  },
];
