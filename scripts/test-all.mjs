#!/usr/bin/env node
// Runs every test runner of the repo and ends with the one line CI reads:
//   N passed, N failed
// Runner 1: vitest over all projects (packages, CLI, repo tests). Runner 2: the docs e2e in
// headless Chromium, which prints its own "N passed, N failed" line that we parse.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";

const jsonOut = ".vitest-results.json";
rmSync(jsonOut, { force: true });
let passed = 0;
let failed = 0;
let skipped = 0;

const vitest = spawnSync(
  "pnpm",
  ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${jsonOut}`],
  { stdio: "inherit" },
);
try {
  const r = JSON.parse(readFileSync(jsonOut, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  if (r.numTotalTests === 0) failed += 1;
  // A suite that failed to load has no tests counted; count it as a failure.
  failed += r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
} catch (e) {
  console.error(`test-all: could not read vitest results: ${e.message}`);
  failed += 1;
}
if (vitest.status !== 0 && failed === 0) failed += 1;

const e2e = spawnSync("pnpm", ["--filter", "@mmsim/docs", "test:e2e"], { encoding: "utf8" });
process.stdout.write(e2e.stdout ?? "");
process.stderr.write(e2e.stderr ?? "");
const m = /^(\d+) passed, (\d+) failed/m.exec(e2e.stdout ?? "");
if (m) {
  passed += Number(m[1]);
  failed += Number(m[2]);
}
if (!m || e2e.status !== 0) {
  if (!m || Number(m[2]) === 0) failed += 1;
}

console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed ? 1 : 0);
