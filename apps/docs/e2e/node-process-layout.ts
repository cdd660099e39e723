// Prints, as JSON, the LayoutView the process-layout model computes in Node after the re-execs
// given as a JSON argument ([true, false, ...]: ASLR on or off for each exec after the first).
// The e2e test compares it with what the browser renders after the same clicks (determinism).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-process-layout.ts '<json>'
import { runLayout } from "../components/process-layout-model";

const aslrs = JSON.parse(process.argv[2] ?? "[]") as boolean[];
process.stdout.write(JSON.stringify(runLayout(aslrs)) + "\n");
