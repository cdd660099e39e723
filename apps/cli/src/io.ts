// What the CLI needs from the host, as one injectable object (CliIo): output streams, reading
// and writing a user's files, the environment. The bin passes nodeIo(); tests run the whole
// program in-process with a fake. Also: turning any thrown error into one line on stderr and an
// exit code, never a stack trace, and the small option parsers the commands share.
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import { Bug, InputError, KernelBug, formatSize } from "@mmsim/base";

/** A file being written piece by piece (CliIo.createFile). */
export interface FileSink {
  write(data: string | Uint8Array): void;
  /** flushes and closes the file; write after close is an error */
  close(): void;
}

/** The host as the CLI sees it. Every command writes and reads through this, never `process`. */
export interface CliIo {
  /** writes text to standard output */
  out(text: string): void;
  /** writes text to standard error */
  err(text: string): void;
  /** whether standard error is a terminal (progress bars draw only there unless asked) */
  isTTY: boolean;
  /**
   * Reads a text file, refusing one larger than `maxBytes` before reading it. Throws an Error
   * with a Node errno `code` (ENOENT, EISDIR, EACCES, EFBIG for "too large", ...).
   */
  readFile(path: string, maxBytes: number): string;
  /**
   * Creates or truncates a file and writes `data` (a string as UTF-8). Throws an Error with a
   * Node errno `code` (EACCES, EISDIR, ENOENT for a missing directory, ...).
   */
  writeFile(path: string, data: string | Uint8Array): void;
  /** Creates or truncates a file to write in pieces (large outputs); errors as writeFile. */
  createFile(path: string): FileSink;
  /** environment variables (MMSIM_DEBUG) */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The real host: process.stdout/stderr, node:fs, process.env.
 *
 * A closed output pipe (`mmsim boot --dmesg | head -1`: head exits, the next write fails with
 * EPIPE) ends mmsim at once, quietly and with status 0: what coreutils do when SIGPIPE kills
 * them, minus the signal status (141 in a shell), which a Node program cannot take and which
 * would fail a `set -o pipefail` pipeline for a reader that simply had enough. A closed stderr
 * only silences stderr: the exit status still says how the command went. Any other stream
 * error stays an error.
 */
export function nodeIo(): CliIo {
  if (!process.stdout.listeners("error").includes(stdoutError)) process.stdout.on("error", stdoutError);
  if (!process.stderr.listeners("error").includes(stderrError)) process.stderr.on("error", stderrError);
  return {
    out: (text) => void (process.stdout.destroyed || process.stdout.write(text)),
    err: (text) => void (process.stderr.destroyed || process.stderr.write(text)),
    isTTY: !!process.stderr.isTTY,
    readFile(path, maxBytes) {
      const st = statSync(path);
      if (st.isFile() && st.size > maxBytes) throw Object.assign(new Error(`${st.size} bytes`), { code: "EFBIG", size: st.size });
      return readFileSync(path, "utf8");
    },
    writeFile: (path, data) => writeFileSync(path, data),
    createFile(path) {
      const fd = openSync(path, "w");
      return {
        write: (data) => void (typeof data === "string" ? writeSync(fd, data) : writeSync(fd, data)),
        close: () => closeSync(fd),
      };
    },
    env: process.env,
  };
}

/** stdout's error handler: a reader that went away (EPIPE) ends mmsim with status 0. */
function stdoutError(e: NodeJS.ErrnoException): void {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
}

/** stderr's error handler: a reader that went away (EPIPE) leaves stderr closed (err() checks). */
function stderrError(e: NodeJS.ErrnoException): void {
  if (e.code !== "EPIPE") throw e;
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
      : errnoText(err);
    throw new InputError(`cannot read ${what} ${path}: ${why}`);
  }
}

/** Writes a file the user named (or the program's own output file); failure is an InputError naming it. */
export function writeUserFile(io: CliIo, path: string, what: string, data: string | Uint8Array): void {
  try {
    io.writeFile(path, data);
  } catch (e) {
    throw new InputError(`cannot write ${what} ${path}: ${errnoText(e as NodeJS.ErrnoException)}`);
  }
}

/** Creates a file to write in pieces; failure to create or write it is an InputError naming it. */
export function createUserFile(io: CliIo, path: string, what: string): FileSink {
  const failed = (e: unknown) => new InputError(`cannot write ${what} ${path}: ${errnoText(e as NodeJS.ErrnoException)}`);
  let sink: FileSink;
  try {
    sink = io.createFile(path);
  } catch (e) {
    throw failed(e);
  }
  return {
    write(data) {
      try {
        sink.write(data);
      } catch (e) {
        throw failed(e);
      }
    },
    close() {
      try {
        sink.close();
      } catch (e) {
        throw failed(e);
      }
    },
  };
}

/** A Node errno error as words, as readUserFile and writeUserFile print it. */
function errnoText(err: NodeJS.ErrnoException): string {
  return err?.code === "ENOENT" ? "no such file or directory"
    : err?.code === "EISDIR" ? "is a directory"
    : err?.code === "EACCES" ? "permission denied"
    : err?.code === "EROFS" ? "read-only file system"
    : err?.code === "ENOSPC" ? "no space left on device"
    : err?.code === "ENOTDIR" ? "a part of the path is not a directory"
    : String(err?.message ?? err);
}

/** Exit codes: 0 ok, 1 a simulated failure the user asked to see, 2 bad input, 70 a bug (EX_SOFTWARE). */
export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
export const EXIT_BUG = 70;
/**
 * The code of the CommanderError that ends `ostep` or `csim` with the emulated program's own
 * exit status (commands/ostep.ts exitWith), which runCli returns unchanged.
 */
export const PROGRAM_EXIT_CODE = "mmsim.exit";

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
