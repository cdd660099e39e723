// The malloc family as scenario steps: a task calls glibc's malloc, free, calloc, realloc,
// mallopt or malloc_trim, as ltrace shows the call ("app: malloc(4096) as p" then "= 0x...").
// `as` binds the returned pointer as an address, so later steps write `addr: p+4095`.
//
//   - malloc: { task: app, size: 1575936, as: p }
//   - free: { task: app, ptr: p }
//   - calloc: { task: app, nmemb: 16, size: 64, as: q }
//   - realloc: { task: app, ptr: q, size: 4KiB, as: r }
//   - mallopt: { task: app, param: M_MMAP_THRESHOLD, value: 1MiB }
//   - malloc_trim: { task: app, pad: 0 }
//
// A misuse glibc detects ends the task with SIGABRT after glibc's message, as on a terminal.
import type { Kernel } from "../kernel";
import { SIGNALS, type Task } from "../task";
import { expectKeys, expectObject, expectSize, expectString, fail, type Path } from "../validate";
import { virtualOf } from "../virtual-kernel";
import { straceSignalLine } from "../scenario/steps-access";
import type { RunContext, Scope, StepDef } from "../scenario/step";
import { addrField, formatAddr, liveTask, resolveAddr, type AddrExpr } from "../scenario/vm-fields";
import { M_MMAP_MAX, M_MMAP_THRESHOLD, M_MXFAST, M_TOP_PAD, M_TRIM_THRESHOLD } from "./chunk";
import type { Malloc } from "./malloc";
import { userlandOf } from "./userland";

/** mallopt's parameters by name (malloc/malloc.h). */
const MALLOPT_PARAMS: Readonly<Record<string, number>> = {
  M_MXFAST, M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD, M_MMAP_MAX,
};
/** The largest mallopt value: an int. */
const INT_MAX = 2147483647;

const hex = (n: number) => `0x${n.toString(16)}`;

function taskOf(o: Record<string, unknown>, path: Path, scope: Scope): string {
  return scope.use(expectString(o.task, [...path, "task"], "the name of a spawned task"), "task", [...path, "task"]);
}

function sizeOf(o: Record<string, unknown>, key: string, path: Path): number {
  if (o[key] === undefined) fail([...path, key], "missing: expected a size in bytes like 4096 or 4KiB");
  return expectSize(o[key], [...path, key]);
}

function bindAs(o: Record<string, unknown>, path: Path, scope: Scope): string | undefined {
  if (o.as === undefined) return undefined;
  const as = expectString(o.as, [...path, "as"], "a name for the returned pointer");
  scope.define(as, "address", [...path, "as"]);
  return as;
}

function ptrOf(o: Record<string, unknown>, path: Path, scope: Scope): AddrExpr {
  if (o.ptr === undefined) fail([...path, "ptr"], "missing: expected a pointer malloc returned, like p (or 0 for NULL)");
  return addrField(o.ptr, [...path, "ptr"], scope);
}

/** The task's malloc, on the task's CPU. */
function mallocOf(ctx: RunContext, name: string): { t: Task; m: Malloc } {
  const t = liveTask(name, ctx);
  return { t, m: userlandOf(ctx.kernel).mallocOf(t) };
}

/** The end of a task that died inside malloc: glibc's message and the signal, as a terminal and strace show them. */
function died(k: Kernel, t: Task, m: Malloc): string {
  const c = m.crash!;
  const name = SIGNALS[c.signo]!;
  let head = `${c.message}\n`;
  if (c.message === null) {
    const f = c.fault!;
    head = f.oom ? "out of memory: the OOM kill ends the task\n" : straceSignalLine(f);
  }
  virtualOf(k).kill(t, c.signo);
  return `${head}+++ killed by ${name} +++\n`;
}

/** The result line of a pointer-returning call; binds `as` to a non-NULL pointer. */
function pointerResult(r: number, a: { task: string; as?: string }, ctx: RunContext, t: Task, m: Malloc): string {
  if (r < 0) return died(ctx.kernel, t, m);
  if (r === 0) {
    ctx.errno = m.errno;
    return `= NULL${m.errno === 12 ? " (errno ENOMEM)" : ""}\n`;
  }
  ctx.errno = 0;
  if (a.as) ctx.bind(a.as, "address", r);
  return `= ${hex(r)}\n`;
}

