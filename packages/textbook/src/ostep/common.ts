/**
 * What the OSTEP homework scripts share: the size parser every script carries (`convert`:
 * 16, 64k, 32m, 1g), the environment a script runs in, and Python's list/dict errors as they
 * read when a script indexes past the end.
 */
import { PyException } from "../py-random";
import { pyInt } from "../py-format";

/** What a script may read from outside: $COLUMNS for optparse's help, and files (-f). */
export interface OstepEnv {
  COLUMNS?: string;
  /** The text of a file, or null if it does not exist (FileNotFoundError). */
  readFile?: (path: string) => string | null;
}

/** The scripts' size multipliers: k, m and g are binary. */
const SUFFIX: Record<string, number> = { k: 1024, K: 1024, m: 1024 * 1024, M: 1024 * 1024, g: 1024 * 1024 * 1024, G: 1024 * 1024 * 1024 };

/** convert(size): an int with an optional k/m/g suffix; '' is an IndexError, junk a ValueError. */
export function convert(size: string): number {
  if (size.length === 0) throw new PyException("IndexError", "string index out of range");
  const mult = SUFFIX[size[size.length - 1]];
  return mult === undefined ? pyInt(size) : pyInt(size.slice(0, -1)) * mult;
}

/** exit(n) */
export { PyExit } from "../py-io";

/** Python's floor modulo (the sign follows the divisor). */
export function pyMod(a: number, b: number): number {
  if (b === 0) throw new PyException("ZeroDivisionError", "integer division or modulo by zero");
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** a / b on Python floats: a zero divisor raises instead of giving Infinity. */
export function pyDiv(a: number, b: number): number {
  if (b === 0) throw new PyException("ZeroDivisionError", "float division by zero");
  return a / b;
}

/** Converts an optparse int value (a bigint only when beyond 2^53) to a number. */
export function num(v: string | number | bigint | boolean): number {
  return Number(v);
}
