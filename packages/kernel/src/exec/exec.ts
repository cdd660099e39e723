// execve (fs/exec.c, fs/binfmt_elf.c load_elf_binary) at the level of the address space: a new
// mm with arch_pick_mmap_layout's mmap_base, the stack at the (randomized) STACK_TOP with the
// argument strings and the ELF tables, the executable at ELF_ET_DYN_BASE (+ random) for a PIE,
// the interpreter and the vDSO top-down from mmap_base, the break after the bss (+ up to 1 GiB
// with randomize_va_space 2), then exec_mmap swaps it in and drops the old mm; ld.so's startup
// (ld-so.ts) runs before main(). Program files are mmfs files made at the first exec.
import { BUG } from "@mmsim/base";
import {
  File, MAP_ANONYMOUS, MAP_FIXED, MAP_GROWSDOWN, MAP_PRIVATE, O_RDONLY, PROT_READ, PROT_WRITE, fileVmFile, mmput, sysMmap,
  type FileSystem, type MmStruct, type VmFile,
} from "@mmsim/virtual";
import type { Kernel } from "../kernel";
import type { Task } from "../task";
import { COMM_MAX, PF_FORKNOEXEC, PF_RANDOMIZE } from "../task";
import { virtualOf } from "../virtual-kernel";
import { elfLoadImage, mapVdso } from "./binfmt-elf";
import { archPickMmapBase, drawExecRandom, pieLoadBias, STACK_EXPAND, type ExecRandom } from "./layout";
import { rtldStartup } from "./ld-so";
import { BUILTIN_PROGRAM, LD_SO_CACHE, pageAlign, pageStart, type ElfImage, type Program } from "./program";
import { argStrings, createElfTables, DEFAULT_CPU_AUXV, type CpuAuxv, type StackLayout } from "./stack";

