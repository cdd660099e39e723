// Error types (ARCHITECTURE §4). Expected outcomes (out of memory, a fault on an unmapped
// address) are values, never exceptions. Exceptions are for two things only:
//   - a broken kernel invariant: `Bug`, thrown by `BUG()` / `BUG_ON()` and named after the
//     function that found it, like Linux's "kernel BUG at mm/page_alloc.c" or xv6's
//     "mappages: remap";
//   - bad user input at the edge (configs, scenarios, traces, CLI flags): `InputError`, which
//     names where the input was wrong (file, line, field) and what was expected; and its kind
//     `KernelBug`, a misuse of a kernel API that Linux itself catches and reports (double free).

/** Base class of every error mmsim throws on purpose. */
export class MmsimError extends Error {
  override name = "MmsimError";
}

/** A broken invariant inside the simulated kernel: always a bug in mmsim or in a policy. */
export class Bug extends MmsimError {
  override name = "Bug";
  constructor(
    /** the function that detected it, e.g. "__free_one_page" */
    readonly fn: string,
    readonly detail: string,
  ) {
    super(`${fn}: ${detail}`);
  }
}

/** Throws a Bug naming `fn`. Typed `never` so callers can use it in expressions. */
export function BUG(fn: string, detail: string): never {
  throw new Bug(fn, detail);
}

/** Throws a Bug naming `fn` when `cond` holds (Linux's BUG_ON / VM_BUG_ON). */
export function BUG_ON(cond: boolean, fn: string, detail: string): void {
  if (cond) throw new Bug(fn, detail);
}

/** Where a piece of user input came from, for error messages. */
export interface InputLocation {
  file?: string;
  line?: number;
  column?: number;
  /** dotted path of the field, e.g. "steps[2].alloc_pages.order" */
  field?: string;
}

/** Bad user input. `message` is one line: "<file>:<line>: <field>: <problem>". */
export class InputError extends MmsimError {
  override name = "InputError";
  constructor(
    readonly problem: string,
    readonly where: InputLocation = {},
  ) {
    super(formatLocation(where) + problem);
  }

  /** The same error, located inside `where` (outer information fills what is missing). */
  at(where: InputLocation): InputError {
    return new InputError(this.problem, { ...where, ...definedOnly(this.where) });
  }
}

function definedOnly(w: InputLocation): InputLocation {
  const out: InputLocation = {};
  for (const [k, v] of Object.entries(w)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

function formatLocation(w: InputLocation): string {
  let s = "";
  if (w.file !== undefined) s += w.file;
  if (w.line !== undefined) s += `${s ? ":" : "line "}${w.line}`;
  if (w.line !== undefined && w.column !== undefined) s += `:${w.column}`;
  if (s) s += ": ";
  if (w.field !== undefined) s += `${w.field}: `;
  return s;
}

/**
 * A bug in the simulated kernel's *caller*, caught the way Linux catches it: a double free, a
 * kfree of a pointer the allocator never returned. Linux prints a report (a slub_debug "BUG
 * <cache>" block, a "kernel BUG at mm/slub.c:N!" Oops, a WARNING) and mmsim stops the operation
 * there, leaving the allocator consistent (the object is not freed again). It extends
 * InputError because in mmsim that caller is user input (a scenario step, a CLI flag, a library
 * call), so the CLI exits 2 and prints `report` and then `message`; a scenario runner
 * relocates it with at(), which keeps the class and the report.
 */
export class KernelBug extends InputError {
  override name = "KernelBug";
  constructor(
    /** one line saying what happened, e.g. "double free of 0xffff888003a1b040 (kmalloc-64)" */
    problem: string,
    /** the lines Linux prints for it, as they went to the kernel log (no trailing newlines) */
    readonly report: readonly string[],
    /** the kernel function that detected it, e.g. "set_freepointer", "free_consistency_checks" */
    readonly fn: string,
    where: InputLocation = {},
  ) {
    super(problem, where);
  }

  /** The same report, located inside `where` (outer information fills what is missing). */
  override at(where: InputLocation): KernelBug {
    return new KernelBug(this.problem, this.report, this.fn, { ...where, ...definedOnly(this.where) });
  }
}

/** Linux errno values (include/uapi/asm-generic/errno-base.h), returned, never thrown. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
} as const;
export type ErrnoName = keyof typeof Errno;

/** A tagged result for operations that fail with an errno. */
export type Result<T> = { ok: true; value: T } | { ok: false; errno: ErrnoName };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(errno: ErrnoName): Result<T> {
  return { ok: false, errno };
}
