// The machine flags shared by boot, run, walk and the layer commands: --ram, --cpus, --nodes,
// --swap, --paging, --sysctl, --config, --seed. Flags override a --config file field by field.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { InputError, parseSize } from "@mmsim/base";
import { DEFAULT_MACHINE, checkMachine, parseMachineConfig, parseSysctlAssignment, YamlSource, type MachineConfig } from "@mmsim/kernel";
import { collect, intOption, readUserFile } from "../io";

export interface MachineFlags {
  ram?: number;
  cpus?: number;
  nodes?: number;
  swap?: number;
  paging?: number;
  arch?: string;
  sysctl?: string[];
  config?: string;
  seed?: number;
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
    .option("--sysctl <key=value>", "set a sysctl at boot (repeatable), e.g. vm.min_free_kbytes=20000", collect)
    .option("--config <file>", "a YAML machine config (the fields of a scenario's machine:)")
    .option("--seed <n>", "seed of the machine's random numbers (default 1)", intOption("--seed", 0, 0xffffffff));
}

/** The machine a command's flags describe: defaults < --config file < flags. */
export function machineFromFlags(io: CliIo, f: MachineFlags): MachineConfig {
  let m: MachineConfig = { ...DEFAULT_MACHINE, sysctl: {} };
  if (f.config) {
    const src = new YamlSource(readUserFile(io, f.config, "config file"), f.config);
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
  for (const a of f.sysctl ?? []) {
    const [k, v] = parseSysctlAssignment(a);
    m.sysctl[k] = v;
  }
  try {
    checkMachine(m, []);
  } catch (e) {
    if (e instanceof InputError && e.where.field) throw new InputError(`--${e.where.field === "pagingLevels" ? "paging" : e.where.field}: ${e.problem}`);
    throw e;
  }
  return m;
}
