// The address-space system calls as scenario steps, each made by a task and printed as strace
// shows it: the call with Linux's flag names, then "= result" or "= -1 ENOMEM (...)".
//
//   - mmap: { task: app, length: 40KiB, prot: [read, write], flags: [private, anonymous], as: buf }
//   - mprotect: { task: app, addr: buf+20KiB, length: 20KiB, prot: [read] }
//   - munmap / mremap / brk / madvise / mlock
//   - thp: { enabled: always }   (echo always > /sys/kernel/mm/transparent_hugepage/enabled)
//
// An error the kernel returns is output (and the errno is kept for expect: { errno }), not a
// failure of the run.
import {
  THP_DEFRAG_CHOICES, THP_ENABLED_CHOICES, MLOCK_ONFAULT, doBrk, doMadvise, doMlock2, doMprotect, doMremap, fileVmFile, sysMmap, sysMunmap,
} from "@mmsim/virtual";
import type { VmFile } from "@mmsim/virtual";
import { fdField, fdText, fileKernelOf, resolveFd, type FdRef } from "./steps-file";
import { expectEnum, expectKeys, expectObject, expectSize, expectString, fail, type Path } from "../validate";
import { THP_SYSFS, virtualOf, type ThpSysfsFile } from "../virtual-kernel";
import type { Scope, StepDef } from "./step";
import {
  MADV_NAMES, MAP_NAMES, MREMAP_NAMES, PROT_NAMES, addrField, formatAddr, liveTask, nameListField, resolveAddr, syscallResult,
  type AddrExpr,
} from "./vm-fields";

function taskName(o: Record<string, unknown>, path: Path, scope: Scope): string {
  return scope.use(expectString(o.task, [...path, "task"], "the name of a spawned task"), "task", [...path, "task"]);
}

function bindAs(o: Record<string, unknown>, path: Path, scope: Scope): string | undefined {
  if (o.as === undefined) return undefined;
  const as = expectString(o.as, [...path, "as"], "a name");
  scope.define(as, "address", [...path, "as"]);
  return as;
}

const hex = (n: number) => `0x${n.toString(16)}`;

interface MmapArgs { task: string; addr: AddrExpr | null; length: number; prot: { value: number; text: string }; flags: { value: number; text: string }; fd?: FdRef; offset: number; as?: string }

