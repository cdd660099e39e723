// mmsim ostep: the CLI passes a script's arguments through untouched and prints exactly what
// the real script printed (fixtures of packages/textbook/conformance, produced by python3 3.11
// from ostep-homework); the full byte-parity table runs in the textbook package's tests.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mmsimInProcess } from "./in-process";
import { mmsim } from "./run-cli";

const dir = new URL("../../../packages/textbook/conformance/fixtures/ostep/", import.meta.url);
interface Case {
  argv: string[];
  stdout: string;
  stderr: string;
  status: number;
  env?: Record<string, string>;
}
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => [f.replace(/\.json$/, ""), (JSON.parse(readFileSync(new URL(f, dir), "utf8")) as { cases: Case[] }).cases] as const);

describe("mmsim ostep SCRIPT ARGS, in-process", () => {
  for (const [script, cases] of fixtures) {
    // the rows that exit 0 or 2 (optparse errors): runCli passes those statuses through today
    const rows = cases.filter((c) => (c.status === 0 || c.status === 2) && !c.env);
    it.each(rows.map((c) => [c.argv.join(" "), c] as const))(`${script} %s`, async (_, c) => {
      const files = { "refs.txt": readFileSync(new URL("refs.txt", dir), "utf8") };
      const r = await mmsimInProcess(["ostep", script, ...c.argv], files);
      expect(r.stdout).toBe(c.stdout);
      expect(r.stderr).toBe(c.stderr);
      expect(r.status).toBe(c.status);
    });
  }

  it("prints a script's output before its exit(1) error message (status pass-through pending in runCli)", async () => {
    const r = await mmsimInProcess(["ostep", "relocation", "-p", "1"]);
    expect(r.stdout).toBe("\nARG seed 0\nARG address space size 1k\nARG phys mem size 1\n\nError: must specify a non-zero physical memory size.\n");
    expect(r.status).not.toBe(0);
  });

  it("accepts the script name with .py and keeps a leading -- as the script's own", async () => {
    const a = await mmsimInProcess(["ostep", "paging-policy.py", "-s", "3", "-c"]);
    const b = await mmsimInProcess(["ostep", "paging-policy", "-s", "3", "-c"]);
    expect(a.stdout).toBe(b.stdout);
    const dashed = await mmsimInProcess(["ostep", "paging-policy", "--", "-c"]);
    expect(dashed.stdout).not.toContain("Solving...");
  });

  it("names the scripts when the script is unknown (exit 2)", async () => {
    const r = await mmsimInProcess(["ostep", "vsfs"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('mmsim: no OSTEP script "vsfs": expected one of relocation, segmentation, malloc, paging-linear-translate, paging-multilevel-translate, paging-policy\n');
  });

  it("shows mmsim's own help for ostep --help and the script's for SCRIPT -h", async () => {
    const own = await mmsimInProcess(["ostep", "--help"]);
    expect(own.status).toBe(0);
    expect(own.stdout.split("\n")[0]).toBe("Usage: mmsim ostep <script> [args...]");
    expect((await mmsimInProcess(["ostep", "malloc", "--help"])).stdout.split("\n")[0]).toBe("Usage: malloc.py [options]");
  });

  it("passes $COLUMNS to optparse's help", async () => {
    const row = fixtures.find(([s]) => s === "segmentation")![1].find((c) => c.env?.COLUMNS === "50")!;
    const r = await mmsimInProcess(["ostep", "segmentation", "-h"], {}, { COLUMNS: "50" });
    expect(r.stdout).toBe(row.stdout);
  });
});

describe("mmsim ostep, the built binary", () => {
  it("runs paging-policy on Belady's string: FIFO misses 9 at 3 frames and 10 at 4", () => {
    const three = mmsim(["ostep", "paging-policy", "-p", "FIFO", "-a", "1,2,3,4,1,2,5,1,2,3,4,5", "-C", "3", "-c", "-N"]);
    const four = mmsim(["ostep", "paging-policy", "-p", "FIFO", "-a", "1,2,3,4,1,2,5,1,2,3,4,5", "-C", "4", "-c", "-N"]);
    expect(three.stdout).toContain("FINALSTATS hits 3   misses 9   hitrate 25.00\n");
    expect(four.stdout).toContain("FINALSTATS hits 2   misses 10   hitrate 16.67\n");
    expect(three.status).toBe(0);
  });

  it("prints optparse's usage error on stderr with status 2", () => {
    expect(mmsim(["ostep", "malloc", "-z"])).toEqual({ status: 2, stdout: "", stderr: "Usage: malloc.py [options]\n\nmalloc.py: error: no such option: -z\n" });
  });
});
