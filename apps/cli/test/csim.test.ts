// mmsim csim: csim-ref's command line and output through the CLI, on the CS:APP cache lab's
// traces (packages/textbook/conformance/fixtures/csim, counts from the lab's test-csim table).
import { readFileSync } from "node:fs";
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
  ])("-s %i -E %i -b %i -t traces/%s prints %s", async (s, E, b, trace, line) => {
    const r = await mmsimInProcess(["csim", "-s", String(s), "-E", String(E), "-b", String(b), "-t", `traces/${trace}`], files);
    expect(r).toEqual({ status: 0, stdout: line + "\n", stderr: "" });
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

  it("names a missing trace as csim-ref does (status pass-through pending in runCli)", async () => {
    const r = await mmsimInProcess(["csim", "-s", "1", "-E", "1", "-b", "1", "-t", "nope.trace"]);
    expect(r.stderr).toBe("nope.trace: No such file or directory\n");
    expect(r.status).not.toBe(0);
  });

  it("refuses a cache too large to model with one line and exit 2", async () => {
    const r = await mmsimInProcess(["csim", "-s", "30", "-E", "1", "-b", "1", "-t", "traces/yi.trace"], files);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("mmsim: setBits: a cache of 2^30 sets x 1 lines is above mmsim's limit of 16777216 lines\n");
  });

  it("the built binary replays the lab's trans.trace from disk", () => {
    const r = mmsim(["csim", "-s", "2", "-E", "4", "-b", "3", "-t", fileURLToPath(new URL("trans.trace", dir))]);
    expect(r).toEqual({ status: 0, stdout: "hits:212 misses:26 evictions:10\n", stderr: "" });
  });
});