export const mmapStep: StepDef<MmapArgs> = {
  name: "mmap",
  summary: "map memory into a task (anonymous, or a file opened with open: fd and offset): mmap(2)",
  example: "- mmap: { task: app, length: 40KiB, prot: [read, write], flags: [private, anonymous], as: buf }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, addr, length, prot, flags and as");
    expectKeys(o, ["task", "addr", "length", "prot", "flags", "fd", "offset", "as"], path);
    const task = taskName(o, path, scope);
    const addr = o.addr === undefined ? null : addrField(o.addr, [...path, "addr"], scope);
    if (o.length === undefined) fail([...path, "length"], "missing: expected a size like 40KiB");
    const length = expectSize(o.length, [...path, "length"]);
    const prot = nameListField(o.prot, [...path, "prot"], PROT_NAMES, "PROT_NONE");
    const flags = nameListField(o.flags, [...path, "flags"], MAP_NAMES, "0");
    const fd = o.fd === undefined ? undefined : fdField(o.fd, [...path, "fd"], scope);
    const offset = o.offset === undefined ? 0 : expectSize(o.offset, [...path, "offset"]);
    return { task, addr, length, prot, flags, fd, offset, as: bindAs(o, path, scope) };
  },
  describe: (a) => `${a.task}: mmap(${a.addr ? formatAddr(a.addr) : "NULL"}, ${a.length}, ${a.prot.text}, ${a.flags.text}, ${a.fd ? fdText(a.fd) : "-1"}, ${a.offset})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const v = virtualOf(ctx.kernel);
    const t = liveTask(a.task, ctx);
    let file: VmFile | null = null;
    if (a.fd) {
      // fdget: a descriptor not open in the task is EBADF from mmap's own check
      const fk = fileKernelOf(ctx.kernel);
      const [ft, fd] = resolveFd(a.task, a.fd, ctx);
      const f = fk.filesOf(ft).get(fd);
      if (f !== null) file = fileVmFile(fk.fs, f);
    }
    const r = sysMmap(v.vmm, t.mm!, a.addr ? resolveAddr(a.addr, ctx) : 0, a.length, a.prot.value, a.flags.value, file, a.offset);
    if (r >= 0 && a.as) ctx.bind(a.as, "address", r);
    return syscallResult(r, ctx, true);
  },
};

interface RangeArgs { task: string; addr: AddrExpr; length: number }

function parseRange(o: Record<string, unknown>, path: Path, scope: Scope): RangeArgs {
  const task = taskName(o, path, scope);
  if (o.addr === undefined) fail([...path, "addr"], "missing: expected an address like buf or buf+4KiB");
  if (o.length === undefined) fail([...path, "length"], "missing: expected a size like 4KiB");
  return { task, addr: addrField(o.addr, [...path, "addr"], scope), length: expectSize(o.length, [...path, "length"]) };
}

export const munmapStep: StepDef<RangeArgs> = {
  name: "munmap",
  summary: "unmap a range of a task's address space: munmap(2)",
  example: "- munmap: { task: app, addr: buf+32KiB, length: 8KiB }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, addr and length");
    expectKeys(o, ["task", "addr", "length"], path);
    return parseRange(o, path, scope);
  },
  describe: (a) => `${a.task}: munmap(${formatAddr(a.addr)}, ${a.length})`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    return syscallResult(sysMunmap(virtualOf(ctx.kernel).vmm, t.mm!, resolveAddr(a.addr, ctx), a.length), ctx, false);
  },
};

export const mprotectStep: StepDef<RangeArgs & { prot: { value: number; text: string } }> = {
  name: "mprotect",
  summary: "change the protection of a range (splitting and merging VMAs): mprotect(2)",
  example: "- mprotect: { task: app, addr: buf+16KiB, length: 16KiB, prot: [read] }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, addr, length and prot");
    expectKeys(o, ["task", "addr", "length", "prot"], path);
    return { ...parseRange(o, path, scope), prot: nameListField(o.prot, [...path, "prot"], PROT_NAMES, "PROT_NONE") };
  },
  describe: (a) => `${a.task}: mprotect(${formatAddr(a.addr)}, ${a.length}, ${a.prot.text})`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    return syscallResult(doMprotect(virtualOf(ctx.kernel).vmm, t.mm!, resolveAddr(a.addr, ctx), a.length, a.prot.value), ctx, false);
  },
};

interface MremapArgs { task: string; addr: AddrExpr; oldLength: number; newLength: number; flags: { value: number; text: string }; newAddr: AddrExpr | null; as?: string }

export const mremapStep: StepDef<MremapArgs> = {
  name: "mremap",
  summary: "grow, shrink or move a mapping: mremap(2)",
  example: "- mremap: { task: app, addr: buf, old_length: 16KiB, new_length: 64KiB, flags: [maymove], as: buf2 }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, addr, old_length, new_length, flags, new_addr and as");
    expectKeys(o, ["task", "addr", "old_length", "new_length", "flags", "new_addr", "as"], path);
    const task = taskName(o, path, scope);
    if (o.addr === undefined) fail([...path, "addr"], "missing: expected an address like buf");
    const addr = addrField(o.addr, [...path, "addr"], scope);
    if (o.old_length === undefined) fail([...path, "old_length"], "missing: expected a size like 40KiB");
    if (o.new_length === undefined) fail([...path, "new_length"], "missing: expected a size like 80KiB");
    const oldLength = expectSize(o.old_length, [...path, "old_length"]);
    const newLength = expectSize(o.new_length, [...path, "new_length"]);
    const flags = nameListField(o.flags, [...path, "flags"], MREMAP_NAMES, "0");
    const newAddr = o.new_addr === undefined ? null : addrField(o.new_addr, [...path, "new_addr"], scope);
    return { task, addr, oldLength, newLength, flags, newAddr, as: bindAs(o, path, scope) };
  },
  describe: (a) =>
    `${a.task}: mremap(${formatAddr(a.addr)}, ${a.oldLength}, ${a.newLength}, ${a.flags.text}${a.newAddr ? `, ${formatAddr(a.newAddr)}` : ""})${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const r = doMremap(virtualOf(ctx.kernel).vmm, t.mm!, resolveAddr(a.addr, ctx), a.oldLength, a.newLength, a.flags.value, a.newAddr ? resolveAddr(a.newAddr, ctx) : 0);
    if (r >= 0 && a.as) ctx.bind(a.as, "address", r);
    return syscallResult(r, ctx, true);
  },
};