const PAGE_SIZE = 4096;
const ENOMEM = -12;
/** ENOEXEC: "Exec format error" (include/uapi/asm-generic/errno-base.h) */
const ENOEXEC = -8;
/** The environment a task gets when the exec names none (a login shell's minimal set). */
export const DEFAULT_ENVP: readonly string[] = ["HOME=/root", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=linux"];

/** What an exec asks for. */
export interface ExecOptions {
  /** the program (default: the built-in /usr/bin/app) */
  program?: Program;
  /** argv (default: the program's path) */
  argv?: readonly string[];
  /** envp (default DEFAULT_ENVP) */
  envp?: readonly string[];
  /** false: as `setarch -R` (personality ADDR_NO_RANDOMIZE): no randomization whatever the sysctl */
  aslr?: boolean;
}

/** Where one exec put things. */
export interface ExecResult {
  randomized: boolean;
  random: ExecRandom;
  mmapBase: number;
  /** the stack VMA's end (the randomized, aligned STACK_TOP) and start */
  stackTop: number;
  stackStart: number;
  loadBias: number;
  interpBase: number;
  /** mm->context.vdso: the [vdso] text (AT_SYSINFO_EHDR) */
  vdso: number;
  startBrk: number;
  entry: number;
  stack: StackLayout;
  /** each loaded library: path and load bias */
  libs: { path: string; bias: number }[];
}

/** The exec layer of a machine: kernel.randomize_va_space and the program files. */
export class ExecKernel {
  /** kernel.randomize_va_space: 0 none, 1 stack/mmap/vDSO/PIE, 2 also the break (default 2) */
  randomizeVaSpace = 2;
  /** the CPU-dependent auxv values */
  cpuAuxv: CpuAuxv = DEFAULT_CPU_AUXV;

  /** Hooks run at every exec once the new image is built, before exec_mmap (the userland drops the old image's state). */
  private readonly execHooks: ((t: Task) => void)[] = [];

  constructor(
    private readonly k: Kernel,
    private readonly fs: FileSystem,
  ) {}

  /**
   * Adds a hook run at each exec of a task once nothing can fail any more, just before exec_mmap
   * replaces the old image; a hook that throws (InputError) aborts the exec with t untouched.
   */
  onExec(hook: (t: Task) => void): void {
    this.execHooks.push(hook);
  }

  /**
   * open_exec / ld.so's open: a read-only struct file of the program file `path` and the VmFile
   * mmap maps (fileVmFile: filemap_fault, fault-around, the page cache). The inode is made on first
   * use with `bytes` and no blocks (a sparse file: its pages read as zeros). The opener's reference
   * is dropped once mapped (fput after mmap): the VMAs hold the file.
   */
  private fileOf(path: string, bytes: number): VmFile {
    let inode = this.fs.names.get(path);
    if (inode === undefined) {
      inode = this.fs.newInode(path);
      inode.size = bytes;
    }
    const f = fileVmFile(this.fs, new File(inode, O_RDONLY, this.fs.raPages));
    f.fCount = 0;
    return f;
  }

  /**
   * execve(path, argv, envp) for live task t: builds the new address space, swaps it in
   * (exec_mmap) and runs ld.so's startup. Returns where things went, or -ENOMEM with t's old
   * address space untouched.
   */
  execve(t: Task, opts: ExecOptions = {}): ExecResult | number {
    const vk = virtualOf(this.k);
    const vmm = vk.vmm;
    const prog = opts.program ?? BUILTIN_PROGRAM;
    const exe = prog.exe;
    // elf_check_arch: an i386 kernel loads EM_386 images only, and the programs here are x86-64
    // ELF files (EM_X86_64): load_elf_binary refuses them before the old mm is touched
    if (vmm.arch === "i386") return ENOEXEC;
    const argv = opts.argv ?? [exe.path];
    const envp = opts.envp ?? DEFAULT_ENVP;
    const randomize = this.randomizeVaSpace !== 0 && opts.aslr !== false;
    const mm = vmm.mmAlloc();
    if (mm === null) return ENOMEM;
    const randomBytes = new Uint8Array(16);
    const rnd = drawExecRandom(this.k.rng, randomize, this.randomizeVaSpace > 1, randomBytes);
    const fail = (e: number): number => {
      mmput(vmm, mm);
      return e;
    };
    // setup_new_exec -> arch_pick_mmap_layout
    const window = vmm.defaultMapWindow;
    mm.mmapBase = archPickMmapBase(window, mm.rlimits.stack, vmm.sysctl.stackGuardGap, randomize, rnd.mmapRnd);
    // copy_strings into the bprm stack, then setup_arg_pages(randomize_stack_top(STACK_TOP))
    const strs = argStrings(exe.path, argv, envp);
    const stackTop = pageAlign(Math.floor((pageAlign(window) - rnd.stackRnd - rnd.alignRnd1) / 16) * 16);
    const strAddr = stackTop - strs.block.length;
    const stackSize = stackTop - pageStart(strAddr);
    const stackExpand = Math.min(Math.floor(mm.rlimits.stack / PAGE_SIZE) * PAGE_SIZE, stackSize + STACK_EXPAND);
    const stackStart = stackTop - stackExpand;
    if (stackStart > pageStart(strAddr)) return fail(-7); // E2BIG: the strings exceed RLIMIT_STACK
    const r = sysMmap(vmm, mm, stackStart, stackExpand, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, null, 0);
    if (r < 0) return fail(r);
    // the executable's PT_LOADs, then the interpreter and the vDSO top-down
    const cpu = this.k.hw.cpus[t.cpu] ?? BUG("execve", `task ${t.pid} runs on a missing CPU`);
    const bias = exe.type === "ET_DYN" ? pieLoadBias(window, rnd.loadRnd, pageStart(exe.segments[0]!.vaddr)) : 0;
    const exeFile = this.fileOf(exe.path, exe.fileBytes);
    const loaded = elfLoadImage(vmm, mm, cpu, exe, exeFile, bias);
    if (typeof loaded === "number") return fail(loaded);
    let interpBase = 0;
    if (prog.interp !== null) {
      const li = elfLoadImage(vmm, mm, cpu, prog.interp, this.fileOf(prog.interp.path, prog.interp.fileBytes), null);
      if (typeof li === "number") return fail(li);
      interpBase = li.bias;
    }
    const vdso = mapVdso(vmm, mm);
    if (vdso < 0) return fail(vdso);
    const entry = loaded.bias + exe.entry;
    const stack = createElfTables(vmm, mm, cpu, strAddr, strs, rnd.alignRnd2, randomBytes, {
      vdso, phdr: phdrAddr(exe, loaded.bias), phnum: exe.phnum, base: interpBase, entry,
    }, this.cpuAuxv);
    mm.startCode = loaded.startCode;
    mm.endCode = loaded.endCode;
    mm.startData = loaded.startData;
    mm.endData = loaded.endData;
    mm.startStack = stack.sp;
    mm.argStart = stack.argStart;
    mm.argEnd = stack.argEnd;
    mm.envStart = stack.envStart;
    mm.envEnd = stack.envEnd;
    mm.savedAuxv = stack.auxv;
    // SET_PERSONALITY2 -> set_personality_64bit: an x86-64 image gets the vsyscall gate area
    mm.hasVsyscall = true;
    mm.startBrk = mm.brk = loaded.brk + rnd.brkRnd;
    let libs: { path: string; bias: number }[] = [];
    if (prog.interp !== null) {
      const objs = rtldStartup(vmm, mm, cpu, prog, { img: exe, bias: loaded.bias }, { img: prog.interp, bias: interpBase }, (p, n) => this.fileOf(p, n), LD_SO_CACHE);
      if (typeof objs === "number") return fail(objs);
      libs = objs.map((o) => ({ path: o.img.path, bias: o.bias }));
    }
    // the hooks see the old image still in place; one that refuses (an InputError) leaves t untouched
    try {
      for (const hook of this.execHooks) hook(t);
    } catch (e) {
      mmput(vmm, mm);
      throw e;
    }
    execMmap(vmm, t, mm);
    t.comm = basename(exe.path).slice(0, COMM_MAX);
    // begin_new_exec / load_elf_binary: PF_FORKNOEXEC cleared, PF_RANDOMIZE as decided above
    t.flags = (t.flags & ~(PF_FORKNOEXEC | PF_RANDOMIZE)) | (randomize ? PF_RANDOMIZE : 0);
    return {
      randomized: randomize, random: rnd, mmapBase: mm.mmapBase, stackTop, stackStart, loadBias: loaded.bias, interpBase, vdso,
      startBrk: mm.startBrk, entry, stack, libs,
    };
  }
}

/** AT_PHDR: e_phoff translated through the segment holding it (load_elf_binary's phdr_addr). */
function phdrAddr(img: ElfImage, bias: number): number {
  for (const s of img.segments) if (s.offset <= img.phoff && img.phoff < s.offset + s.filesz) return bias + s.vaddr + (img.phoff - s.offset);
  return 0;
}

/** exec_mmap: the task's mm becomes `mm`; the old one is dropped (exit_mmap when it was the last user). */
function execMmap(vmm: ReturnType<typeof virtualOf>["vmm"], t: Task, mm: MmStruct): void {
  const old = t.mm;
  t.mm = mm;
  if (old !== null) {
    // the faults counted on the old image stay the task's (current->min_flt outlives the mm)
    t.minFlt += old.minFlt;
    t.majFlt += old.majFlt;
    mmput(vmm, old);
  }
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The exec layer of a booted kernel (what the exec module's init returned). */
export function execOf(k: Kernel): ExecKernel {
  for (const [, layer] of k.moduleLayers()) if (layer instanceof ExecKernel) return layer;
  return BUG("execOf", "this kernel has no exec module");
}
