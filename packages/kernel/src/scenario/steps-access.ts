// Steps that run a task's code against its memory: fork (copy-on-write), and loads, stores and
// memsets through the MMU of the CPU the task runs on. A page fault the kernel cannot resolve
// delivers a signal as strace shows it ("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR,
// si_addr=0x...} ---"), and its default action ends the task ("+++ killed by SIGSEGV +++").
//
//   - fork: { task: app, name: child }
//   - store: { task: app, addr: buf, length: 4KiB, byte: 0xaa }
//   - store: { task: app, addr: buf, length: 1, stride: 4MiB, count: 768 }   (one byte every 4 MiB)
//   - memset: { task: app, addr: buf, length: 8KiB, byte: 0 }
//   - load: { task: app, addr: buf, length: 16 }
import { siCodeName, userLoad, userMemset, userStore, type FaultSignal } from "@mmsim/virtual";
import type { Kernel } from "../kernel";
import { COMM_MAX, SIGNALS, type Task } from "../task";
import { expectInt, expectKeys, expectObject, expectSize, expectString, fail, type Path } from "../validate";
import { virtualOf } from "../virtual-kernel";
import type { RunContext, Scope, StepDef } from "./step";
import { addrField, errnoName, formatAddr, liveTask, resolveAddr, type AddrExpr } from "./vm-fields";

/** The most bytes a load step prints (16 per line). */
const MAX_LOAD_BYTES = 256;
/** Bytes a store step writes at most: it builds the source buffer in host memory (memset has no limit: it writes page by page). */
const MAX_STORE_BYTES = 64 * 1024 * 1024;
/** The byte a store writes unless told (a visible pattern, unlike the zeroes of a fresh page). */
const DEFAULT_STORE_BYTE = 0xaa;
/** The most repetitions a strided store takes (2^20: a byte in every page of a 4 GiB space). */
const MAX_STORE_COUNT = 1 << 20;

function taskOf(o: Record<string, unknown>, path: Path, scope: Scope): string {
  return scope.use(expectString(o.task, [...path, "task"], "the name of a spawned task"), "task", [...path, "task"]);
}

function byteField(v: unknown, path: Path, dflt: number): number {
  return v === undefined ? dflt : expectInt(v, path, 0, 255);
}

/**
 * A fault signal as strace shows it: --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR,
 * si_addr=0x1000} --- (a zero si_addr prints as NULL: the #GP of a non-canonical address has none).
 */
export function straceSignalLine(sig: FaultSignal): string {
  const name = SIGNALS[sig.signo]!;
  const addr = sig.addr === 0 ? "NULL" : `0x${sig.addr.toString(16)}`;
  return `--- ${name} {si_signo=${name}, si_code=${siCodeName(sig.signo, sig.code)}, si_addr=${addr}} ---\n`;
}

/** Delivers the signal of a failed access: recorded, and the task ends (no handlers exist). */
function deliver(k: Kernel, t: Task, sig: FaultSignal): string {
  const name = SIGNALS[sig.signo]!;
  const head = sig.oom ? "out of memory: the OOM kill ends the task\n" : straceSignalLine(sig);
  virtualOf(k).kill(t, sig.signo);
  return `${head}+++ killed by ${name} +++\n`;
}

interface AccessArgs { task: string; addr: AddrExpr; length: number; byte: number }

function parseAccess(value: unknown, path: Path, scope: Scope, what: string, byteDefault: number, withByte: boolean): AccessArgs {
  const o = expectObject(value, path, `a mapping with task, addr, length${withByte ? " and byte" : ""}`);
  expectKeys(o, withByte ? ["task", "addr", "length", "byte"] : ["task", "addr", "length"], path);
  const task = taskOf(o, path, scope);
  if (o.addr === undefined) fail([...path, "addr"], `missing: expected the address to ${what}, like buf or buf+4KiB`);
  const addr = addrField(o.addr, [...path, "addr"], scope);
  const length = o.length === undefined ? 8 : expectSize(o.length, [...path, "length"]);
  if (length === 0) fail([...path, "length"], "expected a size above 0");
  return { task, addr, length, byte: byteField(o.byte, [...path, "byte"], byteDefault) };
}

function cpuOf(ctx: RunContext, t: Task) {
  return ctx.kernel.hw.cpus[t.cpu]!;
}

export const forkStep: StepDef<{ task: string; name: string }> = {
  name: "fork",
  summary: "fork a task: the child shares every private page copy-on-write",
  example: "- fork: { task: app, name: child }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and name");
    expectKeys(o, ["task", "name"], path);
    const task = taskOf(o, path, scope);
    const name = expectString(o.name, [...path, "name"], "a name for the child");
    if (name.length > COMM_MAX) fail([...path, "name"], `expected at most ${COMM_MAX} characters, got ${name.length}`);
    scope.define(name, "task", [...path, "name"]);
    return { task, name };
  },
  describe: (a) => `${a.task}: fork() as ${a.name}`,
  run(a, ctx) {
    const parent = liveTask(a.task, ctx);
    const child = virtualOf(ctx.kernel).fork(parent, a.name);
    if (typeof child === "number") {
      ctx.errno = -child;
      return `= -1 ${errnoName(-child)}\n`;
    }
    ctx.errno = 0;
    ctx.bind(a.name, "task", child);
    return `= ${child.pid} (on CPU ${child.cpu})\n`;
  },
};

