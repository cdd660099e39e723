// Benchmarks for @mmsim/hardware's hot paths and boot (targets from the hardware brief).
import type { BenchCase } from "../../../scripts/run-bench";
import { GiB, MiB } from "@mmsim/base";
import {
  ACCESS_READ, ACCESS_USER, CostModel, Cpu, Mmu, PAGE_SHARED, Ram, WalkResult, createHardware, mapRange, walkPageTable,
} from "@mmsim/hardware";

const BATCH = 10_000;

/** A user address space with `pages` 4 KiB pages mapped from 0x7f0000000000, spread over PTE tables. */
function addressSpace(pages: number) {
  const ram = new Ram({ bytes: 256 * MiB });
  let next = 0x100;
  const alloc = () => next++;
  const root = alloc() * 4096;
  mapRange(ram, root, 0x7f0000000000, 64 * MiB, pages * 4096, 4096, PAGE_SHARED, 4, alloc);
  return { ram, root };
}

// 1. TLB-hit translation: 64 pages, all resident in the TLB.
const hit = (() => {
  const { ram, root } = addressSpace(64);
  const mmu = new Mmu(ram, 4, new CostModel());
  const cpu = new Cpu(0);
  cpu.writeCr3(root, 1);
  cpu.mode = "user";
  const out = new WalkResult();
  for (let p = 0; p < 64; p++) mmu.translate(cpu, 0x7f0000000000 + p * 4096, ACCESS_READ, out);
  return { mmu, cpu, out };
})();

// 1b. The baseline for 1 (issue 15 §6): a bare set-associative lookup in typed arrays with the
// TLB's 4 KiB geometry (128 sets x 12 ways), the page number split into int32 halves
// (ARCHITECTURE §3), the same 64 pages resident. No PCID, rights, LRU or counters: what a
// translation cannot go below. Mmu.translate's hit should run at least half as fast.
const BARE_SETS = 128;
const BARE_WAYS = 12;
const bare = (() => {
  const tags = new Int32Array(BARE_SETS * BARE_WAYS * 2).fill(-1);
  const base = new Float64Array(BARE_SETS * BARE_WAYS);
  for (let p = 0; p < 64; p++) {
    const va = 0x7f0000000000 + p * 4096;
    const vlo = va >>> 0;
    const vhi = (va / 4294967296) >>> 0;
    const tLo = (vlo >>> 12) | (vhi << 20);
    const i = (tLo & (BARE_SETS - 1)) * BARE_WAYS; // way 0 of its set
    tags[2 * i] = tLo;
    tags[2 * i + 1] = vhi >>> 12;
    base[i] = 0x4000000 + p * 4096;
  }
  return { tags, base };
})();

/** The bare lookup: physical address of `va`, or -1 on a miss. */
function bareLookup(tags: Int32Array, base: Float64Array, va: number): number {
  const vlo = va >>> 0;
  const vhi = (va / 4294967296) >>> 0;
  const tLo = (vlo >>> 12) | (vhi << 20);
  const tHi = vhi >>> 12;
  const first = (tLo & (BARE_SETS - 1)) * BARE_WAYS;
  for (let i = first; i < first + BARE_WAYS; i++) {
    if (tags[2 * i] === tLo && tags[2 * i + 1] === tHi) return base[i] + (vlo & 4095);
  }
  return -1;
}

// 2. Page walk on a miss: 4096 pages (8 PTE tables); a 1-entry TLB makes every access miss.
const miss = (() => {
  const { ram, root } = addressSpace(4096);
  const mmu = new Mmu(ram, 4, new CostModel());
  const cpu = new Cpu(0, { tlb: { sets4k: 1, ways4k: 1, sets2m: 1, ways2m: 1, sets1g: 1, ways1g: 1 } });
  cpu.writeCr3(root, 1);
  cpu.mode = "user";
  return { ram, root, mmu, cpu, out: new WalkResult() };
})();

// 3. RAM u64 accesses over 1 MiB of backed memory.
const ram = new Ram({ bytes: 64 * MiB });
ram.fill(0, 1 * MiB, 1);

// Results feed `sink` so the work cannot be optimized away. Each case sums into a local and adds
// it once per call: `sink += x` per operation would box a double into the module context on every
// iteration and measure that allocation instead of the operation.
let sink = 0;

function translateHits(): void {
  const { mmu, cpu } = hit;
  let s = 0;
  for (let i = 0; i < BATCH; i++) s += mmu.translatePa(cpu, 0x7f0000000000 + (i & 63) * 4096 + 8, ACCESS_READ);
  sink += s;
}

/** The same hits through translate(), which reports each one in a WalkResult. */
function translateHitsReported(): void {
  const { mmu, cpu, out } = hit;
  let s = 0;
  for (let i = 0; i < BATCH; i++) {
    mmu.translate(cpu, 0x7f0000000000 + (i & 63) * 4096 + 8, ACCESS_READ, out);
    s += out.pa;
  }
  sink += s;
}

