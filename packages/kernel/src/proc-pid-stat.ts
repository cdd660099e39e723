// /proc/<pid>/stat (fs/proc/array.c do_task_stat) for a live simulated task: identity, state,
// the fault counts (min_flt, cmin_flt, maj_flt, cmaj_flt: mm_account_fault's, collected from
// children as they are reaped), memory and layout addresses, the argument area exec wrote. Not
// modelled, so printed as Linux prints an idle task's: CPU times (no scheduler), signals.
import { getMmRss, type MmStruct } from "@mmsim/virtual";
import type { Task } from "./task";

/** USER_HZ (include/asm-generic/param.h): the clock ticks stat's times are in. */
const USER_HZ = 100;
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
    t.flags,
    // min_flt cmin_flt maj_flt cmaj_flt: the task's past images' counts plus its mm's
    t.minFlt + (mm ? mm.minFlt : 0), t.cminFlt, t.majFlt + (mm ? mm.majFlt : 0), t.cmajFlt,
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
    mm ? mm.argStart : 0, mm ? mm.argEnd : 0, mm ? mm.envStart : 0, mm ? mm.envEnd : 0,
    0, // exit_code of a live task
  ];
  return f.join(" ") + "\n";
}
