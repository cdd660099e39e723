// mmsim ostep: the CLI passes a script's arguments through untouched and prints exactly what
// the real script printed (fixtures of packages/textbook/conformance, produced by python3 3.11
// from ostep-homework); the full byte-parity table runs in the textbook package's tests.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runOstep } from "@mmsim/textbook";
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
  // the address files of paging-policy -f: every other file beside the fixtures
  const files: Record<string, string> = Object.fromEntries(readdirSync(dir).filter((f) => !f.endsWith(".json")).map((f) => [f, readFileSync(new URL(f, dir), "utf8")]));
  const readFile = (path: string) => (Object.hasOwn(files, path) ? files[path]! : null);
  for (const [script, cases] of fixtures) {
    // every row: the script's output and its exit status (0, optparse's 2, a traceback's or
    // exit(1)'s 1), passed through by runCli unchanged
    it.each(cases.map((c) => [(c.env?.COLUMNS ? `(COLUMNS=${c.env.COLUMNS}) ` : "") + c.argv.join(" "), c] as const))(`${script} %s`, async (_, c) => {
      const r = await mmsimInProcess(["ostep", script, ...c.argv], { ...files }, c.env ?? {});
      expect(r.stdout).toBe(c.stdout);
      expect(r.status).toBe(c.status);
      // byte for byte what runOstep prints (whose tracebacks name its own frames: the fixture's
      // first and last lines)
      const direct = runOstep(script, c.argv, { readFile, COLUMNS: c.env?.COLUMNS })!;
      expect(r.stderr).toBe(direct.stderr);
      if (c.stderr.startsWith("Traceback (most recent call last):\n")) expect(r.stderr.trimEnd().split("\n").at(-1)).toBe(c.stderr.trimEnd().split("\n").at(-1));
      else expect(r.stderr).toBe(c.stderr);
    });
  }

  it("exits with the script's own status: exit(1) after its output is 1, not mmsim's 2", async () => {
    const r = await mmsimInProcess(["ostep", "relocation", "-p", "1"]);
    expect(r).toEqual({ status: 1, stdout: "\nARG seed 0\nARG address space size 1k\nARG phys mem size 1\n\nError: must specify a non-zero physical memory size.\n", stderr: "" });
  });

  // mmsim's own -V/--version and -h stop at the command (enablePositionalOptions): after
  // "ostep SCRIPT" they are the script's, and optparse has no -V
  it.each([["-V"], ["--version"], ["-s", "1", "-V", "-c"]])("passes %j after the script to it: optparse's error, exit 2", async (...argv) => {
    const r = await mmsimInProcess(["ostep", "paging-policy", ...argv]);
    const direct = runOstep("paging-policy", argv, { readFile: () => null })!;
    const option = argv.find((a) => a.startsWith("-V") || a.startsWith("--version"))!;
    expect(r).toEqual({ status: 2, stdout: "", stderr: `Usage: paging-policy.py [options]\n\npaging-policy.py: error: no such option: ${option}\n` });
    expect([r.stdout, r.stderr, r.status]).toEqual([direct.stdout, direct.stderr, direct.status]);
  });

  it("still prints mmsim's version for -V before the command, and rejects -V after other commands", async () => {
    const v = await mmsimInProcess(["-V", "ostep", "paging-policy"]);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await mmsimInProcess(["walk", "-V"])).toEqual({ status: 2, stdout: "", stderr: "mmsim: unknown option '-V'\n" });
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

  it("exits with the script's status 1, and passes -V to the script", () => {
    expect(mmsim(["ostep", "relocation", "-p", "1"]).status).toBe(1);
    expect(mmsim(["ostep", "paging-policy", "-V"])).toEqual({ status: 2, stdout: "", stderr: "Usage: paging-policy.py [options]\n\npaging-policy.py: error: no such option: -V\n" });
  });
});
