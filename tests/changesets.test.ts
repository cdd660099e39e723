// Release configuration: .changeset/config.json matches the decisions in .changeset/README.md,
// every pending changeset names real, releasable packages, and `changeset status` accepts the
// tree (it exits 1 when packages changed since main and no changeset exists).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const config = JSON.parse(readFileSync(join(root, ".changeset", "config.json"), "utf8")) as Record<string, unknown>;

function workspacePackages(): { name: string; private: boolean }[] {
  const out: { name: string; private: boolean }[] = [];
  for (const group of ["packages", "apps"]) {
    for (const d of readdirSync(join(root, group))) {
      const file = join(root, group, d, "package.json");
      if (!existsSync(file)) continue;
      const m = JSON.parse(readFileSync(file, "utf8")) as { name: string; private?: boolean };
      out.push({ name: m.name, private: m.private === true });
    }
  }
  return out;
}

describe("changesets", () => {
  it("versions packages independently from main, ignoring the private docs app", () => {
    expect(config).toMatchObject({
      baseBranch: "main",
      access: "public",
      commit: false,
      fixed: [],
      linked: [],
      updateInternalDependencies: "patch",
      ignore: ["@mmsim/docs"],
    });
    const docs = workspacePackages().find((p) => p.name === "@mmsim/docs");
    expect(docs?.private).toBe(true);
  });

  it("pending changesets name only releasable workspace packages with a valid bump", () => {
    const releasable = new Set(workspacePackages().filter((p) => !p.private).map((p) => p.name));
    expect([...releasable].sort()).toEqual(
      ["base", "cli", "hardware", "kernel", "kernel-alloc", "physical", "reclaim", "replay", "textbook", "virtual"].map((n) => `@mmsim/${n}`),
    );
    const files = readdirSync(join(root, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md");
    for (const f of files) {
      const text = readFileSync(join(root, ".changeset", f), "utf8");
      const front = /^---\n([\s\S]*?)\n---\n\n\S/.exec(text);
      expect(front, `${f} has no front matter followed by a summary`).not.toBeNull();
      for (const line of front![1].split("\n")) {
        const m = /^"(@mmsim\/[a-z-]+)": (major|minor|patch)$/.exec(line);
        expect(m, `${f}: bad line ${line}`).not.toBeNull();
        expect(releasable.has(m![1]), `${f}: ${m![1]} is not a releasable package`).toBe(true);
      }
    }
  });

  it("`changeset status` exits 0", () => {
    const r = spawnSync("pnpm", ["exec", "changeset", "status"], { cwd: root, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
