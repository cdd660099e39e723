// The file system calls as scenario steps, printed as strace shows them ("= 3", "= -1 ENOENT
// (No such file or directory)"), each made by a task; `as:` names the descriptor an open or
// create returns, for later steps. `sleep` lets simulated time pass (I/O completes, the flusher
// wakes every dirty_writeback_centisecs).
//
//   - open: { task: app, path: /data/log, flags: [rdwr, creat], as: log }
//   - write: { task: app, fd: log, addr: buf, length: 64KiB }
//   - read / pread / pwrite / lseek / ftruncate / fsync / fdatasync / close: { task, fd, ... }
//   - create / truncate / unlink: { task, path, ... }; sync: { task }
//   - sleep: 35s
import { BUG, InputError } from "@mmsim/base";
import {
  O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET, sysClose, sysCreat, sysFdatasync, sysFsync,
  sysFtruncate, sysLseek, sysOpen, sysPread64, sysPwrite64, sysRead, sysSync, sysTruncate, sysUnlink, sysWrite,
} from "@mmsim/virtual";
import type { Kernel } from "../kernel";
import type { FileKernel } from "../modules/file";
import type { Task } from "../task";
import { describe as describeValue, expectInt, expectKeys, expectObject, expectSize, expectString, fail, type Path } from "../validate";
import type { RunContext, Scope, StepDef } from "./step";
import { unbound } from "./step";
import { addrField, formatAddr, liveTask, nameListField, resolveAddr, type AddrExpr, type NameTable } from "./vm-fields";

/** An open descriptor bound with as: the task that holds it and its number. */
export interface FileDescriptor {
  task: Task;
  fd: number;
}

declare module "./step" {
  interface Bindings {
    /** a descriptor from open or create */
    "file descriptor": FileDescriptor;
  }
}

/** The errnos the file calls return (include/uapi/asm-generic/errno-base.h), with strerror's text. */
const FILE_ERRNOS: Readonly<Record<number, readonly [string, string]>> = {
  2: ["ENOENT", "No such file or directory"], 5: ["EIO", "Input/output error"], 9: ["EBADF", "Bad file descriptor"],
  12: ["ENOMEM", "Cannot allocate memory"], 14: ["EFAULT", "Bad address"], 17: ["EEXIST", "File exists"],
  22: ["EINVAL", "Invalid argument"], 24: ["EMFILE", "Too many open files"], 27: ["EFBIG", "File too large"],
  28: ["ENOSPC", "No space left on device"], 36: ["ENAMETOOLONG", "File name too long"],
  19: ["ENODEV", "No such device"], 29: ["ESPIPE", "Illegal seek"], 32: ["EPIPE", "Broken pipe"], 75: ["EOVERFLOW", "Value too large for defined data type"],
};

/** open(2)'s flags by their scenario names. */
const OPEN_FLAGS: NameTable = {
  rdonly: ["O_RDONLY", O_RDONLY], wronly: ["O_WRONLY", O_WRONLY], rdwr: ["O_RDWR", O_RDWR], creat: ["O_CREAT", O_CREAT],
  excl: ["O_EXCL", O_EXCL], trunc: ["O_TRUNC", O_TRUNC], append: ["O_APPEND", O_APPEND],
};
const WHENCE: Readonly<Record<string, number>> = { set: SEEK_SET, cur: SEEK_CUR, end: SEEK_END };
const WHENCE_NAMES = ["SEEK_SET", "SEEK_CUR", "SEEK_END"];

/** The file layer of a booted kernel (the module named "file"). */
export function fileKernelOf(k: Kernel): FileKernel {
  for (const [m, layer] of k.moduleLayers()) if (m.name === "file") return layer as FileKernel;
  return BUG("fileKernelOf", "this kernel has no file module");
}

/** strace's result line; sets ctx.errno. */
function result(ret: number, ctx: RunContext): string {
  if (ret < 0) {
    ctx.errno = -ret;
    const e = FILE_ERRNOS[-ret];
    return `= -1 ${e ? `${e[0]} (${e[1]})` : `errno ${-ret}`}\n`;
  }
  ctx.errno = 0;
  return `= ${ret}\n`;
}
/** result() for the system-call steps of other modules (socket, sendfile). */
export const syscallResult = result;

function taskField(o: Record<string, unknown>, path: Path, scope: Scope): string {
  return scope.use(expectString(o.task, [...path, "task"], "the name of a spawned task"), "task", [...path, "task"]);
}

