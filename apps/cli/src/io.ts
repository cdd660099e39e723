// What the CLI needs from the host, as one injectable object (CliIo): output streams, reading
// a user's file, the environment. The bin passes nodeIo(); tests run the whole program
// in-process with a fake. Also: turning any thrown error into one line on stderr and an exit
// code, never a stack trace, and the small option parsers the commands share.
import { readFileSync, statSync } from "node:fs";
import { Bug, InputError, KernelBug, formatSize } from "@mmsim/base";

/** The host as the CLI sees it. Every command writes and reads through this, never `process`. */
export interface CliIo {
  /** writes text to standard output */
  out(text: string): void;
  /** writes text to standard error */
  err(text: string): void;
  /**
   * Reads a text file, refusing one larger than `maxBytes` before reading it. Throws an Error
   * with a Node errno `code` (ENOENT, EISDIR, EACCES, EFBIG for "too large", ...).
   */
  readFile(path: string, maxBytes: number): string;
  /** environment variables (MMSIM_DEBUG) */
  env: Readonly<Record<string, string | undefined>>;
}

/** The real host: process.stdout/stderr, node:fs, process.env. */
export function nodeIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    readFile(path, maxBytes) {
      const st = statSync(path);
      if (st.isFile() && st.size > maxBytes) throw Object.assign(new Error(`${st.size} bytes`), { code: "EFBIG", size: st.size });
      return readFileSync(path, "utf8");
    },
    env: process.env,
  };
}

/**
 * Largest scenario or machine-config file mmsim reads: 1 MiB, about 40,000 steps. The YAML
 * parser needs ~100 bytes of heap per byte of input and 2 s per MiB on these machines, so a
 * 50 MB file would exhaust the heap; the kernel's YamlSource enforces the same bound on text.
 */
export const MAX_INPUT_FILE_BYTES = 1024 * 1024;

/** Reads a text file the user named; a missing, unreadable or too large file is an InputError naming it. */
export function readUserFile(io: CliIo, path: string, what: string, maxBytes = MAX_INPUT_FILE_BYTES): string {
  try {
    return io.readFile(path, maxBytes);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { size?: number };
    const why =
      err.code === "ENOENT" ? "no such file"
      : err.code === "EISDIR" ? "is a directory"
      : err.code === "EACCES" ? "permission denied"
      : err.code === "ENOTDIR" ? "a part of the path is not a directory"
      : err.code === "ENAMETOOLONG" ? "the name is too long"
      : err.code === "EFBIG" ? `too large (${err.size ?? "over " + maxBytes} bytes; mmsim reads files of at most ${formatSize(maxBytes)})`
      : String(err?.message ?? e);
    throw new InputError(`cannot read ${what} ${path}: ${why}`);
  }
}

/** Exit codes: 0 ok, 1 a simulated failure the user asked to see, 2 bad input, 70 a bug (EX_SOFTWARE). */
export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
export const EXIT_BUG = 70;

/**
 * Prints `e` on stderr and returns the exit code: bad input is one line (exit 2); a misuse the
 * simulated kernel caught (KernelBug: a double free) is its kernel-log report, then one line
 * (exit 2); anything else is a bug in mmsim (exit 70, the stack only with MMSIM_DEBUG).
 */
export function reportError(io: CliIo, e: unknown): number {
  if (e instanceof KernelBug) {
    io.err(e.report.map((line) => line + "\n").join(""));
    io.err(`mmsim: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof InputError) {
    io.err(`mmsim: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof Bug) {
    io.err(`mmsim: internal error (a bug in mmsim, please report it): ${e.message}\n`);
    if (io.env.MMSIM_DEBUG) io.err(`${e.stack}\n`);
    return EXIT_BUG;
  }
  const err = e as Error;
  io.err(`mmsim: internal error: ${err?.message ?? String(e)}\n`);
  if (io.env.MMSIM_DEBUG) io.err(`${err?.stack}\n`);
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
