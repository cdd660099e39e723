/**
 * The interpreter's edges for the Python front ends: where print() and the error streams go,
 * how exit(n) unwinds, and what an uncaught exception prints. Output goes to caller-supplied
 * sinks, so the package never touches a terminal or a file.
 */
import { PyException } from "./py-random";

/** Where a simulated program writes: print() goes to `out`, errors to `err`. */
export interface PyIo {
  out(text: string): void;
  err(text: string): void;
}

/** Thrown by exit(n) / sys.exit(n) / optparse to end the program with status `code`. */
export class PyExit {
  constructor(readonly code: number) {}
}

/** What a finished program left: its streams and exit status. */
export interface ProgramResult {
  stdout: string;
  stderr: string;
  status: number;
}

/** The flush threshold of CollectIo's stdout, in UTF-16 code units. */
const FLUSH_AT = 1 << 16;

/**
 * A PyIo that keeps everything, or hands stdout to `sink` in blocks (so a long trace streams
 * out without being held whole).
 */
export class CollectIo implements PyIo {
  stdout = "";
  stderr = "";

  constructor(private readonly sink?: (text: string) => void) {}

  out(text: string): void {
    this.stdout += text;
    if (this.sink && this.stdout.length >= FLUSH_AT) this.flush();
  }

  err(text: string): void {
    this.stderr += text;
  }

  /** Hands buffered stdout to the sink, if there is one. */
  flush(): void {
    if (this.sink && this.stdout.length > 0) {
      this.sink(this.stdout);
      this.stdout = "";
    }
  }
}

/**
 * Runs `main` as the interpreter would: normal return is status 0, PyExit its code, and an
 * uncaught PyException prints "Traceback (most recent call last):" and the exception line to
 * stderr with status 1. The frames between (file paths and line numbers of the original
 * script) are not reproduced.
 */
export function runPython(main: () => void, io: PyIo): number {
  try {
    main();
    return 0;
  } catch (e) {
    if (e instanceof PyExit) return e.code;
    if (e instanceof PyException) {
      io.err(`Traceback (most recent call last):\n${e.pyType}${e.pyMessage === "" ? "" : ": " + e.pyMessage}\n`);
      return 1;
    }
    throw e;
  }
}

/** print(*args): str() of each joined by spaces, then a newline. */
export function pyPrint(io: PyIo, ...args: (string | number | boolean | bigint)[]): void {
  io.out(args.map(pyStr).join(" ") + "\n");
}

/** str() of the scalar values the scripts print. */
export function pyStr(v: string | number | boolean | bigint): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isSafeInteger(v) ? String(v) : Number.isInteger(v) ? BigInt(v).toString() : String(v);
  return String(v);
}