/** fd: a name bound by open/create, or a number (for calls on bad descriptors). */
export type FdRef = { name: string } | { num: number };

export function fdField(v: unknown, path: Path, scope: Scope): FdRef {
  if (typeof v === "number") return { num: expectInt(v, path, -1, 1 << 20) };
  if (v === undefined) fail(path, "missing: expected a descriptor bound with as: by open or create");
  return { name: scope.use(v, "file descriptor", path) };
}

export function fdText(f: FdRef): string {
  return "name" in f ? f.name : String(f.num);
}

/** The task and descriptor number a step acts on; the task must hold a descriptor it names. */
export function resolveFd(task: string, f: FdRef, ctx: RunContext): [Task, number] {
  const t = liveTask(task, ctx);
  if ("num" in f) return [t, f.num];
  const d = ctx.lookup(f.name, "file descriptor") ?? unbound(f.name);
  if (d.task !== t) throw new InputError(`descriptor ${f.name} belongs to task ${d.task.comm}, not ${task}`);
  return [t, d.fd];
}

function pathField(o: Record<string, unknown>, path: Path): string {
  return expectString(o.path, [...path, "path"], "a file name like /data/log");
}

function bindAs(o: Record<string, unknown>, path: Path, scope: Scope): string | undefined {
  if (o.as === undefined) return undefined;
  const as = expectString(o.as, [...path, "as"], "a name");
  scope.define(as, "file descriptor", [...path, "as"]);
  return as;
}

interface OpenArgs { task: string; path: string; flags: { value: number; text: string }; as?: string }

export const openStep: StepDef<OpenArgs> = {
  name: "open",
  summary: "open (or create) a file: open(2) with O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND",
  example: "- open: { task: app, path: /data/log, flags: [rdwr, creat], as: log }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, path, flags and as");
    expectKeys(o, ["task", "path", "flags", "as"], path);
    const task = taskField(o, path, scope);
    const p = pathField(o, path);
    const flags = nameListField(o.flags ?? ["rdonly"], [...path, "flags"], OPEN_FLAGS, "O_RDONLY");
    return { task, path: p, flags, as: bindAs(o, path, scope) };
  },
  describe: (a) => `${a.task}: open("${a.path}", ${a.flags.text}${a.flags.value & O_CREAT ? ", 0644" : ""})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const fk = fileKernelOf(ctx.kernel);
    const fd = sysOpen(fk.fs, fk.filesOf(t), a.path, a.flags.value);
    if (fd >= 0 && a.as) ctx.bind(a.as, "file descriptor", { task: t, fd });
    return result(fd, ctx);
  },
};

export const createStep: StepDef<{ task: string; path: string; as?: string }> = {
  name: "create",
  summary: "create a file, empty, open for writing: creat(2)",
  example: "- create: { task: app, path: /data/out, as: out }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, path and as");
    expectKeys(o, ["task", "path", "as"], path);
    return { task: taskField(o, path, scope), path: pathField(o, path), as: bindAs(o, path, scope) };
  },
  describe: (a) => `${a.task}: creat("${a.path}", 0644)${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const fk = fileKernelOf(ctx.kernel);
    const fd = sysCreat(fk.fs, fk.filesOf(t), a.path);
    if (fd >= 0 && a.as) ctx.bind(a.as, "file descriptor", { task: t, fd });
    return result(fd, ctx);
  },
};

interface IoArgs { task: string; fd: FdRef; addr: AddrExpr; length: number; offset?: number }

