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
/** boots measured for the CPU-time figures of the 64 GiB case */
const BOOT_RUNS = 3;
/** the host's page size: one minor fault first-touches one 4 KiB page (x86-64, no THP) */
const HOST_PAGE_SIZE = 4096;
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
      // CPU time (user + sys) and first-touched host memory of single boots, best of BOOT_RUNS:
      // robust under load where wall time is not. Host page faults are most of a boot's cost
      // (docs/design/performance.md, "Booting a 64 GiB machine").
      let best = { cpuMs: Infinity, userMs: 0, sysMs: 0, touchedMiB: 0 };
      let present = 0;
      let hostBytes = 0;
      for (let k = 0; k < BOOT_RUNS; k++) {
        const r0 = process.resourceUsage();
        const b = boot64();
        const r1 = process.resourceUsage();
        const userMs = (r1.userCPUTime - r0.userCPUTime) / 1000;
        const sysMs = (r1.systemCPUTime - r0.systemCPUTime) / 1000;
        if (userMs + sysMs < best.cpuMs) {
          best = { cpuMs: userMs + sysMs, userMs, sysMs, touchedMiB: ((r1.minorPageFault - r0.minorPageFault) * HOST_PAGE_SIZE) / MiB };
        }
        present = b.zones().reduce((s, z) => s + z.presentPages, 0);
        hostBytes = b.pages.hostBytes();
      }
      const r = (v: number) => Math.round(v);
      return { cpuMs: r(best.cpuMs), userMs: r(best.userMs), sysMs: r(best.sysMs), touchedMiB: r(best.touchedMiB), hostBytesPerFrame: Math.round((hostBytes / present) * 1000) / 1000 };
    },
  },
];
