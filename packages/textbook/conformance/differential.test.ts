// Opt-in differential check: replays the file differential-ostep.py wrote (random invocations
// run through the real OSTEP scripts) when MMSIM_OSTEP_DIFFERENTIAL names it; stdout, status
// and the last stderr line must match. Without the variable there is nothing to compare.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runOstep } from "../src/index";

const file = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.MMSIM_OSTEP_DIFFERENTIAL;

describe.skipIf(!file)("OSTEP differential (MMSIM_OSTEP_DIFFERENTIAL)", () => {
  it("matches the real scripts on every recorded invocation", () => {
    const { cases } = JSON.parse(readFileSync(file!, "utf8")) as { cases: { script: string; argv: string[]; stdout: string; status: number; stderrLast: string }[] };
    let checked = 0;
    for (const c of cases) {
      const r = runOstep(c.script, c.argv)!;
      const what = `${c.script} ${c.argv.join(" ")}`;
      expect([what, r.stdout, r.status, r.stderr.trim().split("\n").at(-1)]).toEqual([what, c.stdout, c.status, c.stderrLast]);
      checked++;
    }
    console.log(`OSTEP differential: ${checked} invocations matched`);
    expect(checked).toBe(cases.length);
  });
});
