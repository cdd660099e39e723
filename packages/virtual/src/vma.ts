// Splitting, modifying and unmapping VMAs (mm/vma.c, 6.18): __split_vma/split_vma, vma_modify
// (merge first, else split off the untouched parts), vma_merge_extend (mremap growing in
// place), copy_vma (mremap moving), and munmap's gather/complete pair (vms_gather_munmap_vmas,
// vms_complete_munmap_vmas) with Linux's map_count rule: a munmap may split one VMA into three
// only while map_count < max_map_count, else ENOMEM.
import {
  BUG,
} from "@mmsim/base";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import {
  isDataMapping as isDataMapping_, isExecMapping as isExecMapping_, isStackMapping as isStackMapping_, VM_ACCOUNT as VM_ACCOUNT_, VM_LOCKED as VM_LOCKED_,
} from "./mm-flags";
import {
  anonVmaClone as anonVmaClone_, unlinkAnonVmas as unlinkAnonVmas_, vmaLinkFile as vmaLinkFile_, vmaUnlinkFile as vmaUnlinkFile_,
  vmaIntervalTreeUpdate,
} from "./rmap";
import {
  VMA_MERGE_ERROR_NOMEM as VMA_MERGE_ERROR_NOMEM_, VmaMergeStruct, vmaLink as vmaLink_, vmaMergeExistingRange as vmaMergeExistingRange_, vmaMergeNewRange as vmaMergeNewRange_,
} from "./vma-merge";
import type { VirtualMemory } from "./virtual-memory";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const isDataMapping = isDataMapping_;
const isExecMapping = isExecMapping_;
const isStackMapping = isStackMapping_;
const VM_ACCOUNT = VM_ACCOUNT_;
const VM_LOCKED = VM_LOCKED_;
const anonVmaClone = anonVmaClone_;
const unlinkAnonVmas = unlinkAnonVmas_;
const vmaLinkFile = vmaLinkFile_;
const vmaUnlinkFile = vmaUnlinkFile_;
const VMA_MERGE_ERROR_NOMEM = VMA_MERGE_ERROR_NOMEM_;
const vmaLink = vmaLink_;
const vmaMergeExistingRange = vmaMergeExistingRange_;
const vmaMergeNewRange = vmaMergeNewRange_;

const ENOMEM = -12;
const EINVAL = -22;

/**
 * __split_vma: splits `vma` at addr; the new VMA is the part below addr when newBelow, else the
 * part above. No max_map_count check. Returns 0 or -ENOMEM.
 */
export function __splitVma(vmm: VirtualMemory, vma: VmAreaStruct, addr: number, newBelow: boolean): number {
  if (!(vma.vmStart < addr && addr < vma.vmEnd)) BUG("__split_vma", `addr ${addr.toString(16)} outside ${vma.vmStart.toString(16)}-${vma.vmEnd.toString(16)}`);
  const n = vmm.vmAreaDup(vma);
  if (n === null) return ENOMEM;
  vmm.hooks.adjustTransHuge(vma, addr);
  if (newBelow) n.vmEnd = addr;
  else {
    n.vmStart = addr;
    n.vmPgoff += (addr - vma.vmStart) / 4096;
  }
  if (anonVmaClone(vmm, n, vma) < 0) {
    n.detached = true;
    vmm.vmAreaFree(n);
    return ENOMEM;
  }
  if (n.vmFile !== null) n.vmFile.fCount++;
  n.vmOps?.open?.(n);
  if (newBelow) {
    vma.vmPgoff += (addr - n.vmStart) / 4096;
    vma.vmStart = addr;
  } else vma.vmEnd = addr;
  vmaIntervalTreeUpdate(vma);
  const mm = vma.vmMm;
  mm.mmMt.insert(n);
  n.detached = false;
  vmaLinkFile(n);
  mm.mapCount++;
  return 0;
}

/** split_vma: __split_vma after the max_map_count check (ENOMEM at the limit). */
export function splitVma(vmm: VirtualMemory, vma: VmAreaStruct, addr: number, newBelow: boolean): number {
  if (vma.vmMm.mapCount >= vmm.sysctl.maxMapCount) return ENOMEM;
  return __splitVma(vmm, vma, addr, newBelow);
}

/**
 * vma_modify: [g.start, g.end) of g.middle is changing to g's attributes: merge it with a
 * neighbour if Linux would, else split off the parts outside the range. Returns the VMA that now
 * spans exactly the range (merged or split), or -errno.
 */
export function vmaModify(vmm: VirtualMemory, g: VmaMergeStruct): VmAreaStruct | number {
  const vma = g.middle!;
  const start = g.start;
  const end = g.end;
  const merged = vmaMergeExistingRange(vmm, g);
  if (merged !== null) return merged;
  if (g.state === VMA_MERGE_ERROR_NOMEM) return ENOMEM;
  if (vma.vmStart < start) {
    const e = splitVma(vmm, vma, start, true);
    if (e) return e;
  }
  if (vma.vmEnd > end) {
    const e = splitVma(vmm, vma, end, false);
    if (e) return e;
  }
  return vma;
}

