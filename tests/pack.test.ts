// Publish readiness, checked on the real artifacts: after `pnpm build`, every library package
// passes publint and attw with no warning (an ESM-only package's "require resolves to ESM" is
// the one accepted finding), publishes no @internal member in its .d.ts and exports named
// symbols only (no `export *`, nothing from internal/), packs with workspace:* turned into
// versions, installs from its tarballs into a fresh npm project without the registry, and its
// README example prints there exactly what it prints in the workspace.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
/** README examples that must run from the tarballs (more are picked up as packages add them). */
const REQUIRED_EXAMPLES = ["base", "hardware"];
/** The seven layers of ARCHITECTURE §1; packages/ may hold more libraries (replay, textbook). */
const LAYERS = ["base", "hardware", "physical", "kernel-alloc", "virtual", "reclaim", "kernel"];

interface Pack {
  name: string;
  version: string;
  tarball: string;
}
interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
}

const libDirs = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, "packages", d.name, "package.json")))
  .map((d) => d.name)
  .sort();
const readManifest = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;

let work = "";
let packs: Pack[] = [];
let libPacks: Pack[] = [];

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_update_notifier: "false", NO_COLOR: "1" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runAsync(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (status) => done({ status, out }));
  });
}

/** package.json of a tarball, read with tar. */
function packedManifest(tarball: string): Manifest {
  const r = run("tar", ["-xzOf", tarball, "package/package.json"], root);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Manifest;
}

/** Directory of package `name` as Node would find it from `fromDir` (walking up node_modules). */
function findInstalled(name: string, fromDir: string): string | null {
  for (let d = fromDir; ; d = dirname(d)) {
    const candidate = join(d, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(d) === d) return null;
  }
}

/**
 * Packs the third-party runtime dependencies of the libraries (and theirs) from the copies the
 * workspace already installed, so that npm can install everything with --offline.
 */
function packExternals(dest: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const queue: { dir: string; deps: Record<string, string> }[] = libDirs.map((d) => {
    const dir = join(root, "packages", d);
    return { dir, deps: readManifest(dir).dependencies ?? {} };
  });
  while (queue.length) {
    const { dir, deps } = queue.shift()!;
    for (const name of Object.keys(deps)) {
      if (name.startsWith("@mmsim/") || seen.has(name)) continue;
      seen.add(name);
      const installed = findInstalled(name, dir);
      if (!installed) throw new Error(`${name} (needed by ${dir}) is not installed in the workspace: run pnpm install`);
      const r = run("npm", ["pack", installed, "--pack-destination", dest, "--silent"], dest);
      if (r.status !== 0) throw new Error(`npm pack ${installed} failed:\n${r.stderr}`);
      out.push(join(dest, r.stdout.trim().split("\n").pop()!));
      queue.push({ dir: installed, deps: readManifest(installed).dependencies ?? {} });
    }
  }
  return out;
}

