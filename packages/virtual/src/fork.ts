// fork's address-space copy (kernel/fork.c dup_mm → mm/mmap.c dup_mmap): a new mm with its own
// pgd gets a copy of every VMA (VM_DONTCOPY ones skipped, VM_WIPEONFORK ones empty), each linked
// to the parent's anon_vmas with one of its own (anon_vma_fork), and copy_page_range shares the
// parent's pages copy-on-write. exit tears an mm down through exit_mmap (syscalls.ts).
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { copyHugePmds } from "./huge-memory-range";
import { VM_ACCOUNT, VM_DONTCOPY, VM_LOCKED_MASK, VM_NOHUGEPAGE, VM_WIPEONFORK } from "./mm-flags";
import { vmStatAccount } from "./mmap";
import { anonVmaFork } from "./rmap";
import { vmaLink } from "./vma-merge";
import { copyPageRange } from "./memory-range";
import { exitMmap } from "./syscalls";

/**
 * dup_mm + dup_mmap: the child's mm, or null on ENOMEM (the partial child is torn down and
 * every page, table and charge it took is given back).
 */
export function dupMm(vmm: VirtualMemory, oldmm: MmStruct): MmStruct | null {
  const mm = vmm.mmAlloc();
  if (mm === null) return null;
  mm.mmapBase = oldmm.mmapBase;
  mm.taskSize = oldmm.taskSize;
  mm.startCode = oldmm.startCode;
  mm.endCode = oldmm.endCode;
  mm.startData = oldmm.startData;
  mm.endData = oldmm.endData;
  mm.startBrk = oldmm.startBrk;
  mm.brk = oldmm.brk;
  mm.startStack = oldmm.startStack;
  mm.argStart = oldmm.argStart;
  mm.argEnd = oldmm.argEnd;
  mm.envStart = oldmm.envStart;
  mm.envEnd = oldmm.envEnd;
  mm.savedAuxv = oldmm.savedAuxv;
  mm.hasVsyscall = oldmm.hasVsyscall;
  mm.totalVm = oldmm.totalVm;
  mm.dataVm = oldmm.dataVm;
  mm.execVm = oldmm.execVm;
  mm.stackVm = oldmm.stackVm;
  mm.hiwaterVm = oldmm.hiwaterVm;
  mm.hiwaterRss = oldmm.hiwaterRss;
  // mm_init: locked_vm 0; def_flags keep only VM_INIT_DEF_MASK (VM_NOHUGEPAGE)
  mm.defFlags = oldmm.defFlags & VM_NOHUGEPAGE;
  Object.assign(mm.rlimits, oldmm.rlimits);
  mm.capIpcLock = oldmm.capIpcLock;
  for (const mpnt of oldmm.mmMt.vmas) {
    const pages = mpnt.pages;
    if (mpnt.vmFlags & VM_DONTCOPY) {
      vmStatAccount(mm, mpnt.vmFlags, -pages);
      continue;
    }
    if (mpnt.vmFlags & VM_ACCOUNT && vmm.vmEnoughMemory(oldmm, pages) < 0) return fail(vmm, mm);
    const tmp = vmm.vmAreaAlloc(mm);
    if (tmp === null) {
      if (mpnt.vmFlags & VM_ACCOUNT) vmm.vmUnacctMemory(pages);
      return fail(vmm, mm);
    }
    tmp.vmStart = mpnt.vmStart;
    tmp.vmEnd = mpnt.vmEnd;
    tmp.vmPgoff = mpnt.vmPgoff;
    tmp.vmFlags = mpnt.vmFlags & ~VM_LOCKED_MASK;
    tmp.vmPageProt = mpnt.vmPageProt;
    tmp.vmFile = mpnt.vmFile;
    tmp.vmOps = mpnt.vmOps;
    tmp.anonName = mpnt.anonName;
    if ((mpnt.vmFlags & VM_WIPEONFORK) === 0 && anonVmaFork(vmm, tmp, mpnt) < 0) {
      vmm.vmAreaFree(tmp);
      if (mpnt.vmFlags & VM_ACCOUNT) vmm.vmUnacctMemory(pages);
      return fail(vmm, mm);
    }
    if (tmp.vmFile !== null) tmp.vmFile.fCount++;
    vmaLink(mm, tmp);
    tmp.vmOps?.open?.(tmp);
    if ((mpnt.vmFlags & VM_WIPEONFORK) === 0 && mpnt.anonVma !== null && copyHugePmds(vmm, tmp, mpnt) < 0) return fail(vmm, mm);
    if ((mpnt.vmFlags & VM_WIPEONFORK) === 0 && copyPageRange(vmm, tmp, mpnt) < 0) return fail(vmm, mm);
  }
  return mm;
}

function fail(vmm: VirtualMemory, mm: MmStruct): null {
  exitMmap(vmm, mm);
  return null;
}