/**
 * vma_modify_flags: vma_modify for a change of vm_flags to newFlags over [start, end) of `vma`;
 * `prev` is vma's predecessor or vma itself when start is inside it. The caller then sets the
 * flags on the returned VMA. Returns the VMA or -errno.
 */
export function vmaModifyFlags(vmm: VirtualMemory, prev: VmAreaStruct | null, vma: VmAreaStruct, start: number, end: number, newFlags: number): VmAreaStruct | number {
  const g = VmaMergeStruct.forVma(prev, vma, start, end);
  g.vmFlags = newFlags;
  return vmaModify(vmm, g);
}

/**
 * vma_merge_extend: grows `vma` by delta bytes at its end, merging with the next VMA if it then
 * touches a compatible one (mremap growing in place). Returns the VMA or null (ENOMEM).
 */
export function vmaMergeExtend(vmm: VirtualMemory, vma: VmAreaStruct, delta: number): VmAreaStruct | null {
  const g = VmaMergeStruct.forVma(vma, vma, vma.vmEnd, vma.vmEnd + delta);
  g.middle = null;
  g.next = vma.vmMm.mmMt.nextFrom(vma.vmEnd);
  return vmaMergeNewRange(vmm, g);
}

/**
 * copy_vma: the new home of [addr, addr+len) of `vma` for mremap, merged with neighbours at the
 * destination when possible (an unfaulted anonymous VMA takes pgoff addr >> PAGE_SHIFT to help).
 * Returns [newVma, vma] (vma is replaced when the source merged into the new one), or null.
 */
export function copyVma(vmm: VirtualMemory, vma: VmAreaStruct, addr: number, len: number, pgoff: number): [VmAreaStruct, VmAreaStruct] | null {
  const mm = vma.vmMm;
  const vmaStart = vma.vmStart;
  if (vma.vmFile === null && vma.vmOps === null && vma.anonVma === null) pgoff = addr / 4096;
  if (mm.mmMt.findVmaIntersection(addr, addr + len) !== null) BUG("copy_vma", "destination not empty");
  const g = VmaMergeStruct.forVma(null, vma, addr, addr + len);
  g.middle = null;
  g.copiedFrom = vma;
  g.pgoff = pgoff;
  g.prev = mm.mmMt.prevOf(addr);
  g.next = mm.mmMt.nextFrom(addr);
  const merged = vmaMergeNewRange(vmm, g);
  if (merged !== null) {
    if (vmaStart >= merged.vmStart && vmaStart < merged.vmEnd) return [merged, merged];
    return [merged, vma];
  }
  if (g.state === VMA_MERGE_ERROR_NOMEM) return null;
  const n = vmm.vmAreaDup(vma);
  if (n === null) return null;
  n.vmStart = addr;
  n.vmEnd = addr + len;
  n.vmPgoff = pgoff;
  if (anonVmaClone(vmm, n, vma) < 0) {
    vmm.vmAreaFree(n);
    return null;
  }
  if (n.vmFile !== null) n.vmFile.fCount++;
  n.vmOps?.open?.(n);
  vmaLink(mm, n);
  return [n, vma];
}

/** struct vma_munmap_struct: the VMAs gathered for an unmap and what they account for. */
export class VmaMunmapStruct {
  /** the detached VMAs, in address order */
  readonly detached: VmAreaStruct[] = [];
  prev: VmAreaStruct | null = null;
  next: VmAreaStruct | null = null;
  nrPages = 0;
  lockedVm = 0;
  nrAccounted = 0;
  execVm = 0;
  stackVm = 0;
  dataVm = 0;
  /** the PTEs still need clearing (vms_clear_ptes not yet run) */
  clearPtes = false;
  /** the VMAs are out of the tree */
  cleared = false;

  constructor(
    readonly mm: MmStruct,
    readonly start: number,
    readonly end: number,
  ) {}
}

/**
 * vms_gather_munmap_vmas: splits the VMAs straddling start and end and collects those inside
 * [start, end), starting with `vma` (the first one overlapping). Returns 0 or -ENOMEM (splits
 * already done stay, as in Linux).
 */
export function vmsGatherMunmapVmas(vmm: VirtualMemory, vms: VmaMunmapStruct, vma: VmAreaStruct): number {
  const mm = vms.mm;
  if (vms.start > vma.vmStart) {
    if (vms.end < vma.vmEnd && mm.mapCount >= vmm.sysctl.maxMapCount) return ENOMEM;
    const e = __splitVma(vmm, vma, vms.start, true);
    if (e) return e;
  }
  const t = mm.mmMt;
  let i = t.indexOf(vma);
  vms.prev = i > 0 ? t.vmas[i - 1] : null;
  for (; i < t.vmas.length && t.vmas[i].vmStart < vms.end; i++) {
    const next = t.vmas[i];
    if (next.vmEnd > vms.end) {
      const e = __splitVma(vmm, next, vms.end, false);
      if (e) {
        vms.detached.length = 0;
        return e;
      }
    }
    vms.detached.push(next);
    const n = next.pages;
    vms.nrPages += n;
    if (next.vmFlags & VM_LOCKED) vms.lockedVm += n;
    if (next.vmFlags & VM_ACCOUNT) vms.nrAccounted += n;
    if (isExecMapping(next.vmFlags)) vms.execVm += n;
    else if (isStackMapping(next.vmFlags)) vms.stackVm += n;
    else if (isDataMapping(next.vmFlags)) vms.dataVm += n;
  }
  vms.next = t.vmas[i] ?? null;
  vms.clearPtes = true;
  return 0;
}