interface StoreArgs extends AccessArgs { stride: number; count: number }

export const storeStep: StepDef<StoreArgs> = {
  name: "store",
  summary: "the task writes length bytes of a value (default 0xaa) at addr, faulting pages in; with count, at addr + i * stride for each i < count",
  example: "- store: { task: app, addr: buf2, length: 4KiB }",
  parse: (value, path, scope) => {
    const o = expectObject(value, path, "a mapping with task, addr, length and byte (and stride and count to repeat the store)");
    expectKeys(o, ["task", "addr", "length", "byte", "stride", "count"], path);
    const { stride: s, count: c, ...rest } = o;
    const a = parseAccess(rest, path, scope, "write", DEFAULT_STORE_BYTE, true);
    if (a.length > MAX_STORE_BYTES) fail([...path, "length"], `expected at most ${MAX_STORE_BYTES / (1024 * 1024)}MiB (use memset for a larger range), got ${a.length}`);
    const count = c === undefined ? 1 : expectInt(c, [...path, "count"], 1, MAX_STORE_COUNT);
    if (s === undefined && count > 1) fail([...path, "stride"], "missing: expected the distance between the stores of a count, like 4KiB");
    const stride = s === undefined ? 0 : expectSize(s, [...path, "stride"]);
    if (s !== undefined && stride === 0) fail([...path, "stride"], "expected a size above 0");
    if (a.length * count > MAX_STORE_BYTES) fail([...path, "count"], `expected length × count at most ${MAX_STORE_BYTES / (1024 * 1024)}MiB (use memset for a larger range), got ${a.length * count} bytes`);
    return { ...a, stride, count };
  },
  describe: (a) => `${a.task}: store ${a.length} bytes of 0x${a.byte.toString(16)} at ${formatAddr(a.addr)}` +
    (a.count > 1 ? ` and every ${a.stride} bytes after it, ${a.count} times` : ""),
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const v = virtualOf(ctx.kernel);
    const bytes = new Uint8Array(a.length).fill(a.byte);
    const base = resolveAddr(a.addr, ctx);
    for (let i = 0; i < a.count; i++) {
      const sig = userStore(v.vmm, t.mm!, cpuOf(ctx, t), base + i * a.stride, bytes);
      if (sig) return deliver(ctx.kernel, t, sig);
    }
    return "";
  },
};

export const memsetStep: StepDef<AccessArgs> = {
  name: "memset",
  summary: "the task runs memset(addr, byte, length) (byte defaults to 0)",
  example: "- memset: { task: app, addr: buf2, length: 8KiB, byte: 0 }",
  parse: (value, path, scope) => parseAccess(value, path, scope, "fill", 0, true),
  describe: (a) => `${a.task}: memset(${formatAddr(a.addr)}, ${a.byte}, ${a.length})`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const sig = userMemset(virtualOf(ctx.kernel).vmm, t.mm!, cpuOf(ctx, t), resolveAddr(a.addr, ctx), a.byte, a.length);
    return sig ? deliver(ctx.kernel, t, sig) : "";
  },
};

export const loadStep: StepDef<AccessArgs> = {
  name: "load",
  summary: `the task reads length bytes (at most ${MAX_LOAD_BYTES}) at addr and prints them`,
  example: "- load: { task: app, addr: buf2, length: 16 }",
  parse(value, path, scope) {
    const a = parseAccess(value, path, scope, "read", 0, false);
    if (a.length > MAX_LOAD_BYTES) fail([...path, "length"], `expected at most ${MAX_LOAD_BYTES} bytes (a load prints them), got ${a.length}`);
    return a;
  },
  describe: (a) => `${a.task}: load ${a.length} bytes at ${formatAddr(a.addr)}`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const addr = resolveAddr(a.addr, ctx);
    const buf = new Uint8Array(a.length);
    const sig = userLoad(virtualOf(ctx.kernel).vmm, t.mm!, cpuOf(ctx, t), addr, buf);
    if (sig) return deliver(ctx.kernel, t, sig);
    let s = "";
    for (let i = 0; i < buf.length; i += 16) {
      s += `${(addr + i).toString(16)}: ${[...buf.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}\n`;
    }
    return s;
  },
};

export const ACCESS_STEPS: readonly StepDef[] = [forkStep, storeStep, memsetStep, loadStep] as StepDef[];
