// Prints, as JSON, the MlView the malloc model computes in Node after the actions given as a JSON
// argument ([{ op, size | block }]). The e2e test compares it with what the browser renders after
// the same clicks (determinism: same actions, same kernel output, in Node and in the page).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-malloc.ts '<json>'
import { runMalloc } from "../components/malloc-model";
import type { MlAction } from "../components/malloc-model";

const actions = JSON.parse(process.argv[2] ?? "[]") as MlAction[];
process.stdout.write(JSON.stringify(runMalloc(actions)) + "\n");