function ioStep(name: string, summary: string, example: string, positional: boolean, write: boolean): StepDef<IoArgs> {
  return {
    name,
    summary,
    example,
    parse(value, path, scope) {
      const keys = positional ? ["task", "fd", "addr", "length", "offset"] : ["task", "fd", "addr", "length"];
      const o = expectObject(value, path, `a mapping with ${keys.join(", ")}`);
      expectKeys(o, keys, path);
      const task = taskField(o, path, scope);
      const fd = fdField(o.fd, [...path, "fd"], scope);
      if (o.addr === undefined) fail([...path, "addr"], "missing: expected the user buffer, like buf or buf+4KiB");
      const addr = addrField(o.addr, [...path, "addr"], scope);
      if (o.length === undefined) fail([...path, "length"], "missing: expected a size like 4KiB");
      const length = expectSize(o.length, [...path, "length"]);
      if (!positional) return { task, fd, addr, length };
      if (o.offset === undefined) fail([...path, "offset"], "missing: expected the file offset, like 0 or 1MiB");
      return { task, fd, addr, length, offset: expectSize(o.offset, [...path, "offset"]) };
    },
    describe: (a) => `${a.task}: ${name === "pread" ? "pread64" : name === "pwrite" ? "pwrite64" : name}(${fdText(a.fd)}, ${formatAddr(a.addr)}, ${a.length}${a.offset !== undefined ? `, ${a.offset}` : ""})`,
    run(a, ctx) {
      const [t, fd] = resolveFd(a.task, a.fd, ctx);
      const fk = fileKernelOf(ctx.kernel);
      const files = fk.filesOf(t);
      const cpu = ctx.kernel.hw.cpus[t.cpu]!;
      const buf = resolveAddr(a.addr, ctx);
      let r: number;
      if (write) r = a.offset === undefined ? sysWrite(fk.fs, files, fd, t.mm!, cpu, buf, a.length) : sysPwrite64(fk.fs, files, fd, t.mm!, cpu, buf, a.length, a.offset);
      else r = a.offset === undefined ? sysRead(fk.fs, files, fd, t.mm!, cpu, buf, a.length) : sysPread64(fk.fs, files, fd, t.mm!, cpu, buf, a.length, a.offset);
      return result(r, ctx);
    },
  };
}

export const readStep = ioStep("read", "read a file at its position into the task's buffer (faults the buffer in): read(2)", "- read: { task: app, fd: log, addr: buf, length: 4KiB }", false, false);
export const writeStep = ioStep("write", "write the task's buffer to a file at its position (O_APPEND: at the end): write(2)", "- write: { task: app, fd: log, addr: buf, length: 64KiB }", false, true);
export const preadStep = ioStep("pread", "read at an offset without moving the position: pread64(2)", "- pread: { task: app, fd: log, addr: buf, length: 4KiB, offset: 1MiB }", true, false);
export const pwriteStep = ioStep("pwrite", "write at an offset without moving the position: pwrite64(2)", "- pwrite: { task: app, fd: log, addr: buf, length: 4KiB, offset: 1MiB }", true, true);

export const lseekStep: StepDef<{ task: string; fd: FdRef; offset: number; whence: string }> = {
  name: "lseek",
  summary: "move a descriptor's position: lseek(2) with whence set, cur or end",
  example: "- lseek: { task: app, fd: log, offset: 0, whence: set }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, fd, offset and whence");
    expectKeys(o, ["task", "fd", "offset", "whence"], path);
    const task = taskField(o, path, scope);
    const fd = fdField(o.fd, [...path, "fd"], scope);
    const offset = typeof o.offset === "number" ? expectInt(o.offset, [...path, "offset"], -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) : expectSize(o.offset ?? 0, [...path, "offset"]);
    const whence = String(o.whence ?? "set");
    if (!(whence in WHENCE)) fail([...path, "whence"], `expected set, cur or end, got ${describeValue(o.whence)}`);
    return { task, fd, offset, whence };
  },
  describe: (a) => `${a.task}: lseek(${fdText(a.fd)}, ${a.offset}, ${WHENCE_NAMES[WHENCE[a.whence]!]})`,
  run(a, ctx) {
    const [t, fd] = resolveFd(a.task, a.fd, ctx);
    const fk = fileKernelOf(ctx.kernel);
    return result(sysLseek(fk.fs, fk.filesOf(t), fd, a.offset, WHENCE[a.whence]!), ctx);
  },
};

function fdOnlyStep(name: string, summary: string, call: (fk: FileKernel, t: Task, fd: number) => number): StepDef<{ task: string; fd: FdRef }> {
  return {
    name,
    summary,
    example: `- ${name}: { task: app, fd: log }`,
    parse(value, path, scope) {
      const o = expectObject(value, path, "a mapping with task and fd");
      expectKeys(o, ["task", "fd"], path);
      const fd = fdField(o.fd, [...path, "fd"], scope);
      return { task: taskField(o, path, scope), fd };
    },
    describe: (a) => `${a.task}: ${name}(${fdText(a.fd)})`,
    run(a, ctx) {
      const [t, fd] = resolveFd(a.task, a.fd, ctx);
      return result(call(fileKernelOf(ctx.kernel), t, fd), ctx);
    },
  };
}

export const fsyncStep = fdOnlyStep("fsync", "write a file's dirty pages and wait for them: fsync(2)", (fk, t, fd) => sysFsync(fk.fs, fk.filesOf(t), fd));
export const fdatasyncStep = fdOnlyStep("fdatasync", "fdatasync(2) (as fsync: mmfs keeps no metadata on disk)", (fk, t, fd) => sysFdatasync(fk.fs, fk.filesOf(t), fd));
export const closeStep = fdOnlyStep("close", "close a descriptor: close(2)", (fk, t, fd) => sysClose(fk.fs, fk.filesOf(t), fd));

