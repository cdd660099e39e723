// The fields of the task and address-space steps: a task by its name, addresses as a bound name
// plus an offset (buf+20KiB) or a number, lengths with size units, prot and flags as lists of
// Linux's names (read, write / private, anonymous, fixed...), madvise advice names, and errnos
// printed as Linux's names with strerror's text, as strace shows a failed call.
import {
  MADV_COLD, MADV_DODUMP, MADV_DOFORK, MADV_DONTDUMP, MADV_DONTFORK, MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE,
  MADV_HUGEPAGE, MADV_KEEPONFORK, MADV_NOHUGEPAGE, MADV_NORMAL, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
  MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_WIPEONFORK, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE,
  MAP_GROWSDOWN, MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED, MREMAP_MAYMOVE,
  PROT_EXEC, PROT_READ, PROT_WRITE,
} from "@mmsim/virtual";
import { InputError, parseSize } from "@mmsim/base";
import { describe, expectSize, expectString, fail, type Path } from "../validate";
import { unbound, type RunContext, type Scope } from "./step";
import type { Task } from "../task";

declare module "./step" {
  interface Bindings {
    /** a task from spawn, by the name it was spawned with */
    task: Task;
    /** a user address (what mmap or mremap returned) */
    address: number;
  }
}

/** A name list field's table: YAML name → [Linux's name, value]. */
export type NameTable = Readonly<Record<string, readonly [string, number]>>;

export const PROT_NAMES: NameTable = { read: ["PROT_READ", PROT_READ], write: ["PROT_WRITE", PROT_WRITE], exec: ["PROT_EXEC", PROT_EXEC] };

