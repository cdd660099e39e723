// The small built-in process that `mmsim fault` and the docs' page-fault page fault in: a task
// spawned on the machine, given a fixed layout by hand the way exec would lay out a tiny PIE
// (text at ELF_ET_DYN_BASE, the heap right after it, anonymous mappings below mmap_base, a
// 132 KiB stack at the top of the 47-bit user half). Every region is anonymous private memory
// (file-backed text comes with the files issue), mapped with MAP_FIXED_NOREPLACE.
import { BUG, InputError } from "@mmsim/base";
import {
  MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_PRIVATE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, doBrk, sysMmap,
  userStore,
} from "@mmsim/virtual";
import type { Kernel } from "./kernel";
import type { Task } from "./task";
import { elfEtDynBase } from "./task";
import { virtualOf } from "./virtual-kernel";

/** One region of the built-in process. */
export interface FaultDemoRegion {
  /** what it stands for: text, [heap], mmap, guard, rodata, [stack] */
  name: string;
  start: number;
  end: number;
  /** the maps permissions, e.g. "rw-p" */
  perms: string;
  /** PROT_* bits */
  prot: number;
  /** the region's first bytes written at setup (0: untouched) */
  written: number;
  /** how it is made: "mmap" (MAP_FIXED_NOREPLACE), "mmap-growsdown" or "brk" */
  how: "mmap" | "mmap-growsdown" | "brk";
}

/** ELF_ET_DYN_BASE of the 47-bit user half (DEFAULT_MAP_WINDOW = 2^47 - 4096): where a PIE's image goes. */
const IMAGE_BASE = elfEtDynBase(2 ** 47 - 4096);
/** The top of the user half, TASK_SIZE_MAX with 4-level paging (arch/x86/include/asm/page_64_types.h). */
const STACK_TOP = 2 ** 47 - 4096;
/** Linux's initial stack VMA of a small program spans 132 KiB (setup_arg_pages expands it to 128 KiB + the args page). */
const STACK_SIZE = 132 * 1024;
/**
 * Where the demo's anonymous mappings sit: below mmap_base (TASK_SIZE - 128 MiB), in a PGD slot
 * of their own (254; the stack's is 255, the image's 170), so that the first touch there
 * allocates a PUD, a PMD and a PTE table. The address is the one `mmsim walk`'s examples use.
 */
const MMAP_AREA = 0x7f1234560000;
/** The heap starts a page after the image, as brk randomization would leave a gap (and [heap] names only the heap: show_map_vma tests start_brk against vm_end). */
const HEAP_START = IMAGE_BASE + 20 * 1024;

const KiB = 1024;

/**
 * The built-in process's layout, lowest address first. The heap's first page, and the stack's
 * top page, are written at setup (so they are present); everything else is untouched.
 */
export const FAULT_DEMO_LAYOUT: readonly FaultDemoRegion[] = [
  { name: "text", start: IMAGE_BASE, end: IMAGE_BASE + 16 * KiB, perms: "r-xp", prot: PROT_READ | PROT_EXEC, written: 0, how: "mmap" },
  { name: "[heap]", start: HEAP_START, end: HEAP_START + 32 * KiB, perms: "rw-p", prot: PROT_READ | PROT_WRITE, written: 4 * KiB, how: "brk" },
  { name: "mmap", start: MMAP_AREA, end: MMAP_AREA + 64 * KiB, perms: "rw-p", prot: PROT_READ | PROT_WRITE, written: 0, how: "mmap" },
  { name: "guard", start: MMAP_AREA + 64 * KiB, end: MMAP_AREA + 68 * KiB, perms: "---p", prot: PROT_NONE, written: 0, how: "mmap" },
  { name: "rodata", start: MMAP_AREA + 68 * KiB, end: MMAP_AREA + 84 * KiB, perms: "r--p", prot: PROT_READ, written: 0, how: "mmap" },
  { name: "[stack]", start: STACK_TOP - STACK_SIZE, end: STACK_TOP, perms: "rw-p", prot: PROT_READ | PROT_WRITE, written: 4 * KiB, how: "mmap-growsdown" },
];

/** The name the built-in process runs as (its comm). */
export const FAULT_DEMO_COMM = "fault-demo";

/** The built-in process, and its forked child when asked for. */
export interface FaultDemo {
  /** the task that takes the fault: the child after a fork, else the process itself */
  task: Task;
  /** the parent when the demo forked, else null */
  parent: Task | null;
}

/**
 * Spawns the built-in process on `kernel` (which must have the virtual module) with the layout
 * of FAULT_DEMO_LAYOUT; with `afterFork`, the process then forks and the child (named
 * "fault-child") is the task returned, sharing the written pages copy-on-write. InputError when
 * the machine runs out of memory building it.
 */
export function spawnFaultDemo(kernel: Kernel, opts: { afterFork?: boolean } = {}): FaultDemo {
  const v = virtualOf(kernel);
  const t = v.spawn(FAULT_DEMO_COMM);
  if (typeof t === "number") throw new InputError(`fault: spawning the built-in process failed (errno ${-t})`);
  const mm = t.mm ?? BUG("spawnFaultDemo", "a new task has no mm");
  const cpu = kernel.hw.cpus[t.cpu]!;
  for (const r of FAULT_DEMO_LAYOUT) {
    if (r.how === "brk") {
      // exec sets the break after the image (start_brk = brk = end of bss)
      mm.startBrk = mm.brk = r.start;
      if (doBrk(v.vmm, mm, r.end) !== r.end) throw new InputError("fault: brk failed building the built-in process");
    } else {
      const growsdown = r.how === "mmap-growsdown" ? MAP_GROWSDOWN : 0;
      const got = sysMmap(v.vmm, mm, r.start, r.end - r.start, r.prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | growsdown, null, 0);
      if (got !== r.start) throw new InputError(`fault: mmap of the ${r.name} region failed (${got})`);
      // exec records where the stack holds argc (start_stack): in the top page
      if (growsdown) mm.startStack = r.end - 4 * KiB;
    }
    if (r.written > 0) {
      const at = r.how === "mmap-growsdown" ? r.end - r.written : r.start;
      const sig = userStore(v.vmm, mm, cpu, at, new Uint8Array(r.written).fill(0x5a));
      if (sig !== null) BUG("spawnFaultDemo", `writing the ${r.name} region raised signal ${sig.signo}`);
    }
  }
  if (!opts.afterFork) return { task: t, parent: null };
  const child = v.fork(t, "fault-child");
  if (typeof child === "number") throw new InputError(`fault: fork failed (errno ${-child})`);
  return { task: child, parent: t };
}
