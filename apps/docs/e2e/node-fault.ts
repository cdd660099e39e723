// Prints, as JSON, the FaultViews the page-fault model computes in Node for the accesses given as
// a JSON argument ({ afterFork, accesses: [{ va, access }] }, run in order on one machine). The
// e2e test compares them with what the browser renders after the same clicks (determinism).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-fault.ts '<json>'
import { runFaults } from "../components/fault-model";
import type { FaultAccess } from "../components/fault-model";

const arg = JSON.parse(process.argv[2] ?? "{}") as { afterFork?: boolean; accesses?: { va: number; access: FaultAccess }[] };
process.stdout.write(JSON.stringify(runFaults(arg.afterFork ?? false, arg.accesses ?? [])) + "\n");
