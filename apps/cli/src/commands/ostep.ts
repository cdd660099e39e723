// mmsim ostep: OSTEP's virtual-memory homework simulators (relocation.py, segmentation.py,
// malloc.py, paging-linear-translate.py, paging-multilevel-translate.py, paging-policy.py),
// byte for byte with `python3 SCRIPT.py ARGS`. The script's own arguments pass through untouched.
import { CommanderError, type Command } from "commander";
import { InputError } from "@mmsim/base";
import { OSTEP_SCRIPTS, ostepScriptName, runOstep } from "@mmsim/textbook";
import { PROGRAM_EXIT_CODE, type CliIo } from "../io";

/** Largest address file paging-policy.py -f reads here: 256 MiB. */
const MAX_ADDRESS_FILE_BYTES = 256 * 1024 * 1024;

export function registerOstep(program: Command, io: CliIo): void {
  program
    .command("ostep")
    .description("run an OSTEP homework simulator (relocation, segmentation, malloc, paging-*) exactly as the book's python script")
    .argument("<script>", `one of ${OSTEP_SCRIPTS.join(", ")} (with or without .py)`)
    .argument("[args...]", "the script's own arguments, e.g. -s 1 -c (see mmsim ostep SCRIPT -h)")
    .helpOption(false)
    .allowUnknownOption()
    // every word after the command is the program's own: mmsim's -V, -h stop at the command
    .passThroughOptions()
    .allowExcessArguments()
    .addHelpText(
      "after",
      `
Each script prints what the original prints for the same arguments and seed: its random
numbers come from CPython's Mersenne Twister, its flags and errors from optparse.

Examples:
  mmsim ostep relocation -s 1 -c                  base and bounds: translate or fault?
  mmsim ostep segmentation -a 128 -p 512 -b 0 -l 20 -B 512 -L 20 -s 0 -c
  mmsim ostep malloc -n 10 -H 4 -p BEST -s 2 -c   free-list allocation, best fit
  mmsim ostep paging-linear-translate -P 1k -a 16k -p 32k -v -u 50 -c
  mmsim ostep paging-multilevel-translate -s 0 -c
  mmsim ostep paging-policy -p LRU -a 1,2,3,4,1,2,5,1,2,3,4,5 -C 3 -c
  mmsim ostep paging-policy -h                    the script's own options`,
    )
    .action((script: string, _args: string[], _opts: unknown, cmd: Command) => {
      // `mmsim ostep --help` is mmsim's help; `mmsim ostep SCRIPT -h` is the script's
      if (script === "-h" || script === "--help") return void io.out(cmd.helpInformation());
      const name = ostepScriptName(script);
      if (name === null) throw new InputError(`no OSTEP script "${script}": expected one of ${OSTEP_SCRIPTS.join(", ")}`);
      const r = runOstep(name, scriptArgs(cmd, "ostep"), { COLUMNS: io.env.COLUMNS, readFile: (path) => readAddressFile(io, path) }, (text) => io.out(text));
      io.out(r!.stdout);
      io.err(r!.stderr);
      exitWith(r!.status);
    });
}

/**
 * Ends the command with the emulated program's own exit status (a script's exit(1), optparse's
 * 2, csim-ref's 1 for a missing trace), as a CommanderError with code PROGRAM_EXIT_CODE
 * whose status runCli returns unchanged.
 */
export function exitWith(status: number): void {
  if (status !== 0) throw new CommanderError(status, PROGRAM_EXIT_CODE, "");
}

/**
 * The words after "<command> <script>" exactly as typed, from the program's rawArgs (set by
 * commander's parse, untyped in its .d.ts): commander's own operand list drops a leading "--".
 */
export function scriptArgs(cmd: Command, command: string, skip = 1): string[] {
  const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs;
  const at = raw ? raw.indexOf(command) : -1;
  return raw && at >= 0 ? raw.slice(at + 1 + skip) : cmd.args.slice(skip);
}

function readAddressFile(io: CliIo, path: string): string | null {
  try {
    return io.readFile(path, MAX_ADDRESS_FILE_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw new InputError(`cannot read address file ${path}: ${code ?? String(e)}`);
  }
}
