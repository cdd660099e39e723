// Runs the page-replacement page's model in Node. Given {"runs": [...], "check": N} it prints, as
// JSON, the misses and the frames after every step of each run (e2e/replacement.e2e.mjs compares
// them with what the browser shows), after stepping N seeded random strings through every policy
// at 1..8 frames: the model BUGs if its textbook FIFO/LRU/CLOCK/OPT and @mmsim/replay disagree.
// Run with: node --conditions=mmsim-source --import tsx e2e/node-replacement.ts '<json>'
import type { PolicyName } from "@mmsim/replay";
import { MAX_FRAMES, MAX_REFS, POLICIES, runReplacement } from "../components/replacement-model";

type Request = { policy: PolicyName; frames: number; refs: number[]; clockInitialUse?: 0 | 1 };

const arg = JSON.parse(process.argv[2] ?? "{}") as { runs?: Request[]; check?: number };
const runs = (arg.runs ?? []).map((r) => {
  const run = runReplacement(r.policy, r.frames, r.refs, { clockInitialUse: r.clockInitialUse ?? 0 });
  return { misses: run.misses, coldMisses: run.coldMisses, steps: run.steps.map((s) => ({ hit: s.hit, slots: s.slots, evicted: s.evicted, use: s.use, hand: s.hand })) };
});
let seed = 12345;
/** a 31-bit LCG (glibc's constants): the same strings on every run */
const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), Math.floor((seed / 2147483648) * n));
let checked = 0;
for (let k = 0; k < (arg.check ?? 0); k++) {
  const refs = Array.from({ length: 1 + next(MAX_REFS) }, () => next(2 + next(11)));
  for (const p of POLICIES) {
    for (let f = 1; f <= MAX_FRAMES; f++, checked++) runReplacement(p, f, refs, { clockInitialUse: (k & 1) as 0 | 1 });
  }
}
process.stdout.write(JSON.stringify({ runs, checked }) + "\n");
