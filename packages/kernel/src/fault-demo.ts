// The small built-in process that `mmsim fault` and the docs' page-fault page fault in: a task
// spawned on the machine, given a fixed layout by hand the way exec would lay out a tiny PIE
// (text at ELF_ET_DYN_BASE, the heap right after it, anonymous mappings below mmap_base, a
// 132 KiB stack at the top of the user half: 47-bit on x86-64, below 0xc0000000 on i386). Every
// region is anonymous private memory, mapped with MAP_FIXED_NOREPLACE.
import { BUG, InputError } from "@mmsim/base";
import {
  I386_ELF_ET_DYN_BASE, I386_TASK_SIZE, MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_PRIVATE, PROT_EXEC, PROT_NONE, PROT_READ,
  PROT_WRITE, doBrk, sysMmap, userStore,
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

const KiB = 1024;

/** The six regions of the layout from where its image, anonymous mappings and stack top go. */
function layout(imageBase: number, mmapArea: number, stackTop: number): readonly FaultDemoRegion[] {
  // the heap starts a page after the image, as brk randomization would leave a gap (and [heap]
  // names only the heap: show_map_vma tests start_brk against vm_end)
  const heap = imageBase + 20 * KiB;
  return Object.freeze([
    { name: "text", start: imageBase, end: imageBase + 16 * KiB, perms: "r-xp", prot: PROT_READ | PROT_EXEC, written: 0, how: "mmap" },
    { name: "[heap]", start: heap, end: heap + 32 * KiB, perms: "rw-p", prot: PROT_READ | PROT_WRITE, written: 4 * KiB, how: "brk" },
    { name: "mmap", start: mmapArea, end: mmapArea + 64 * KiB, perms: "rw-p", prot: PROT_READ | PROT_WRITE, written: 0, how: "mmap" },
    { name: "guard", start: mmapArea + 64 * KiB, end: mmapArea + 68 * KiB, perms: "---p", prot: PROT_NONE, written: 0, how: "mmap" },
    { name: "rodata", start: mmapArea + 68 * KiB, end: mmapArea + 84 * KiB, perms: "r--p", prot: PROT_READ, written: 0, how: "mmap" },
    { name: "[stack]", start: stackTop - STACK_SIZE, end: stackTop, perms: "rw-p", prot: PROT_READ | PROT_WRITE, written: 4 * KiB, how: "mmap-growsdown" },
  ] satisfies FaultDemoRegion[]);
}

/**
 * The built-in process's layout on x86-64, lowest address first. The heap's first page, and the
 * stack's top page, are written at setup (so they are present); everything else is untouched.
 */
export const FAULT_DEMO_LAYOUT: readonly FaultDemoRegion[] = layout(IMAGE_BASE, MMAP_AREA, STACK_TOP);

/**
 * The same process on i386 (the 3G/1G split): the image at an ia32 task's ELF_ET_DYN_BASE
 * (0x400000), the anonymous mappings at 0xb7f01000 (below mmap_base, 0xb8000000; the address
 * `mmsim walk --arch i386`'s examples use), the stack up to STACK_TOP = TASK_SIZE (0xc0000000).
 * With 2-level paging the three lie under page-directory entries 1, 735 and 767, so a first touch
 * of the mmap area allocates a PTE table; with PAE under entry 2 of the first PMD and entries 447
 * and 511 of the third (the pgd's four PMDs exist from the start).
 */
export const FAULT_DEMO_LAYOUT_I386: readonly FaultDemoRegion[] = layout(I386_ELF_ET_DYN_BASE, 0xb7f01000, I386_TASK_SIZE);

/** The layout spawnFaultDemo gives the process on a machine of `arch`. */
export function faultDemoLayout(arch: "x86_64" | "i386"): readonly FaultDemoRegion[] {
  return arch === "i386" ? FAULT_DEMO_LAYOUT_I386 : FAULT_DEMO_LAYOUT;
}

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
 * of faultDemoLayout (FAULT_DEMO_LAYOUT, or FAULT_DEMO_LAYOUT_I386 on an i386 machine); with `afterFork`, the process then forks and the child (named
 * "fault-child") is the task returned, sharing the written pages copy-on-write. InputError when
 * the machine runs out of memory building it.
 */
export function spawnFaultDemo(kernel: Kernel, opts: { afterFork?: boolean } = {}): FaultDemo {
  const v = virtualOf(kernel);
  const t = v.spawn(FAULT_DEMO_COMM);
  if (typeof t === "number") throw new InputError(`fault: spawning the built-in process failed (errno ${-t})`);
  const mm = t.mm ?? BUG("spawnFaultDemo", "a new task has no mm");
  const cpu = kernel.hw.cpus[t.cpu]!;
  for (const r of faultDemoLayout(kernel.config.arch)) {
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
