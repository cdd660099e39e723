// brk (mm/mmap.c SYSCALL_DEFINE1(brk) and do_brk_flags): the heap between mm.startBrk and mm.brk.
// Growing expands the heap VMA in place when it ends at the old break (VMG_FLAG_JUST_EXPAND) or
// maps a new anonymous VMA; it fails when the new break would come within a page plus
// stack_guard_gap of the next mapping. Shrinking unmaps. Like Linux, brk returns the new break
// on success and the old one on failure. The randomized start (arch_randomize_brk) is the caller's.
import {
  PAGE_SIZE as PAGE_SIZE_,
} from "@mmsim/base";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import {
  MAP_FIXED as MAP_FIXED_, VM_ACCOUNT as VM_ACCOUNT_, VM_DATA_DEFAULT_FLAGS as VM_DATA_DEFAULT_FLAGS_, VM_LOCKED as VM_LOCKED_, VM_SOFTDIRTY as VM_SOFTDIRTY_,
} from "./mm-flags";
import {
  getUnmappedArea as getUnmappedArea_, mayExpandVm as mayExpandVm_, mlockFutureOk as mlockFutureOk_, vmGetPageProt as vmGetPageProt_, vmStartGap as vmStartGap_,
} from "./mmap";
import {
  VmaMergeStruct, vmaMergeNewRange as vmaMergeNewRange_, VMA_MERGE_ERROR_NOMEM as VMA_MERGE_ERROR_NOMEM_,
} from "./vma-merge";
import {
  doVmiAlignMunmap as doVmiAlignMunmap_,
} from "./vma";
import type { VirtualMemory } from "./virtual-memory";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const PAGE_SIZE = PAGE_SIZE_;
const MAP_FIXED = MAP_FIXED_;
const VM_ACCOUNT = VM_ACCOUNT_;
const VM_DATA_DEFAULT_FLAGS = VM_DATA_DEFAULT_FLAGS_;
const VM_LOCKED = VM_LOCKED_;
const VM_SOFTDIRTY = VM_SOFTDIRTY_;
const getUnmappedArea = getUnmappedArea_;
const mayExpandVm = mayExpandVm_;
const mlockFutureOk = mlockFutureOk_;
const vmGetPageProt = vmGetPageProt_;
const vmStartGap = vmStartGap_;
const vmaMergeNewRange = vmaMergeNewRange_;
const VMA_MERGE_ERROR_NOMEM = VMA_MERGE_ERROR_NOMEM_;
const doVmiAlignMunmap = doVmiAlignMunmap_;

const ENOMEM = -12;

function pageAlign(x: number): number {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}

/** do_brk_flags: maps [addr, addr+len) as heap, expanding `vma` if it ends at addr. Returns 0 or -ENOMEM. */
export function doBrkFlags(vmm: VirtualMemory, mm: MmStruct, vma: VmAreaStruct | null, addr: number, len: number, flags: number): number {
  const vmFlags = flags | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | mm.defFlags;
  const pages = len / PAGE_SIZE;
  if (!mayExpandVm(mm, vmFlags, pages)) return ENOMEM;
  if (mm.mapCount > vmm.sysctl.maxMapCount) return ENOMEM;
  if (vmm.vmEnoughMemory(mm, pages) < 0) return ENOMEM;
  let target: VmAreaStruct | null = null;
  if (vma !== null && vma.vmEnd === addr) {
    const g = VmaMergeStruct.forRange(mm, addr, addr + len, vmFlags, addr / PAGE_SIZE);
    g.prev = vma;
    g.justExpand = true;
    target = vmaMergeNewRange(vmm, g);
    if (target === null && g.state === VMA_MERGE_ERROR_NOMEM) {
      vmm.vmUnacctMemory(pages);
      return ENOMEM;
    }
  }
  if (target === null) {
    target = vmm.vmAreaAlloc(mm);
    if (target === null) {
      vmm.vmUnacctMemory(pages);
      return ENOMEM;
    }
    target.vmStart = addr;
    target.vmEnd = addr + len;
    target.vmPgoff = addr / PAGE_SIZE;
    target.vmFlags = vmFlags;
    target.vmPageProt = vmGetPageProt(vmFlags);
    mm.mmMt.insert(target);
    target.detached = false;
    mm.mapCount++;
  }
  mm.totalVm += pages;
  mm.dataVm += pages;
  if (vmFlags & VM_LOCKED) mm.lockedVm += pages;
  if (vmm.softDirty) target.vmFlags |= VM_SOFTDIRTY;
  return 0;
}

/** brk(brk): sets the program break; returns the new break, or the old one when refused. */
export function doBrk(vmm: VirtualMemory, mm: MmStruct, brk: number): number {
  const origbrk = mm.brk;
  if (brk < mm.startBrk) return origbrk;
  if (mm.rlimits.data < Infinity && brk - mm.startBrk + (mm.endData - mm.startData) > mm.rlimits.data) return origbrk;
  const newbrk = pageAlign(brk);
  const oldbrk = pageAlign(mm.brk);
  if (oldbrk === newbrk) {
    mm.brk = brk;
    return brk;
  }
  if (brk <= mm.brk) {
    const brkvma = mm.mmMt.findVmaIntersection(newbrk, oldbrk);
    if (brkvma === null || brkvma.vmStart >= oldbrk) return origbrk;
    mm.brk = brk;
    if (doVmiAlignMunmap(vmm, mm, brkvma, newbrk, oldbrk)) {
      mm.brk = origbrk;
      return origbrk;
    }
    return brk;
  }
  // check_brk_limits
  if (getUnmappedArea(vmm, mm, null, oldbrk, newbrk - oldbrk, 0, MAP_FIXED) < 0) return origbrk;
  if (!mlockFutureOk(mm, mm.defFlags, newbrk - oldbrk)) return origbrk;
  const next = mm.mmMt.findVmaIntersection(oldbrk, newbrk + PAGE_SIZE + vmm.sysctl.stackGuardGap);
  if (next !== null && newbrk + PAGE_SIZE > vmStartGap(vmm, next)) return origbrk;
  // vma_prev_limit(&vmi, start_brk): the VMA below oldbrk, if it reaches above start_brk
  const prev = mm.mmMt.prevOf(oldbrk);
  const brkvma = prev !== null && prev.vmEnd > mm.startBrk ? prev : null;
  if (doBrkFlags(vmm, mm, brkvma, oldbrk, newbrk - oldbrk, 0) < 0) return origbrk;
  mm.brk = brk;
  if (mm.defFlags & VM_LOCKED) vmm.hooks.populate(mm, oldbrk, newbrk - oldbrk);
  return brk;
}
