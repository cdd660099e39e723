// The machine a Kernel boots: what a user may configure, its defaults, and its validation.
// The default is a realistic small x86-64 box: 8 GiB with the PCI hole below 4 GiB, 2 CPUs,
// one NUMA node, 4-level paging, SLUB.
import { GiB, KiB, MiB, InputError, PAGE_SIZE } from "@mmsim/base";
import { buildE820, e820Usable } from "@mmsim/hardware";
import { parseSlubDebug } from "@mmsim/kernel-alloc";
import { DEFAULT_PERCPU_STATIC_SIZE, PERCPU_DYNAMIC_RESERVE_32, PERCPU_DYNAMIC_RESERVE_64, PERCPU_MODULE_RESERVE, pcpuBuildAllocInfo } from "./percpu";
import { describe, expectEnum, expectInt, expectKeys, expectObject, expectSize, fail, type Path } from "./validate";

export interface MachineConfig {
  /** bytes of RAM (the e820 map adds the PCI hole and firmware ranges around it) */
  ram: number;
  cpus: number;
  nodes: number;
  /** bytes of swap; 0 for none (one swap device, /dev/vdb) */
  swap: number;
  /** 4-level paging (48-bit VA) or 5-level (LA57, 57-bit VA) */
  pagingLevels: 4 | 5;
  /** x86_64, or 32-bit i386 to show ZONE_HIGHMEM (seeds 003/004) and 32-bit page tables */
  arch: "x86_64" | "i386";
  /** i386 only: PAE paging (CONFIG_X86_PAE: 3 levels of 8-byte entries) instead of 2-level 32-bit paging */
  pae: boolean;
  /** kernelcore= / movablecore= boot options, bytes (0: not given) */
  kernelcore: number;
  movablecore: number;
  /** slab allocator: SLUB (the default, and Linux's only one since 6.8) or the classic SLAB */
  allocator: "slub" | "slab";
  /** slub_debug= boot option in Linux's syntax ("FZPU", "ZP,kmalloc-64", "" for all); undefined: off */
  slubDebug?: string;
  /** transparent_hugepage= boot option (mm/huge_memory.c): the THP mode; 6.18's distro default is madvise */
  transparentHugepage: "always" | "madvise" | "never";
  /** sysctl settings applied at boot, e.g. { "vm.min_free_kbytes": 20000 } */
  sysctl: Record<string, string>;
}

export const DEFAULT_MACHINE: Readonly<MachineConfig> = Object.freeze({
  ram: 8 * GiB,
  cpus: 2,
  nodes: 1,
  swap: 0,
  pagingLevels: 4,
  arch: "x86_64",
  pae: false,
  kernelcore: 0,
  movablecore: 0,
  allocator: "slub",
  transparentHugepage: "madvise",
  sysctl: {},
});

/**
 * Smallest machine we boot: 64 MiB. vmlinux is loaded at CONFIG_PHYSICAL_START (16 MiB) and
 * the default image's reservation ends near 54.3 MiB on x86-64 (physical's kernelImageLayout),
 * so RAM must reach past it, with room left for memblock's boot allocations and the zones.
 */
export const MIN_RAM = 64 * MiB;
/** Largest: host memory for struct page grows with RAM (~32 B per 4 KiB frame). */
export const MAX_RAM = 256 * GiB;
/** 32-bit x86 addresses 4 GiB of RAM, with PAE too since Linux 6.15 removed CONFIG_HIGHMEM64G (HIGHMEM4G is the only choice). */
export const MAX_RAM_I386 = 4 * GiB;
/** A NUMA node must hold at least one memory section (SECTION_SIZE_BITS 27 on x86-64). */
export const MIN_NODE_RAM = 128 * MiB;
/**
 * Smallest swap device: mkswap refuses fewer than MIN_GOODPAGES = 10 pages ("swap space needs
 * to be at least 40 KiB", util-linux disk-utils/mkswap.c).
 */
export const MIN_SWAP = 10 * PAGE_SIZE;

export const MACHINE_FIELDS = ["ram", "cpus", "nodes", "swap", "paging", "arch", "pae", "kernelcore", "movablecore", "allocator", "slub_debug", "transparent_hugepage", "sysctl"] as const;

/**
 * Validates a machine config as written by a user (YAML `machine:` or `--config` file) and
 * fills in defaults. Throws InputError naming the field (under `path`) and what was expected.
 */