beforeAll(async () => {
  const missing = libDirs.filter((d) => !existsSync(join(root, "packages", d, "dist", "index.js")));
  if (missing.length) {
    throw new Error(`pack.test needs built packages: no dist/index.js in ${missing.map((d) => `packages/${d}`).join(", ")}. Run \`pnpm build\` first.`);
  }
  work = mkdtempSync(join(tmpdir(), "mmsim-pack-"));
  const { packAll } = (await import(pathToFileURL(join(root, "scripts", "pack-all.mjs")).href)) as { packAll: (dest: string) => Pack[] };
  packs = packAll(join(work, "packs"));
  libPacks = packs.filter((p) => libDirs.some((d) => p.name === readManifest(join(root, "packages", d)).name));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("pack-all", () => {
  it("packs the library packages (seven layers, replay and textbook beside them) and the CLI, and nothing private", () => {
    expect(libDirs).toEqual(expect.arrayContaining(LAYERS));
    expect(libDirs).toHaveLength(9);
    expect(libPacks.map((p) => p.name).sort()).toEqual(libDirs.map((d) => `@mmsim/${d}`).sort());
    expect(packs.map((p) => p.name).sort()).toEqual([...libDirs.map((d) => `@mmsim/${d}`), "@mmsim/cli"].sort());
    for (const p of packs) expect(existsSync(p.tarball)).toBe(true);
  });

  it("replaces workspace:* with the real versions of the packed packages", () => {
    const versions = new Map(packs.map((p) => [p.name, p.version]));
    let internal = 0;
    for (const p of packs) {
      const m = packedManifest(p.tarball);
      expect(m.name).toBe(p.name);
      expect(JSON.stringify(m)).not.toContain("workspace:");
      for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
        if (!dep.startsWith("@mmsim/")) continue;
        expect(`${p.name} -> ${dep}@${range}`).toBe(`${p.name} -> ${dep}@${versions.get(dep)}`);
        internal++;
      }
    }
    expect(internal).toBeGreaterThanOrEqual(6);
  });
});

describe("publish readiness of each library", () => {
  it("publint reports no errors and no warnings", async () => {
    const report: string[] = [];
    for (const p of libPacks) {
      const tarball = new Uint8Array(readFileSync(p.tarball)).buffer;
      const { messages, pkg } = await publint({ pack: { tarball }, level: "warning" });
      expect(pkg.name).toBe(p.name);
      for (const m of messages) report.push(`${p.name}: ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
    }
    expect(report).toEqual([]);
    expect(libPacks).toHaveLength(libDirs.length);
  });

  it("publint (as called above) does report a warning, not only an error", async () => {
    // without "type": "module" dist/index.js is CommonJS, yet it holds ESM syntax: a warning
    const manifest = { name: "esm-in-cjs", version: "1.0.0", main: "./dist/index.js", exports: { ".": "./dist/index.js" } };
    const { messages } = await publint({
      pkgDir: "package",
      pack: { files: [{ name: "package/package.json", data: JSON.stringify(manifest) }, { name: "package/dist/index.js", data: "export {};" }, { name: "package/dist/index.d.ts", data: "export {};" }] },
      level: "warning",
    });
    expect(messages.map((m) => `${m.type}: ${m.code}`)).toContain("warning: FILE_INVALID_FORMAT");
    expect(messages.filter((m) => m.type === "error")).toEqual([]);
  });

  it("publint (as called above) does report a broken exports map", async () => {
    const manifest = { name: "broken", version: "1.0.0", type: "module", exports: { ".": { import: "./dist/missing.js" } } };
    const { messages } = await publint({
      pkgDir: "package",
      pack: { files: [{ name: "package/package.json", data: JSON.stringify(manifest) }, { name: "package/dist/index.js", data: "export {};" }] },
      level: "warning",
    });
    expect(messages.filter((m) => m.type === "error").map((m) => m.code)).toContain("FILE_DOES_NOT_EXIST");
  });

  it("attw finds no problem, ignored ones included, but the ESM-only package's require() of ESM", async () => {
    const results: { name: string; status: number | null; problems: string[] }[] = [];
    const queue = [...libPacks];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const r = await runAsync(join(root, "node_modules", ".bin", "attw"), [p.tarball, "--profile", "esm-only", "--format", "json"], work);
        const json = JSON.parse(r.out.slice(r.out.indexOf("{"))) as { analysis: { packageName: string }; problems?: Record<string, { kind: string; entrypoint: string; resolutionKind?: string }[]> };
        expect(json.analysis.packageName).toBe(p.name);
        const problems = Object.values(json.problems ?? {}).flat()
          .filter((q) => !isAcceptedAttwFinding(q))
          .map((q) => `${q.kind} (${q.entrypoint}, ${q.resolutionKind ?? "all resolutions"})`);
        results.push({ name: p.name, status: r.status, problems });
      }
    };
    await Promise.all([worker(), worker()]);
    expect(results).toHaveLength(libDirs.length);
    for (const r of results) expect(`${r.name}: exit ${r.status}; ${r.problems.join(", ")}`).toBe(`${r.name}: exit 0; `);
  });

  it("attw's only accepted finding is a CommonJS require() resolving to ESM, which is what ESM-only means", () => {
    expect(isAcceptedAttwFinding({ kind: "CJSResolvesToESM", entrypoint: ".", resolutionKind: "node16-cjs" })).toBe(true);
    expect(isAcceptedAttwFinding({ kind: "CJSResolvesToESM", entrypoint: ".", resolutionKind: "node16-esm" })).toBe(false);
    expect(isAcceptedAttwFinding({ kind: "FalseCJS", entrypoint: ".", resolutionKind: "node16-cjs" })).toBe(false);
    expect(isAcceptedAttwFinding({ kind: "InternalResolutionError", entrypoint: ".", resolutionKind: "node10" })).toBe(false);
  });
});

/**
 * The packages are ESM-only by decision (docs/design/repo.md): attw's esm-only profile ignores
 * `require()` from CommonJS (node16-cjs) resolving to ESM, and nothing else is accepted.
 */
function isAcceptedAttwFinding(q: { kind: string; entrypoint?: string; resolutionKind?: string }): boolean {
  return q.kind === "CJSResolvesToESM" && q.resolutionKind === "node16-cjs";
}

describe("the public API of each library", () => {
  /**
   * Members tagged @internal in a package's source, with the class or interface that declares
   * them (the last one opened before the tag).
   */
  function internalMembers(dir: string): { owner: string; name: string; file: string }[] {
    const found: { owner: string; name: string; file: string }[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) {
          const text = readFileSync(p, "utf8");
          for (const m of text.matchAll(/\/\*\*(?:(?!\*\/)[\s\S])*@internal(?:(?!\*\/)[\s\S])*\*\/\s*(?:(?:readonly|declare|static|private|protected|public|get|set|async)\s+)*([A-Za-z_$][\w$]*)/g)) {
            const owners = [...text.slice(0, m.index).matchAll(/\b(?:class|interface)\s+([A-Za-z_$][\w$]*)/g)];
            found.push({ owner: owners.at(-1)?.[1] ?? "", name: m[1]!, file: p });
          }
        }
      }
    };
    walk(join(dir, "src"));
    return found;
  }

  /** The body of `declare class Name` / `interface Name` in a .d.ts (rollup-plugin-dts closes it with "}" at column 0). */
  function declarationBody(dts: string, owner: string): string | null {
    const start = new RegExp(`^(?:export )?(?:declare )?(?:abstract )?(?:class|interface) ${owner.replace(/\$/g, "\\$")}\\b[^\\n]*\\{$`, "m").exec(dts);
    if (!start) return null;
    const end = dts.indexOf("\n}", start.index);
    return dts.slice(start.index, end < 0 ? undefined : end);
  }

  it("publishes no @internal member in any .d.ts (tsup dts with stripInternal)", () => {
    let checked = 0;
    for (const d of libDirs) {
      const dist = join(root, "packages", d, "dist");
      const dts = readdirSync(dist).filter((f) => f.endsWith(".d.ts")).map((f) => readFileSync(join(dist, f), "utf8")).join("\n");
      expect(dts.length, `packages/${d}/dist has no .d.ts`).toBeGreaterThan(0);
      expect(dts.includes("@internal"), `packages/${d}/dist/*.d.ts still holds @internal`).toBe(false);
      for (const { owner, name, file } of internalMembers(join(root, "packages", d))) {
        const body = declarationBody(dts, owner);
        if (body === null) continue; // the class itself is not published
        const member = new RegExp(`^\\s+(?:readonly\\s+|static\\s+|private\\s+|protected\\s+)*${name.replace(/\$/g, "\\$")}[?!]?[:(<]`, "m");
        expect(member.test(body), `${file}: @internal ${owner}.${name} is declared in packages/${d}'s .d.ts`).toBe(false);
        checked++;
      }
    }
    // the check bites: published classes do tag members @internal (physical's zone lookup tables)
    expect(checked).toBeGreaterThan(0);
  });

  it("each package's src/index.ts exports named symbols only: no `export *`, nothing from internal/", () => {
    const found: string[] = [];
    for (const d of libDirs) {
      const index = readFileSync(join(root, "packages", d, "src", "index.ts"), "utf8");
      for (const [i, line] of index.split("\n").entries()) {
        if (/^\s*export\s+(type\s+)?\*/.test(line)) found.push(`packages/${d}/src/index.ts:${i + 1}: ${line.trim()}`);
        if (/\bfrom\s+["']\.\/(?:.*\/)?internal\//.test(line)) found.push(`packages/${d}/src/index.ts:${i + 1}: ${line.trim()}`);
      }
    }
    expect(found).toEqual([]);
  });
});

describe("install from tarballs", () => {
  let project = "";
  let install: ReturnType<typeof run>;

  beforeAll(() => {
    project = join(work, "project");
    mkdirSync(project);
    expect(run("npm", ["init", "-y"], project).status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(project, "package.json"), JSON.stringify({ ...pkg, type: "module" }, null, 2));
    const externals = packExternals(join(work, "packs"));
    install = run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", ...libPacks.map((p) => p.tarball), ...externals], project);
  });

  it("installs every library tarball at once into a fresh npm project, offline", () => {
    expect(install.status, install.stderr).toBe(0);
    expect(libPacks).toHaveLength(libDirs.length);
    for (const p of libPacks) {
      const installed = readManifest(join(project, "node_modules", p.name));
      expect([installed.name, installed.version]).toEqual([p.name, p.version]);
    }
  });

  it.each(REQUIRED_EXAMPLES)("runs packages/%s/examples/readme.mjs from the tarballs with the same output as in the workspace", (pkg) => {
    const example = join(root, "packages", pkg, "examples", "readme.mjs");
    expect(existsSync(example), `packages/${pkg}/examples/readme.mjs is missing`).toBe(true);
    const inWorkspace = run("node", [example], root);
    expect(inWorkspace.status, inWorkspace.stderr).toBe(0);
    expect(inWorkspace.stdout.trim().length).toBeGreaterThan(0);
    const copy = join(project, `${pkg}-readme.mjs`);
    copyFileSync(example, copy);
    const fromTarballs = run("node", [copy], project);
    expect(fromTarballs.status, fromTarballs.stderr).toBe(0);
    expect(fromTarballs.stdout).toBe(inWorkspace.stdout);
  });
});
