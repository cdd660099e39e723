// The exec scenario step: execve of the built-in program (or a described one) in a task, or in
// a new task it spawns (`spawn:` instead of `task:`, as a shell's fork+exec seen from outside).
//
//   - exec: { spawn: app }                                   # new task running /usr/bin/app
//   - exec: { task: app, argv: [app, -v], envp: [A=1], aslr: false }
//   - exec: { spawn: hello, program: { path: /usr/bin/hello, segments: [...], entry: 0x1040 } }
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "@mmsim/virtual";
import type { Task } from "../task";
import { COMM_MAX } from "../task";
import { expectInt, expectKeys, expectObject, expectString, fail, type Path } from "../validate";
import { virtualOf } from "../virtual-kernel";
import type { StepDef } from "../scenario/step";
import { errnoName, liveTask } from "../scenario/vm-fields";
import { DEFAULT_ENVP, execOf, type ExecOptions } from "./exec";
import { BUILTIN_PROGRAM, type ElfImage, type ElfSegment, type Program } from "./program";

interface ExecArgs {
  task: string;
  spawn: boolean;
  program: Program;
  argv: string[];
  envp: string[];
  aslr: boolean | undefined;
}

/** The largest value a description field takes: addresses and sizes stay exact below 2^53. */
const U64 = 2 ** 53;

function strings(v: unknown, path: Path, what: string): string[] {
  if (!Array.isArray(v)) fail(path, `expected a list of ${what}`);
  return v.map((s, i) => expectString(s, [...path, i], what));
}

function prot(v: unknown, path: Path): number {
  const s = expectString(v, path, "r, rw, rx or rwx");
  if (!/^r?w?x?$/.test(s) || s === "") fail(path, `expected r, rw, rx or rwx, got ${s}`);
  return (s.includes("r") ? PROT_READ : 0) | (s.includes("w") ? PROT_WRITE : 0) | (s.includes("x") ? PROT_EXEC : 0);
}

/**
 * A program description: its path, PT_LOAD segments (page-congruent offset and vaddr), entry,
 * optional PT_GNU_RELRO, and pie (false: ET_EXEC mapped at its vaddrs, e.g. 0x400000); it is
 * linked with the built-in ld.so and libc.so.6.
 */
function programField(v: unknown, path: Path): Program {
  const o = expectObject(v, path, "a mapping with path, segments, entry, relro and pie");
  expectKeys(o, ["path", "segments", "entry", "relro", "pie"], path);
  if (o.pie !== undefined && typeof o.pie !== "boolean") fail([...path, "pie"], "expected true (ET_DYN, the default) or false (ET_EXEC at its link addresses)");
  const p = expectString(o.path, [...path, "path"], "an absolute path");
  if (!p.startsWith("/")) fail([...path, "path"], `expected an absolute path, got ${p}`);
  if (!Array.isArray(o.segments) || o.segments.length === 0) fail([...path, "segments"], "expected a list of PT_LOAD segments");
  let prevEnd = 0;
  const segments: ElfSegment[] = o.segments.map((sv, i) => {
    const sp = [...path, "segments", i];
    const s = expectObject(sv, sp, "a mapping with offset, vaddr, filesz, memsz and prot");
    expectKeys(s, ["offset", "vaddr", "filesz", "memsz", "prot"], sp);
    const seg = {
      offset: expectInt(s.offset, [...sp, "offset"], 0, U64), vaddr: expectInt(s.vaddr, [...sp, "vaddr"], 0, U64),
      filesz: expectInt(s.filesz, [...sp, "filesz"], 0, U64), memsz: expectInt(s.memsz, [...sp, "memsz"], 1, U64), prot: prot(s.prot, [...sp, "prot"]),
    };
    if (seg.offset % 4096 !== seg.vaddr % 4096) fail(sp, "offset and vaddr must be congruent modulo the page size (p_align)");
    if (seg.memsz < seg.filesz) fail(sp, "memsz must be at least filesz");
    if (Math.floor(seg.vaddr / 4096) * 4096 < prevEnd) fail(sp, "segments must be in ascending vaddr order without overlapping pages");
    prevEnd = Math.ceil((seg.vaddr + seg.memsz) / 4096) * 4096;
    return seg;
  });
  const fileBytes = Math.max(...segments.map((s) => s.offset + s.filesz));
  const relro = o.relro === undefined ? null : (() => {
    const r = expectObject(o.relro, [...path, "relro"], "a mapping with vaddr and size");
    expectKeys(r, ["vaddr", "size"], [...path, "relro"]);
    return { vaddr: expectInt(r.vaddr, [...path, "relro", "vaddr"], 0, U64), size: expectInt(r.size, [...path, "relro", "size"], 0, U64) };
  })();
  const exe: ElfImage = {
    path: p, fileBytes, type: o.pie === false ? "ET_EXEC" : "ET_DYN", segments, relro, entry: expectInt(o.entry, [...path, "entry"], 0, U64), phoff: 64, phnum: segments.length + 7,
  };
  return { ...BUILTIN_PROGRAM, exe };
}

