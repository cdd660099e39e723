// /proc/<pid>/cmdline, environ and auxv read back what exec wrote (fs/proc/base.c), and stat's
// fields that exec and the fault path fill: flags (PF_RANDOMIZE, PF_FORKNOEXEC), min_flt/maj_flt
// and cmin_flt/cmaj_flt collected from a reaped child, arg_start..env_end.
import { MiB } from "@mmsim/base";
import { userStore } from "@mmsim/virtual";
import { describe, expect, it } from "vitest";
import { Kernel, execOf, virtualOf, type ExecResult, type Task } from "./index";
import { AT_NULL, AT_PAGESZ, AT_SYSINFO_EHDR } from "./exec/stack";

function spawnExec(k: Kernel, name: string, opts: Parameters<ReturnType<typeof execOf>["execve"]>[1] = {}): [Task, ExecResult] {
  const t = virtualOf(k).spawn(name);
  if (typeof t === "number") throw new Error(`spawn: ${t}`);
  const r = execOf(k).execve(t, opts);
  if (typeof r === "number") throw new Error(`execve: ${r}`);
  return [t, r];
}

const stat = (k: Kernel, t: Task) => k.cat(`/proc/${t.pid}/stat`).trimEnd().split(" ");

describe("/proc/<pid>/cmdline, environ, auxv", () => {
  it("cmdline and environ are the NUL-terminated strings exec put on the stack", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const [t] = spawnExec(k, "app", { aslr: false, argv: ["app", "-n", "hello"], envp: ["A=1", "HOME=/root"] });
    expect(k.cat(`/proc/${t.pid}/cmdline`)).toBe("app\0-n\0hello\0");
    expect(k.cat(`/proc/${t.pid}/environ`)).toBe("A=1\0HOME=/root\0");
    // read(2) at an offset: bytes 4.. of the argument area
    expect(new TextDecoder().decode(k.procfs.readBytes(`/proc/${t.pid}/cmdline`, 4, 3) as Uint8Array)).toBe("-n\0");
  });

  it("setproctitle: a title written over argv and on into the environment is read up to its NUL (get_mm_proctitle)", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const [t, r] = spawnExec(k, "app", { aslr: false, argv: ["app", "x"], envp: ["A=1", "B=2"] });
    const cpu = k.hw.cpus[t.cpu]!;
    // "app\0x\0" (6 bytes) then "A=1\0B=2\0": the title's 14 bytes cover argv and half of envp,
    // so the byte before arg_end is not NUL any more
    const title = new TextEncoder().encode("my-title-long\0");
    expect(userStore(virtualOf(k).vmm, t.mm!, cpu, r.stack.argStart, title)).toBeNull();
    expect(k.cat(`/proc/${t.pid}/cmdline`)).toBe("my-title-long\0");
  });

  it("auxv is saved_auxv as 8-byte little-endian pairs up to AT_NULL (23 pairs, 368 bytes)", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const [t, r] = spawnExec(k, "app", { aslr: false });
    const b = k.procfs.readBytes(`/proc/${t.pid}/auxv`, 0, 4096) as Uint8Array;
    expect(b.length).toBe(368);
    const dv = new DataView(b.buffer, b.byteOffset, b.length);
    const words: number[] = [];
    for (let o = 0; o < b.length; o += 8) words.push(dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 2 ** 32);
    expect(words).toEqual(r.stack.auxv);
    expect(words.slice(0, 2)).toEqual([AT_SYSINFO_EHDR, 0x7ffff7fc8000]);
    expect(words.slice(6, 8)).toEqual([AT_PAGESZ, 4096]);
    expect(words.slice(-2)).toEqual([AT_NULL, 0]);
    expect(() => k.cat(`/proc/${t.pid}/auxv`)).toThrow(/auxiliary vector/);
  });

  it("a task that never exec'd: empty cmdline and environ, auxv one zero AT_NULL pair (a zeroed saved_auxv)", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const t = virtualOf(k).spawn("bare");
    if (typeof t === "number") throw new Error("spawn");
    expect(k.cat(`/proc/${t.pid}/cmdline`)).toBe("");
    expect(k.cat(`/proc/${t.pid}/environ`)).toBe("");
    expect(k.procfs.readBytes(`/proc/${t.pid}/auxv`, 0, 4096)).toEqual(new Uint8Array(16));
  });

  it("a forked child shows its parent's command line (dup_mm copies the bounds, the stack is shared COW)", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const [t] = spawnExec(k, "sh", { argv: ["sh", "-c", "true"] });
    const c = virtualOf(k).fork(t, "c");
    if (typeof c === "number") throw new Error("fork");
    expect(k.cat(`/proc/${c.pid}/cmdline`)).toBe("sh\0-c\0true\0");
    expect(k.procfs.readBytes(`/proc/${c.pid}/auxv`, 0, 4096)).toEqual(k.procfs.readBytes(`/proc/${t.pid}/auxv`, 0, 4096));
  });
});

describe("/proc/<pid>/stat after exec", () => {
  it("flags: PF_RANDOMIZE after a randomized exec, | PF_FORKNOEXEC in a forked child, cleared by its exec without ASLR", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const [t] = spawnExec(k, "app");
    expect(stat(k, t)[8]).toBe(String(0x400000));
    const c = virtualOf(k).fork(t, "c");
    if (typeof c === "number") throw new Error("fork");
    expect(stat(k, c)[8]).toBe(String(0x400040));
    expect(execOf(k).execve(c, { aslr: false })).not.toBeTypeOf("number");
    expect(stat(k, c)[8]).toBe("0");
  });

  it("arg_start, arg_end, env_start, env_end are the bounds of the strings (fields 48-51)", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const [t, r] = spawnExec(k, "app", { aslr: false, argv: ["app", "x"], envp: ["A=1"] });
    const f = stat(k, t);
    expect(f.slice(47, 51).map(Number)).toEqual([r.stack.argStart, r.stack.argEnd, r.stack.envStart, r.stack.envEnd]);
    expect(r.stack.argEnd - r.stack.argStart).toBe("app\0x\0".length);
    expect(r.stack.envEnd - r.stack.envStart).toBe("A=1\0".length);
  });

  it("min_flt and maj_flt outlive exec; a reaped child's faults become the parent's cmin_flt and cmaj_flt", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const v = virtualOf(k);
    // the first exec reads the three program files (3 major faults) and writes the stack page (1 minor)
    const [t] = spawnExec(k, "app", { aslr: false });
    expect(stat(k, t).slice(9, 13)).toEqual(["1", "0", "3", "0"]);
    // exec again: the old image's counts stay the task's; everything is cached now: 4 minor faults
    expect(execOf(k).execve(t, { aslr: false })).not.toBeTypeOf("number");
    expect(stat(k, t).slice(9, 13)).toEqual(["5", "0", "3", "0"]);
    // a child forked now starts at 0; its exec takes 4 minor faults, then it exits and is reaped
    const c = v.fork(t, "c");
    if (typeof c === "number") throw new Error("fork");
    expect(stat(k, c).slice(9, 13)).toEqual(["0", "0", "0", "0"]);
    expect(execOf(k).execve(c, { aslr: false })).not.toBeTypeOf("number");
    v.exit(c);
    expect(stat(k, t).slice(9, 13)).toEqual(["5", "4", "3", "0"]);
  });
});
