// The docs' seed-coverage table (apps/docs/seeds.md and zh/seeds.md) names an mmsim command for
// each concept of the seed articles; every one of them runs here as the built binary and must
// exit 0 with output, and both locales must name the same commands.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

const read = (rel: string) => readFileSync(fileURLToPath(new URL(`../../docs/${rel}`, import.meta.url)), "utf8");

/** The `mmsim ...` code spans of a page, in order, duplicates removed. */
function commands(md: string): string[] {
  return [...new Set([...md.matchAll(/`mmsim ([^`]+)`/g)].map((m) => m[1]!))];
}

/** Splits a command line on spaces, keeping "double-quoted" words whole. */
function argv(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

const EN = commands(read("seeds.md"));

describe("the docs' seed-coverage table", () => {
  it("names the same commands in English and Chinese", () => {
    expect(EN.length).toBeGreaterThanOrEqual(25);
    expect(commands(read("zh/seeds.md"))).toEqual(EN);
  });

  it.each(EN)("mmsim %s runs", (line) => {
    const r = mmsim(argv(line), { cwd: fileURLToPath(new URL("../../..", import.meta.url)) });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});
