// Real clients of mmsim's /proc/meminfo and /proc/vmstat: procps `free -k` and `vmstat -s`.
// A machine is booted from the kernel package's source, its upper-layer counters moved as the
// page cache, anonymous memory and swap will move them, and its two files are bind-mounted
// over /proc/meminfo and /proc/vmstat inside a private mount namespace (unshare -m). The tools
// must print mmsim's numbers: each value is checked against the line of the file it comes
// from (procps-ng 4: used = MemTotal − MemAvailable, buff/cache = Buffers + Cached +
// SReclaimable, "swap cache" = Cached + SReclaimable). Where mount namespaces are not
// permitted (or procps is missing) the test is skipped, and says why.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const KERNEL_DIR = new URL("../packages/kernel/", import.meta.url).pathname;

function why(): string | null {
  for (const tool of ["free", "vmstat"]) if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} (procps) is not installed`;
  const u = spawnSync("unshare", ["-m", "true"], { encoding: "utf8" });
  if (u.status !== 0) return `unshare -m is not permitted here: ${(u.stderr || u.error?.message || "").trim()}`;
  return null;
}

const skip = why();
if (skip) console.log(`procps free/vmstat test skipped: ${skip}`);

/**
 * Boots a 1 GiB machine with 256 MiB of swap, writes a 5500-page file (its pages stay in the page
 * cache: nr_file_pages 5500, read from a buffer that only maps the zero page) and a 200-page
 * /dev/shm file (Shmem 800 kB, in Cached too), moves the counters
 * of layers not built yet (the LRU lists, swap) as they will, and prints both files.
 */
const MACHINE = `
import { loadScenario, runScenario } from "@mmsim/kernel";
const scenario = [
  "machine: { ram: 1GiB, cpus: 2, swap: 256MiB }",
  "steps:",
  "  - spawn: { name: app }",
  "  - mmap: { task: app, length: 22000KiB, prot: [read, write], flags: [private, anonymous], as: buf }",
  "  - create: { task: app, path: /cached, as: f }",
  "  - write: { task: app, fd: f, addr: buf, length: 22000KiB }",
  "  - create: { task: app, path: /dev/shm/s, as: s }",
  "  - write: { task: app, fd: s, addr: buf, length: 800KiB }",
].join("\\n");
const k = runScenario(loadScenario(scenario, "procps.yaml")).kernel;
for (let i = 0; i < 300; i++) k.alloc.kmalloc(512);
const moves = {
  nr_active_anon: 1000, nr_zone_active_anon: 1000, nr_inactive_anon: 500, nr_zone_inactive_anon: 500,
  nr_active_file: 3000, nr_zone_active_file: 3000, nr_inactive_file: 2000, nr_zone_inactive_file: 2000,
  nr_anon_pages: 1500, nr_blockdev_pages: 300, nr_swapcached: 40,
  nr_swap_pages: -140, pgpgin: 12345, pgpgout: 6789, pswpin: 100, pswpout: 140,
};
for (const [name, n] of Object.entries(moves)) k.counters.add(k.counters.id(name), n);
k.verify();
process.stdout.write(JSON.stringify({ meminfo: k.cat("/proc/meminfo"), vmstat: k.cat("/proc/vmstat") }));
`;

const kb = (meminfo: string, name: string) => Number(new RegExp(`^${name.replace(/[()]/g, "\\$&")}:\\s+(\\d+)`, "m").exec(meminfo)![1]);

describe.skipIf(skip !== null)(`procps free and vmstat read mmsim's /proc/meminfo and /proc/vmstat${skip ? ` (skipped: ${skip})` : ""}`, () => {
  const files = () => {
    const r = spawnSync(process.execPath, ["--conditions=mmsim-source", "--import", "tsx", "--input-type=module", "-e", MACHINE], { cwd: KERNEL_DIR, encoding: "utf8" });
    expect(r.stderr).toBe("");
    const { meminfo, vmstat } = JSON.parse(r.stdout) as { meminfo: string; vmstat: string };
    const dir = mkdtempSync(join(tmpdir(), "mmsim-procps-"));
    writeFileSync(join(dir, "meminfo"), meminfo);
    writeFileSync(join(dir, "vmstat"), vmstat);
    return { dir, meminfo, vmstat };
  };
  const inNamespace = (dir: string, command: string) =>
    spawnSync("unshare", ["-m", "sh", "-c", `mount --bind ${dir}/meminfo /proc/meminfo && mount --bind ${dir}/vmstat /proc/vmstat && ${command}`], { encoding: "utf8" });

  it("free -k prints mmsim's memory and swap", () => {
    const { dir, meminfo: m } = files();
    const r = inNamespace(dir, "free -k");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const mem = /^Mem:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(r.stdout);
    const swap = /^Swap:\s+(\d+)\s+(\d+)\s+(\d+)$/m.exec(r.stdout);
    expect(mem, r.stdout).not.toBeNull();
    expect(swap, r.stdout).not.toBeNull();
    const [total, used, free, shared, buffCache, available] = mem!.slice(1).map(Number);
    expect({ total, used, free, shared, buffCache, available }).toEqual({
      total: kb(m, "MemTotal"),
      used: kb(m, "MemTotal") - kb(m, "MemAvailable"),
      free: kb(m, "MemFree"),
      shared: kb(m, "Shmem"),
      buffCache: kb(m, "Buffers") + kb(m, "Cached") + kb(m, "SReclaimable"),
      available: kb(m, "MemAvailable"),
    });
    expect(swap!.slice(1).map(Number)).toEqual([kb(m, "SwapTotal"), kb(m, "SwapTotal") - kb(m, "SwapFree"), kb(m, "SwapFree")]);
    // the counters moved: these are mmsim's numbers, not zeros
    expect([shared, kb(m, "Buffers"), kb(m, "Cached"), kb(m, "SwapTotal") - kb(m, "SwapFree")]).toEqual([800, 1200, (5500 + 200 - 40 - 300) * 4, 560]);
  });

  it("vmstat -s prints mmsim's memory lines and paging events", () => {
    const { dir, meminfo: m, vmstat: v } = files();
    const r = inNamespace(dir, "vmstat -s");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const line = (label: string) => Number(new RegExp(`^\\s*(\\d+) ${label.replace(/[()]/g, "\\$&")}$`, "m").exec(r.stdout)![1]);
    const ev = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(v)![1]);
    expect({
      total: line("K total memory"), used: line("K used memory"), active: line("K active memory"), inactive: line("K inactive memory"),
      free: line("K free memory"), buffer: line("K buffer memory"), swapCache: line("K swap cache"),
      totalSwap: line("K total swap"), usedSwap: line("K used swap"), freeSwap: line("K free swap"),
    }).toEqual({
      total: kb(m, "MemTotal"), used: kb(m, "MemTotal") - kb(m, "MemAvailable"), active: kb(m, "Active"), inactive: kb(m, "Inactive"),
      free: kb(m, "MemFree"), buffer: kb(m, "Buffers"), swapCache: kb(m, "Cached") + kb(m, "SReclaimable"),
      totalSwap: kb(m, "SwapTotal"), usedSwap: kb(m, "SwapTotal") - kb(m, "SwapFree"), freeSwap: kb(m, "SwapFree"),
    });
    expect([line("K paged in"), line("K paged out"), line("pages swapped in"), line("pages swapped out")]).toEqual([ev("pgpgin"), ev("pgpgout"), ev("pswpin"), ev("pswpout")]);
    expect([ev("pgpgin"), ev("pgpgout"), ev("pswpin"), ev("pswpout")]).toEqual([12345, 6789, 100, 140]);
    expect([kb(m, "Active"), kb(m, "Inactive")]).toEqual([(1000 + 3000) * 4, (500 + 2000) * 4]);
  });
});
