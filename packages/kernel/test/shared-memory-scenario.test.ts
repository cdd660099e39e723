// examples/scenarios/shared-memory.yaml: a shared anonymous mapping across fork (one set of shmem
// pages: Shmem, RssShmem, Pss split by the two mappers, "/dev/zero (deleted)" in maps), then a
// /dev/shm file mapped by one task and read() by another, kept by the mapping after unlink.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";

const EXAMPLE = new URL("../../../examples/scenarios/shared-memory.yaml", import.meta.url);

describe("examples/scenarios/shared-memory.yaml", () => {
  it("runs with --verify: the child reads the parent's bytes and the reverse; read() sees the mapping's store", () => {
    const out = formatResults(runScenario(loadScenario(readFileSync(EXAMPLE, "utf8"), "shared-memory.yaml"), { verify: true }).results);
    expect(out).not.toContain("FAILED");
    expect(out.match(/^ok$/gm)!.length).toBe(14);
    // the child reads the parent's bytes, the parent the child's: one set of pages
    expect(out).toContain("$ child: load 8 bytes at shm\n7ffff7fef000: 50 50 50 50 50 50 50 50\n");
    expect(out).toContain("$ app: load 8 bytes at shm+0x8000\n7ffff7ff7000: 43 43 43 43 43 43 43 43\n");
    // show_map_vma: shm_mnt's device 00:01, the shmem inode, the unlinked "dev/zero"
    expect(out).toContain("$ cat /proc/app/maps\n7ffff7fef000-7ffff7fff000 rw-s 00000000 00:01 1                          /dev/zero (deleted)\n");
    // read() of the /dev/shm file returns the other task's store through its mapping
    expect(out).toContain("$ reader: load 16 bytes at buf\n7ffff7ffe000: 72 72 72 72 72 72 72 72 72 72 72 72 72 72 72 72\n");
  });
});

describe("shared memory in /proc/meminfo", () => {
  it("Shmem is part of Cached; a shared anonymous mapping is charged to Committed_AS whole at mmap, a /dev/shm file per page", () => {
    const steps = `machine: { ram: 1GiB }
steps:
  - spawn: { name: app }
  - cat: /proc/meminfo
  - mmap: { task: app, length: 1MiB, prot: [read, write], flags: [shared, anonymous], as: shm }
  - store: { task: app, addr: shm, length: 12KiB }
  - cat: /proc/meminfo
  - open: { task: app, path: /dev/shm/x, flags: [rdwr, creat], as: f }
  - pwrite: { task: app, fd: f, addr: shm, length: 8KiB, offset: 0 }
  - cat: /proc/meminfo
  - cat: /proc/vmstat`;
    const out = formatResults(runScenario(loadScenario(steps, "t.yaml"), { verify: true }).results);
    const field = (k: number, name: string) => Number(out.split("$ cat /proc/meminfo\n")[k]!.match(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m"))![1]);
    // 3 pages stored: Shmem 12 kB, in Cached too; Committed_AS grows by the whole 1 MiB (shmem_acct_size)
    expect(field(2, "Shmem") - field(1, "Shmem")).toBe(12);
    expect(field(2, "Cached") - field(1, "Cached")).toBe(12);
    expect(field(2, "Committed_AS") - field(1, "Committed_AS")).toBe(1024);
    // the tmpfs file's 2 pages: Shmem 20 kB, and 8 kB more Committed_AS (shmem_acct_blocks)
    expect(field(3, "Shmem")).toBe(20);
    expect(field(3, "Committed_AS") - field(2, "Committed_AS")).toBe(8);
    expect(out).toMatch(/^nr_shmem 5$/m);
  });
});
