// OSTEP byte parity: every row of ostep-cases.txt was run through the real scripts
// (remzi-arpacidusseau/ostep-homework, commit in each fixture; python3 3.11) by
// generate-ostep.py; runOstep must print the same stdout bytes and exit with the same status.
// stderr must match byte for byte too, except a Python traceback, whose frames name the
// original's file paths and lines: there the first and last lines must match.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runOstep } from "../src/index";

const dir = new URL("./fixtures/ostep/", import.meta.url);
interface Case {
  argv: string[];
  stdout: string;
  stderr: string;
  status: number;
  env?: { COLUMNS?: string };
}
const readFile = (path: string): string | null => {
  try {
    return readFileSync(new URL(path, dir), "utf8");
  } catch {
    return null;
  }
};

for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
  const fixture = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as { source: string; commit: string; cases: Case[] };
  const script = file.replace(/\.json$/, ".py");
  describe(`${script} (${fixture.source} @ ${fixture.commit.slice(0, 12)})`, () => {
    it.each(fixture.cases.map((c) => [(c.env?.COLUMNS ? `(COLUMNS=${c.env.COLUMNS}) ` : "") + c.argv.join(" "), c] as const))(`${script} %s`, (_, c) => {
      const r = runOstep(script, c.argv, { readFile, COLUMNS: c.env?.COLUMNS })!;
      expect(r.stdout).toBe(c.stdout);
      expect(r.status).toBe(c.status);
      if (c.stderr.startsWith("Traceback (most recent call last):\n")) {
        const last = (s: string) => s.trimEnd().split("\n").at(-1);
        expect(r.stderr.split("\n")[0]).toBe("Traceback (most recent call last):");
        expect(last(r.stderr)).toBe(last(c.stderr));
      } else {
        expect(r.stderr).toBe(c.stderr);
      }
    });
  });
}
