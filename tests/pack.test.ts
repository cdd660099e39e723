// Publish readiness, checked on the real artifacts: after `pnpm build`, every library package
// passes publint and attw (esm-only), packs with workspace:* turned into versions, installs
// from its tarballs into a fresh npm project without the registry, and its README example
// prints there exactly what it prints in the workspace.
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
  it("publint reports no errors", async () => {
    const report: string[] = [];
    for (const p of libPacks) {
      const tarball = new Uint8Array(readFileSync(p.tarball)).buffer;
      const { messages, pkg } = await publint({ pack: { tarball }, level: "warning" });
      expect(pkg.name).toBe(p.name);
      for (const m of messages) report.push(`${p.name}: ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
    }
    expect(report.filter((line) => line.includes(": error: "))).toEqual([]);
    expect(libPacks).toHaveLength(7);
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

  it("attw --profile esm-only finds no problems", async () => {
    const results: { name: string; status: number | null; out: string }[] = [];
    const queue = [...libPacks];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const r = await runAsync(join(root, "node_modules", ".bin", "attw"), [p.tarball, "--profile", "esm-only", "--format", "ascii", "--no-emoji"], work);
        results.push({ name: p.name, ...r });
      }
    };
    await Promise.all([worker(), worker()]);
    expect(results).toHaveLength(7);
    for (const r of results) {
      expect(`${r.name}: exit ${r.status}\n${r.status === 0 ? "" : r.out}`).toBe(`${r.name}: exit 0\n`);
      expect(r.out).toContain(r.name);
    }
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
    expect(libPacks).toHaveLength(7);
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
