// Tasks (kernel/fork.c copy_process, kernel/exit.c do_exit, kernel/signal.c, kernel/pid.c):
// the task_struct of a simulated process, with its pid, comm, mm, state, the signals it
// received and the CPU it runs on. spawn is copy_process of a fresh process followed by an exec
// of an empty image; fork copies the parent's mm copy-on-write (dup_mm); exit tears the mm down
// (exit_mmap) and frees every kernel object the task held. Pids are allocated as a fresh pid namespace does: from 1 up, cyclically.
import { BUG } from "@mmsim/base";
import type { KernelAlloc, SlabCacheInfo } from "@mmsim/kernel-alloc";
import { GFP_KERNEL } from "@mmsim/physical";
import { I386_ELF_ET_DYN_BASE, dupMm, mmapBase, mmput, type MmStruct, type VirtualMemory } from "@mmsim/virtual";

/** PID_MAX_DEFAULT (include/linux/threads.h): 0x8000; pid_max = max(it, 1024 per possible CPU). */
export const PID_MAX_DEFAULT = 0x8000;
/** PIDS_PER_CPU_DEFAULT (include/linux/threads.h). */
const PIDS_PER_CPU_DEFAULT = 1024;
/** RESERVED_PIDS (kernel/pid.c): after the first wrap, pids restart above 300. */
export const RESERVED_PIDS = 300;
/** THREAD_SIZE on x86-64 (16 KiB kernel stacks), used by set_max_threads (kernel/fork.c). */
const THREAD_SIZE = 16384;
/** MIN_THREADS / FUTEX_TID_MASK: set_max_threads clamps max_threads to [20, 0x3fffffff]. */
const MIN_THREADS = 20;
const FUTEX_TID_MASK = 0x3fffffff;

/**
 * The slab caches copy_process allocates from, besides mm_struct (dup_task_struct: task_struct;
 * copy_files: files_cache; copy_sighand: sighand_cache; copy_signal: signal_cache; alloc_pid:
 * pid). Caches a kernel was booted without are skipped. Not modelled: cred_jar, fs_cache.
 */
export const TASK_CACHES = ["task_struct", "files_cache", "sighand_cache", "signal_cache", "pid"] as const;

/** A task's state as /proc/<pid>/status prints it (fs/proc/array.c task_state_array). */
export type TaskState = "R (running)" | "S (sleeping)" | "T (stopped)";

/** struct task_struct (what mmsim models of it). */
export class Task {
  state: TaskState = "S (sleeping)";
  /** every signal delivered to the task, in order (signal numbers) */
  readonly signals: number[] = [];
  /** the signal that killed it, or 0 (exited normally or still alive) */
  exitSignal = 0;
  exitCode = 0;
  alive = true;
  /** task->flags: PF_FORKNOEXEC, PF_RANDOMIZE (stat's flags field) */
  flags = 0;
  /** min_flt / maj_flt of the address spaces it left (exec); the current mm counts the rest (MmStruct.minFlt) */
  minFlt = 0;
  majFlt = 0;
  /** cmin_flt / cmaj_flt: the faults of its children, collected when they were reaped (wait_task_zombie) */
  cminFlt = 0;
  cmajFlt = 0;

  constructor(
    readonly pid: number,
    /** the parent's pid (0: spawned from outside, as the first process of a namespace) */
    readonly ppid: number,
    /** comm: at most TASK_COMM_LEN - 1 = 15 bytes (exec sets it to the program's basename) */
    public comm: string,
    public mm: MmStruct | null,
    /** the CPU it runs on (task_cpu) */
    readonly cpu: number,
    /** process group and session (NSpgid, NSsid) */
    readonly pgid: number,
    readonly sid: number,
    /** the kernel objects it holds: [cache, physical address] and its kernel stack's address */
    readonly objects: [SlabCacheInfo, number][],
    readonly stack: number,
  ) {}
}

/** PF_FORKNOEXEC (include/linux/sched.h): forked and not exec'd since (copy_process sets it, exec clears it). */
export const PF_FORKNOEXEC = 0x00000040;
/** PF_RANDOMIZE (include/linux/sched.h): the exec'd image is randomized (randomize_va_space and no ADDR_NO_RANDOMIZE). */
export const PF_RANDOMIZE = 0x00400000;

/** TASK_COMM_LEN - 1 (include/linux/sched.h): comm keeps 15 bytes. */
export const COMM_MAX = 15;

