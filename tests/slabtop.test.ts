// A real client of mmsim's /proc/slabinfo: procps slabtop. mmsim renders slabinfo for a
// machine with objects allocated; the file is bind-mounted over /proc/slabinfo inside a
// private mount namespace (unshare -m), and `slabtop -o` must list the same caches with the
// same counts. Where mount namespaces are not permitted (or slabtop is missing) the test is
// skipped, and says why.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = new URL("../apps/cli/dist/cli.js", import.meta.url).pathname;

function why(): string | null {
  if (spawnSync("sh", ["-c", "command -v slabtop"]).status !== 0) return "slabtop (procps) is not installed";
  const u = spawnSync("unshare", ["-m", "true"], { encoding: "utf8" });
  if (u.status !== 0) return `unshare -m is not permitted here: ${(u.stderr || u.error?.message || "").trim()}`;
  return null;
}

const skip = why();
if (skip) console.log(`slabtop test skipped: ${skip}`);

interface Row {
  objs: number;
  active: number;
  objsize: number;
  slabs: number;
  perSlab: number;
}

describe.skipIf(skip !== null)(`procps slabtop reads mmsim's /proc/slabinfo${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("lists the same caches with the same object and slab counts", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmsim-slabtop-"));
    const scenario = join(dir, "s.yaml");
    const steps = [
      ...Array.from({ length: 40 }, (_, i) => `  - kmalloc: { size: ${[24, 64, 100, 500, 3000][i % 5]} }`),
      "  - kmem_cache_create: { name: demo_objs, size: 300, as: c }",
      ...Array.from({ length: 30 }, () => "  - kmem_cache_alloc: { cache: c }"),
    ];
    writeFileSync(scenario, `machine: { ram: 1GiB, cpus: 2 }\nsteps:\n${steps.join("\n")}\n`);
    const run = spawnSync(process.execPath, [CLI, "run", scenario, "--json", "--cat", "/proc/slabinfo"], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const slabinfo: string = JSON.parse(run.stdout).files[0].content;
    const file = join(dir, "slabinfo");
    writeFileSync(file, slabinfo);

    const ours = new Map<string, Row>();
    for (const line of slabinfo.split("\n").slice(2)) {
      const f = line.split(/\s+/);
      if (f.length < 16) continue;
      ours.set(f[0]!, { active: +f[1]!, objs: +f[2]!, objsize: +f[3]!, perSlab: +f[4]!, slabs: +f[14]! });
    }
    const top = spawnSync("unshare", ["-m", "sh", "-c", `mount --bind ${file} /proc/slabinfo && slabtop -o -s c`], { encoding: "utf8" });
    expect(top.status).toBe(0);
    const theirs = new Map<string, Row>();
    let summary = "";
    for (const line of top.stdout.split("\n")) {
      if (line.startsWith(" Active / Total Objects")) summary = line;
      const m = /^\s*(\d+)\s+(\d+)\s+\d+%\s+([\d.]+)K\s+(\d+)\s+(\d+)\s+\d+K\s+(\S+)\s*$/.exec(line);
      if (m) theirs.set(m[6]!, { objs: +m[1]!, active: +m[2]!, objsize: Math.round(+m[3]! * 1024), slabs: +m[4]!, perSlab: +m[5]! });
    }
    expect(theirs.size).toBe(ours.size);
    const used = [...ours].filter(([, r]) => r.objs > 0);
    expect(used.length).toBeGreaterThanOrEqual(6); // kmalloc-32/64/128/512/4k, demo_objs (or its alias), boot caches
    for (const [name, r] of ours) {
      const t = theirs.get(name)!;
      expect(t, name).toBeDefined();
      expect([t.objs, t.active, t.slabs, t.perSlab], name).toEqual([r.objs, r.active, r.slabs, r.perSlab]);
      expect(Math.abs(t.objsize - r.objsize), name).toBeLessThan(6); // slabtop prints object size in K, 2 decimals
    }
    const active = [...ours.values()].reduce((s, r) => s + r.active, 0);
    const total = [...ours.values()].reduce((s, r) => s + r.objs, 0);
    expect(summary).toMatch(new RegExp(`: ${active} / ${total} \\(`));
  });
});
