// mmsim csim: the CS:APP cache lab's reference cache simulator (csim-ref) on mmsim's CPU cache
// model: `mmsim csim -s S -E E -b B -t TRACE [-v] [-h]` prints hits, misses and evictions.
// Its arguments pass through untouched to csim-ref's getopt, its exit status to mmsim's, and
// like csim-ref it leaves ".csim_results" ("hits misses evictions") for the lab's driver.
import type { Command } from "commander";
import { runCsim } from "@mmsim/textbook";
import { writeUserFile, type CliIo } from "../io";
import { exitWith, scriptArgs } from "./ostep";

/** Largest trace mmsim csim reads: 256 MiB (the lab's long.trace is 3.7 MB). */
const MAX_TRACE_BYTES = 256 * 1024 * 1024;
/** The file csim-ref's printSummary (cachelab.c) writes in the current directory for driver.py / test-csim. */
const CSIM_RESULTS_FILE = ".csim_results";

export function registerCsim(program: Command, io: CliIo): void {
  program
    .command("csim")
    .description("the CS:APP cache lab's reference simulator: replay a valgrind trace through an s/E/b cache (LRU)")
    .argument("[args...]", "csim-ref's options: -s <set bits> -E <lines per set> -b <block bits> -t <trace> [-v] [-h]")
    .helpOption(false)
    .allowUnknownOption()
    // every word after the command is the program's own: mmsim's -V, -h stop at the command
    .passThroughOptions()
    .allowExcessArguments()
    .addHelpText(
      "after",
      `
The trace is valgrind lackey output: " L addr,size" loads, " S addr,size" stores, " M addr,size"
modifies (a load then a store); "I" lines (instruction fetches) are ignored. The cache has
2^s sets of E lines of 2^b bytes and evicts the least recently used line of a set.

Examples:
  mmsim csim -s 4 -E 1 -b 4 -t traces/yi.trace          hits:4 misses:5 evictions:3
  mmsim csim -v -s 1 -E 1 -b 1 -t traces/yi2.trace      one line per access: hit, miss, eviction
  mmsim csim -h                                         csim-ref's own usage text`,
    )
    .action((_args: string[], _opts: unknown, cmd: Command) => {
      const r = runCsim(scriptArgs(cmd, "csim", 0), (path) => readTrace(io, path), "mmsim csim", (text) => io.out(text));
      io.out(r.stdout);
      io.err(r.stderr);
      if (r.csimResults !== null) writeUserFile(io, CSIM_RESULTS_FILE, "csim's results file", r.csimResults);
      exitWith(r.status);
    });
}

/** The trace's bytes, or strerror()'s text for why it cannot be opened. */
function readTrace(io: CliIo, path: string): Uint8Array | string {
  try {
    return new TextEncoder().encode(io.readFile(path, MAX_TRACE_BYTES));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "No such file or directory"
      : code === "EACCES" ? "Permission denied"
      : code === "EISDIR" ? "Is a directory"
      : code === "EFBIG" ? "File too large"
      : String((e as Error).message);
  }
}
