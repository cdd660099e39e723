// The machine flags shared by boot and the layer commands: --ram, --cpus, --nodes, --swap,
// --paging, --arch, --pae, --sysctl, --config, --seed. Flags override a --config file field by field.
// bootMachine() boots what they describe and names the flag, or the config file's line, of
// any value the kernel rejects at boot (an unknown sysctl, a sysctl value out of range).
import type { Command } from "commander";
import type { CliIo } from "../io";
import { InputError, parseSize } from "@mmsim/base";
import { DEFAULT_MACHINE, Kernel, checkMachine, parseMachineConfig, parseSysctlAssignment, YamlSource, type MachineConfig } from "@mmsim/kernel";
import { collect, intOption, readUserFile } from "../io";

export interface MachineFlags {
  ram?: number;
  cpus?: number;
  nodes?: number;
  swap?: number;
  paging?: number;
  arch?: string;
  /** --pae: i386 with PAE paging */
  pae?: boolean;
  sysctl?: string[];
  config?: string;
  seed?: number;
  /** --slub-debug [flags] of `mmsim slab` (true: the flag without letters) */
  slubDebug?: string | boolean;
}

function sizeOption(name: string) {
  return (text: string): number => {
    try {
      return parseSize(text);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${name}: ${e.problem}`);
      throw e;
    }
  };
}

/** Adds the machine flags to a command. */
export function addMachineFlags(cmd: Command): Command {
  return cmd
    .option("--ram <size>", "RAM size (default 8GiB; the e820 map adds the PCI hole)", sizeOption("--ram"))
    .option("--cpus <n>", "number of CPUs (default 2)", intOption("--cpus", 1, 64))
    .option("--nodes <n>", "NUMA nodes, memory split evenly (default 1)", intOption("--nodes", 1, 8))
    .option("--swap <size>", "size of a swap device (default none)", sizeOption("--swap"))
    .option("--paging <levels>", "page-table levels: 4 (48-bit) or 5 (LA57)", intOption("--paging", 4, 5))
    .option("--arch <arch>", "x86_64 (default) or i386 (32-bit, with ZONE_HIGHMEM)")
    .option("--pae", "with --arch i386: PAE paging (3 levels of 8-byte entries) for the tasks' page tables")
    .option("--sysctl <key=value>", "set a sysctl at boot (repeatable), e.g. vm.min_free_kbytes=20000", collect)
    .option("--config <file>", "a YAML machine config (the fields of a scenario's machine:)")
    .option("--seed <n>", "seed of the machine's random numbers (default 1)", intOption("--seed", 0, 0xffffffff));
}

/** Flag names of the machine fields checkMachine() names. */
const FLAG_OF_FIELD: Record<string, string> = {
  ram: "--ram", cpus: "--cpus", nodes: "--nodes", swap: "--swap", paging: "--paging", arch: "--arch", pae: "--pae", slub_debug: "--slub-debug",
};

/** A machine described by flags, with where its sysctls came from (for boot-time errors). */
interface FlagMachine {
  machine: MachineConfig;
  /** the --config file, parsed, if one was given */
  src?: YamlSource;
  /** sysctl keys written by --sysctl (the rest came from the config file) */
  flagSysctls: Set<string>;
}

function describeMachine(io: CliIo, f: MachineFlags): FlagMachine {
  let m: MachineConfig = { ...DEFAULT_MACHINE, sysctl: {} };
  let src: YamlSource | undefined;
  if (f.config) {
    src = new YamlSource(readUserFile(io, f.config, "config file"), f.config);
    try {
      m = parseMachineConfig(src.value, []);
    } catch (e) {
      src.locate(e);
    }
  }
  if (f.ram !== undefined) m.ram = f.ram;
  if (f.cpus !== undefined) m.cpus = f.cpus;
  if (f.nodes !== undefined) m.nodes = f.nodes;
  if (f.swap !== undefined) m.swap = f.swap;
  if (f.paging !== undefined) m.pagingLevels = f.paging as 4 | 5;
  if (f.arch !== undefined) {
    if (f.arch !== "x86_64" && f.arch !== "i386") throw new InputError(`invalid --arch "${f.arch}": expected x86_64 or i386`);
    m.arch = f.arch;
  }
  if (f.pae !== undefined) m.pae = f.pae;
  if (f.slubDebug !== undefined) m.slubDebug = f.slubDebug === true ? "" : String(f.slubDebug);
  const flagSysctls = new Set<string>();
  for (const a of f.sysctl ?? []) {
    const [k, v] = parseSysctlAssignment(a);
    m.sysctl[k] = v;
    flagSysctls.add(k);
  }
  try {
    checkMachine(m, []);
  } catch (e) {
    if (e instanceof InputError && e.where.field) throw new InputError(`${FLAG_OF_FIELD[e.where.field] ?? e.where.field}: ${e.problem}`);
    throw e;
  }
  return { machine: m, src, flagSysctls };
}

/** The machine a command's flags describe: defaults < --config file < flags. */
export function machineFromFlags(io: CliIo, f: MachineFlags): MachineConfig {
  return describeMachine(io, f).machine;
}

/** Boots the machine the flags describe; a sysctl the kernel rejects names its flag or config line. */
export function bootMachine(io: CliIo, f: MachineFlags): Kernel {
  const d = describeMachine(io, f);
  try {
    return Kernel.boot(d.machine, { seed: f.seed });
  } catch (e) {
    const key = e instanceof InputError ? sysctlKeyOf(e, Object.keys(d.machine.sysctl)) : undefined;
    if (key === undefined) throw e;
    const problem = (e as InputError).problem;
    if (d.flagSysctls.has(key) || !d.src) throw new InputError(`--sysctl ${key}=${d.machine.sysctl[key]}: ${problem}`);
    throw new InputError(problem, { file: d.src.file, line: d.src.lineOf(["sysctl", key]), field: `sysctl.${key}` });
  }
}

/**
 * Which of `keys` (sysctl names as the user wrote them) a boot error is about: the kernel's
 * InputError names an unknown sysctl by the key as given and a rejected value by the knob's
 * dotted name, both in `where.field`.
 */
export function sysctlKeyOf(e: InputError, keys: string[]): string | undefined {
  const field = e.where.field;
  if (field === undefined) return undefined;
  const dotted = (k: string) => k.trim().replace(/^\/proc\/sys\//, "").replace(/\//g, ".");
  return keys.find((k) => k === field) ?? keys.find((k) => dotted(k) === field || `vm.${dotted(k)}` === field);
}