/** vms_clean_up_area: clears the gathered range's PTEs and calls ->close on each VMA (mmap over a range). */
export function vmsCleanUpArea(vmm: VirtualMemory, vms: VmaMunmapStruct): void {
  if (vms.nrPages === 0) return;
  vmsClearPtes(vmm, vms);
  for (const vma of vms.detached) vmaClose(vma);
}

function vmsClearPtes(vmm: VirtualMemory, vms: VmaMunmapStruct): void {
  if (!vms.clearPtes) return;
  for (const vma of vms.detached) vmm.hooks.zapVmaRange(vma, vma.vmStart, vma.vmEnd);
  vms.clearPtes = false;
}

/** vma_close: ->close once; the VMA then has no ops (vma_dummy_vm_ops). */
function vmaClose(vma: VmAreaStruct): void {
  if (vma.vmOps?.close) {
    vma.vmOps.close(vma);
    vma.vmOps = null;
  }
}

/** Takes the gathered VMAs out of the tree (vma_iter_clear_gfp). */
export function vmsDetach(vms: VmaMunmapStruct): void {
  if (vms.cleared) return;
  for (const vma of vms.detached) {
    vms.mm.mmMt.remove(vma);
    vma.detached = true;
  }
  vms.cleared = true;
}

/** vms_abort_munmap_vmas after a failed mmap: restores the VMAs if their PTEs are intact, else leaves a gap. */
export function vmsAbortMunmapVmas(vmm: VirtualMemory, vms: VmaMunmapStruct): void {
  if (vms.nrPages === 0) return;
  if (vms.clearPtes) {
    if (vms.cleared) for (const vma of vms.detached) {
      vms.mm.mmMt.insert(vma);
      vma.detached = false;
    }
    vms.cleared = false;
    return;
  }
  vmsCompleteMunmapVmas(vmm, vms);
}

/**
 * vms_complete_munmap_vmas: the point of no return of munmap: counters, PTEs, rmap links and the
 * VMAs themselves (remove_vma: ->close, fput, vm_area_free), and the accounted pages.
 */
export function vmsCompleteMunmapVmas(vmm: VirtualMemory, vms: VmaMunmapStruct): void {
  const mm = vms.mm;
  vmsDetach(vms);
  mm.mapCount -= vms.detached.length;
  mm.lockedVm -= vms.lockedVm;
  if (vms.nrPages === 0) return;
  vmsClearPtes(vmm, vms);
  if (mm.hiwaterVm < mm.totalVm) mm.hiwaterVm = mm.totalVm;
  mm.totalVm -= vms.nrPages;
  mm.execVm -= vms.execVm;
  mm.stackVm -= vms.stackVm;
  mm.dataVm -= vms.dataVm;
  for (const vma of vms.detached) removeVma(vmm, vma);
  vmm.vmUnacctMemory(vms.nrAccounted);
}

/** remove_vma (with free_pgtables' rmap unlinking): ->close, unlink anon_vmas and i_mmap, fput, free. */
export function removeVma(vmm: VirtualMemory, vma: VmAreaStruct): void {
  vmaClose(vma);
  if (vma.anonVma !== null || vma.anonVmaChain.length) unlinkAnonVmas(vmm, vma);
  if (vma.vmFile !== null) {
    vmaUnlinkFile(vma);
    vma.vmFile.fCount--;
  }
  vmm.vmAreaFree(vma);
}

/**
 * do_vmi_align_munmap: unmaps the page-aligned [start, end) beginning at `vma` (the first VMA
 * overlapping it). Returns 0 or -ENOMEM.
 */
export function doVmiAlignMunmap(vmm: VirtualMemory, mm: MmStruct, vma: VmAreaStruct, start: number, end: number): number {
  const vms = new VmaMunmapStruct(mm, start, end);
  const e = vmsGatherMunmapVmas(vmm, vms, vma);
  if (e) return e;
  vmsCompleteMunmapVmas(vmm, vms);
  return 0;
}

/**
 * do_vmi_munmap (munmap's core): EINVAL for an unaligned start or a range outside TASK_SIZE or
 * empty after alignment; 0 when nothing is mapped there.
 */
export function doVmiMunmap(vmm: VirtualMemory, mm: MmStruct, start: number, len: number): number {
  if (start % 4096 !== 0 || start > mm.taskSize || len > mm.taskSize - start) return EINVAL;
  const end = start + Math.ceil(len / 4096) * 4096;
  if (end === start) return EINVAL;
  const vma = mm.mmMt.findVmaIntersection(start, end);
  if (vma === null) return 0;
  return doVmiAlignMunmap(vmm, mm, vma, start, end);
}

