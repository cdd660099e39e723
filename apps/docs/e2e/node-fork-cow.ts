// Prints, as JSON, the FcView the fork-and-COW model computes in Node after the actions given as a
// JSON argument ([{ op, who, page }]). The e2e test compares it with what the browser renders
// after the same clicks (determinism: same actions, same kernel output, in Node and in the page).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-fork-cow.ts '<json>'
import { runForkCow } from "../components/fork-cow-model";
import type { FcAction } from "../components/fork-cow-model";

const actions = JSON.parse(process.argv[2] ?? "[]") as FcAction[];
process.stdout.write(JSON.stringify(runForkCow(actions)) + "\n");
