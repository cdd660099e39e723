// Prints, as JSON, the RwmView the read/write vs mmap model computes in Node for the options
// given as a JSON argument ({ size, chunk, warm }). The e2e test compares it with what the
// browser renders after choosing the same options (same config and seed, same counters).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-read-write-mmap.ts '<json>'
import { runReadWriteMmap } from "../components/read-write-mmap-model";
import type { CopyOptions } from "@mmsim/kernel";

const o = JSON.parse(process.argv[2] ?? "{}") as CopyOptions;
process.stdout.write(JSON.stringify(runReadWriteMmap(o)) + "\n");
