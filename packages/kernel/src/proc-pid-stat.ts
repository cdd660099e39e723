// /proc/<pid>/stat and /proc/<pid>/cmdline (fs/proc/array.c do_task_stat, fs/proc/base.c
// proc_pid_cmdline_read) for a live simulated task. Not modelled, so printed as Linux prints an
// idle task's: per-task fault counts (min_flt, maj_flt: mmsim counts faults machine-wide, in
// /proc/vmstat), CPU times (no scheduler), and the argument and environment area (no exec:
// arg_start = arg_end = 0, so cmdline is empty, as for a task that never exec'd a program).
import { getMmRss, type MmStruct } from "@mmsim/virtual";
import type { Task } from "./task";

/** USER_HZ (include/asm-generic/param.h): the clock ticks stat's times are in. */
const USER_HZ = 100;
/** PF_FORKNOEXEC (include/linux/sched.h): forked but has not exec'd; exec clears it. */
const PF_FORKNOEXEC = 0x40;
/** task_prio() of a SCHED_NORMAL task at nice 0: prio 120 - MAX_RT_PRIO 100. */
const NORMAL_PRIO = 20;
/** SIGCHLD: the exit_signal fork(2) gives a child. */
const SIGCHLD = 17;
/** RLIM_INFINITY printed unsigned (rlimit RLIMIT_RSS is unlimited by default). */
const RLIM_INFINITY = "18446744073709551615";

/**
 * do_task_stat for a live task, the reader permitted (root): 52 fields on one line. `startNs`
 * is the simulated boot time the task was created at (start_boottime).
 */
export function procPidStat(t: Task, mm: MmStruct | null, startNs: number): string {
  const state = t.state[0]!;
  const f: (number | string)[] = [
    t.pid, `(${t.comm})`, state, t.ppid, t.pgid, t.sid,
    0, // tty_nr: no controlling terminal
    -1, // tty_pgrp without a terminal
    t.ppid !== 0 ? PF_FORKNOEXEC : 0,
    0, 0, 0, 0, // min_flt cmin_flt maj_flt cmaj_flt (not counted per task)
    0, 0, 0, 0, // utime stime cutime cstime (no scheduler)
    NORMAL_PRIO, 0, // priority, nice
    1, // num_threads
    0, // itrealvalue, always 0 since 2.6.17
    Math.floor(startNs / (1e9 / USER_HZ)),
    mm ? mm.totalVm * 4096 : 0,
    mm ? getMmRss(mm) : 0,
    RLIM_INFINITY,
    mm ? mm.startCode : 0, mm ? mm.endCode : 0, mm ? mm.startStack : 0,
    0, 0, // kstkesp, kstkeip: shown only for an exiting or dumping task
    0, 0, 0, 0, // signal, blocked, sigignore, sigcatch (no handlers, nothing pending)
    state === "R" ? 0 : 1, // wchan: 1 when not running
    0, 0, // nswap, cnswap
    SIGCHLD, t.cpu,
    0, 0, // rt_priority, policy SCHED_NORMAL
    0, 0, 0, // delayacct_blkio_ticks, guest_time, cguest_time
    mm ? mm.startData : 0, mm ? mm.endData : 0, mm ? mm.startBrk : 0,
    0, 0, 0, 0, // arg_start, arg_end, env_start, env_end: no exec
    0, // exit_code of a live task
  ];
  return f.join(" ") + "\n";
}

/** proc_pid_cmdline_read: the argument area, NUL-separated; empty while arg_start = arg_end (no exec). */
export function procPidCmdline(): string {
  return "";
}
