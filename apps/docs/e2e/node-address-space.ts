// Prints, as JSON, the AsView the address-space model computes in Node after the actions given as
// a JSON argument ([{ op, ... }]). The e2e test compares it with what the browser renders after
// the same clicks (determinism: same actions, same kernel output, in Node and in the page).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-address-space.ts '<json>'
import { runAddressSpace } from "../components/address-space-model";
import type { AsAction } from "../components/address-space-model";

const actions = JSON.parse(process.argv[2] ?? "[]") as AsAction[];
process.stdout.write(JSON.stringify(runAddressSpace(actions)) + "\n");
