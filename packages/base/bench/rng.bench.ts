// Rng throughput: the raw 32-bit step and the bias-free bounded draw that workloads use.
import { Rng } from "../src/rng";
import type { BenchCase } from "../../../scripts/run-bench";

const OPS = 10_000;
const rng = new Rng(1);
let _sink = 0;

export const cases: BenchCase[] = [
  {
    name: "Rng.nextU32",
    ops: OPS,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < OPS; i++) acc ^= rng.nextU32();
      _sink ^= acc;
    },
    minOpsPerSec: 50e6,
  },
  {
    name: "Rng.nextInt(1000)",
    ops: OPS,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < OPS; i++) acc += rng.nextInt(1000);
      _sink ^= acc;
    },
  },
  {
    name: "Rng.nextFloat",
    ops: OPS,
    fn: () => {
      let acc = 0;
      for (let i = 0; i < OPS; i++) acc += rng.nextFloat();
      _sink ^= acc;
    },
  },
];
