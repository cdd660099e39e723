#!/usr/bin/env node
// Packs every publishable package (packages/* and the non-private apps/*) into one folder with
// `pnpm pack`, which rewrites `workspace:*` to the real versions. Used by `pnpm release`
// (`changeset version && node scripts/pack-all.mjs`) and by tests/pack.test.ts. Never publishes.
//
//   node scripts/pack-all.mjs [--no-build] [dir]     dir defaults to ./.packs (from the repo root)
//
// It first builds the packages it packs (turbo; cached when nothing changed), because a build
// can embed the version that `changeset version` just wrote (the CLI's --version); --no-build
// packs the dist/ already there. Prints one line per tarball and exits 1, naming the package,
// when a build or a pack fails or a package has no dist/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The publishable workspace packages: { dir, name, version, manifest }, packages/ first. */
export function publishablePackages() {
  const found = [];
  for (const group of ["packages", "apps"]) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = join(root, group, entry.name);
      const file = join(dir, "package.json");
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, "utf8"));
      if (manifest.private) continue;
      found.push({ dir, name: manifest.name, version: manifest.version, manifest });
    }
  }
  return found;
}

/** The files a manifest points at (main, types, bin): a tarball without them is broken. */
function builtEntries(manifest) {
  const bin = typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
  return [manifest.main, manifest.types, ...bin].filter((f) => typeof f === "string");
}

/** Packs every publishable package into `dest`; returns [{ name, version, tarball }]. Throws on failure. */
export function packAll(dest) {
  const pkgs = publishablePackages();
  for (const pkg of pkgs) {
    const missing = builtEntries(pkg.manifest).filter((f) => !existsSync(join(pkg.dir, f)));
    if (missing.length) throw new Error(`${pkg.name} (${relative(root, pkg.dir)}) is not built (no ${missing.join(", ")}): run \`pnpm build\` first`);
  }
  mkdirSync(dest, { recursive: true });
  const packs = [];
  for (const pkg of pkgs) {
    const where = relative(root, pkg.dir);
    const r = spawnSync("pnpm", ["pack", "--json", "--pack-destination", dest], { cwd: pkg.dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`pnpm pack failed in ${where} (exit ${r.status}):\n${r.stderr}${r.stdout}`);
    const { filename } = JSON.parse(r.stdout.slice(r.stdout.indexOf("{")));
    packs.push({ name: pkg.name, version: pkg.version, tarball: filename });
  }
  return packs;
}

/** Builds the publishable packages (and what they depend on) with turbo. Throws on failure. */
export function buildPublishable() {
  const filters = publishablePackages().map((p) => `--filter=${p.name}`);
  const r = spawnSync("pnpm", ["exec", "turbo", "run", "build", ...filters], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) throw new Error(`build failed (exit ${r.status})`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const build = !args.includes("--no-build");
  const dest = resolve(root, args.find((a) => !a.startsWith("--")) ?? ".packs");
  try {
    if (build) buildPublishable();
    const packs = packAll(dest);
    for (const p of packs) {
      const shown = relative(process.cwd(), p.tarball);
      console.log(`${p.name} ${p.version} -> ${shown.startsWith("..") ? p.tarball : shown}`);
    }
    console.log(`packed ${packs.length} packages into ${dest}`);
  } catch (e) {
    console.error(`pack-all: ${e.message}`);
    process.exit(1);
  }
}
