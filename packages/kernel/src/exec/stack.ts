// The new program's stack (fs/exec.c copy_strings and setup_arg_pages, fs/binfmt_elf.c
// create_elf_tables): the argument strings at the top, the platform string and AT_RANDOM's 16
// bytes below them, then argc, argv[], envp[] and the auxiliary vector, 16-byte aligned. The
// bytes are written with the task's user stores, so the stack pages are faulted in and counted.
import { BUG } from "@mmsim/base";
import type { Cpu } from "@mmsim/hardware";
import { userStore, type MmStruct, type VirtualMemory } from "@mmsim/virtual";

/** Auxiliary vector types (include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h). */
export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_RSEQ_FEATURE_SIZE = 27;
export const AT_RSEQ_ALIGN = 28;
export const AT_EXECFN = 31;
export const AT_SYSINFO_EHDR = 33;
export const AT_MINSIGSTKSZ = 51;

/** ELF_PLATFORM on x86-64 (arch/x86/include/asm/elf.h): utsname()->machine. */
export const ELF_PLATFORM = "x86_64";
/** sizeof(struct elf64_phdr): AT_PHENT. */
export const ELF64_PHDR_SIZE = 56;
/** CLOCKS_PER_SEC = USER_HZ (include/uapi/asm-generic/param.h): AT_CLKTCK. */
export const USER_HZ = 100;
/** offsetof(struct rseq, end) (4+4+8+4+4+4: cpu_id_start, cpu_id, rseq_cs, flags, node_id, mm_cid) and __alignof__(struct rseq) (include/uapi/linux/rseq.h): AT_RSEQ_*. */
export const RSEQ_FEATURE_SIZE = 28;
export const RSEQ_ALIGN = 32;

/** The simulated CPU's values of the CPU-dependent auxv entries (a typical x86-64 machine's LD_SHOW_AUXV). */
export interface CpuAuxv {
  /** AT_HWCAP: CPUID leaf 1 EDX */
  hwcap: number;
  /** AT_HWCAP2: HWCAP2_RING3MWAIT / HWCAP2_FSGSBASE bits */
  hwcap2: number;
  /** AT_MINSIGSTKSZ: get_sigframe_size() with this CPU's xsave area */
  minsigstksz: number;
}

export const DEFAULT_CPU_AUXV: Readonly<CpuAuxv> = Object.freeze({ hwcap: 0x178bfbff, hwcap2: 0x2, minsigstksz: 3632 });

/** The addresses create_elf_tables fills in the auxv. */
export interface AuxvInputs {
  vdso: number;
  phdr: number;
  phnum: number;
  base: number;
  entry: number;
}

/** Where the argument area lies once written (mm->arg_start.., the stack pointer at entry). */
export interface StackLayout {
  /** mm->start_stack: the address of argc (the stack pointer at the program's entry) */
  sp: number;
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
  /** AT_EXECFN: the filename copied at the top */
  execfn: number;
  /** AT_RANDOM: the 16 random bytes */
  random: number;
  /** the auxiliary vector as [type, value] pairs, AT_NULL last (mm->saved_auxv) */
  auxv: number[];
}

const encoder = new TextEncoder();

function cstring(s: string): Uint8Array {
  const b = encoder.encode(s);
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}

/** Writes v (below 2^64, an exact integer) little-endian at off. */
function putU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v % 4294967296, true);
  dv.setUint32(off + 4, Math.floor(v / 4294967296), true);
}

function store(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, bytes: Uint8Array): void {
  if (userStore(vmm, mm, cpu, addr, bytes) !== null) BUG("createElfTables", `stack store at 0x${addr.toString(16)} faulted`);
}

/**
 * The bytes copy_strings puts below `top` (bprm->p = vm_end - sizeof(void *)): the filename,
 * then envp and argv strings, each list copied last string first so argv[0] ends lowest.
 * Returns the string block and the offsets (from the block's start) of each string.
 */
export function argStrings(filename: string, argv: readonly string[], envp: readonly string[]): { block: Uint8Array; argv: number[]; envp: number[]; execfn: number } {
  const parts = [...argv.map(cstring), ...envp.map(cstring), cstring(filename)];
  const len = parts.reduce((n, p) => n + p.length, 0) + 8;
  const block = new Uint8Array(len);
  const offs: number[] = [];
  let o = 0;
  for (const p of parts) {
    offs.push(o);
    block.set(p, o);
    o += p.length;
  }
  return { block, argv: offs.slice(0, argv.length), envp: offs.slice(argv.length, argv.length + envp.length), execfn: offs[offs.length - 1]! };
}

/**
 * create_elf_tables below the strings at `strAddr` (bprm->p): platform string and random bytes
 * under the aligned pointer, then argc, argv, envp and the auxv at a 16-byte aligned stack
 * pointer. `alignRnd` is arch_align_stack's random offset.
 */
export function createElfTables(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, strAddr: number, strs: ReturnType<typeof argStrings>, alignRnd: number, randomBytes: Uint8Array, inp: AuxvInputs, cpuAuxv: CpuAuxv): StackLayout {
  store(vmm, mm, cpu, strAddr, strs.block);
  let p = Math.floor((strAddr - alignRnd) / 16) * 16;
  const plat = cstring(ELF_PLATFORM);
  p -= plat.length;
  const uPlatform = p;
  store(vmm, mm, cpu, uPlatform, plat);
  p -= randomBytes.length;
  const uRand = p;
  store(vmm, mm, cpu, uRand, randomBytes);
  const execfn = strAddr + strs.execfn;
  const auxv = [
    AT_SYSINFO_EHDR, inp.vdso, AT_MINSIGSTKSZ, cpuAuxv.minsigstksz,
    AT_HWCAP, cpuAuxv.hwcap, AT_PAGESZ, 4096, AT_CLKTCK, USER_HZ, AT_PHDR, inp.phdr, AT_PHENT, ELF64_PHDR_SIZE,
    AT_PHNUM, inp.phnum, AT_BASE, inp.base, AT_FLAGS, 0, AT_ENTRY, inp.entry,
    AT_UID, 0, AT_EUID, 0, AT_GID, 0, AT_EGID, 0, AT_SECURE, 0, AT_RANDOM, uRand, AT_HWCAP2, cpuAuxv.hwcap2,
    AT_EXECFN, execfn, AT_PLATFORM, uPlatform, AT_RSEQ_FEATURE_SIZE, RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN, RSEQ_ALIGN,
    AT_NULL, 0,
  ];
  const argc = strs.argv.length;
  const envc = strs.envp.length;
  const items = argc + 1 + (envc + 1) + 1;
  // STACK_ADD(p, ei_index) then STACK_ROUND(sp, items)
  const sp = Math.floor((p - auxv.length * 8 - items * 8) / 16) * 16;
  const table = new Uint8Array((items + auxv.length) * 8);
  const dv = new DataView(table.buffer);
  let o = 0;
  putU64(dv, o, argc);
  o += 8;
  for (const a of strs.argv) {
    putU64(dv, o, strAddr + a);
    o += 8;
  }
  o += 8;
  for (const e of strs.envp) {
    putU64(dv, o, strAddr + e);
    o += 8;
  }
  o += 8;
  for (const v of auxv) {
    putU64(dv, o, v);
    o += 8;
  }
  store(vmm, mm, cpu, sp, table);
  const argEnd = envc > 0 ? strAddr + strs.envp[0]! : execfn;
  return { sp, argStart: strAddr, argEnd, envStart: argEnd, envEnd: execfn, execfn, random: uRand, auxv };
}
