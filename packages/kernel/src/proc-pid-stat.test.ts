// /proc/<pid>/stat in fs/proc/array.c do_task_stat's format, and cmdline of a task without exec.
import { describe, expect, it } from "vitest";
import { Kernel } from "./kernel";
import { spawnFaultDemo } from "./fault-demo";
import { virtualOf } from "./virtual-kernel";

describe("/proc/<pid>/stat (do_task_stat)", () => {
  it("prints 52 fields: identity, state, memory (vsize bytes, rss pages), layout addresses, exit signal, CPU", () => {
    const k = Kernel.boot({ ram: 256 * 1024 * 1024 });
    const { task: child, parent } = spawnFaultDemo(k, { afterFork: true });
    const p = k.cat(`/proc/${parent!.pid}/stat`);
    const f = p.trimEnd().split(" ");
    expect(f).toHaveLength(52);
    expect(p.endsWith("\n")).toBe(true);
    // VmSize of the demo: 16 + 32 + 64 + 4 + 16 + 132 KiB = 264 KiB; rss: the heap and stack pages
    // written, each a minor fault (min_flt 2); the demo builds its image without exec: flags 0
    const vmsize = (16 + 32 + 64 + 4 + 16 + 132) * 1024;
    expect(p).toBe(
      `1 (fault-demo) S 0 1 1 0 -1 0 2 0 0 0 0 0 0 0 20 0 1 0 0 ${vmsize} 2 18446744073709551615 0 0 ${0x7fffffffe000} 0 0 0 0 0 0 1 0 0 17 0 0 0 0 0 0 0 0 ${0x555555559000} 0 0 0 0 0\n`,
    );
    expect(k.cat(`/proc/${parent!.pid}/status`)).toContain(`VmSize:\t     ${vmsize / 1024} kB\n`);
    const c = k.cat(`/proc/${child.pid}/stat`).split(" ");
    // the child: its parent's pid, process group and session; PF_FORKNOEXEC; runs on CPU 1
    expect([c[0], c[1], c[3], c[4], c[5], c[8], c[38]]).toEqual(["2", "(fault-demo)", "1", "1", "1", "64", "1"]);
  });

  it("shows a stopped task's state and start time in clock ticks (USER_HZ 100)", () => {
    const k = Kernel.boot({ ram: 256 * 1024 * 1024 });
    k.clock.advanceNs(2.5e9);
    const v = virtualOf(k);
    const t = v.spawn("later");
    if (typeof t === "number") throw new Error("spawn");
    v.kill(t, 19); // SIGSTOP
    const f = k.cat(`/proc/${t.pid}/stat`).split(" ");
    expect([f[1], f[2], f[21]]).toEqual(["(later)", "T", "250"]);
  });

  it("cmdline is empty: the task never exec'd, so arg_start = arg_end", () => {
    const k = Kernel.boot({ ram: 256 * 1024 * 1024 });
    const { task } = spawnFaultDemo(k);
    expect(k.cat(`/proc/${task.pid}/cmdline`)).toBe("");
    expect(k.procfs.readBytes(`/proc/${task.pid}/cmdline`, 0, 4096)).toEqual(new Uint8Array(0));
  });
});
