// The boot lines of the reference machine (24 GiB, 2 CPUs, THP madvise; 6.18) that account
// for memory: the per-CPU first chunk (mm/percpu.c pcpu_embed_first_chunk), the dentry and
// inode hash tables (mm/mm_init.c alloc_large_system_hash for fs/dcache.c and fs/inode.c),
// the init section and rodata gaps freed at the end of boot (free_initmem, mark_rodata_ro in
// arch/x86/mm/init_64.c, free_reserved_area's "Freeing %s memory: %ldK"), and the THP mode
// (mm/huge_memory.c). Their memory shows in /proc/meminfo (Percpu, MemTotal), /proc/zoneinfo
// (managed) and the "Memory:" line, which must agree.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GiB, MiB } from "@mmsim/base";
import { Kernel } from "../src/index";
import { pcpuBuildAllocInfo } from "../src/percpu";

const ref = (f: string) => readFileSync(new URL(`../../../reference/real-proc/${f}`, import.meta.url), "utf8");
const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)![1]);

describe("the 24 GiB, 2-CPU reference machine's boot", () => {
  const k = Kernel.boot({ ram: 24 * GiB, cpus: 2 });
  const log = k.dmesg.texts();
  const at = (prefix: string) => log.findIndex((l) => l.startsWith(prefix));

  it("embeds the first per-CPU chunk: 62 pages per CPU in 1 MiB units (two units share one 2 MiB atom)", () => {
    // pcpu_build_alloc_info: size_sum = PFN_ALIGN(217088 + 8192 + max(28672, 20480)) = 62 pages;
    // alloc 2 MiB (PMD_SIZE atom) holds up to 8 units; with 2 CPUs upa = 2 wastes none, so
    // unit = 2 MiB / 2. Debian's 6.18-amd64 with 16 CPUs prints the same s/r/d and u262144.
    expect(log).toContain("percpu: Embedded 62 pages/cpu s217088 r8192 d28672 u1048576");
    expect(pcpuBuildAllocInfo(8192, 28672, 2 * MiB, 217088, new Array(16).fill(0)).unitSize).toBe(262144);
    expect(pcpuBuildAllocInfo(8192, 28672, 2 * MiB, 217088, new Array(8).fill(0)).unitSize).toBe(262144);
    expect(pcpuBuildAllocInfo(8192, 28672, 2 * MiB, 217088, new Array(4).fill(0)).unitSize).toBe(524288);
    // meminfo's Percpu is pcpu_nr_populated (62) × pcpu_nr_units (2) pages
    expect(field(k.cat("/proc/meminfo"), "Percpu")).toBe(62 * 2 * 4);
  });

  it("sizes the dentry and inode hash tables from memory and takes them from memblock (hashdist off: one node)", () => {
    expect(log).toContain("Dentry cache hash table entries: 4194304 (order: 13, 33554432 bytes, linear)");
    expect(log).toContain("Inode-cache hash table entries: 2097152 (order: 12, 16777216 bytes, linear)");
    const tables = k.phys.boot.memblock.reserved.regions;
    expect(k.vfsHashTables.map((t) => [t.name, t.size])).toEqual([["Dentry cache", 32 * MiB], ["Inode-cache", 16 * MiB]]);
    for (const t of k.vfsHashTables) expect(tables.some((r) => r.base <= t.pa && t.pa + t.size <= r.base + r.size)).toBe(true);
  });

  it("prints them in 6.18's order: percpu, the hash tables, then the zonelists, Memory:, SLUB, and the frees last", () => {
    // 6.18 builds the zonelists in mm_core_init(), after vfs_caches_init_early()
    const order = ["percpu: Embedded", "Dentry cache hash", "Inode-cache hash", "Fallback order for Node 0", "Built 1 zonelists", "Memory: ", "SLUB: ", "Freeing unused kernel image (initmem)"];
    const idx = order.map(at);
    expect(idx.every((i) => i >= 0)).toBe(true);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    expect(log.slice(-4)).toEqual([
      "Freeing unused kernel image (initmem) memory: 3728K",
      "Write protecting the kernel read-only data: 32768k",
      "Freeing unused kernel image (text/rodata gap) memory: 2012K",
      "Freeing unused kernel image (rodata/data gap) memory: 2012K",
    ]);
  });

  it("keeps the Memory: line, MemTotal and zoneinfo's managed pages consistent with what was reserved and freed", () => {
    const m = /^Memory: (\d+)K\/(\d+)K available \((\d+)K kernel code, (\d+)K rwdata, (\d+)K rodata, (\d+)K init, (\d+)K bss, (\d+)K reserved, 0K cma-reserved\)$/.exec(log[at("Memory: ")]!);
    expect(m).not.toBeNull();
    const [physpages, reserved] = [Number(m![2]), Number(m![8])];
    const freed = log.filter((l) => l.startsWith("Freeing ")).reduce((n, l) => n + Number(/: (\d+)K$/.exec(l)![1]), 0);
    expect(freed).toBe(3728 + 2012 + 2012);
    const meminfo = k.cat("/proc/meminfo");
    // reserved = physpages − totalram at mem_init; free_reserved_area adds to totalram
    expect(field(meminfo, "MemTotal")).toBe(physpages - reserved + freed);
    const managed = [...k.cat("/proc/zoneinfo").matchAll(/^\s+managed\s+(\d+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
    expect(managed * 4).toBe(field(meminfo, "MemTotal"));
    // the reservations this boot makes: 48 MiB of hash tables and 2 × 62 pages of per-CPU units
    expect([physpages, reserved]).toEqual([25165304, 483704]);
    expect(field(meminfo, "MemTotal")).toBe(24689352);
  });

  it("boots with THP in madvise mode, as the reference machine, and raises min_free_kbytes for it", () => {
    // reference/real-proc/kernel.txt line 2 is the machine's /sys/kernel/mm/transparent_hugepage/enabled
    expect(k.cat("/sys/kernel/mm/transparent_hugepage/enabled")).toBe(ref("kernel.txt").split("\n")[1] + "\n");
    expect(k.cat("/sys/kernel/mm/transparent_hugepage/defrag")).toBe("always defer defer+madvise [madvise] never\n");
    expect(k.cat("/proc/sys/vm/min_free_kbytes")).toBe(`${/^min_free_kbytes: (\d+)$/m.exec(ref("sysctl-vm.txt"))![1]}\n`);
    expect(k.cat("/proc/sys/vm/min_free_kbytes")).toBe("67584\n");
  });
});

describe("the transparent_hugepage machine option", () => {
  it("shows the mode in sysfs; never keeps the int_sqrt min_free_kbytes", () => {
    for (const mode of ["always", "madvise", "never"] as const) {
      const k = Kernel.boot({ ram: 2 * GiB, transparentHugepage: mode });
      expect(k.cat("/sys/kernel/mm/transparent_hugepage/enabled")).toBe(["always", "madvise", "never"].map((m) => (m === mode ? `[${m}]` : m)).join(" ") + "\n");
    }
    const never = Number(Kernel.boot({ ram: 2 * GiB, transparentHugepage: "never" }).cat("/proc/sys/vm/min_free_kbytes"));
    const madvise = Number(Kernel.boot({ ram: 2 * GiB }).cat("/proc/sys/vm/min_free_kbytes"));
    expect(madvise).toBeGreaterThan(never);
  });
});

describe("a two-node machine (hashdist on)", () => {
  it("vmallocs the hash tables after the slab allocator and gives each node's CPU its own 2 MiB unit", () => {
    const k = Kernel.boot({ ram: 4 * GiB, cpus: 2, nodes: 2 });
    const log = k.dmesg.texts();
    // one CPU per group: upa = 1 (more would waste more than a third of the units)
    expect(log).toContain("percpu: Embedded 62 pages/cpu s217088 r8192 d28672 u2097152");
    expect(field(k.cat("/proc/meminfo"), "Percpu")).toBe(62 * 2 * 4);
    const slub = log.findIndex((l) => l.startsWith("SLUB: "));
    const dentry = log.findIndex((l) => l.startsWith("Dentry cache hash table entries: "));
    expect(dentry).toBeGreaterThan(slub);
    expect(log[dentry]).toMatch(/^Dentry cache hash table entries: \d+ \(order: \d+, \d+ bytes, vmalloc hugepage\)$/);
    expect(log[dentry + 1]).toMatch(/^Inode-cache hash table entries: \d+ \(order: \d+, \d+ bytes, vmalloc( hugepage)?\)$/);
    expect(k.cat("/proc/vmallocinfo")).toMatch(/ dcache_init pages=\d+ vmalloc/);
  });
});

describe("the kernel command line", () => {
  it("names transparent_hugepage= only when the mode is not the built-in madvise", () => {
    expect(Kernel.boot({ ram: GiB }).commandLine()).toBe("root=/dev/vda1 ro no5lvl");
    expect(Kernel.boot({ ram: GiB, transparentHugepage: "never" }).commandLine()).toBe("root=/dev/vda1 ro no5lvl transparent_hugepage=never");
  });
});

describe("/proc/zoneinfo's per-node stats", () => {
  it("equal /proc/vmstat's items on a one-node machine (the gauges are that node's)", () => {
    const k = Kernel.boot({ ram: GiB });
    k.counters.add(k.counters.id("nr_active_file"), 7);
    const z = k.cat("/proc/zoneinfo");
    const v = new Map(k.cat("/proc/vmstat").trimEnd().split("\n").map((l) => l.split(" ") as [string, string]));
    const perNode = z.slice(z.indexOf("per-node stats"), z.indexOf("pages free"));
    const items = [...perNode.matchAll(/^\s+(\w+)\s+(\d+)$/gm)].map((m) => [m[1], m[2]]);
    expect(items.length).toBe(51);
    for (const [name, value] of items) expect(value, name).toBe(v.get(name!));
    expect(perNode).toMatch(/^\s+nr_active_file\s+7$/m);
    expect(Number(/^\s+nr_slab_unreclaimable\s+(\d+)$/m.exec(perNode)![1])).toBeGreaterThan(0);
  });
});