export const brkStep: StepDef<{ task: string; addr: AddrExpr | null; increment: number | null }> = {
  name: "brk",
  summary: "move a task's program break, to an address or by an increment (sbrk): brk(2)",
  example: "- brk: { task: app, increment: 132KiB }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and addr or increment");
    expectKeys(o, ["task", "addr", "increment"], path);
    const task = taskName(o, path, scope);
    if ((o.addr === undefined) === (o.increment === undefined)) fail(path, "expected exactly one of addr (the new break) and increment (a size added to the break)");
    const addr = o.addr === undefined ? null : addrField(o.addr, [...path, "addr"], scope);
    return { task, addr, increment: o.increment === undefined ? null : expectSize(o.increment, [...path, "increment"]) };
  },
  describe: (a) => `${a.task}: brk(${a.addr ? formatAddr(a.addr) : `brk+${hex(a.increment!)}`})`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const target = a.addr ? resolveAddr(a.addr, ctx) : t.mm!.brk + a.increment!;
    // brk(2) never fails with an errno: it returns the new break, or the old one when refused
    ctx.errno = 0;
    return `= ${hex(doBrk(virtualOf(ctx.kernel).vmm, t.mm!, target))}\n`;
  },
};

export const madviseStep: StepDef<RangeArgs & { advice: { value: number; text: string } }> = {
  name: "madvise",
  summary: "advise the kernel about a range (dontneed, free, hugepage, dontfork, ...): madvise(2)",
  example: "- madvise: { task: app, addr: buf2, length: 8KiB, advice: dontneed }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, addr, length and advice");
    expectKeys(o, ["task", "addr", "length", "advice"], path);
    const range = parseRange(o, path, scope);
    if (o.advice === undefined || Array.isArray(o.advice)) fail([...path, "advice"], `expected one of ${Object.keys(MADV_NAMES).join(", ")}`);
    return { ...range, advice: nameListField(o.advice, [...path, "advice"], MADV_NAMES, "") };
  },
  describe: (a) => `${a.task}: madvise(${formatAddr(a.addr)}, ${a.length}, ${a.advice.text})`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    return syscallResult(doMadvise(virtualOf(ctx.kernel).vmm, t.mm!, resolveAddr(a.addr, ctx), a.length, a.advice.value), ctx, false);
  },
};

export const mlockStep: StepDef<RangeArgs & { onfault: boolean }> = {
  name: "mlock",
  summary: "lock a range in memory (mlock2 with onfault: true for MLOCK_ONFAULT): mlock(2)",
  example: "- mlock: { task: app, addr: buf2, length: 8KiB }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, addr, length and onfault");
    expectKeys(o, ["task", "addr", "length", "onfault"], path);
    if (o.onfault !== undefined && typeof o.onfault !== "boolean") fail([...path, "onfault"], "expected true or false");
    return { ...parseRange(o, path, scope), onfault: o.onfault === true };
  },
  describe: (a) => (a.onfault ? `${a.task}: mlock2(${formatAddr(a.addr)}, ${a.length}, MLOCK_ONFAULT)` : `${a.task}: mlock(${formatAddr(a.addr)}, ${a.length})`),
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const r = doMlock2(virtualOf(ctx.kernel).vmm, t.mm!, resolveAddr(a.addr, ctx), a.length, a.onfault ? MLOCK_ONFAULT : 0);
    return syscallResult(r, ctx, false);
  },
};

type ThpArgs = [ThpSysfsFile, string][];

export const thpStep: StepDef<ThpArgs> = {
  name: "thp",
  summary: "write the transparent_hugepage sysfs files (enabled, defrag, use_zero_page), as echo > /sys/kernel/mm/transparent_hugepage/... does",
  example: "- thp: { enabled: always, defrag: madvise, use_zero_page: 1 }",
  parse(value, path) {
    const o = expectObject(value, path, "a mapping with enabled, defrag and use_zero_page");
    expectKeys(o, ["enabled", "defrag", "use_zero_page"], path);
    const out: ThpArgs = [];
    if (o.enabled !== undefined) out.push(["enabled", expectEnum(o.enabled, [...path, "enabled"], THP_ENABLED_CHOICES)]);
    if (o.defrag !== undefined) out.push(["defrag", expectEnum(o.defrag, [...path, "defrag"], THP_DEFRAG_CHOICES)]);
    if (o.use_zero_page !== undefined) out.push(["use_zero_page", String(expectEnum(o.use_zero_page, [...path, "use_zero_page"], [0, 1] as const))]);
    if (out.length === 0) fail(path, "expected at least one of enabled, defrag, use_zero_page");
    return out;
  },
  describe: (a) => a.map(([f, v]) => `echo ${v} > ${THP_SYSFS}/${f}`).join("; "),
  run(a, ctx) {
    const v = virtualOf(ctx.kernel);
    for (const [f, text] of a) v.thpSysfsStore(f, text);
    return "";
  },
};

export const MM_STEPS: readonly StepDef[] = [mmapStep, munmapStep, mprotectStep, mremapStep, brkStep, madviseStep, mlockStep, thpStep] as StepDef[];