function bareLookups(): void {
  const { tags, base } = bare;
  let s = 0;
  for (let i = 0; i < BATCH; i++) s += bareLookup(tags, base, 0x7f0000000000 + (i & 63) * 4096 + 8);
  sink += s;
}

/** Rounds of interleaved CPU-time measurement in hitToBare, and calls of each case per round. */
const RATIO_ROUNDS = 9;
const RATIO_CALLS = 100;

/** Operations per CPU-second of `fn` over `calls` calls (CPU time: the machine may be shared). */
function cpuRate(fn: () => void, calls: number): number {
  const t0 = process.cpuUsage();
  for (let c = 0; c < calls; c++) fn();
  const d = process.cpuUsage(t0);
  return (calls * BATCH * 1e6) / Math.max(1, d.user + d.system);
}

/**
 * Issue 15 §6's figure: the TLB hit's speed as a fraction of the bare lookup's, measured
 * interleaved in this process (hit, bare, hit, bare, ...) in CPU time, so that load from other
 * processes and the bare case's bimodal speed between processes cancel out. Medians of the rounds.
 */
function hitToBare(): Record<string, number> {
  const ratios: number[] = [], hits: number[] = [], bares: number[] = [];
  for (let r = 0; r < RATIO_ROUNDS; r++) {
    const h = cpuRate(translateHits, RATIO_CALLS);
    const b = cpuRate(bareLookups, RATIO_CALLS);
    hits.push(h);
    bares.push(b);
    ratios.push(h / b);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  return {
    hitOpsPerCpuSec: Math.round(median(hits)),
    bareOpsPerCpuSec: Math.round(median(bares)),
    hitToBareRatio: Math.round(median(ratios) * 1000) / 1000,
  };
}

export const cases: BenchCase[] = [
  {
    name: "Mmu.translatePa, TLB hit",
    ops: BATCH,
    minOpsPerSec: 50e6,
    fn: translateHits,
  },
  {
    name: "Mmu.translate (WalkResult), TLB hit",
    ops: BATCH,
    fn: translateHitsReported,
  },
  {
    name: "bare set-associative lookup (baseline for the TLB hit)",
    ops: BATCH,
    fn: bareLookups,
    extra: hitToBare,
  },
  {
    name: "walkPageTable, 4-level walk to a 4 KiB leaf",
    ops: BATCH,
    minOpsPerSec: 5e6,
    fn: () => {
      const { ram: r, root, out } = miss;
      let s = 0;
      for (let i = 0; i < BATCH; i++) {
        walkPageTable(r, root, 0x7f0000000000 + (i & 4095) * 4096, ACCESS_READ | ACCESS_USER, 4, out);
        s += out.pa;
      }
      sink += s;
    },
  },
  {
    name: "Mmu.translate, TLB miss (walk + fill)",
    ops: BATCH,
    minOpsPerSec: 5e6,
    fn: () => {
      const { mmu, cpu, out } = miss;
      let s = 0;
      for (let i = 0; i < BATCH; i++) {
        mmu.translate(cpu, 0x7f0000000000 + ((i * 7) & 4095) * 4096, ACCESS_READ, out);
        s += out.pa;
      }
      sink += s;
    },
  },
  {
    name: "Ram.readU64",
    ops: BATCH,
    minOpsPerSec: 100e6,
    fn: () => {
      let s = 0;
      for (let i = 0; i < BATCH; i++) s += ram.readU64((i & 131071) * 8);
      sink += s;
    },
  },
  {
    name: "Ram.writeU64",
    ops: BATCH,
    minOpsPerSec: 100e6,
    fn: () => {
      for (let i = 0; i < BATCH; i++) ram.writeU64((i & 131071) * 8, i + 1);
    },
  },
  {
    name: "createHardware, 64 GiB / 4 CPUs / 2 nodes",
    ops: 1,
    maxMsPerCall: 100,
    fn: () => {
      const hw = createHardware({ ramBytes: 64 * GiB, cpus: 4, nodes: 2, swap: [8 * GiB] });
      sink += hw.ram.maxPfn;
    },
    extra: () => {
      globalThis.gc?.();
      const before = process.memoryUsage();
      const hw = createHardware({ ramBytes: 64 * GiB, cpus: 4, nodes: 2, swap: [8 * GiB] });
      const after = process.memoryUsage();
      const res = {
        ramHostBytes: hw.ram.hostBytes,
        heapDeltaBytes: after.heapUsed - before.heapUsed,
        arrayBuffersDeltaBytes: after.arrayBuffers - before.arrayBuffers,
        frames: hw.ram.maxPfn,
      };
      sink += hw.ram.maxPfn;
      return res;
    },
  },
];

export function _sink(): number {
  return sink;
}
