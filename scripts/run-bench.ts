// `pnpm bench` in a package: runs every bench/*.bench.ts there, prints operations per second
// (and the issue's target, if any), and writes bench/results.json so figures can be compared
// across commits. Benchmarks are never part of CI; performance targets are checked here.
//
// A bench file exports `cases: BenchCase[]`. A case's `fn` performs `ops` operations per call
// (batching keeps the harness's own overhead out of per-operation figures of 10-300 M/s).
import { readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Bench } from "tinybench";

export interface BenchCase {
  name: string;
  /** operations performed by one call of fn */
  ops: number;
  fn: () => void;
  /** target: at least this many operations per second */
  minOpsPerSec?: number;
  /** target: at most this many milliseconds per call */
  maxMsPerCall?: number;
  /** optional extra figures measured once (e.g. host bytes) to record alongside */
  extra?: () => Record<string, number>;
  /** untimed set-up before each call of fn (and teardown after it): what the operation needs but is not */
  beforeEach?: () => void;
  afterEach?: () => void;
}

const dir = resolve("bench");
const files = readdirSync(dir).filter((f) => f.endsWith(".bench.ts")).sort();
const results: Record<string, unknown>[] = [];
let missed = 0;
for (const file of files) {
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { cases: BenchCase[] };
  for (const c of mod.cases) {
    const bench = new Bench({ time: 800, warmupTime: 200 });
    bench.add(c.name, c.fn, { beforeEach: c.beforeEach, afterEach: c.afterEach });
    await bench.run();
    const task = bench.tasks[0]!;
    const r = task.result as unknown as { latency?: { mean: number }; mean?: number };
    const msPerCall = r.latency?.mean ?? r.mean ?? NaN;
    const opsPerSec = (c.ops * 1000) / msPerCall;
    const extra = c.extra?.() ?? {};
    let verdict = "";
    if (c.minOpsPerSec !== undefined) verdict = opsPerSec >= c.minOpsPerSec ? `ok (target >= ${fmt(c.minOpsPerSec)}/s)` : `MISSED (target >= ${fmt(c.minOpsPerSec)}/s)`;
    if (c.maxMsPerCall !== undefined) verdict = msPerCall <= c.maxMsPerCall ? `ok (target < ${c.maxMsPerCall} ms)` : `MISSED (target < ${c.maxMsPerCall} ms)`;
    if (verdict.startsWith("MISSED")) missed++;
    console.log(`${c.name.padEnd(52)} ${fmt(opsPerSec).padStart(10)} ops/s  ${msPerCall.toFixed(3).padStart(10)} ms/call  ${verdict}${Object.keys(extra).length ? "  " + JSON.stringify(extra) : ""}`);
    results.push({ name: c.name, file, opsPerSec: Math.round(opsPerSec), msPerCall, minOpsPerSec: c.minOpsPerSec, maxMsPerCall: c.maxMsPerCall, met: !verdict.startsWith("MISSED"), ...extra });
  }
}
writeFileSync(join(dir, "results.json"), JSON.stringify({ node: process.version, results }, null, 2) + "\n");
console.log(`wrote ${join(dir, "results.json")}${missed ? `; ${missed} target(s) missed` : ""}`);

function fmt(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(1);
}
