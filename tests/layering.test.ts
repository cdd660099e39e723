// The architecture's layering rule (ARCHITECTURE §1, §3), proved against the real lint config:
// a package imports only lower layers and nothing under packages/*/src touches Node APIs, host
// time, Math.random or timers, while apps/ may. Also checks each package.json's dependencies.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
let LAYERS: string[] = [];
let SIDE_PACKAGES: Record<string, string[]> = {};
let allowedImports: (pkg: string) => string[] = () => [];
let eslint: ESLint;

beforeAll(async () => {
  ({ LAYERS, SIDE_PACKAGES, allowedImports } = (await import(pathToFileURL(join(root, "eslint.config.js")).href)) as {
    LAYERS: string[];
    SIDE_PACKAGES: Record<string, string[]>;
    allowedImports: (pkg: string) => string[];
  });
  eslint = new ESLint({ cwd: root });
});

interface Finding {
  rule: string | null;
  message: string;
}

async function lint(code: string, filePath: string): Promise<Finding[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return result.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
}

const PHYSICAL = "packages/physical/src/x.ts";

describe("layering lint rule", () => {
  it("reads the seven layers, bottom up, from eslint.config.js", () => {
    expect(LAYERS).toEqual(["base", "hardware", "physical", "kernel-alloc", "virtual", "reclaim", "kernel"]);
  });

  it("rejects a lower layer importing a higher one (@mmsim/kernel from physical)", async () => {
    expect(await lint(`import { Kernel } from "@mmsim/kernel";\nexport const k = Kernel;\n`, PHYSICAL)).toEqual([
      {
        rule: "no-restricted-imports",
        message: expect.stringContaining("@mmsim/physical may import only lower layers (layering: base < hardware"),
      },
    ]);
  });

  it("rejects a deep import into a higher layer (@mmsim/virtual/x)", async () => {
    expect(await lint(`import { vma } from "@mmsim/virtual/x";\nexport const v = vma;\n`, PHYSICAL)).toEqual([
      { rule: "no-restricted-imports", message: expect.stringContaining("@mmsim/physical may import only lower layers.") },
    ]);
  });

  it.each(["node:fs", "fs", "path", "node:child_process", "fs/promises"])("rejects the Node builtin %j inside packages/*/src", async (mod) => {
    const found = await lint(`import * as m from "${mod}";\nexport const n = m;\n`, PHYSICAL);
    expect(found).toHaveLength(1);
    expect(found[0].rule).toBe("no-restricted-imports");
    expect(found[0].message).toContain("browser-safe");
  });

  it.each([
    ["Math.random()", "no-restricted-properties", "'Math.random' is restricted from being used. use the seeded Rng from @mmsim/base (determinism)."],
    ["Date.now()", "no-restricted-properties", "'Date.now' is restricted from being used. use the simulated Clock from @mmsim/base (determinism)."],
    ["performance.now()", "no-restricted-properties", "'performance.now' is restricted from being used. use the simulated Clock from @mmsim/base (determinism)."],
    ["setTimeout(() => 0, 1)", "no-restricted-globals", "Unexpected use of 'setTimeout'. packages run on simulated time: no host timers."],
    ["setInterval(() => 0, 1)", "no-restricted-globals", "Unexpected use of 'setInterval'. packages run on simulated time: no host timers."],
    ["process.exit(1)", "no-restricted-globals", "Unexpected use of 'process'. packages must stay browser-safe: no process."],
    ["Buffer.alloc(1)", "no-restricted-globals", "Unexpected use of 'Buffer'. packages must stay browser-safe: use Uint8Array."],
  ])("rejects %s inside packages/*/src", async (expr, rule, message) => {
    expect(await lint(`export const x = () => ${expr};\n`, PHYSICAL)).toEqual([{ rule, message }]);
  });

  it("applies to test files beside the source too", async () => {
    const found = await lint(`export const x = () => Math.random();\n`, "packages/base/src/x.test.ts");
    expect(found.map((f) => f.rule)).toEqual(["no-restricted-properties"]);
  });

  it("accepts legal downward imports", async () => {
    const code = `import { parseSize } from "@mmsim/base";\nimport { Tlb } from "@mmsim/hardware";\nexport const x = [parseSize, Tlb];\n`;
    expect(await lint(code, PHYSICAL)).toEqual([]);
  });

  it("accepts the same Node imports, timers and host time inside apps/cli", async () => {
    const code = [
      `import { readFileSync } from "node:fs";`,
      `import fs from "fs";`,
      `import path from "path";`,
      `import { Kernel } from "@mmsim/kernel";`,
      `export const x = () => [readFileSync, fs, path, Kernel, Math.random(), Date.now(), setTimeout(() => 0, 1), process.argv];`,
      ``,
    ].join("\n");
    expect(await lint(code, "apps/cli/src/x.ts")).toEqual([]);
  });

  it("lets every layer import the one below it and forbids the one above it", async () => {
    let checked = 0;
    for (let i = 0; i < LAYERS.length; i++) {
      const file = `packages/${LAYERS[i]}/src/x.ts`;
      if (i > 0) {
        expect([LAYERS[i], await lint(`import * as m from "@mmsim/${LAYERS[i - 1]}";\nexport const n = m;\n`, file)]).toEqual([LAYERS[i], []]);
        checked++;
      }
      if (i < LAYERS.length - 1) {
        const found = await lint(`import * as m from "@mmsim/${LAYERS[i + 1]}";\nexport const n = m;\n`, file);
        expect([LAYERS[i], found.map((f) => f.rule)]).toEqual([LAYERS[i], ["no-restricted-imports"]]);
        checked++;
      }
    }
    expect(checked).toBe(2 * (LAYERS.length - 1));
  });
});

