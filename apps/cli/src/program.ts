// The mmsim program as a function: runCli(argv, io) builds the command tree, runs one command
// line and returns its exit code. The bin (cli.ts) is a thin wrapper around it; tests run it
// in-process with a fake CliIo. Thin by design (ARCHITECTURE §5): commands parse flags and
// files, call @mmsim/kernel, and print. Every behaviour lives in the packages. Each command's
// module (and the layers it pulls in) is imported only when the command line names it.
import { Command, CommanderError } from "commander";
import { EXIT_USAGE, PROGRAM_EXIT_CODE, reportError, type CliIo } from "./io";

/** How a command module adds its commands to the program. */
type Register = (program: Command, io: CliIo) => void;

/**
 * The commands, in the order `mmsim --help` lists them, each with the module that registers it
 * (imported on demand: the bundler gives each its own chunk). Replay's module also registers
 * the hidden command its worker threads run.
 */
const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ["boot"], load: async () => (await import("./commands/boot")).registerBoot },
  { names: ["run"], load: async () => (await import("./commands/run")).registerRun },
  { names: ["walk"], load: async () => (await import("./commands/walk")).registerWalk },
  { names: ["fault"], load: async () => (await import("./commands/fault")).registerFault },
  { names: ["io"], load: async () => (await import("./commands/io")).registerIo },
  { names: ["buddy"], load: async () => (await import("./commands/buddy")).registerBuddy },
  { names: ["slab"], load: async () => (await import("./commands/slab")).registerSlab },
  { names: ["ostep"], load: async () => (await import("./commands/ostep")).registerOstep },
  { names: ["csim"], load: async () => (await import("./commands/csim")).registerCsim },
  { names: ["replay", "__replay-worker"], load: async () => (await import("./commands/replay")).registerReplay },
  { names: ["demo"], load: async () => (await import("./commands/demo")).registerDemo },
];

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
  mmsim fault 0x7f1234561000 --write  one page fault, from the error code to the new PTE
  mmsim io --size 64KiB               read()+write() vs mmap()+write() vs sendfile(), copies counted
  mmsim buddy --ram 64M --ops "drain, alloc 3, free 1, drain"   watch the buddy allocator split and merge
  mmsim slab kmalloc-64              one SLUB slab, byte by byte, with its free-pointer chain
  mmsim run scenario.yaml            drive a machine step by step from a YAML file

Sizes take binary units as Linux's memparse does: 4096, 0x1000, 512M, 8G, 8GiB.
Run "mmsim help <command>" for a command's options and examples.`;

/**
 * The command tree, writing through `io`. A new one per run: commander keeps parse state.
 * With `argv`, only the command it names is registered when that is certain (see
 * commandsFor); without, every command is.
 */
export async function buildProgram(io: CliIo, argv?: readonly string[]): Promise<Command> {
  const program = new Command();
  program
    .name("mmsim")
    .version(__MMSIM_VERSION__, "-V, --version", "print mmsim's version")
    .description(DESCRIPTION)
    // mmsim's own options (-V, -h) come before the command: the words after "ostep SCRIPT"
    // and "csim" are the emulated program's, -V included
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (str) => io.out(str),
      writeErr: (str) => io.err(str),
      // one line: fold commander's "(Did you mean boot?)" into the error itself
      outputError: (str, write) => write(`mmsim: ${str.replace(/^error: /, "").replace(/\n\(Did you mean (.+)\?\)/, "; did you mean $1?")}`),
    })
    .addHelpText("after", START_HERE);

  // each module gets `io` and writes only through it
  const chosen = argv ? commandsFor(argv) : COMMANDS;
  for (const register of await Promise.all(chosen.map((c) => c.load()))) register(program, io);
  return program;
}

/**
 * The commands a command line needs: the one it names first ("mmsim boot ...", or "mmsim help
 * boot"), so that running one command loads one command's layers; none for "mmsim -V ..."
 * (commander prints the version at the first option). Anything else (no command, another
 * option first, an unknown or misspelt word) gets all of them, for the help listing and
 * commander's "did you mean".
 */
function commandsFor(argv: readonly string[]): readonly (typeof COMMANDS)[number][] {
  if (argv[0] === "-V" || argv[0] === "--version") return [];
  const word = argv[0] === "help" ? argv[1] : argv[0];
  const named = COMMANDS.find((c) => word !== undefined && c.names.includes(word));
  return named ? [named] : COMMANDS;
}

/**
 * Runs one mmsim command line (`argv` without node and the script, e.g. ["boot", "--dmesg"])
 * and returns its exit code: 0 ok, 2 bad input (one line on stderr), 70 a bug in mmsim, or the
 * exit status of the program `ostep` or `csim` emulates (a script's exit(1), optparse's 2).
 * Never throws, never exits the process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await (await buildProgram(io, argv)).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    // commander already printed its one-line message (or the help/version text)
    if (e instanceof CommanderError) return e.code === PROGRAM_EXIT_CODE ? e.exitCode : e.exitCode === 0 ? 0 : EXIT_USAGE;
    return reportError(io, e);
  }
}