export function parseMachineConfig(raw: unknown, path: Path = ["machine"]): MachineConfig {
  const m: MachineConfig = { ...DEFAULT_MACHINE, sysctl: {} };
  if (raw === undefined || raw === null) return m;
  const o = expectObject(raw, path);
  expectKeys(o, MACHINE_FIELDS, path);
  if (o.arch !== undefined) m.arch = expectEnum(o.arch, [...path, "arch"], ["x86_64", "i386"] as const);
  if (o.pae !== undefined) {
    if (typeof o.pae !== "boolean") fail([...path, "pae"], `expected true or false, got ${describe(o.pae)}`);
    m.pae = o.pae;
  }
  if (o.ram !== undefined) m.ram = expectSize(o.ram, [...path, "ram"]);
  if (o.cpus !== undefined) m.cpus = expectInt(o.cpus, [...path, "cpus"], 1, 64);
  if (o.nodes !== undefined) m.nodes = expectInt(o.nodes, [...path, "nodes"], 1, 8);
  if (o.swap !== undefined) m.swap = expectSize(o.swap, [...path, "swap"]);
  if (o.paging !== undefined) m.pagingLevels = expectEnum(typeof o.paging === "string" && /^\d$/.test(o.paging) ? Number(o.paging) : o.paging, [...path, "paging"], [4, 5] as const);
  if (o.kernelcore !== undefined) m.kernelcore = expectSize(o.kernelcore, [...path, "kernelcore"]);
  if (o.movablecore !== undefined) m.movablecore = expectSize(o.movablecore, [...path, "movablecore"]);
  if (o.allocator !== undefined) m.allocator = expectEnum(o.allocator, [...path, "allocator"], ["slub", "slab"] as const);
  if (o.transparent_hugepage !== undefined && m.arch === "i386") fail([...path, "transparent_hugepage"], "expected nothing on i386 (i386_defconfig has no CONFIG_TRANSPARENT_HUGEPAGE)");
  if (o.transparent_hugepage !== undefined) m.transparentHugepage = expectEnum(o.transparent_hugepage, [...path, "transparent_hugepage"], ["always", "madvise", "never"] as const);
  if (o.slub_debug !== undefined) {
    if (o.slub_debug !== null && typeof o.slub_debug !== "string") {
      fail([...path, "slub_debug"], `expected slub_debug flags like FZPU or "ZP,kmalloc-64" (or nothing for all), got ${describe(o.slub_debug)}`);
    }
    m.slubDebug = o.slub_debug ?? "";
  }
  if (o.sysctl !== undefined) {
    const s = expectObject(o.sysctl, [...path, "sysctl"], "a mapping of sysctl names to values");
    for (const [k, v] of Object.entries(s)) m.sysctl[k] = sysctlValue(v, [...path, "sysctl", k]);
  }
  checkMachine(m, path);
  return m;
}

