// File and output helpers of the CLI: reading a user's file with an error that names it, and
// turning any thrown error into one line on stderr and an exit code, never a stack trace.
import { readFileSync } from "node:fs";
import { Bug, InputError } from "@mmsim/base";

/** Reads a text file the user named; a missing or unreadable file is an InputError naming it. */
export function readUserFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : String((e as Error).message);
    throw new InputError(`cannot read ${what} ${path}: ${why}`);
  }
}

/** Exit codes: 0 ok, 1 a simulated failure the user asked to see, 2 bad input, 70 a bug. */
export const EXIT_USAGE = 2;
export const EXIT_BUG = 70;

/** Prints one line for `e` and returns the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof InputError) {
    process.stderr.write(`mmsim: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof Bug) {
    process.stderr.write(`mmsim: internal error (a bug in mmsim, please report it): ${e.message}\n`);
    if (process.env.MMSIM_DEBUG) process.stderr.write(`${e.stack}\n`);
    return EXIT_BUG;
  }
  const err = e as Error;
  process.stderr.write(`mmsim: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.MMSIM_DEBUG) process.stderr.write(`${err?.stack}\n`);
  return EXIT_BUG;
}

/** Parses a decimal option value (commander passes strings). */
export function intOption(name: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      throw new InputError(`invalid ${name} "${text}": expected a whole number from ${min} to ${max}`);
    }
    return Number(text);
  };
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
