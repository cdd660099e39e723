// glibc malloc model benchmark (issue 17: malloc+free of 64 bytes >= 5 M/s). One task on a booted
// 256 MiB kernel; after warm-up every malloc(64) comes from the tcache and every free(ptr) goes
// back to it: the round trip reads and writes the chunk's words in the task's memory through the
// MMU (TLB hits on the heap's first page). A second case keeps 64 chunks live, so the round trips
// cycle through a tcache bin's whole depth (mp_.tcache_count 7) and the fastbins behind it.
// Each case also records its rate per CPU-second (process.cpuUsage).
import type { BenchCase } from "../../../scripts/run-bench";
import { perCpuSecond } from "../../../scripts/bench-cpu";
import { Kernel, userlandOf, virtualOf, type Task } from "../src/index";

const ROUNDS = 100000;
const k = Kernel.boot({ ram: 256 * 1024 * 1024 });
const t = virtualOf(k).spawn("app") as Task;
const m = userlandOf(k).mallocOf(t);

/** One malloc(64) and its free, ROUNDS times. */
function roundTrips(): void {
  for (let i = 0; i < ROUNDS; i++) m.free(m.malloc(64));
}

const LIVE = 64;
const live = new Float64Array(LIVE);
/** LIVE mallocs of 64 bytes, then their frees, ROUNDS / LIVE times (ROUNDS pairs in all). */
function batches(): void {
  for (let r = 0; r < ROUNDS / LIVE; r++) {
    for (let i = 0; i < LIVE; i++) live[i] = m.malloc(64);
    for (let i = 0; i < LIVE; i++) m.free(live[i]!);
  }
}

export const cases: BenchCase[] = [
  {
    name: "malloc(64) + free through the model (tcache)",
    ops: ROUNDS,
    minOpsPerSec: 5e6,
    fn: roundTrips,
    extra: () => ({ pairsPerCpuSecond: perCpuSecond(roundTrips, ROUNDS, 20) }),
  },
  {
    name: "64 x malloc(64), then 64 x free (tcache + fastbins)",
    ops: Math.floor(ROUNDS / LIVE) * LIVE,
    fn: batches,
    extra: () => ({ pairsPerCpuSecond: perCpuSecond(batches, Math.floor(ROUNDS / LIVE) * LIVE, 20) }),
  },
];
