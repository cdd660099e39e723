/**
 * The pieces of Python 3.11's text behaviour the OSTEP scripts print through: int() parsing of
 * strings, str() of ints, floats and lists, repr() of str, and the `%` conversions the scripts
 * use (%d, %x with width and zero padding, %s with width, %.Nf rounded half-even on the exact
 * binary value). Not a general `%` formatter: only what the scripts need.
 */
import { PyException } from "./py-random";

/** Whitespace as int() strips it: ASCII space, \t-\r and the separators \x1c-\x1f Python counts as space. */
function isPySpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPySpace(s.charCodeAt(a))) a++;
  while (b > a && isPySpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}
const DIGITS: Record<number, RegExp> = {
  2: /^[01](_?[01])*$/,
  8: /^[0-7](_?[0-7])*$/,
  10: /^[0-9](_?[0-9])*$/,
  16: /^[0-9a-fA-F](_?[0-9a-fA-F])*$/,
};
const PREFIX: Record<number, RegExp> = { 2: /^0[bB]_?/, 8: /^0[oO]_?/, 16: /^0[xX]_?/ };

/**
 * Python's int(text, base) for base 2, 8, 10 or 16, exactly: surrounding whitespace, a sign,
 * the base's optional prefix and single underscores between digits are accepted. Throws the
 * ValueError Python raises otherwise.
 */
export function pyIntBig(text: string, base = 10): bigint {
  let s = pyStrip(text);
  let neg = false;
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (base !== 10) s = s.replace(PREFIX[base], "");
  if (!DIGITS[base].test(s)) throw new PyException("ValueError", `invalid literal for int() with base ${base}: ${pyRepr(text)}`);
  s = s.replace(/_/g, "");
  const prefix = base === 16 ? "0x" : base === 8 ? "0o" : base === 2 ? "0b" : "";
  const v = BigInt(prefix + s);
  return neg ? -v : v;
}

/** int(text) as a JS number (exact below 2^53; larger values are rounded, see docs/design/textbook.md). */
export function pyInt(text: string, base = 10): number {
  return Number(pyIntBig(text, base));
}

/** str() of a Python int held in a double: exact digits, also beyond 2^53 (as int(float) gives). */
export function pyIntStr(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
}

/** int(x) of a float: truncation toward zero (-0 becomes 0). */
export function pyTrunc(x: number): number {
  const t = Math.trunc(x);
  return t === 0 ? 0 : t;
}

/** repr() of a str: single quotes unless the text holds ' and no ", escapes as Python writes them. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c >= 0x80 && c < 0xa0) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + quote;
}

/** `%Nd`: the int right-justified in `width` (zero padded after the sign with `zero`). */
export function fmtD(n: number, width = 0, zero = false): string {
  return pad(pyIntStr(n), width, zero);
}

/** `%Nx` / `%0Nx`: lowercase hex of an int, a '-' sign for negatives (Python never wraps). */
export function fmtX(n: number, width = 0, zero = false): string {
  const digits = n < 0 ? "-" + hexDigits(-n) : hexDigits(n);
  return pad(digits, width, zero);
}

function hexDigits(n: number): string {
  return Number.isSafeInteger(n) ? n.toString(16) : BigInt(n).toString(16);
}

/** `%Ns`: right-justified text. */
export function fmtS(s: string, width: number): string {
  return s.length >= width ? s : " ".repeat(width - s.length) + s;
}

function pad(digits: string, width: number, zero: boolean): string {
  if (digits.length >= width) return digits;
  if (!zero) return " ".repeat(width - digits.length) + digits;
  const neg = digits[0] === "-";
  const body = neg ? digits.slice(1) : digits;
  return (neg ? "-" : "") + "0".repeat(width - digits.length) + body;
}

/**
 * `%.Nf` as CPython prints it: the exact decimal value of the double, rounded half-even to N
 * places (PyOS_double_to_string). JS's toFixed rounds exact ties up, so ties are settled here.
 */
export function fmtF(x: number, places: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const neg = x < 0 || Object.is(x, -0);
  const [num, den] = exactRatio(Math.abs(x));
  const scale = 10n ** BigInt(places);
  const scaled = num * scale;
  let q = scaled / den;
  const r2 = (scaled % den) * 2n;
  if (r2 > den || (r2 === den && q % 2n === 1n)) q += 1n;
  let digits = q.toString().padStart(places + 1, "0");
  if (places > 0) digits = digits.slice(0, digits.length - places) + "." + digits.slice(digits.length - places);
  return (neg ? "-" : "") + digits;
}

/** A non-negative finite double as an exact fraction num/den (den a power of two). */
function exactRatio(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exp === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = exp - 1075;
  }
  return e >= 0 ? [mant << BigInt(e), 1n] : [mant, 1n << BigInt(-e)];
}