export const MAP_NAMES: NameTable = {
  private: ["MAP_PRIVATE", MAP_PRIVATE], shared: ["MAP_SHARED", MAP_SHARED], anonymous: ["MAP_ANONYMOUS", MAP_ANONYMOUS],
  fixed: ["MAP_FIXED", MAP_FIXED], fixed_noreplace: ["MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE],
  populate: ["MAP_POPULATE", MAP_POPULATE], noreserve: ["MAP_NORESERVE", MAP_NORESERVE],
  growsdown: ["MAP_GROWSDOWN", MAP_GROWSDOWN], locked: ["MAP_LOCKED", MAP_LOCKED],
};

export const MREMAP_NAMES: NameTable = { maymove: ["MREMAP_MAYMOVE", MREMAP_MAYMOVE], fixed: ["MREMAP_FIXED", MREMAP_FIXED] };

export const MADV_NAMES: NameTable = Object.fromEntries(
  ([
    ["normal", MADV_NORMAL], ["random", MADV_RANDOM], ["sequential", MADV_SEQUENTIAL], ["willneed", MADV_WILLNEED],
    ["dontneed", MADV_DONTNEED], ["free", MADV_FREE], ["dontfork", MADV_DONTFORK], ["dofork", MADV_DOFORK],
    ["hugepage", MADV_HUGEPAGE], ["nohugepage", MADV_NOHUGEPAGE], ["dontdump", MADV_DONTDUMP], ["dodump", MADV_DODUMP],
    ["wipeonfork", MADV_WIPEONFORK], ["keeponfork", MADV_KEEPONFORK], ["cold", MADV_COLD], ["pageout", MADV_PAGEOUT],
    ["populate_read", MADV_POPULATE_READ], ["populate_write", MADV_POPULATE_WRITE], ["dontneed_locked", MADV_DONTNEED_LOCKED],
  ] as const).map(([n, v]) => [n, [`MADV_${n.toUpperCase()}`, v] as const]),
);

/** A list of names from `table` (a single name is a list of one); returns the OR of their values and Linux's spelling. */
export function nameListField(v: unknown, path: Path, table: NameTable, none: string): { value: number; text: string } {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  let value = 0;
  const names: string[] = [];
  for (const [i, item] of list.entries()) {
    const e = typeof item === "string" ? table[item] : undefined;
    if (e === undefined) fail(Array.isArray(v) ? [...path, i] : path, `expected one of ${Object.keys(table).join(", ")}, got ${describe(item)}`);
    value |= e[1];
    names.push(e[0]);
  }
  return { value, text: names.length ? names.join("|") : none };
}

/** An address: a number, or a name bound to an address plus or minus a size ("buf", "buf+20KiB", "buf-0x1000"). */
export interface AddrExpr {
  name: string | null;
  offset: number;
}

export function addrField(v: unknown, path: Path, scope: Scope): AddrExpr {
  if (typeof v === "number") return { name: null, offset: expectSize(v, path) };
  const s = expectString(v, path, "an address: a number, or a name bound with as: plus an offset like buf+20KiB");
  if (/^(0x[0-9a-f]+|\d+)$/i.test(s.trim())) return { name: null, offset: expectSize(s, path) };
  // names may contain "-" (Scope's rule): a bound name wins, then "name+size" / "name-size"
  const t = s.trim();
  if (scope.has(t)) return { name: scope.use(t, "address", path), offset: 0 };
  const m = /^(.+?)\s*([+-])\s*([^+-]+)$/.exec(t);
  let offset = 0;
  let name = t;
  if (m !== null) {
    try {
      offset = parseSize(m[3]!) * (m[2] === "-" ? -1 : 1);
      name = m[1]!;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      if (scope.has(m[1]!)) fail(path, e.problem);
    }
  }
  if (!/^[A-Za-z_][\w-]*$/.test(name)) fail(path, `expected an address like buf, buf+20KiB or 0x7f0000000000, got "${s}"`);
  scope.use(name, "address", path);
  return { name, offset };
}

/** The address an AddrExpr stands for at run time. */
export function resolveAddr(a: AddrExpr, ctx: RunContext): number {
  if (a.name === null) return a.offset;
  return (ctx.lookup(a.name, "address") ?? unbound(a.name)) + a.offset;
}

/** How an AddrExpr reads in a step's command line. */
export function formatAddr(a: AddrExpr): string {
  if (a.name === null) return `0x${a.offset.toString(16)}`;
  if (a.offset === 0) return a.name;
  return `${a.name}${a.offset < 0 ? "-" : "+"}0x${Math.abs(a.offset).toString(16)}`;
}

/** The errnos the mm and file system calls return, by number: Linux's name and strerror's text (include/uapi/asm-generic/errno-base.h). */
export const ERRNOS: Readonly<Record<number, readonly [string, string]>> = {
  1: ["EPERM", "Operation not permitted"], 2: ["ENOENT", "No such file or directory"], 3: ["ESRCH", "No such process"],
  5: ["EIO", "Input/output error"], 8: ["ENOEXEC", "Exec format error"], 9: ["EBADF", "Bad file descriptor"],
  11: ["EAGAIN", "Resource temporarily unavailable"], 12: ["ENOMEM", "Cannot allocate memory"],
  13: ["EACCES", "Permission denied"], 14: ["EFAULT", "Bad address"], 16: ["EBUSY", "Device or resource busy"],
  17: ["EEXIST", "File exists"], 19: ["ENODEV", "No such device"], 21: ["EISDIR", "Is a directory"], 22: ["EINVAL", "Invalid argument"],
  24: ["EMFILE", "Too many open files"], 27: ["EFBIG", "File too large"], 28: ["ENOSPC", "No space left on device"],
  29: ["ESPIPE", "Illegal seek"], 36: ["ENAMETOOLONG", "File name too long"],
  75: ["EOVERFLOW", "Value too large for defined data type"],
};

/** An errno field: a name (ENOMEM) or 0 for success; returns the number. */
export function errnoField(v: unknown, path: Path): number {
  if (v === 0 || v === "0") return 0;
  for (const [n, [name]] of Object.entries(ERRNOS)) if (v === name) return Number(n);
  fail(path, `expected 0 or an errno name (${Object.values(ERRNOS).map((e) => e[0]).join(", ")}), got ${describe(v)}`);
}

/** Linux's name of errno `n` ("ENOMEM"), or "0" for success. */
export function errnoName(n: number): string {
  return n === 0 ? "0" : (ERRNOS[n]?.[0] ?? `errno ${n}`);
}

/**
 * The result line of a system call as strace prints it: "= 0x7ffff7ff5000" (hex: an address),
 * "= 0", or "= -1 ENOMEM (Cannot allocate memory)"; sets ctx.errno.
 */
export function syscallResult(ret: number, ctx: RunContext, hex: boolean): string {
  if (ret < 0 && ret > -4096) {
    ctx.errno = -ret;
    const e = ERRNOS[-ret];
    return `= -1 ${e ? `${e[0]} (${e[1]})` : `errno ${-ret}`}\n`;
  }
  ctx.errno = 0;
  return `= ${hex ? `0x${ret.toString(16)}` : ret}\n`;
}

/** The task a step names, alive; a task that has exited is a runtime input error. */
export function liveTask(name: string, ctx: RunContext): Task {
  const t = ctx.lookup(name, "task") ?? unbound(name);
  if (!t.alive) throw new InputError(`task ${name} (pid ${t.pid}) has exited`);
  return t;
}
