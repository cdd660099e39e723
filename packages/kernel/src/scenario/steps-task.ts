// Task steps: spawn a process with an empty address space, exit it, send it a signal, and
// expect: check a /proc field (of the VMA at an address for maps and smaps; of the page at an
// address for pagemap), a signal a task received, or the errno the previous system call left. A
// failed expectation stops the run with the step's file and line.
//
//   - spawn: { name: app }
//   - kill: { task: app, signal: SIGKILL }
//   - expect: { path: /proc/app/status, field: VmSize, equals: 40 kB }
//   - expect: { path: /proc/app/maps, at: buf, field: perms, equals: r--p }
//   - expect: { path: /proc/app/pagemap, at: buf+4KiB, field: present, equals: 1 }
//   - expect: { task: app, signal: SIGKILL }
//   - expect: { errno: ENOMEM }
import { InputError, PAGE_SIZE } from "@mmsim/base";
import { describe as describeValue, expectInt, expectKeys, expectObject, expectString, fail, type Path } from "../validate";
import { COMM_MAX, SIGNALS } from "../task";
import { decodePagemapEntry, PAGEMAP_FIELDS, pagemapFieldIsFlag, pagemapFieldValue, PM_ENTRY_BYTES, type PagemapField } from "../proc-pid-pagemap";
import { virtualOf } from "../virtual-kernel";
import type { RunContext, Scope, StepDef } from "./step";
import { addrField, errnoField, errnoName, formatAddr, liveTask, resolveAddr, type AddrExpr } from "./vm-fields";

function signalField(v: unknown, path: Path): number {
  const i = typeof v === "string" ? SIGNALS.indexOf(v.startsWith("SIG") ? v : `SIG${v}`) : -1;
  if (i <= 0) fail(path, `expected a signal name such as SIGKILL, SIGTERM or SIGSEGV, got ${String(v)}`);
  return i;
}

export const spawnStep: StepDef<{ name: string; cpu: number | undefined }> = {
  name: "spawn",
  summary: "start a task with an empty address space; its name stands for its pid (/proc/app/maps)",
  example: "- spawn: { name: app }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with name and cpu");
    expectKeys(o, ["name", "cpu"], path);
    const name = expectString(o.name, [...path, "name"], "a task name");
    if (name.length > COMM_MAX) fail([...path, "name"], `expected at most ${COMM_MAX} characters (TASK_COMM_LEN - 1), got ${name.length}`);
    scope.define(name, "task", [...path, "name"]);
    return { name, cpu: o.cpu === undefined ? undefined : expectInt(o.cpu, [...path, "cpu"], 0, 63) };
  },
  describe: (a) => `spawn ${a.name}`,
  run(a, ctx) {
    const k = ctx.kernel;
    if (a.cpu !== undefined && a.cpu >= k.config.cpus) throw new InputError(`cpu: the machine has CPUs 0-${k.config.cpus - 1}, got ${a.cpu}`);
    const t = virtualOf(k).spawn(a.name, { cpu: a.cpu });
    if (typeof t === "number") return `failed: ${errnoName(-t)}\n`;
    ctx.bind(a.name, "task", t);
    return `pid ${t.pid} on CPU ${t.cpu}\n`;
  },
};

export const exitStep: StepDef<{ task: string; code: number }> = {
  name: "exit",
  summary: "a task exits: its address space is torn down and its kernel objects freed",
  example: "- exit: { task: app }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and code");
    expectKeys(o, ["task", "code"], path);
    const task = scope.use(o.task, "task", [...path, "task"]);
    return { task, code: o.code === undefined ? 0 : expectInt(o.code, [...path, "code"], 0, 255) };
  },
  describe: (a) => `${a.task}: exit(${a.code})`,
  run(a, ctx) {
    virtualOf(ctx.kernel).exit(liveTask(a.task, ctx), a.code);
    return "";
  },
};

export const killStep: StepDef<{ task: string; signal: number }> = {
  name: "kill",
  summary: "send a signal; its default action applies (most end the task)",
  example: "- kill: { task: app, signal: SIGSTOP }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and signal");
    expectKeys(o, ["task", "signal"], path);
    return { task: scope.use(o.task, "task", [...path, "task"]), signal: o.signal === undefined ? 15 : signalField(o.signal, [...path, "signal"]) };
  },
  describe: (a) => `kill -${SIGNALS[a.signal]!.slice(3)} ${a.task}`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    virtualOf(ctx.kernel).kill(t, a.signal);
    return t.alive ? `${a.task}: ${t.state}\n` : `${a.task}: killed by ${SIGNALS[a.signal]}\n`;
  },
};

