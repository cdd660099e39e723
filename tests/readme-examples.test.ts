// Every package README shows its examples/readme.mjs verbatim and the output it prints. This
// runs each example against the TypeScript source (the mmsim-source condition, through tsx) and
// checks both blocks, so a README cannot drift from the code. (tests/pack.test.ts runs the same
// files against the packed tarballs.)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const withExamples = readdirSync(join(root, "packages"))
  .filter((d) => existsSync(join(root, "packages", d, "examples", "readme.mjs")))
  .sort();

/** A fenced block with one of `langs` as info string, holding exactly `body`. */
function fenced(langs: string[], body: string): RegExp {
  const escaped = body.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp("^```(?:" + langs.join("|") + ")\n" + escaped + "```$", "m");
}

describe("README examples", () => {
  it("exist for @mmsim/base at least", () => {
    expect(withExamples).toContain("base");
  });

  it.each(withExamples)("packages/%s/README.md shows examples/readme.mjs and its exact output", (pkg) => {
    const dir = join(root, "packages", pkg);
    const code = readFileSync(join(dir, "examples", "readme.mjs"), "utf8");
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    const r = spawnSync("node", ["--conditions=mmsim-source", "--import", "tsx", join(dir, "examples", "readme.mjs")], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(code).toMatch(/from "@mmsim\/[a-z-]+"/);
    expect(code).not.toMatch(/from "\.{1,2}\//);
    expect(fenced(["js", "javascript"], code).test(readme), "README's js block differs from examples/readme.mjs").toBe(true);
    expect(fenced(["", "text", "console"], r.stdout).test(readme), `README's output block differs from:\n${r.stdout}`).toBe(true);
  });
});
