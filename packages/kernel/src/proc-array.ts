// /proc/<pid>/status as fs/proc/array.c proc_pid_status prints it on Linux 6.18 x86-64: the
// task's identity and state, then task_mem's Vm* lines (rendered by the virtual layer, as
// task_mmu.c belongs to mm), then signals, capabilities and the CPU and node masks. Every
// simulated task is a root process with no supplementary groups, no threads, no handlers.
import { taskMem, type MmRss } from "@mmsim/virtual";
import type { Task } from "./task";

/** CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE (40, include/uapi/linux/capability.h): root's full set, bits 0..40. */
const CAP_FULL = "000001ffffffffff";
const CAP_NONE = "0000000000000000";
/** NR_OPEN_DEFAULT = BITS_PER_LONG: a fresh files_struct's fd table (FDSize). */
const FDSIZE_DEFAULT = 64;
/** MAX_NUMNODES = 1 << CONFIG_NODES_SHIFT (10 on distro x86-64 kernels): Mems_allowed's width in bits. */
const MAX_NUMNODES = 1024;

/** The machine facts status prints besides the task: CPU and node counts, RLIMIT_SIGPENDING. */
export interface StatusMachine {
  nrCpus: number;
  /** node ids with memory (N_MEMORY) */
  nodes: readonly number[];
  sigPendingLimit: number;
  /** i386: 32-bit longs (untag_mask) and no CONFIG_TRANSPARENT_HUGEPAGE (i386_defconfig) */
  i386: boolean;
}

/**
 * %*pb (lib/vsprintf.c bitmap_string): hex in 32-bit chunks separated by commas, the first
 * chunk as wide as the bits left over (nr_bits % 32, rounded up to hex digits), the rest 8 digits.
 */
export function bitmapString(bits: readonly number[], nrBits: number): string {
  const chunks = Math.ceil(nrBits / 32);
  const words = new Array<number>(chunks).fill(0);
  for (const b of bits) words[Math.floor(b / 32)]! += 2 ** (b % 32);
  const out: string[] = [];
  for (let i = chunks - 1; i >= 0; i--) {
    const rem = nrBits - i * 32;
    const width = i === chunks - 1 && rem < 32 ? Math.ceil(rem / 4) : 8;
    out.push(words[i]!.toString(16).padStart(width, "0"));
  }
  return out.join(",");
}

/** %*pbl: a sorted list of bits as ranges ("0-1", "0,2-3"). */
export function bitmapList(bits: readonly number[]): string {
  const sorted = [...bits].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/** proc_pid_status for a live task. */
export function procPidStatus(t: Task, rss: MmRss, m: StatusMachine): string {
  const cpus = Array.from({ length: m.nrCpus }, (_, i) => i);
  let s = "";
  // proc_task_name escapes comm (\n and \\); comm here comes from a validated name
  s += `Name:\t${t.comm}\n`;
  s += "Umask:\t0022\n";
  s += `State:\t${t.state}\n`;
  s += `Tgid:\t${t.pid}\nNgid:\t0\nPid:\t${t.pid}\nPPid:\t${t.ppid}\nTracerPid:\t0\n`;
  s += "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
  s += `FDSize:\t${FDSIZE_DEFAULT}\n`;
  // no supplementary groups; array.c ends the line with a space either way
  s += "Groups:\t \n";
  s += `NStgid:\t${t.pid}\nNSpid:\t${t.pid}\nNSpgid:\t${t.pgid}\nNSsid:\t${t.sid}\n`;
  s += "Kthread:\t0\n";
  if (t.mm) s += taskMem(t.mm, rss);
  s += "CoreDumping:\t0\n";
  // IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) && !MMF_DISABLE_THP (prctl(PR_SET_THP_DISABLE) is not
  // modelled); untag_mask is mm_untag_mask's -1UL, an unsigned long of 64 or 32 bits (fs/proc/array.c)
  s += `THP_enabled:\t${m.i386 ? 0 : 1}\n`;
  s += `untag_mask:\t${m.i386 ? "0xffffffff" : "0xffffffffffffffff"}\n`;
  s += "Threads:\t1\n";
  s += `SigQ:\t0/${m.sigPendingLimit}\n`;
  s += `SigPnd:\t${CAP_NONE}\nShdPnd:\t${CAP_NONE}\nSigBlk:\t${CAP_NONE}\nSigIgn:\t${CAP_NONE}\nSigCgt:\t${CAP_NONE}\n`;
  s += `CapInh:\t${CAP_NONE}\nCapPrm:\t${CAP_FULL}\nCapEff:\t${CAP_FULL}\nCapBnd:\t${CAP_FULL}\nCapAmb:\t${CAP_NONE}\n`;
  s += "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n";
  // the reference machine's CPU (arch/x86/kernel/cpu/bugs.c): what its status shows
  s += "Speculation_Store_Bypass:\tvulnerable\nSpeculationIndirectBranch:\talways enabled\n";
  s += `Cpus_allowed:\t${bitmapString(cpus, m.nrCpus)}\nCpus_allowed_list:\t${bitmapList(cpus)}\n`;
  s += `Mems_allowed:\t${bitmapString(m.nodes, MAX_NUMNODES)}\nMems_allowed_list:\t${bitmapList(m.nodes)}\n`;
  s += "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n";
  return s;
}