export const mallocStep: StepDef<{ task: string; size: number; as?: string }> = {
  name: "malloc",
  summary: "the task calls glibc's malloc(size): brk heap below the mmap threshold, a mapping of its own above",
  example: "- malloc: { task: app, size: 1575936, as: p }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, size and as");
    expectKeys(o, ["task", "size", "as"], path);
    return { task: taskOf(o, path, scope), size: sizeOf(o, "size", path), as: bindAs(o, path, scope) };
  },
  describe: (a) => `${a.task}: malloc(${a.size})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const { t, m } = mallocOf(ctx, a.task);
    return pointerResult(m.malloc(a.size), a, ctx, t, m);
  },
};

export const freeStep: StepDef<{ task: string; ptr: AddrExpr }> = {
  name: "free",
  summary: "the task calls free(ptr): to the tcache, a bin or top (trimming the heap), or munmap",
  example: "- free: { task: app, ptr: p }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and ptr");
    expectKeys(o, ["task", "ptr"], path);
    return { task: taskOf(o, path, scope), ptr: ptrOf(o, path, scope) };
  },
  describe: (a) => `${a.task}: free(${formatAddr(a.ptr)})`,
  run(a, ctx) {
    const { t, m } = mallocOf(ctx, a.task);
    if (m.free(resolveAddr(a.ptr, ctx)) < 0) return died(ctx.kernel, t, m);
    ctx.errno = 0;
    return "";
  },
};

export const callocStep: StepDef<{ task: string; nmemb: number; size: number; as?: string }> = {
  name: "calloc",
  summary: "the task calls calloc(nmemb, size): zeroed memory (memory fresh from the kernel is not cleared again)",
  example: "- calloc: { task: app, nmemb: 16, size: 64, as: q }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, nmemb, size and as");
    expectKeys(o, ["task", "nmemb", "size", "as"], path);
    return { task: taskOf(o, path, scope), nmemb: sizeOf(o, "nmemb", path), size: sizeOf(o, "size", path), as: bindAs(o, path, scope) };
  },
  describe: (a) => `${a.task}: calloc(${a.nmemb}, ${a.size})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const { t, m } = mallocOf(ctx, a.task);
    return pointerResult(m.calloc(a.nmemb, a.size), a, ctx, t, m);
  },
};

export const reallocStep: StepDef<{ task: string; ptr: AddrExpr; size: number; as?: string }> = {
  name: "realloc",
  summary: "the task calls realloc(ptr, size): in place when it can, mremap for a mapped chunk, else copy",
  example: "- realloc: { task: app, ptr: q, size: 4KiB, as: r }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, ptr, size and as");
    expectKeys(o, ["task", "ptr", "size", "as"], path);
    return { task: taskOf(o, path, scope), ptr: ptrOf(o, path, scope), size: sizeOf(o, "size", path), as: bindAs(o, path, scope) };
  },
  describe: (a) => `${a.task}: realloc(${formatAddr(a.ptr)}, ${a.size})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const { t, m } = mallocOf(ctx, a.task);
    return pointerResult(m.realloc(resolveAddr(a.ptr, ctx), a.size), a, ctx, t, m);
  },
};

export const malloptStep: StepDef<{ task: string; param: string; value: number }> = {
  name: "mallopt",
  summary: `the task calls mallopt(param, value); param is one of ${Object.keys(MALLOPT_PARAMS).join(", ")}`,
  example: "- mallopt: { task: app, param: M_MMAP_THRESHOLD, value: 1MiB }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, param and value");
    expectKeys(o, ["task", "param", "value"], path);
    const task = taskOf(o, path, scope);
    const param = o.param;
    if (typeof param !== "string" || MALLOPT_PARAMS[param] === undefined) {
      fail([...path, "param"], `expected one of ${Object.keys(MALLOPT_PARAMS).join(", ")}, got ${String(param)}`);
    }
    let v: number;
    if (typeof o.value === "number" && Number.isInteger(o.value) && o.value < 0) v = o.value;
    else v = sizeOf(o, "value", path);
    if (v > INT_MAX || v < -INT_MAX - 1) fail([...path, "value"], `expected an int (mallopt's value), got ${v}`);
    return { task, param, value: v };
  },
  describe: (a) => `${a.task}: mallopt(${a.param}, ${a.value})`,
  run(a, ctx) {
    const { t, m } = mallocOf(ctx, a.task);
    const r = m.mallopt(MALLOPT_PARAMS[a.param]!, a.value);
    return r < 0 ? died(ctx.kernel, t, m) : `= ${r}\n`;
  },
};

export const mallocTrimStep: StepDef<{ task: string; pad: number }> = {
  name: "malloc_trim",
  summary: "the task calls malloc_trim(pad): free pages inside the heap are given back (MADV_DONTNEED), top above pad by sbrk",
  example: "- malloc_trim: { task: app, pad: 0 }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and pad");
    expectKeys(o, ["task", "pad"], path);
    return { task: taskOf(o, path, scope), pad: o.pad === undefined ? 0 : expectSize(o.pad, [...path, "pad"]) };
  },
  describe: (a) => `${a.task}: malloc_trim(${a.pad})`,
  run(a, ctx) {
    const { t, m } = mallocOf(ctx, a.task);
    const r = m.mallocTrim(a.pad);
    return r < 0 ? died(ctx.kernel, t, m) : `= ${r}\n`;
  },
};

export const MALLOC_STEPS: readonly StepDef[] = [mallocStep, freeStep, callocStep, reallocStep, malloptStep, mallocTrimStep] as StepDef[];