type ExpectArgs =
  | { kind: "file"; path: string; at: AddrExpr | null; field: string | null; equals: string }
  | { kind: "pagemap"; path: string; at: AddrExpr; field: PagemapField; equals: number; text: string }
  | { kind: "signal"; task: string; signal: number }
  | { kind: "errno"; errno: number };

/** Collapses runs of blanks, as a reader compares "4 kB" with "     4 kB". */
const squash = (s: string) => s.trim().replace(/\s+/g, " ");

/** The maps columns by name, for expect's field when `at` picks a VMA's line. */
const MAPS_COLUMNS = ["range", "perms", "offset", "dev", "inode", "pathname"];

/** The text of `field` in a /proc file's text (restricted to the block of the VMA holding `at`). */
function fieldOf(text: string, at: number | null, field: string | null, path: string): string {
  let lines = text.split("\n").filter((l) => l !== "");
  if (at !== null) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /;
    const i = lines.findIndex((l) => {
      const m = header.exec(l);
      return m !== null && parseInt(m[1]!, 16) <= at && at < parseInt(m[2]!, 16);
    });
    if (i < 0) throw new InputError(`${path} has no mapping at 0x${at.toString(16)}`);
    let end = i + 1;
    while (end < lines.length && !header.test(lines[end]!)) end++;
    const cols = lines[i]!.split(/\s+/);
    const col = field === null ? -1 : MAPS_COLUMNS.indexOf(field);
    if (col >= 0) return col === 5 ? cols.slice(5).join(" ") : (cols[col] ?? "");
    lines = lines.slice(i + 1, end);
  }
  if (field === null) return lines.join("\n");
  for (const l of lines) {
    const m = /^([^:\s]+):?\s+(.*)$/.exec(l);
    if (m && m[1] === field) return m[2]!;
  }
  throw new InputError(`${path} has no field ${field}${at !== null ? ` at 0x${at.toString(16)}` : ""}`);
}

/** A /proc/<pid or task>/pagemap path: expect reads its entry at `at` instead of text. */
const PAGEMAP_PATH = /^\/proc\/[^/]+\/pagemap\/?$/;
/**
 * The largest pfn or swap offset expect compares: bits 0-54 (PM_PFRAME_BITS = 55) hold more than a
 * number holds exactly, but a pfn stays below 2^40 (MAX_PHYSMEM_BITS 52 less PAGE_SHIFT 12).
 */
const PAGEMAP_EXPECT_MAX = Number.MAX_SAFE_INTEGER;

/** The arguments of a pagemap expect: the page at `at` (page-aligned), a field by pagemap.rst's name, its value. */
function parsePagemapExpect(o: Record<string, unknown>, file: string, path: Path, scope: Scope): ExpectArgs {
  if (o.at === undefined) fail([...path, "at"], "missing: expected the address of the page whose entry to read, like buf+4KiB");
  const at = addrField(o.at, [...path, "at"], scope);
  if (at.offset % PAGE_SIZE !== 0) {
    fail([...path, "at"], `expected a page-aligned address (pagemap has one entry per ${PAGE_SIZE}-byte page), got ${formatAddr(at)}`);
  }
  const fields: readonly string[] = PAGEMAP_FIELDS;
  if (typeof o.field !== "string" || !fields.includes(o.field)) {
    fail([...path, "field"], `expected a pagemap field (${PAGEMAP_FIELDS.join(", ")}), got ${describeValue(o.field)}`);
  }
  const field = o.field as PagemapField;
  const e = o.equals;
  let equals: number;
  if (pagemapFieldIsFlag(field)) {
    equals = e === true || e === 1 || e === "1" ? 1 : e === false || e === 0 || e === "0" ? 0 : -1;
    if (equals < 0) fail([...path, "equals"], `expected 0 or 1 (${field} is one bit), got ${describeValue(e)}`);
  } else if (typeof e === "string" && /^0x[0-9a-f]+$/i.test(e.trim())) {
    equals = Number.parseInt(e.trim(), 16);
    if (equals > PAGEMAP_EXPECT_MAX) fail([...path, "equals"], `expected a whole number from 0 to ${PAGEMAP_EXPECT_MAX}, got ${describeValue(e)}`);
  } else {
    equals = expectInt(e, [...path, "equals"], 0, PAGEMAP_EXPECT_MAX);
  }
  return { kind: "pagemap", path: file, at, field, equals, text: squash(String(e === true ? 1 : e === false ? 0 : e)) };
}