describe("package.json dependencies follow the layers", () => {
  const dirs = readdirSync(join(root, "packages"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, "packages", d.name, "package.json")))
    .map((d) => d.name)
    .sort();

  it("finds one package per layer or side package and no other", () => {
    expect(dirs).toEqual([...LAYERS, ...Object.keys(SIDE_PACKAGES)].sort());
    expect(dirs.length).toBe(7 + Object.keys(SIDE_PACKAGES).length);
  });

  it("lets a side package import what its allow list names and nothing else (replay: base only)", async () => {
    expect(allowedImports("replay")).toEqual(["base"]);
    expect(await lint(`import { InputError } from "@mmsim/base";\nexport const x = InputError;\n`, "packages/replay/src/x.ts")).toEqual([]);
    for (const other of ["hardware", "physical", "kernel", "textbook"]) {
      const found = await lint(`import * as m from "@mmsim/${other}";\nexport const n = m;\n`, "packages/replay/src/x.ts");
      expect([other, found.map((f) => f.message)]).toEqual([other, [expect.stringContaining("@mmsim/replay may import only @mmsim/base")]]);
    }
    const fromKernel = await lint(`import * as m from "@mmsim/replay";\nexport const n = m;\n`, "packages/kernel/src/x.ts");
    expect(fromKernel.map((f) => f.rule)).toEqual(["no-restricted-imports"]);
  });

  it("lists only lower layers in each package's dependencies, peer and dev dependencies", () => {
    let mmsimDeps = 0;
    for (const dir of dirs) {
      const pkg = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")) as Record<string, unknown>;
      expect(pkg.name).toBe(`@mmsim/${dir}`);
      const lower = allowedImports(dir).map((l) => `@mmsim/${l}`);
      for (const field of ["dependencies", "peerDependencies", "devDependencies", "optionalDependencies"]) {
        const deps = Object.keys((pkg[field] as Record<string, string> | undefined) ?? {}).filter((d) => d.startsWith("@mmsim/"));
        for (const d of deps) {
          expect(`${dir} ${field}: ${d} is ${lower.includes(d) ? "lower" : "NOT a lower layer"}`).toBe(`${dir} ${field}: ${d} is lower`);
          mmsimDeps++;
        }
      }
    }
    // every layer above base depends on at least base
    expect(mmsimDeps).toBeGreaterThanOrEqual(LAYERS.length - 1);
  });
});