/** Cross-field checks; also used for configs built from CLI flags. */
export function checkMachine(m: MachineConfig, path: Path = ["machine"]): void {
  const maxRam = m.arch === "i386" ? MAX_RAM_I386 : MAX_RAM;
  if (m.ram < MIN_RAM || m.ram > maxRam) {
    fail([...path, "ram"], `expected a RAM size from 64MiB to ${m.arch === "i386" ? "4GiB (i386, PAE too: Linux 6.15 removed HIGHMEM64G)" : "256GiB"}, got ${m.ram} bytes`);
  }
  if (m.ram % (4 * MiB) !== 0) fail([...path, "ram"], `expected a multiple of 4MiB, got ${m.ram} bytes`);
  if (m.nodes > 1) {
    // hardware's splitNodes() gives each node at least one 128 MiB section of *usable* RAM,
    // and the e820 map's holes (640K..1M, the top of low memory) take a little of it
    const usable = usableRam(m.ram);
    const maxNodes = Math.max(1, Math.floor(usable / MIN_NODE_RAM));
    if (m.nodes > maxNodes) {
      fail([...path, "nodes"], `${m.nodes} nodes need at least ${minRamForNodes(m.nodes) / MiB}MiB of RAM (128MiB of usable RAM each); ${m.ram / MiB}MiB leaves ${Math.floor(usable / MiB)}MiB usable after the e820 holes, enough for ${maxNodes} node${maxNodes === 1 ? "" : "s"}`);
    }
  }
  const pcpu = percpuGroupBytes(m);
  if (pcpu >= (m.ram / m.nodes) * MAX_PERCPU_SHARE) {
    const most = Math.max(...Array.from({ length: m.cpus }, (_, i) => i + 1).filter((c) => percpuGroupBytes({ ...m, cpus: c }) < (m.ram / m.nodes) * MAX_PERCPU_SHARE));
    fail([...path, "cpus"], `${m.cpus} CPUs need ${Math.ceil(pcpu / MiB)}MiB of per-CPU areas on a node of ${m.ram / m.nodes / MiB}MiB; mmsim keeps them under a quarter of a node's RAM (Linux panics when memblock cannot hold them): at most ${most} CPUs, or more RAM`);
  }
  if (m.arch === "i386" && m.pagingLevels !== 4) fail([...path, "paging"], "expected 4 on i386 (5-level paging is x86-64 only)");
  if (m.pae && m.arch !== "i386") fail([...path, "pae"], "PAE is an i386 paging mode: give arch: i386 with it");
  if (m.arch === "i386" && m.nodes !== 1) fail([...path, "nodes"], "expected 1 on i386 (NUMA is modelled on x86-64 only)");
  if (m.kernelcore && m.movablecore) fail([...path, "movablecore"], "give kernelcore or movablecore, not both");
  if (m.kernelcore > m.ram) fail([...path, "kernelcore"], "expected at most the RAM size");
  if (m.movablecore > m.ram) fail([...path, "movablecore"], "expected at most the RAM size");
  if (m.swap > 1024 * GiB) fail([...path, "swap"], "expected at most 1TiB of swap");
  if (m.swap !== 0 && (m.swap < MIN_SWAP || m.swap % PAGE_SIZE !== 0)) {
    fail([...path, "swap"], `expected 0 (no swap) or a multiple of 4KiB of at least ${MIN_SWAP / KiB}KiB (mkswap's 10 pages), got ${m.swap} bytes`);
  }
  if (m.slubDebug !== undefined) {
    try {
      parseSlubDebug(m.slubDebug);
    } catch (e) {
      if (e instanceof InputError) fail([...path, "slub_debug"], e.problem.replace(/^slub_debug /, ""));
      throw e;
    }
  }
}

/**
 * Share of a node's RAM the per-CPU first chunk may take. Linux panics in setup_per_cpu_areas
 * ("Failed to initialize percpu areas") when memblock cannot hold it; on a 64 MiB machine,
 * where the kernel image takes 38 MiB, that happens at 57 CPUs (16 MiB of units). mmsim
 * refuses such a machine as input instead: a quarter keeps 64 MiB to 56 CPUs and lets 96 MiB
 * and more boot 64.
 */
const MAX_PERCPU_SHARE = 1 / 4;

/** Bytes of the largest per-node group of the first per-CPU chunk (setup_per_cpu_areas). */
function percpuGroupBytes(m: MachineConfig): number {
  if (m.cpus < 1 || m.nodes < 1) return 0;
  const cpuToNode = Array.from({ length: m.cpus }, (_, c) => Math.floor((c * m.nodes) / m.cpus));
  const dyn = m.arch === "x86_64" ? PERCPU_DYNAMIC_RESERVE_64 : PERCPU_DYNAMIC_RESERVE_32;
  const atom = m.arch === "x86_64" ? 2 * MiB : PAGE_SIZE;
  const ai = pcpuBuildAllocInfo(PERCPU_MODULE_RESERVE, dyn, atom, DEFAULT_PERCPU_STATIC_SIZE, cpuToNode);
  return Math.max(...ai.groups.map((g) => g.nrUnits * ai.unitSize));
}

/** Bytes of RAM the e820 map of a machine with `ram` bytes leaves usable. */
function usableRam(ram: number): number {
  return e820Usable(buildE820({ ramBytes: ram })).reduce((n, r) => n + r.size, 0);
}

/** The smallest RAM size (a multiple of 4 MiB) whose usable part gives `nodes` nodes a section each. */
function minRamForNodes(nodes: number): number {
  let ram = nodes * MIN_NODE_RAM;
  while (usableRam(ram) < nodes * MIN_NODE_RAM) ram += 4 * MiB;
  return ram;
}

function sysctlValue(v: unknown, path: Path): string {
  if (typeof v === "number" || typeof v === "string") return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === "number")) return v.join("\t");
  fail(path, `expected a number or a string, got ${Array.isArray(v) ? "a list" : typeof v}`);
}

/** Parses "key=value" (CLI --sysctl). */
export function parseSysctlAssignment(text: string): [string, string] {
  const i = text.indexOf("=");
  if (i <= 0) throw new InputError(`invalid --sysctl "${text}": expected key=value, like vm.min_free_kbytes=20000`);
  return [text.slice(0, i).trim(), text.slice(i + 1).trim()];
}