/** The pagemap entry of the page at `va` in the file at `path`, decoded; a read that fails is an InputError. */
function pagemapEntryAt(ctx: RunContext, path: string, va: number) {
  if (va < 0) throw new InputError(`${path}: the address is below 0 (-0x${(-va).toString(16)})`);
  if (va % PAGE_SIZE !== 0) throw new InputError(`${path}: 0x${va.toString(16)} is not page-aligned (pagemap has one entry per ${PAGE_SIZE}-byte page)`);
  const bytes = ctx.kernel.procfs.readBytes(path, (va / PAGE_SIZE) * PM_ENTRY_BYTES, PM_ENTRY_BYTES);
  if (typeof bytes === "number") throw new InputError(`${path}: read at 0x${va.toString(16)} failed: ${errnoName(-bytes)}`);
  if (bytes.length < PM_ENTRY_BYTES) throw new InputError(`${path} has no entry at 0x${va.toString(16)}: past the end of the user address space`);
  return decodePagemapEntry(new DataView(bytes.buffer, bytes.byteOffset, PM_ENTRY_BYTES).getBigUint64(0, true));
}

export const expectStep: StepDef<ExpectArgs> = {
  name: "expect",
  summary: "check a /proc field or a page's pagemap bit, a signal a task received, or the errno of the previous step",
  example: "- expect: { path: /proc/app/status, field: VmLck, equals: 8 kB }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping: { path, at, field, equals }, { task, signal } or { errno }");
    if (o.errno !== undefined) {
      expectKeys(o, ["errno"], path);
      return { kind: "errno", errno: errnoField(o.errno, [...path, "errno"]) };
    }
    if (o.signal !== undefined || o.task !== undefined) {
      expectKeys(o, ["task", "signal"], path);
      return { kind: "signal", task: scope.use(o.task, "task", [...path, "task"]), signal: signalField(o.signal, [...path, "signal"]) };
    }
    expectKeys(o, ["path", "at", "field", "equals"], path);
    const file = expectString(o.path, [...path, "path"], "a /proc file such as /proc/app/status");
    if (PAGEMAP_PATH.test(file.trim())) return parsePagemapExpect(o, file.trim(), path, scope);
    if (o.equals === undefined || o.equals === null || typeof o.equals === "object") fail([...path, "equals"], "expected the value the field must have, like 4 kB");
    const at = o.at === undefined ? null : addrField(o.at, [...path, "at"], scope);
    const field = o.field === undefined ? null : expectString(o.field, [...path, "field"], "a field name such as Rss or VmSize");
    return { kind: "file", path: file, at, field, equals: squash(String(o.equals)) };
  },
  describe(a) {
    if (a.kind === "errno") return `expect errno ${errnoName(a.errno)}`;
    if (a.kind === "signal") return `expect ${a.task} received ${SIGNALS[a.signal]}`;
    if (a.kind === "pagemap") return `expect ${a.path} at ${formatAddr(a.at)} ${a.field} = ${a.text}`;
    return `expect ${a.path}${a.at ? ` at ${formatAddr(a.at)}` : ""}${a.field ? ` ${a.field}` : ""} = ${a.equals}`;
  },
  run(a, ctx) {
    if (a.kind === "errno") {
      if (ctx.errno !== a.errno) throw new InputError(`expected errno ${errnoName(a.errno)}, the previous call left ${errnoName(ctx.errno)}`);
      return "ok\n";
    }
    if (a.kind === "signal") {
      const t = ctx.lookup(a.task, "task");
      if (t === undefined || !t.signals.includes(a.signal)) {
        const got = t?.signals.map((s) => SIGNALS[s]).join(", ") || "none";
        throw new InputError(`expected ${a.task} to have received ${SIGNALS[a.signal]}; it received ${got}`);
      }
      return "ok\n";
    }
    if (a.kind === "pagemap") {
      const va = resolveAddr(a.at, ctx);
      const got = pagemapFieldValue(pagemapEntryAt(ctx, a.path, va), a.field);
      if (got !== a.equals) throw new InputError(`expected ${a.field} of the page at 0x${va.toString(16)} to be ${a.text}, got ${a.text.startsWith("0x") ? `0x${got.toString(16)}` : got}`);
      return "ok\n";
    }
    const got = squash(fieldOf(ctx.kernel.cat(a.path), a.at ? resolveAddr(a.at, ctx) : null, a.field, a.path));
    if (got !== a.equals) throw new InputError(`expected ${a.field ?? "the file"} to be "${a.equals}", got "${got}"`);
    return "ok\n";
  },
};

