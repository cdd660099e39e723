// Runs the page-replacement page's model in Node and prints, as JSON, one run per request
// (miss counts and the frames after every step), for e2e/replacement.e2e.mjs to compare with
// what the browser shows (determinism: same inputs, same output).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-replacement.ts '<json>'
import type { PolicyName } from "@mmsim/replay";
import { runReplacement } from "../components/replacement-model";

type Request = { policy: PolicyName; frames: number; refs: number[]; clockInitialUse?: 0 | 1 };

const requests = JSON.parse(process.argv[2] ?? "[]") as Request[];
const out = requests.map((r) => {
  const run = runReplacement(r.policy, r.frames, r.refs, { clockInitialUse: r.clockInitialUse ?? 0 });
  return { misses: run.misses, coldMisses: run.coldMisses, steps: run.steps.map((s) => ({ hit: s.hit, slots: s.slots, evicted: s.evicted, use: s.use, hand: s.hand })) };
});
process.stdout.write(JSON.stringify(out) + "\n");
