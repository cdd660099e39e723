// The mmsim program as a function: runCli(argv, io) builds the command tree, runs one command
// line and returns its exit code. The bin (cli.ts) is a thin wrapper around it; tests run it
// in-process with a fake CliIo. Thin by design (ARCHITECTURE §5): commands parse flags and
// files, call @mmsim/kernel, and print. Every behaviour lives in the packages.
import { Command, CommanderError } from "commander";
import { EXIT_USAGE, reportError, type CliIo } from "./io";
import { registerBoot } from "./commands/boot";
import { registerRun } from "./commands/run";
import { registerWalk } from "./commands/walk";
import { registerDemo } from "./commands/demo";
import { registerBuddy } from "./commands/buddy";
import { registerSlab } from "./commands/slab";
import { registerOstep } from "./commands/ostep";
import { registerCsim } from "./commands/csim";
import { registerReplay } from "./commands/replay";

declare const __MMSIM_VERSION__: string;

const DESCRIPTION = `A faithful simulator of Linux memory management (modelled on Linux 6.18, x86-64).

mmsim boots a simulated machine — RAM with real contents, x86-64 page tables in that RAM,
TLBs, zones and the buddy allocator, SLUB — and shows it the way Linux does: the boot log,
/proc/buddyinfo, /proc/zoneinfo, /proc/slabinfo, page walks. Same config and seed, same output.`;

const START_HERE = `
Start here:
  mmsim demo                         a guided tour, one act per layer
  mmsim boot --dmesg                 boot the default 8 GiB machine and print its kernel log
  mmsim boot --ram 2G --cat /proc/buddyinfo
  mmsim walk 0x7f1234567abc          an x86-64 page walk, step by step, then a TLB hit
  mmsim buddy --ram 64M --ops "drain, alloc 3, free 1, drain"   watch the buddy allocator split and merge
  mmsim slab kmalloc-64              one SLUB slab, byte by byte, with its free-pointer chain
  mmsim run scenario.yaml            drive a machine step by step from a YAML file

Sizes take binary units as Linux's memparse does: 4096, 0x1000, 512M, 8G, 8GiB.
Run "mmsim help <command>" for a command's options and examples.`;

/** The command tree, writing through `io`. A new one per run: commander keeps parse state. */
export function buildProgram(io: CliIo): Command {
  const program = new Command();
  program
    .name("mmsim")
    .version(__MMSIM_VERSION__, "-V, --version", "print mmsim's version")
    .description(DESCRIPTION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (str) => io.out(str),
      writeErr: (str) => io.err(str),
      // one line: fold commander's "(Did you mean boot?)" into the error itself
      outputError: (str, write) => write(`mmsim: ${str.replace(/^error: /, "").replace(/\n\(Did you mean (.+)\?\)/, "; did you mean $1?")}`),
    })
    .addHelpText("after", START_HERE);

  // One line per command. Each gets `io` and writes only through it.
  registerBoot(program, io);
  registerRun(program, io);
  registerWalk(program, io);
  registerBuddy(program, io);
  registerSlab(program, io);
  registerOstep(program, io);
  registerCsim(program, io);
  registerReplay(program, io);
  registerDemo(program, io);
  return program;
}

/**
 * Runs one mmsim command line (`argv` without node and the script, e.g. ["boot", "--dmesg"])
 * and returns its exit code: 0 ok, 2 bad input (one line on stderr), 70 a bug in mmsim.
 * Never throws, never exits the process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    // commander already printed its one-line message (or the help/version text)
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportError(io, e);
  }
}
