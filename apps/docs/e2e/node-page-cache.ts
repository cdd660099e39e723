// Prints, as JSON, the PcView the page-cache model computes in Node after the actions given as a
// JSON argument ([{ op, ... }]). The e2e test compares it with what the browser renders after the
// same clicks (determinism: same actions, same kernel output, in Node and in the page).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-page-cache.ts '<json>'
import { runPageCache } from "../components/page-cache-model";
import type { PcAction } from "../components/page-cache-model";

const actions = JSON.parse(process.argv[2] ?? "[]") as PcAction[];
process.stdout.write(JSON.stringify(runPageCache(actions)) + "\n");
