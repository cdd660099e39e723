// A real client of mmsim's /proc/<pid> files: procps `pmap -X`. mmsim runs a scenario (an
// anonymous mapping, a store into it, an mprotect that splits it, a read-only mapping read
// once) and prints the task's maps, smaps, status, stat and cmdline; a directory holding them
// is bind-mounted over /proc/1 in a new pid and mount namespace (unshare -m -p -f
// --mount-proc), where the shell is pid 1 as the simulated task is, so pmap's pid (from status's
// Tgid) and the path agree without rewriting anything. pmap must print mmsim's numbers.
// Where namespaces are not permitted (or pmap is missing) the test is skipped, and says why.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = new URL("../apps/cli/dist/cli.js", import.meta.url).pathname;

function why(): string | null {
  if (spawnSync("sh", ["-c", "command -v pmap"]).status !== 0) return "pmap (procps) is not installed";
  const u = spawnSync("unshare", ["-m", "-p", "-f", "--mount-proc", "true"], { encoding: "utf8" });
  if (u.status !== 0) return `unshare -m -p is not permitted here: ${(u.stderr || u.error?.message || "").trim()}`;
  return null;
}

const skip = why();
if (skip) console.log(`pmap test skipped: ${skip}`);

const FILES = ["maps", "smaps", "status", "stat", "cmdline"];

describe.skipIf(skip !== null)(`procps pmap -X reads mmsim's /proc/<pid> files${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("prints each VMA with mmsim's smaps numbers, and their sums", () => {
    const dir = mkdtempSync(join(tmpdir(), "mmsim-pmap-"));
    const scenario = join(dir, "s.yaml");
    writeFileSync(
      scenario,
      `machine: { ram: 1GiB }
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 40KiB, prot: [read, write], flags: [private, anonymous], as: buf }
  - store: { task: app, addr: buf, length: 4KiB }
  - mprotect: { task: app, addr: buf+20KiB, length: 20KiB, prot: [read] }
  - mmap: { task: app, length: 8KiB, prot: [read], flags: [private, anonymous], as: ro }
  - load: { task: app, addr: ro, length: 8 }
`,
    );
    const run = spawnSync(process.execPath, [CLI, "run", scenario, "--json", ...FILES.flatMap((f) => ["--cat", `/proc/app/${f}`])], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const files: { path: string; content: string }[] = JSON.parse(run.stdout).files;
    const proc = join(dir, "proc1");
    mkdirSync(proc);
    for (const f of files) writeFileSync(join(proc, f.path.slice(f.path.lastIndexOf("/") + 1)), f.content);
    // the simulated task is the machine's first: pid 1, the shell's pid in the new namespace
    expect(files.find((f) => f.path.endsWith("/status"))!.content).toContain("\nTgid:\t1\n");

    const pm = spawnSync("unshare", ["-m", "-p", "-f", "--mount-proc", "sh", "-c", `mount --bind ${proc} /proc/1 && pmap -X 1`], { encoding: "utf8" });
    expect(pm.stderr).toBe("");
    expect(pm.status).toBe(0);
    // The store faulted in one page of the rw- half (Rss 4, private dirty, referenced); the
    // mprotect split the mapping in two at buf+20KiB; the read of the read-only mapping mapped
    // the shared zero page, which smaps counts nowhere (pte_special); an empty cmdline shows
    // as [comm].
    const head = "     Address Perm   Offset Device Inode Size Rss Pss Pss_Dirty Referenced Anonymous KSM LazyFree ShmemPmdMapped FilePmdMapped Shared_Hugetlb Private_Hugetlb Swap SwapPss Locked THPeligible Mapping";
    expect(pm.stdout).toBe(
      "1:   [app]\n" +
        head + "\n" +
        "7ffff7ff3000 r--p 00000000  00:00     0    8   0   0         0          0         0   0        0              0             0              0               0    0       0      0           0 \n" +
        "7ffff7ff5000 rw-p 00000000  00:00     0   20   4   4         4          4         4   0        0              0             0              0               0    0       0      0           0 \n" +
        "7ffff7ffa000 r--p 00000000  00:00     0   20   0   0         0          0         0   0        0              0             0              0               0    0       0      0           0 \n" +
        "                                        ==== === === ========= ========== ========= === ======== ============== ============= ============== =============== ==== ======= ====== =========== \n" +
        "                                          48   4   4         4          4         4   0        0              0             0              0               0    0       0      0           0 KB \n",
    );
  });
});
