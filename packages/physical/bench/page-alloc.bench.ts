// Page allocator throughput and boot cost (targets from issue 4).
import type { BenchCase } from "../../../scripts/run-bench";
import { GiB, MiB } from "@mmsim/base";
import { GFP_KERNEL, PhysicalMemory } from "../src/index";

const m = PhysicalMemory.boot({ memory: [{ base: 1 * MiB, size: 4 * GiB - 1 * MiB, nid: 0 }], nrCpus: 2 });
const N = 10_000;
/** the 64-held cases run whole rounds of 64 */
const N64 = Math.ceil(N / 64) * 64;
const held = new Float64Array(64);
const bulk = new Int32Array(64);
const boot64 = () => PhysicalMemory.boot({ memory: [{ base: 1 * MiB, size: 3 * GiB - 1 * MiB, nid: 0 }, { base: 4 * GiB, size: 61 * GiB, nid: 0 }], nrCpus: 8 });

export const cases: BenchCase[] = [
  {
    name: "order-0 alloc+free pair (PCP)",
    ops: N,
    minOpsPerSec: 20e6,
    fn: () => {
      for (let k = 0; k < N; k++) m.freePages(m.allocPages(GFP_KERNEL, 0), 0);
    },
  },
  {
    name: "order-3 alloc+free pair (PCP, 64 held)",
    ops: N64,
    minOpsPerSec: 5e6,
    fn: () => {
      for (let k = 0; k < N; k += 64) {
        for (let j = 0; j < 64; j++) held[j] = m.allocPages(GFP_KERNEL, 3);
        for (let j = 0; j < 64; j++) m.freePages(held[j], 3);
      }
    },
  },
  {
    name: "order-4 alloc+free pair (buddy lists, 64 held)",
    ops: N64,
    fn: () => {
      for (let k = 0; k < N; k += 64) {
        for (let j = 0; j < 64; j++) held[j] = m.allocPages(GFP_KERNEL, 4);
        for (let j = 0; j < 64; j++) m.freePages(held[j], 4);
      }
    },
  },
  {
    name: "order-0 bulk alloc (64 a call) + free, per page",
    ops: N64,
    fn: () => {
      for (let k = 0; k < N; k += 64) {
        const n = m.allocPagesBulk(GFP_KERNEL, 0, 64, bulk);
        for (let j = 0; j < n; j++) m.freePages(bulk[j], 0);
      }
    },
  },
  {
    name: "boot 64 GiB machine",
    ops: 1,
    maxMsPerCall: 300,
    fn: () => {
      boot64();
    },
    extra: () => {
      const b = boot64();
      const present = b.zones().reduce((s, z) => s + z.presentPages, 0);
      return { hostBytesPerFrame: Math.round((b.pages.hostBytes() / present) * 1000) / 1000 };
    },
  },
];