/** Options of spawn. */
export interface SpawnOptions {
  /** the CPU to run on (default: the one with the fewest live tasks, lowest number first) */
  cpu?: number;
}

/** The tasks of one machine: pid allocation, spawn, exit, kill. */
export class Tasks {
  /** live tasks by pid */
  private readonly live = new Map<number, Task>();
  /** every task ever spawned, live or dead, by pid at its time (for signals received) */
  readonly history: Task[] = [];
  /** pid_max */
  readonly pidMax: number;
  /** the last pid handed out (idr cursor) */
  private lastPid = 0;
  /** whether the pid space wrapped once (pids then restart at RESERVED_PIDS) */
  private wrapped = false;
  /** max_threads (set_max_threads at fork_init) and RLIMIT_SIGPENDING = max_threads / 2 */
  readonly maxThreads: number;

  constructor(
    private readonly vmm: VirtualMemory,
    private readonly ka: KernelAlloc,
    private readonly nrCpus: number,
    totalramPages: number,
  ) {
    this.pidMax = Math.max(PID_MAX_DEFAULT, PIDS_PER_CPU_DEFAULT * nrCpus);
    const threads = Math.floor((totalramPages * 4096) / (THREAD_SIZE * 8));
    this.maxThreads = Math.min(Math.max(threads, MIN_THREADS), FUTEX_TID_MASK);
  }

  /** The live task with this pid, or null. */
  get(pid: number): Task | null {
    return this.live.get(pid) ?? null;
  }

  /** Live tasks in pid order. */
  list(): Task[] {
    return [...this.live.values()].sort((a, b) => a.pid - b.pid);
  }

  /** Every live mm (for verifyVirtual). */
  mms(): MmStruct[] {
    const out: MmStruct[] = [];
    for (const t of this.live.values()) if (t.mm) out.push(t.mm);
    return out;
  }

  /** alloc_pid: the next free pid after the last one, wrapping to RESERVED_PIDS; -1 when none is free (EAGAIN). */
  private allocPid(): number {
    const min = this.wrapped ? RESERVED_PIDS : 1;
    let pid = this.lastPid + 1;
    for (let tries = 0; tries < this.pidMax; tries++, pid++) {
      if (pid >= this.pidMax) {
        pid = RESERVED_PIDS;
        this.wrapped = true;
      }
      if (pid < min) pid = min;
      if (!this.live.has(pid)) {
        this.lastPid = pid;
        return pid;
      }
    }
    return -1;
  }

  /**
   * A new process with an empty address space: copy_process's objects (task_struct, kernel
   * stack, files, sighand, signal, pid, mm_struct), then exec's mm setup without an image:
   * mmap_base from mmapBase() without randomization, and the break at ELF_ET_DYN_BASE, where an
   * empty PIE image would end. Returns the task, or a negative errno (-ENOMEM, -EAGAIN).
   */
  spawn(comm: string, opts: SpawnOptions = {}): Task | number {
    return this.copyProcess(comm, null, opts, () => {
      const mm = this.vmm.mmAlloc();
      if (mm === null) return null;
      mm.mmapBase = mmapBase(mm.taskSize, mm.rlimits.stack, this.vmm.sysctl.stackGuardGap);
      mm.startBrk = mm.brk = this.vmm.arch === "i386" ? I386_ELF_ET_DYN_BASE : elfEtDynBase(this.vmm.defaultMapWindow);
      return mm;
    });
  }

  /**
   * fork(): a child of `parent` with the parent's comm, process group and session, and a copy
   * of its address space (dup_mm: copy-on-write). Returns the child or a negative errno.
   */
  fork(parent: Task, opts: SpawnOptions = {}): Task | number {
    const pmm = parent.mm ?? BUG("Tasks.fork", `task ${parent.pid} has no mm`);
    return this.copyProcess(parent.comm, parent, opts, () => dupMm(this.vmm, pmm));
  }

