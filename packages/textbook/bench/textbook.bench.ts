// The textbook front ends against the originals on large inputs, in the same run: each case
// times mmsim in-process (tinybench) and, once, the original end to end (python3 running the
// real OSTEP script from $OSTEP_HOME; for csim, the C model of csim-ref in csim-ref-model.c
// built with cc -O0 as the lab's binary was, since that 32-bit binary cannot run here) and
// mmsim's CLI end to end (node apps/cli/dist/cli.js). The target: mmsim in-process takes at
// most the original's time. Without OSTEP_HOME or cc the original's figures are left out.
//   OSTEP_HOME=/path/to/ostep-homework pnpm --filter @mmsim/textbook bench
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { BenchCase } from "../../../scripts/run-bench";
import { runCsim, runOstep } from "../src/index";

const OSTEP_HOME = process.env.OSTEP_HOME;
const CLI = new URL("../../../apps/cli/dist/cli.js", import.meta.url).pathname;
const DIRS: Record<string, string> = {
  relocation: "vm-mechanism", segmentation: "vm-segmentation", malloc: "vm-freespace",
  "paging-linear-translate": "vm-paging", "paging-multilevel-translate": "vm-smalltables", "paging-policy": "vm-beyondphys-policy",
};

const devNull = openSync("/dev/null", "w");

/** Wall-clock milliseconds of one run of a command, its stdout to /dev/null (as `> /dev/null`). */
function timeRun(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ["ignore", devNull, "pipe"] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: status ${r.status}: ${r.stderr}`);
  return ms;
}

function ostepCase(script: string, argv: string[]): BenchCase {
  const pythonMs = OSTEP_HOME ? timeRun("python3", [join(OSTEP_HOME, DIRS[script], `${script}.py`), ...argv]) : undefined;
  return {
    name: `ostep ${script} ${argv.join(" ")}`,
    ops: 1,
    maxMsPerCall: pythonMs,
    fn: () => {
      let bytes = 0;
      const r = runOstep(script, argv, {}, (t) => void (bytes += t.length))!;
      if (r.status !== 0) throw new Error(r.stderr);
    },
    extra: () => ({
      ...(pythonMs !== undefined ? { python3Ms: Math.round(pythonMs) } : {}),
      ...(existsSync(CLI) ? { mmsimCliMs: Math.round(timeRun(process.execPath, [CLI, "ostep", script, ...argv])) } : {}),
    }),
  };
}

// csim: the lab's long.trace, and the same trace 10 times over (2.7 M lines)
const long = gunzipSync(readFileSync(new URL("../conformance/fixtures/csim/long.trace.gz", import.meta.url)));
const long10 = new Uint8Array(long.length * 10);
for (let k = 0; k < 10; k++) long10.set(long, k * long.length);
const dir = mkdtempSync(join(tmpdir(), "mmsim-csim-"));
writeFileSync(join(dir, "long.trace"), long);
writeFileSync(join(dir, "long10.trace"), long10);
const model = join(dir, "csim-ref-model");
const cc = spawnSync("cc", ["-O0", "-o", model, new URL("csim-ref-model.c", import.meta.url).pathname, "-lm"]);
const haveModel = cc.status === 0;

function csimCase(trace: string, data: Uint8Array, argv: string[]): BenchCase {
  const path = join(dir, trace);
  const modelMs = haveModel ? timeRun(model, [...argv, "-t", path]) : undefined;
  return {
    name: `csim ${argv.join(" ")} -t ${trace}`,
    ops: 1,
    maxMsPerCall: modelMs,
    fn: () => {
      const r = runCsim([...argv, "-t", trace], () => data);
      if (r.status !== 0) throw new Error(r.stderr);
    },
    extra: () => ({
      ...(modelMs !== undefined ? { csimRefModelO0Ms: Math.round(modelMs) } : {}),
      ...(existsSync(CLI) ? { mmsimCliMs: Math.round(timeRun(process.execPath, [CLI, "csim", ...argv, "-t", path])) } : {}),
    }),
  };
}

export const cases: BenchCase[] = [
  ostepCase("paging-policy", ["-p", "LRU", "-n", "100000", "-m", "1000", "-C", "100", "-s", "1", "-c", "-N"]),
  ostepCase("paging-policy", ["-p", "OPT", "-n", "20000", "-m", "100", "-C", "10", "-s", "1", "-c", "-N"]),
  ostepCase("paging-policy", ["-p", "CLOCK", "-n", "50000", "-m", "50", "-C", "8", "-s", "1", "-c"]),
  ostepCase("malloc", ["-n", "2000", "-S", "100000", "-r", "100", "-s", "1", "-c"]),
  ostepCase("paging-linear-translate", ["-a", "64m", "-p", "128m", "-P", "1k", "-n", "100000", "-s", "1", "-c"]),
  ostepCase("paging-multilevel-translate", ["-n", "100000", "-s", "1", "-c"]),
  ostepCase("relocation", ["-n", "200000", "-s", "1", "-c"]),
  ostepCase("segmentation", ["-n", "200000", "-s", "1", "-c"]),
  csimCase("long.trace", long, ["-s", "5", "-E", "1", "-b", "5"]),
  csimCase("long.trace", long, ["-v", "-s", "5", "-E", "1", "-b", "5"]),
  csimCase("long10.trace", long10, ["-s", "5", "-E", "1", "-b", "5"]),
];
