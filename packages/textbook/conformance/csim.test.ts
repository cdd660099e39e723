// csim-ref parity on the CS:APP cache lab's own traces (fixtures/csim/README.md): the counts
// of the reference-simulator column of the lab's published test-csim table, and the verbose
// trace the lab's write-up prints for `csim-ref -v -s 4 -E 1 -b 4 -t traces/yi.trace`.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { runCsim } from "../src/index";

const dir = new URL("./fixtures/csim/", import.meta.url);
const traces: Record<string, Uint8Array> = {};
const readTrace = (path: string): Uint8Array | string => {
  const name = path.replace(/^traces\//, "");
  if (!(name in traces)) {
    try {
      traces[name] = name === "long.trace" ? gunzipSync(readFileSync(new URL("long.trace.gz", dir))) : readFileSync(new URL(name, dir));
    } catch {
      return "No such file or directory";
    }
  }
  return traces[name];
};

describe("csim-ref's published results on the lab traces (test-csim, reference column)", () => {
  it.each([
    [1, 1, 1, "yi2.trace", 9, 8, 6],
    [4, 2, 4, "yi.trace", 4, 5, 2],
    [2, 1, 4, "dave.trace", 2, 3, 1],
    [2, 1, 3, "trans.trace", 167, 71, 67],
    [2, 2, 3, "trans.trace", 201, 37, 29],
    [2, 4, 3, "trans.trace", 212, 26, 10],
    [5, 1, 5, "trans.trace", 231, 7, 0],
    [5, 1, 5, "long.trace", 265189, 21775, 21743],
  ])("-s %i -E %i -b %i -t traces/%s: hits:%i misses:%i evictions:%i", (s, E, b, trace, h, m, e) => {
    const r = runCsim(["-s", String(s), "-E", String(E), "-b", String(b), "-t", `traces/${trace}`], readTrace);
    expect(r.stdout).toBe(`hits:${h} misses:${m} evictions:${e}\n`);
    expect(r.status).toBe(0);
    expect(r.csimResults).toBe(`${h} ${m} ${e}\n`);
  });

  it("prints the handout's verbose trace for -v -s 4 -E 1 -b 4 on yi.trace", () => {
    const r = runCsim(["-v", "-s", "4", "-E", "1", "-b", "4", "-t", "traces/yi.trace"], readTrace);
    expect(r.stdout).toBe(
      [
        "L 10,1 miss ",
        "M 20,1 miss hit ",
        "L 22,1 hit ",
        "S 18,1 hit ",
        "L 110,1 miss eviction ",
        "L 210,1 miss eviction ",
        "M 12,1 miss eviction hit ",
        "hits:4 misses:5 evictions:3",
        "",
      ].join("\n"),
    );
  });
});
