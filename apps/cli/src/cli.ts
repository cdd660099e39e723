#!/usr/bin/env node
// mmsim: the command line of the simulator. Thin by design (ARCHITECTURE §5): it parses
// flags and files, calls @mmsim/kernel, and prints. Every behaviour lives in the packages.
import { Command, CommanderError } from "commander";
import { reportError, EXIT_USAGE } from "./io";
import { registerBoot } from "./commands/boot";
import { registerRun } from "./commands/run";
import { registerWalk } from "./commands/walk";
import { registerDemo } from "./commands/demo";
import { registerBuddy } from "./commands/buddy";
import { registerSlab } from "./commands/slab";

declare const __MMSIM_VERSION__: string;

const program = new Command();
program
  .name("mmsim")
  .version(__MMSIM_VERSION__, "-V, --version", "print mmsim's version")
  .description(
    `A faithful simulator of Linux memory management (modelled on Linux 6.18, x86-64).

mmsim boots a simulated machine — RAM with real contents, x86-64 page tables in that RAM,
TLBs, zones and the buddy allocator, SLUB — and shows it the way Linux does: the boot log,
/proc/buddyinfo, /proc/zoneinfo, /proc/slabinfo, page walks. Same config and seed, same output.`,
  )
  .showSuggestionAfterError(true)
  .exitOverride()
  .configureOutput({
    // one line: fold commander's "(Did you mean boot?)" into the error itself
    outputError: (str, write) => write(`mmsim: ${str.replace(/^error: /, "").replace(/\n\(Did you mean (.+)\?\)/, "; did you mean $1?")}`),
  })
  .addHelpText(
    "after",
    `
Start here:
  mmsim demo                         a guided tour, one act per layer
  mmsim boot --dmesg                 boot the default 8 GiB machine and print its kernel log
  mmsim boot --ram 2G --cat /proc/buddyinfo
  mmsim walk 0x7f1234567abc          an x86-64 page walk, step by step, then a TLB hit
  mmsim buddy --ram 64M --ops "drain, alloc 3, free 1, drain"   watch the buddy allocator split and merge
  mmsim slab kmalloc-64              one SLUB slab, byte by byte, with its free-pointer chain
  mmsim run scenario.yaml            drive a machine step by step from a YAML file

Sizes take binary units as Linux's memparse does: 4096, 0x1000, 512M, 8G, 8GiB.
Run "mmsim help <command>" for a command's options and examples.`,
  );

registerBoot(program);
registerRun(program);
registerWalk(program);
registerBuddy(program);
registerSlab(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its one-line message (or the help/version text)
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.exitCode = reportError(e);
  }
}