export const execStep: StepDef<ExecArgs> = {
  name: "exec",
  summary: "execve a program (default: the built-in /usr/bin/app with ld.so and libc.so.6) in a task, or in a new task (spawn:)",
  example: "- exec: { spawn: hello, argv: [hello, world], aslr: false }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task or spawn, and program, argv, envp, aslr");
    expectKeys(o, ["task", "spawn", "program", "argv", "envp", "aslr"], path);
    if ((o.task === undefined) === (o.spawn === undefined)) fail(path, "expected exactly one of task (an existing task) and spawn (a new task's name)");
    let task: string;
    if (o.spawn !== undefined) {
      task = expectString(o.spawn, [...path, "spawn"], "a task name");
      if (task.length > COMM_MAX) fail([...path, "spawn"], `expected at most ${COMM_MAX} characters (TASK_COMM_LEN - 1), got ${task.length}`);
      scope.define(task, "task", [...path, "spawn"]);
    } else task = scope.use(o.task, "task", [...path, "task"]);
    const program = o.program === undefined ? BUILTIN_PROGRAM : programField(o.program, [...path, "program"]);
    const argv = o.argv === undefined ? [program.exe.path] : strings(o.argv, [...path, "argv"], "argument strings");
    const envp = o.envp === undefined ? [...DEFAULT_ENVP] : strings(o.envp, [...path, "envp"], "NAME=value strings");
    if (o.aslr !== undefined && typeof o.aslr !== "boolean") fail([...path, "aslr"], "expected true or false");
    return { task, spawn: o.spawn !== undefined, program, argv, envp, aslr: o.aslr as boolean | undefined };
  },
  describe: (a) => `${a.task}: execve("${a.program.exe.path}", [${a.argv.map((s) => JSON.stringify(s)).join(", ")}], /* ${a.envp.length} vars */)${a.aslr === false ? " (setarch -R)" : ""}`,
  run(a, ctx) {
    const k = ctx.kernel;
    const ex = execOf(k);
    let t: Task;
    let out = "";
    if (a.spawn) {
      const s = virtualOf(k).spawn(a.task);
      if (typeof s === "number") return `spawn failed: ${errnoName(-s)}\n`;
      ctx.bind(a.task, "task", s);
      t = s;
      out = `pid ${t.pid} on CPU ${t.cpu}\n`;
    } else {
      t = liveTask(a.task, ctx);
    }
    const opts: ExecOptions = { program: a.program, argv: a.argv, envp: a.envp, aslr: a.aslr };
    const r = ex.execve(t, opts);
    if (typeof r === "number") {
      ctx.errno = -r;
      return `${out}= -1 ${errnoName(-r)}\n`;
    }
    ctx.errno = 0;
    const hex = (n: number) => `0x${n.toString(16)}`;
    return `${out}= 0 (pid ${t.pid}: load ${hex(r.loadBias)}, ld.so ${hex(r.interpBase)}, vdso ${hex(r.vdso)}, brk ${hex(r.startBrk)}, sp ${hex(r.stack.sp)})\n`;
  },
};
