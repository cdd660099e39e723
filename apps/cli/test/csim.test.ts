// mmsim csim: csim-ref's command line and output through the CLI, on the CS:APP cache lab's
// traces (packages/textbook/conformance/fixtures/csim, counts from the lab's test-csim table).
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mmsimInProcess } from "./in-process";
import { mmsim } from "./run-cli";

const dir = new URL("../../../packages/textbook/conformance/fixtures/csim/", import.meta.url);
const files = Object.fromEntries(["yi.trace", "yi2.trace", "dave.trace", "trans.trace"].map((t) => [`traces/${t}`, readFileSync(new URL(t, dir), "utf8")]));

describe("mmsim csim", () => {
  it.each([
    [1, 1, 1, "yi2.trace", "hits:9 misses:8 evictions:6"],
    [4, 2, 4, "yi.trace", "hits:4 misses:5 evictions:2"],
    [2, 1, 4, "dave.trace", "hits:2 misses:3 evictions:1"],
    [2, 1, 3, "trans.trace", "hits:167 misses:71 evictions:67"],
    [5, 1, 5, "trans.trace", "hits:231 misses:7 evictions:0"],
  ])("-s %i -E %i -b %i -t traces/%s prints %s and writes it to .csim_results", async (s, E, b, trace, line) => {
    const fs: Record<string, string> = { ...files };
    const r = await mmsimInProcess(["csim", "-s", String(s), "-E", String(E), "-b", String(b), "-t", `traces/${trace}`], fs);
    expect(r).toEqual({ status: 0, stdout: line + "\n", stderr: "" });
    // cachelab.c's printSummary: "%d %d %d\n" (hits, misses, evictions) for driver.py
    expect(fs[".csim_results"]).toBe(line.replace(/[a-z]+:/g, "") + "\n");
  });

  it("prints the verbose lines with -v", async () => {
    const r = await mmsimInProcess(["csim", "-v", "-s", "4", "-E", "1", "-b", "4", "-t", "traces/yi.trace"], files);
    expect(r.stdout.split("\n").slice(0, 3)).toEqual(["L 10,1 miss ", "M 20,1 miss hit ", "L 22,1 hit "]);
  });

  it("prints csim-ref's usage for -h, a missing argument and a bad option, always with status 0", async () => {
    const h = await mmsimInProcess(["csim", "-h"]);
    expect(h.status).toBe(0);
    expect(h.stdout.split("\n")[0]).toBe("Usage: mmsim csim [-hv] -s <num> -E <num> -b <num> -t <file>");
    const missing = await mmsimInProcess(["csim", "-s", "4"]);
    expect(missing.stdout.split("\n")[0]).toBe("mmsim csim: Missing required command line argument");
    const bad = await mmsimInProcess(["csim", "-q"]);
    expect([bad.status, bad.stderr]).toEqual([0, "mmsim csim: invalid option -- 'q'\n"]);
  });

  it("names a missing trace as csim-ref does and exits with its status 1, writing no .csim_results", async () => {
    const fs: Record<string, string> = {};
    const r = await mmsimInProcess(["csim", "-s", "1", "-E", "1", "-b", "1", "-t", "nope.trace"], fs);
    expect(r).toEqual({ status: 1, stdout: "", stderr: "nope.trace: No such file or directory\n" });
    expect(fs).toEqual({});
  });

  it("writes no .csim_results for -h or a usage error", async () => {
    const fs: Record<string, string> = {};
    await mmsimInProcess(["csim", "-h"], fs);
    await mmsimInProcess(["csim", "-s", "4"], fs);
    expect(fs).toEqual({});
  });

  // mmsim's -V stops at the command: after "csim" it is csim-ref's, and its getopt has no -V
  it("passes -V and --version to csim-ref's getopt", async () => {
    const v = await mmsimInProcess(["csim", "-V", "-s", "1", "-E", "1", "-b", "1", "-t", "traces/yi.trace"], { ...files });
    expect([v.status, v.stderr, v.stdout.split("\n")[0]]).toEqual([0, "mmsim csim: invalid option -- 'V'\n", "Usage: mmsim csim [-hv] -s <num> -E <num> -b <num> -t <file>"]);
    const long = await mmsimInProcess(["csim", "--version"]);
    expect(long.stdout.split("\n")[0]).toBe("Usage: mmsim csim [-hv] -s <num> -E <num> -b <num> -t <file>");
  });

  it("refuses a cache too large to model with one line and exit 2", async () => {
    const r = await mmsimInProcess(["csim", "-s", "30", "-E", "1", "-b", "1", "-t", "traces/yi.trace"], files);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("mmsim: setBits: a cache of 2^30 sets x 1 lines is above mmsim's limit of 16777216 lines\n");
  });

  it("the built binary replays the lab's trans.trace from disk and leaves .csim_results in its directory", () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmsim-csim-"));
    const r = mmsim(["csim", "-s", "2", "-E", "4", "-b", "3", "-t", fileURLToPath(new URL("trans.trace", dir))], { cwd });
    expect(r).toEqual({ status: 0, stdout: "hits:212 misses:26 evictions:10\n", stderr: "" });
    expect(readFileSync(join(cwd, ".csim_results"), "utf8")).toBe("212 26 10\n");
  });

  it("the built binary exits 1 for a missing trace, and 2 naming .csim_results when it cannot write it", () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmsim-csim-"));
    expect(mmsim(["csim", "-s", "1", "-E", "1", "-b", "1", "-t", "nope.trace"], { cwd })).toEqual({ status: 1, stdout: "", stderr: "nope.trace: No such file or directory\n" });
    mkdirSync(join(cwd, ".csim_results"));
    const r = mmsim(["csim", "-s", "2", "-E", "4", "-b", "3", "-t", fileURLToPath(new URL("trans.trace", dir))], { cwd });
    expect(r).toEqual({ status: 2, stdout: "hits:212 misses:26 evictions:10\n", stderr: "mmsim: cannot write csim's results file .csim_results: is a directory\n" });
  });
});
