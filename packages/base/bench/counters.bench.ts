// Counters hot path: add() through a pre-resolved slot (what layers do per simulated event),
// and the per-name lookup it is meant to avoid, for comparison.
import { Counters } from "../src/counters";
import type { BenchCase } from "../../../scripts/run-bench";

const OPS = 10_000;
const counters = new Counters();
const pgfault = counters.id("pgfault");
const pgalloc = counters.id("pgalloc_normal");

export const cases: BenchCase[] = [
  {
    name: "Counters.add (pre-resolved slot)",
    ops: OPS,
    fn: () => {
      for (let i = 0; i < OPS; i++) counters.add(i & 1 ? pgfault : pgalloc);
    },
    minOpsPerSec: 100e6,
  },
  {
    name: "Counters.add(id(name)) (lookup per call)",
    ops: OPS,
    fn: () => {
      for (let i = 0; i < OPS; i++) counters.add(counters.id(i & 1 ? "pgfault" : "pgalloc_normal"));
    },
  },
];