export const ftruncateStep: StepDef<{ task: string; fd: FdRef; length: number }> = {
  name: "ftruncate",
  summary: "set an open file's size: ftruncate(2)",
  example: "- ftruncate: { task: app, fd: log, length: 1KiB }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, fd and length");
    expectKeys(o, ["task", "fd", "length"], path);
    const fd = fdField(o.fd, [...path, "fd"], scope);
    return { task: taskField(o, path, scope), fd, length: expectSize(o.length ?? 0, [...path, "length"]) };
  },
  describe: (a) => `${a.task}: ftruncate(${fdText(a.fd)}, ${a.length})`,
  run(a, ctx) {
    const [t, fd] = resolveFd(a.task, a.fd, ctx);
    const fk = fileKernelOf(ctx.kernel);
    return result(sysFtruncate(fk.fs, fk.filesOf(t), fd, a.length), ctx);
  },
};

export const truncateStep: StepDef<{ task: string; path: string; length: number }> = {
  name: "truncate",
  summary: "set a file's size by name: truncate(2)",
  example: "- truncate: { task: app, path: /data/log, length: 0 }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, path and length");
    expectKeys(o, ["task", "path", "length"], path);
    return { task: taskField(o, path, scope), path: pathField(o, path), length: expectSize(o.length ?? 0, [...path, "length"]) };
  },
  describe: (a) => `${a.task}: truncate("${a.path}", ${a.length})`,
  run(a, ctx) {
    liveTask(a.task, ctx);
    return result(sysTruncate(fileKernelOf(ctx.kernel).fs, a.path, a.length), ctx);
  },
};

export const unlinkStep: StepDef<{ task: string; path: string }> = {
  name: "unlink",
  summary: "remove a file's name (an open file lives on until its last close): unlink(2)",
  example: "- unlink: { task: app, path: /data/log }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and path");
    expectKeys(o, ["task", "path"], path);
    return { task: taskField(o, path, scope), path: pathField(o, path) };
  },
  describe: (a) => `${a.task}: unlink("${a.path}")`,
  run(a, ctx) {
    liveTask(a.task, ctx);
    return result(sysUnlink(fileKernelOf(ctx.kernel).fs, a.path), ctx);
  },
};

export const syncStep: StepDef<{ task: string }> = {
  name: "sync",
  summary: "write every dirty page of every file and wait for them: sync(2)",
  example: "- sync: { task: app }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task");
    expectKeys(o, ["task"], path);
    return { task: taskField(o, path, scope) };
  },
  describe: (a) => `${a.task}: sync()`,
  run(a, ctx) {
    liveTask(a.task, ctx);
    return result(sysSync(fileKernelOf(ctx.kernel).fs), ctx);
  },
};

/** A duration: "35s", "500ms", "2min", or a number of seconds; returns ns. */
function durationNs(v: unknown, path: Path): number {
  const m = typeof v === "number" ? [String(v), String(v), "s"] : typeof v === "string" ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(v) : null;
  if (!m) fail(path, `expected a duration like 35s, 500ms or 2min, got ${describeValue(v)}`);
  const unit = m[2] ?? "s";
  const ns = Number(m[1]) * (unit === "ms" ? 1e6 : unit === "min" ? 60e9 : 1e9);
  if (!(ns >= 0 && ns <= 86400e9)) fail(path, "expected a duration of at most a day");
  return ns;
}

export const sleepStep: StepDef<{ ns: number; text: string }> = {
  name: "sleep",
  summary: "let simulated time pass: I/O completes and the flusher writes back expired dirty pages",
  example: "- sleep: 35s",
  parse(value, path) {
    return { ns: durationNs(value, path), text: String(value) };
  },
  describe: (a) => `sleep ${a.text}`,
  run(a, ctx) {
    const fk = fileKernelOf(ctx.kernel);
    fk.reapExited();
    fk.sleepUntil(ctx.kernel.clock.ns + a.ns);
    return "";
  },
};

export const FILE_STEPS: readonly StepDef[] = [
  openStep, createStep, readStep, writeStep, preadStep, pwriteStep, lseekStep, fsyncStep, fdatasyncStep, ftruncateStep, truncateStep, unlinkStep,
  closeStep, syncStep, sleepStep,
] as StepDef[];
