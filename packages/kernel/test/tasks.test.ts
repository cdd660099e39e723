// Tasks in the kernel (kernel/fork.c, kernel/exit.c, kernel/signal.c, kernel/pid.c) and the
// virtual module's wiring: pids, the objects copy_process allocates and exit frees, signals,
// /proc/<pid>/status against the real file's layout, the vm sysctls and the overcommit lines of
// /proc/meminfo.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GiB, MiB } from "@mmsim/base";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, sysMmap } from "@mmsim/virtual";
import { Kernel, virtualOf, type Task } from "../src/index";
import { inputError } from "./input-error";

const realStatus = readFileSync(new URL("../../../reference/real-proc/self-status.txt", import.meta.url), "utf8");
const keys = (text: string) => text.trimEnd().split("\n").map((l) => l.slice(0, l.indexOf(":")));
const meminfoKb = (k: Kernel, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(k.cat("/proc/meminfo"))![1]);

function spawn(k: Kernel, name: string): Task {
  const t = virtualOf(k).spawn(name);
  if (typeof t === "number") throw new Error(`spawn failed ${t}`);
  return t;
}

describe("spawn and exit", () => {
  it("hands out pids from 1 up and does not reuse a freed pid before the space wraps (alloc_pid's cyclic idr)", () => {
    const k = Kernel.boot({ ram: GiB });
    const a = spawn(k, "a");
    const b = spawn(k, "b");
    virtualOf(k).exit(a);
    const c = spawn(k, "c");
    expect([a.pid, b.pid, c.pid]).toEqual([1, 2, 3]);
    expect(virtualOf(k).tasks.pidMax).toBe(32768); // max(PID_MAX_DEFAULT, 1024 * 2 CPUs)
  });

  it("allocates task_struct, files, sighand, signal, pid, mm_struct and a 16 KiB kernel stack; exit frees them all", () => {
    const k = Kernel.boot({ ram: GiB });
    const v = virtualOf(k);
    // SLUB shows a CPU slab's free objects as active: compare with every cache shrunk
    const slabinfo = () => {
      for (const c of k.alloc.slab.caches) k.alloc.kmemCacheShrink(c);
      return k.cat("/proc/slabinfo");
    };
    const before = slabinfo();
    const stack0 = meminfoKb(k, "KernelStack");
    const t = spawn(k, "app");
    expect(t.objects.map(([c]) => c.name)).toEqual(["task_struct", "files_cache", "sighand_cache", "signal_cache", "pid"]);
    expect(new Set(t.objects.map(([, pa]) => pa)).size).toBe(5);
    expect(sysMmap(v.vmm, t.mm!, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBeGreaterThan(0);
    expect([v.vmm.live.mmStruct, v.vmm.live.vmAreaStruct]).toEqual([1, 1]);
    expect(meminfoKb(k, "KernelStack") - stack0).toBe(16);
    expect(slabinfo()).not.toBe(before);
    k.verify();
    v.exit(t);
    expect([v.vmm.live.mmStruct, v.vmm.live.vmAreaStruct]).toEqual([0, 0]);
    expect(meminfoKb(k, "KernelStack")).toBe(stack0);
    expect(slabinfo()).toBe(before);
    expect(t.mm).toBeNull();
    expect(() => k.cat("/proc/1/maps")).toThrow(/No such file/);
    k.verify();
  });

  it("gives an empty mm with mmap_base 0x7ffff7fff000 and the break at ELF_ET_DYN_BASE (0x555555554000)", () => {
    const k = Kernel.boot({ ram: GiB });
    const mm = spawn(k, "app").mm!;
    expect([mm.mmMt.length, mm.mmapBase, mm.startBrk, mm.brk]).toEqual([0, 0x7ffff7fff000, 0x555555554000, 0x555555554000]);
    expect(k.cat("/proc/1/maps")).toBe("");
    expect(k.cat("/proc/app/statm")).toBe("0 0 0 0 0 0 0\n");
  });

  it("places new tasks on the CPU with the fewest tasks", () => {
    const k = Kernel.boot({ ram: GiB, cpus: 2 });
    expect([spawn(k, "a").cpu, spawn(k, "b").cpu, spawn(k, "c").cpu]).toEqual([0, 1, 0]);
  });
});

describe("signals (default actions, kernel/signal.c)", () => {
  it("SIGSTOP stops, SIGCONT resumes, SIGCHLD is ignored, SIGTERM kills and is recorded", () => {
    const k = Kernel.boot({ ram: GiB });
    const v = virtualOf(k);
    const t = spawn(k, "app");
    v.kill(t, 19);
    expect(k.cat("/proc/1/status")).toContain("\nState:\tT (stopped)\n");
    v.kill(t, 18);
    v.kill(t, 17);
    expect([t.alive, t.state]).toEqual([true, "S (sleeping)"]);
    v.kill(t, 15);
    expect([t.alive, t.exitSignal, t.signals]).toEqual([false, 15, [19, 18, 17, 15]]);
    expect(() => k.cat("/proc/app/status")).toThrow(/No such file/);
    k.verify();
  });
});

describe("/proc/<pid>/status (fs/proc/array.c proc_pid_status)", () => {
  it("has the real file's fields in its order and format", () => {
    const k = Kernel.boot({ ram: GiB });
    const text = k.cat(`/proc/${spawn(k, "cat").pid}/status`);
    expect(keys(text)).toEqual(keys(realStatus));
    // lines that hold no per-process number are the same bytes as the real file's
    const same = ["Umask", "Ngid", "TracerPid", "Uid", "Gid", "Groups", "Kthread", "CoreDumping", "THP_enabled", "untag_mask", "Threads",
      "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
      "Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed", "Cpus_allowed_list", "Mems_allowed",
      "Mems_allowed_list", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches", "Name"];
    const line = (t: string, key: string) => t.split("\n").find((l) => l.startsWith(key + ":"));
    for (const key of same) expect(line(text, key)).toBe(line(realStatus, key));
    expect([line(text, "Pid"), line(text, "Tgid"), line(text, "PPid"), line(text, "NSpgid"), line(text, "State")]).toEqual(["Pid:\t1", "Tgid:\t1", "PPid:\t0", "NSpgid:\t1", "State:\tS (sleeping)"]);
  });

  it("SigQ's limit is RLIMIT_SIGPENDING = max_threads / 2, max_threads = totalram bytes / (8 * THREAD_SIZE) at fork_init", () => {
    const k = Kernel.boot({ ram: 24 * GiB });
    const limit = Number(/SigQ:\t0\/(\d+)/.exec(k.cat(`/proc/${spawn(k, "a").pid}/status`))![1]);
    // the reference machine (24 GiB) shows 96365; fork_init runs before free_initmem
    expect(limit).toBe(Math.floor(virtualOf(k).tasks.maxThreads / 2));
    expect(Math.abs(limit - 96365)).toBeLessThan(200);
  });

  it("prints Cpus_allowed as a %*pb bitmap of the CPUs and the list as ranges", () => {
    const k = Kernel.boot({ ram: GiB, cpus: 3 });
    const text = k.cat(`/proc/${spawn(k, "a").pid}/status`);
    expect(text).toContain("\nCpus_allowed:\t7\nCpus_allowed_list:\t0-2\n");
  });
});

describe("vm sysctls and the overcommit lines of /proc/meminfo", () => {
  it("registers Linux's knobs with their defaults (reserves from free memory at boot, mm/util.c)", () => {
    const k = Kernel.boot({ ram: 8 * GiB });
    const names = ["max_map_count", "mmap_min_addr", "overcommit_memory", "overcommit_ratio", "overcommit_kbytes", "admin_reserve_kbytes", "user_reserve_kbytes"];
    expect(names.map((n) => k.sysctl.get(`vm.${n}`))).toEqual(["65530", "4096", "0", "50", "0", "8192", "131072"]);
    const small = Kernel.boot({ ram: 128 * MiB });
    const freeKb = meminfoKb(small, "MemFree");
    expect(Number(small.sysctl.get("vm.admin_reserve_kbytes"))).toBeLessThan(8192);
    expect(Math.abs(Number(small.sysctl.get("vm.admin_reserve_kbytes")) - freeKb / 32)).toBeLessThan(2);
  });

  it("writing overcommit_kbytes clears overcommit_ratio and the reverse; CommitLimit follows", () => {
    const k = Kernel.boot({ ram: 2 * GiB, swap: GiB });
    const swapKb = meminfoKb(k, "SwapTotal");
    k.sysctl.set({ "vm.overcommit_kbytes": "100000" });
    expect([k.sysctl.get("vm.overcommit_ratio"), meminfoKb(k, "CommitLimit")]).toEqual(["0", 100000 + swapKb]);
    k.sysctl.set({ "vm.overcommit_ratio": "100" });
    expect([k.sysctl.get("vm.overcommit_kbytes"), meminfoKb(k, "CommitLimit")]).toEqual(["0", Math.floor(meminfoKb(k, "MemTotal") / 4) * 4 + swapKb]);
    expect(inputError(() => k.sysctl.set({ "vm.overcommit_memory": "3" }))).toBe("vm.overcommit_memory: expected a whole number from 0 to 2, got 3");
    expect(inputError(() => k.sysctl.set({ "vm.max_map_count": "-1" }))).toBe("vm.max_map_count: expected a whole number from 0 to 2147483647, got -1");
  });

  it("Committed_AS counts private writable mappings; overcommit_memory 2 refuses beyond CommitLimit (ENOMEM)", () => {
    const k = Kernel.boot({ ram: GiB });
    const v = virtualOf(k);
    const mm = spawn(k, "app").mm!;
    const base = meminfoKb(k, "Committed_AS");
    expect(sysMmap(v.vmm, mm, 0, 40 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBeGreaterThan(0);
    expect(meminfoKb(k, "Committed_AS") - base).toBe(40);
    k.sysctl.set({ "vm.overcommit_memory": "2" });
    const limitKb = meminfoKb(k, "CommitLimit");
    expect(sysMmap(v.vmm, mm, 0, limitKb * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBe(-12);
    k.sysctl.set({ "vm.overcommit_memory": "1" });
    expect(sysMmap(v.vmm, mm, 0, limitKb * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBeGreaterThan(0);
    expect(meminfoKb(k, "Committed_AS") - base).toBe(40 + limitKb);
    k.verify();
  });
});
