// Small validators for user input (machine configs, scenario steps, CLI flags). Each one
// either returns the typed value or throws an InputError naming the field and what was
// expected; the caller adds the file and line. Hand-written rather than a schema library so
// that every message reads like the tool talking, not like a type checker.
import { InputError, parseSize } from "@mmsim/base";

export type Path = (string | number)[];

/** "steps[2].alloc_pages.order" */
export function formatPath(path: Path): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

export function fail(path: Path, problem: string): never {
  throw new InputError(problem, { field: path.length ? formatPath(path) : undefined });
}

export function describe(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `"${v}"`;
  return String(v);
}

export function expectObject(v: unknown, path: Path, what = "a mapping"): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) fail(path, `expected ${what}, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

/** Rejects keys not in `allowed`, naming the allowed ones. */
export function expectKeys(obj: Record<string, unknown>, allowed: readonly string[], path: Path): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) fail([...path, k], `unknown field; expected one of: ${allowed.join(", ")}`);
  }
}

export function expectInt(v: unknown, path: Path, min: number, max: number): number {
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    fail(path, `expected a whole number from ${min} to ${max}, got ${describe(v)}`);
  }
  return n;
}

export function expectSize(v: unknown, path: Path): number {
  if (typeof v !== "string" && typeof v !== "number") fail(path, `expected a size like 512M or 8GiB, got ${describe(v)}`);
  try {
    return parseSize(v);
  } catch (e) {
    if (e instanceof InputError) fail(path, e.problem);
    throw e;
  }
}

export function expectString(v: unknown, path: Path, what = "a string"): string {
  if (typeof v !== "string" || v.length === 0) fail(path, `expected ${what}, got ${describe(v)}`);
  return v;
}

export function expectEnum<T extends string | number>(v: unknown, path: Path, values: readonly T[]): T {
  if (!values.includes(v as T)) fail(path, `expected one of ${values.join(", ")}, got ${describe(v)}`);
  return v as T;
}