  /** copy_process: the pid and the task's objects, then its mm from `makeMm`; everything is given back on failure. */
  private copyProcess(comm: string, parent: Task | null, opts: SpawnOptions, makeMm: () => MmStruct | null): Task | number {
    const pid = this.allocPid();
    if (pid < 0) return -11; // EAGAIN
    const objects: [SlabCacheInfo, number][] = [];
    const undo = (stack: number): number => {
      for (const [c, p] of objects) this.ka.kmemCacheFree(c, p, "free_task");
      if (stack) this.ka.freeKernelStack(stack);
      return -12; // ENOMEM
    };
    for (const name of TASK_CACHES) {
      const c = this.ka.cache(name);
      if (!c) continue;
      const p = this.ka.kmemCacheAlloc(c, GFP_KERNEL, "copy_process");
      if (p === 0) return undo(0);
      objects.push([c, p]);
    }
    const stack = this.ka.allocKernelStack();
    if (stack === 0) return undo(0);
    const mm = makeMm();
    if (mm === null) return undo(stack);
    const cpu = opts.cpu ?? this.idlestCpu();
    if (cpu < 0 || cpu >= this.nrCpus) BUG("Tasks.spawn", `CPU ${cpu} does not exist`);
    const t = new Task(pid, parent?.pid ?? 0, comm.slice(0, COMM_MAX), mm, cpu, parent?.pgid ?? pid, parent?.sid ?? pid, objects, stack);
    if (parent !== null) t.flags = parent.flags | PF_FORKNOEXEC;
    this.live.set(pid, t);
    this.history.push(t);
    return t;
  }

  /** The CPU with the fewest live tasks (lowest number on a tie): where wake_up_new_task's balancing would put it. */
  private idlestCpu(): number {
    const load = new Int32Array(this.nrCpus);
    for (const t of this.live.values()) load[t.cpu]!++;
    let best = 0;
    for (let c = 1; c < this.nrCpus; c++) if (load[c]! < load[best]!) best = c;
    return best;
  }

  /** do_exit + release_task: the mm is dropped (exit_mmap when it was the last user), every object freed, the pid released. */
  exit(t: Task, code = 0, signal = 0): void {
    if (!t.alive) BUG("do_exit", `task ${t.pid} exited twice`);
    if (t.mm) {
      t.minFlt += t.mm.minFlt;
      t.majFlt += t.mm.majFlt;
      mmput(this.vmm, t.mm);
    }
    // wait_task_zombie: the parent collects the child's faults and its children's (exit reaps at once here)
    const parent = this.live.get(t.ppid);
    if (parent !== undefined && this.history.indexOf(parent) < this.history.indexOf(t)) {
      parent.cminFlt += t.minFlt + t.cminFlt;
      parent.cmajFlt += t.majFlt + t.cmajFlt;
    }
    t.mm = null;
    for (const [c, p] of t.objects) this.ka.kmemCacheFree(c, p, "free_task");
    this.ka.freeKernelStack(t.stack);
    t.alive = false;
    t.exitCode = code;
    t.exitSignal = signal;
    this.live.delete(t.pid);
  }

  /**
   * kill(pid, sig): records the signal and applies its default action (no handlers exist):
   * ignore (SIGCHLD, SIGURG, SIGWINCH), stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU), continue
   * (SIGCONT), otherwise the task exits killed by it. Signal 0 only checks the task exists.
   */
  kill(t: Task, sig: number): void {
    if (sig === 0) return;
    t.signals.push(sig);
    if (SIG_IGNORE_DEFAULT.includes(sig)) return;
    if (SIG_STOP_DEFAULT.includes(sig)) t.state = "T (stopped)";
    else if (sig === SIGCONT) t.state = "S (sleeping)";
    else this.exit(t, 0, sig);
  }
}

/** ELF_ET_DYN_BASE on x86-64 (arch/x86/include/asm/elf.h): DEFAULT_MAP_WINDOW / 3 * 2, page-aligned by load_elf_binary. */
export function elfEtDynBase(defaultMapWindow: number): number {
  return Math.floor(Math.floor(defaultMapWindow / 3) * 2 / 4096) * 4096;
}

/** Signal numbers on x86 (arch/x86/include/uapi/asm/signal.h), 1..31, by name. */
export const SIGNALS: readonly string[] = [
  "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
  "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
  "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
];
const SIGCONT = 18;
/** sig_kernel_ignore: SIGCONT, SIGCHLD, SIGWINCH, SIGURG (kernel/signal.c SIG_KERNEL_IGNORE_MASK; SIGCONT also resumes). */
const SIG_IGNORE_DEFAULT = [17, 23, 28];
/** SIG_KERNEL_STOP_MASK: SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU. */
const SIG_STOP_DEFAULT = [19, 20, 21, 22];
