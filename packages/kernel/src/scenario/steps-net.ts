// The socket steps, printed as strace shows the calls: a task opens a TCP socket connected to
// the wire's far end (the NIC records what arrives) and sends a file to it with sendfile; write
// and close on the socket are the file steps (a socket is a descriptor like any other).
//
//   - socket: { task: app, as: sock }
//   - write: { task: app, fd: sock, addr: buf, length: 4KiB }
//   - sendfile: { task: app, out: sock, in: fd, count: 64KiB }      (offset: 4KiB: from there, f_pos kept)
import { sysSendfile, sysSocket } from "@mmsim/virtual";
import { netKernelOf } from "../modules/net";
import { expectKeys, expectObject, expectSize, expectString, fail } from "../validate";
import type { Path } from "../validate";
import type { StepDef } from "./step";
import { fdField, fdText, fileKernelOf, resolveFd, syscallResult, type FdRef } from "./steps-file";
import { liveTask } from "./vm-fields";

export const socketStep: StepDef<{ task: string; as?: string }> = {
  name: "socket",
  summary: "open a TCP socket connected to the wire's far end (the NIC records what it receives): socket(2)",
  example: "- socket: { task: app, as: sock }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task and as");
    expectKeys(o, ["task", "as"], path);
    const task = scope.use(expectString(o.task, [...path, "task"], "the name of a spawned task"), "task", [...path, "task"]);
    if (o.as === undefined) return { task };
    const as = expectString(o.as, [...path, "as"], "a name");
    scope.define(as, "file descriptor", [...path, "as"]);
    return { task, as };
  },
  describe: (a) => `${a.task}: socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)${a.as ? ` as ${a.as}` : ""}`,
  run(a, ctx) {
    const t = liveTask(a.task, ctx);
    const fk = fileKernelOf(ctx.kernel);
    const fd = sysSocket(fk.fs, fk.filesOf(t), netKernelOf(ctx.kernel).net);
    if (fd >= 0 && a.as) ctx.bind(a.as, "file descriptor", { task: t, fd });
    return syscallResult(fd, ctx);
  },
};

interface SendfileArgs { task: string; out: FdRef; in: FdRef; offset: number | null; count: number }

function sizeField(o: Record<string, unknown>, key: string, path: Path, what: string): number {
  if (o[key] === undefined) fail([...path, key], `missing: expected ${what}`);
  return expectSize(o[key], [...path, key]);
}

export const sendfileStep: StepDef<SendfileArgs> = {
  name: "sendfile",
  summary: "send a file to a socket without copying it through user memory: sendfile(2)",
  example: "- sendfile: { task: app, out: sock, in: src, count: 64KiB }",
  parse(value, path, scope) {
    const o = expectObject(value, path, "a mapping with task, out, in, offset and count");
    expectKeys(o, ["task", "out", "in", "offset", "count"], path);
    const task = scope.use(expectString(o.task, [...path, "task"], "the name of a spawned task"), "task", [...path, "task"]);
    const out = fdField(o.out, [...path, "out"], scope);
    const inFd = fdField(o.in, [...path, "in"], scope);
    const offset = o.offset === undefined ? null : expectSize(o.offset, [...path, "offset"]);
    return { task, out, in: inFd, offset, count: sizeField(o, "count", path, "the bytes to send, like 64KiB") };
  },
  describe: (a) => `${a.task}: sendfile(${fdText(a.out)}, ${fdText(a.in)}, ${a.offset === null ? "NULL" : `[${a.offset}]`}, ${a.count})`,
  run(a, ctx) {
    const [t, outFd] = resolveFd(a.task, a.out, ctx);
    const [, inFd] = resolveFd(a.task, a.in, ctx);
    const fk = fileKernelOf(ctx.kernel);
    return syscallResult(sysSendfile(fk.fs, fk.filesOf(t), outFd, inFd, a.offset, a.count), ctx);
  },
};

export const NET_STEPS: readonly StepDef[] = [socketStep, sendfileStep] as StepDef[];
