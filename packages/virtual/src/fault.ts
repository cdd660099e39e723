// The user page-fault entry of arch/x86/mm/fault.c (do_user_addr_fault): find the VMA (growing
// a VM_GROWSDOWN stack: mm/mmap.c expand_downwards with the stack guard gap and
// acct_stack_growth), check the access against the VMA (access_error), run handle_mm_fault, and
// turn failures into the signal the task gets: SIGSEGV with SEGV_MAPERR or SEGV_ACCERR, SIGBUS
// with BUS_ADRERR. A non-canonical address is the MMU's #GP, not a page fault: SIGSEGV with
// SI_KERNEL and no address. A signal is a value returned to the caller, never a host exception.
import type { MmStruct, VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import {
  MMU_FAULT_GP, X86_PF_INSTR, X86_PF_PROT, X86_PF_WRITE,
} from "@mmsim/hardware";
import {
  FAULT_FLAG_DEFAULT, FAULT_FLAG_INSTRUCTION, FAULT_FLAG_USER, FAULT_FLAG_WRITE, VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV,
  handleMmFault,
} from "./memory";
import { anonVmaPrepare } from "./rmap";
import { handleFileMmFault } from "./file-fault";
import { mayExpandVm, mlockFutureOk, vmStatAccount } from "./mmap";
import { VM_ACCESS_FLAGS, VM_ACCOUNT, VM_GROWSDOWN, VM_LOCKED, VM_WRITE } from "./mm-flags";

/** SIGBUS, SIGKILL, SIGSEGV (x86 signal numbers) */
export const SIGBUS = 7;
export const SIGKILL = 9;
export const SIGSEGV = 11;
/** si_codes (include/uapi/asm-generic/siginfo.h) */
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRERR = 2;
/** SI_KERNEL: a signal the kernel raised for a fault without an address, like #GP (siginfo.h) */
export const SI_KERNEL = 0x80;

/** A signal a fault delivers to the task: signo, si_code, si_addr. */
export interface FaultSignal {
  readonly signo: number;
  readonly code: number;
  readonly addr: number;
  /** the fault ran out of memory (VM_FAULT_OOM): the OOM killer's decision, reported as SIGKILL */
  readonly oom: boolean;
}

/** si_code's name as strace prints it (include/uapi/asm-generic/siginfo.h), else its number. */
export function siCodeName(signo: number, code: number): string {
  if (code === SI_KERNEL) return "SI_KERNEL";
  if (signo === SIGSEGV && code === SEGV_MAPERR) return "SEGV_MAPERR";
  if (signo === SIGSEGV && code === SEGV_ACCERR) return "SEGV_ACCERR";
  if (signo === SIGBUS && code === BUS_ADRERR) return "BUS_ADRERR";
  return `${code}`;
}

function signal(signo: number, code: number, addr: number, oom = false): FaultSignal {
  return { signo, code, addr, oom };
}

/**
 * expand_downwards: grows stack VMA `vma` down to the page of addr. Returns 0 or -errno
 * (EPERM below mmap_min_addr, ENOMEM inside the guard gap of a lower mapping or beyond rlimits).
 */
export function expandDownwards(vmm: VirtualMemory, vma: VmAreaStruct, addr: number): number {
  const mm = vma.vmMm;
  addr -= addr % 4096;
  if (addr < vmm.sysctl.mmapMinAddr) return -1;
  const prev = mm.mmMt.vmaPrev(vma);
  if (prev !== null && (prev.vmFlags & VM_GROWSDOWN) === 0 && (prev.vmFlags & VM_ACCESS_FLAGS) !== 0 && addr - prev.vmEnd < vmm.sysctl.stackGuardGap) return -12;
  if (anonVmaPrepare(vmm, vma) < 0) return -12;
  if (addr >= vma.vmStart) return 0;
  const size = vma.vmEnd - addr;
  const grow = (vma.vmStart - addr) / 4096;
  if (grow > vma.vmPgoff) return -12;
  // acct_stack_growth
  if (!mayExpandVm(mm, vma.vmFlags, grow)) return -12;
  if (size > mm.rlimits.stack) return -12;
  if ((vma.vmFlags & VM_LOCKED) !== 0 && !mlockFutureOk(mm, vma.vmFlags, grow * 4096)) return -11;
  // Linux charges grow pages whatever VM_ACCOUNT says; charging only accounted stacks keeps
  // Committed_AS equal to the VM_ACCOUNT pages (docs/design/virtual.md).
  if ((vma.vmFlags & VM_ACCOUNT) !== 0 && vmm.vmEnoughMemory(mm, grow) < 0) return -12;
  if (vma.vmFlags & VM_LOCKED) mm.lockedVm += grow;
  vmStatAccount(mm, vma.vmFlags, grow);
  vma.vmStart = addr;
  vma.vmPgoff -= grow;
  return 0;
}

/** access_error: the VMA does not allow this access (write to a non-writable VMA, protection fault, PROT_NONE). */
function accessError(errorCode: number, vma: VmAreaStruct): boolean {
  if (errorCode & X86_PF_WRITE) return (vma.vmFlags & VM_WRITE) === 0;
  if (errorCode & X86_PF_PROT) return true;
  return (vma.vmFlags & VM_ACCESS_FLAGS) === 0;
}

/**
 * do_user_addr_fault for a user-mode fault at addr with the MMU's error code (or MMU_FAULT_GP:
 * the #GP of a non-canonical address). Returns null when the fault was resolved (the access may
 * be retried) or the signal to deliver.
 */
export function doUserAddrFault(vmm: VirtualMemory, mm: MmStruct, errorCode: number, addr: number): FaultSignal | null {
  // not a page fault: exc_general_protection → gp_user_force_sig_segv (arch/x86/kernel/traps.c)
  if (errorCode === MMU_FAULT_GP) return signal(SIGSEGV, SI_KERNEL, 0);
  let flags = FAULT_FLAG_DEFAULT | FAULT_FLAG_USER;
  if (errorCode & X86_PF_WRITE) flags |= FAULT_FLAG_WRITE;
  if (errorCode & X86_PF_INSTR) flags |= FAULT_FLAG_INSTRUCTION;
  // lock_mm_and_find_vma
  let vma = mm.mmMt.findVma(addr);
  if (vma === null) return signal(SIGSEGV, SEGV_MAPERR, addr);
  if (vma.vmStart > addr) {
    if ((vma.vmFlags & VM_GROWSDOWN) === 0 || expandDownwards(vmm, vma, addr) !== 0) return signal(SIGSEGV, SEGV_MAPERR, addr);
    vma = mm.mmMt.findVma(addr)!;
  }
  if (accessError(errorCode, vma)) return signal(SIGSEGV, SEGV_ACCERR, addr);
  const ops = vma.vmOps;
  const ret = ops !== null && ops.fault !== undefined ? handleFileMmFault(vmm, vma, addr, flags) : handleMmFault(vmm, vma, addr, flags);
  if (ret & VM_FAULT_OOM) return signal(SIGKILL, 0, addr, true);
  if (ret & VM_FAULT_SIGBUS) return signal(SIGBUS, BUS_ADRERR, addr);
  if (ret & VM_FAULT_SIGSEGV) return signal(SIGSEGV, SEGV_MAPERR, addr);
  return null;
}
