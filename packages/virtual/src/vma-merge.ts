// Deciding and committing VMA merges, as mm/vma.c (6.18) does. A change is described by one
// control struct, vma_merge_struct: the range [start, end) with its pgoff, flags, file and
// anon_vma, and its neighbours prev/middle/next. Two entry points:
//
//   vma_merge_new_range: a new range in a gap           vma_merge_existing_range: part of `middle`
//        prev     new     next                              prev    middle     next
//     |-------|*******|--------|                         |------|***====***|--------|
//   expand prev (and delete next), or expand next        merge the changed part into prev and/or
//                                                        next, shrinking or deleting middle
//
// Rules: flags equal but for VM_SOFTDIRTY, same file, same anon_vma name, anon_vmas compatible
// (one missing or identical, never a forked child's list), pgoff contiguous, nothing VM_SPECIAL,
// and a VMA with vm_ops->close is never deleted (it may still be expanded).
import {
  BUG,
} from "@mmsim/base";
import type { AnonVma, MmStruct, VmAreaStruct, VmFile } from "./mm-types";
import {
  VM_IGNORE_MERGE as VM_IGNORE_MERGE_, VM_SPECIAL as VM_SPECIAL_,
} from "./mm-flags";
import {
  anonVmaClone as anonVmaClone_, unlinkAnonVmas as unlinkAnonVmas_, vmaLinkFile as vmaLinkFile_, vmaUnlinkFile as vmaUnlinkFile_,
  vmaIntervalTreeUpdate,
} from "./rmap";
import type { VirtualMemory } from "./virtual-memory";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const VM_IGNORE_MERGE = VM_IGNORE_MERGE_;
const VM_SPECIAL = VM_SPECIAL_;
const anonVmaClone = anonVmaClone_;
const unlinkAnonVmas = unlinkAnonVmas_;
const vmaLinkFile = vmaLinkFile_;
const vmaUnlinkFile = vmaUnlinkFile_;

const PAGE_SHIFT_DIV = 4096;

/** enum vma_merge_state (mm/vma.h). */
export const VMA_MERGE_START = 0;
export const VMA_MERGE_ERROR_NOMEM = 1;
export const VMA_MERGE_NOMERGE = 2;
export const VMA_MERGE_SUCCESS = 3;

/** struct vma_merge_struct: one merge/modify operation's state. */
export class VmaMergeStruct {
  prev: VmAreaStruct | null = null;
  /** the VMA being modified (existing-range merges) */
  middle: VmAreaStruct | null = null;
  next: VmAreaStruct | null = null;
  /** the VMA that survives a merge */
  target: VmAreaStruct | null = null;
  start = 0;
  end = 0;
  pgoff = 0;
  vmFlags = 0;
  file: VmFile | null = null;
  anonVma: AnonVma | null = null;
  anonName: string | null = null;
  /** mremap's source VMA (copy_vma) */
  copiedFrom: VmAreaStruct | null = null;
  state = VMA_MERGE_START;
  /** VMG_FLAG_JUST_EXPAND: only try to expand prev (brk) */
  justExpand = false;
  giveUpOnOom = false;
  removeMiddle = false;
  removeNext = false;
  adjustMiddleStart = false;
  adjustNextStart = false;

  constructor(readonly mm: MmStruct) {}

  /** VMG_STATE: a new range. */
  static forRange(mm: MmStruct, start: number, end: number, vmFlags: number, pgoff: number): VmaMergeStruct {
    const g = new VmaMergeStruct(mm);
    g.start = start;
    g.end = end;
    g.vmFlags = vmFlags;
    g.pgoff = pgoff;
    return g;
  }

  /** VMG_VMA_STATE: [start, end) of an existing VMA, with its attributes. */
  static forVma(prev: VmAreaStruct | null, vma: VmAreaStruct, start: number, end: number): VmaMergeStruct {
    const g = new VmaMergeStruct(vma.vmMm);
    g.prev = prev;
    g.middle = vma;
    g.start = start;
    g.end = end;
    g.vmFlags = vma.vmFlags;
    g.pgoff = vma.vmPgoff + (start - vma.vmStart) / PAGE_SHIFT_DIV;
    g.file = vma.vmFile;
    g.anonVma = vma.anonVma;
    g.anonName = vma.anonName;
    return g;
  }
}

/** vma_is_fork_child: has an anon_vma and more than one chain (forked from a parent). */
export function vmaIsForkChild(vma: VmAreaStruct | null): boolean {
  return vma !== null && vma.anonVma !== null && vma.anonVmaChain.length !== 1;
}

/** is_mergeable_vma: flags (but VM_SOFTDIRTY), file and anon_vma name agree with the neighbour's. */
function isMergeableVma(g: VmaMergeStruct, mergeNext: boolean): boolean {
  const vma = (mergeNext ? g.next : g.prev)!;
  if (((vma.vmFlags ^ g.vmFlags) & ~VM_IGNORE_MERGE) !== 0) return false;
  if (vma.vmFile !== g.file) return false;
  return vma.anonName === g.anonName;
}

/** is_mergeable_anon_vma: the anon_vmas can be combined (see the three cases in mm/vma.c). */
export function isMergeableAnonVma(g: VmaMergeStruct, mergeNext: boolean): boolean {
  const tgt = (mergeNext ? g.next : g.prev)!;
  const src = g.middle;
  const tgtAnon = tgt.anonVma;
  const srcAnon = g.anonVma;
  if (tgtAnon === null && srcAnon !== null) return !vmaIsForkChild(src) && !vmaIsForkChild(g.copiedFrom);
  if (tgtAnon !== null && srcAnon === null) return !vmaIsForkChild(tgt);
  return srcAnon === tgtAnon;
}

/** can_vma_merge_before: the range can go in front of next (pgoff + pages == next's pgoff). */
function canVmaMergeBefore(g: VmaMergeStruct): boolean {
  return isMergeableVma(g, true) && isMergeableAnonVma(g, true) && g.next!.vmPgoff === g.pgoff + (g.end - g.start) / PAGE_SHIFT_DIV;
}

/** can_vma_merge_after: the range can follow prev (prev's pgoff + pages == pgoff). */
function canVmaMergeAfter(g: VmaMergeStruct): boolean {
  return isMergeableVma(g, false) && isMergeableAnonVma(g, false) && g.prev!.vmPgoff + g.prev!.pages === g.pgoff;
}

function canVmaMergeLeft(g: VmaMergeStruct): boolean {
  return g.prev !== null && g.prev.vmEnd === g.start && canVmaMergeAfter(g);
}

function canVmaMergeRight(g: VmaMergeStruct, canMergeLeft: boolean): boolean {
  const next = g.next;
  if (next === null || g.end !== next.vmStart || !canVmaMergeBefore(g)) return false;
  if (!canMergeLeft) return true;
  const prev = g.prev!;
  return prev.anonVma === null || next.anonVma === null || prev.anonVma === next.anonVma;
}

/** can_merge_remove_vma: only VMAs without a close hook may be deleted by a merge. */
export function canMergeRemoveVma(vma: VmAreaStruct): boolean {
  return vma.vmOps === null || vma.vmOps.close === undefined;
}

/** dup_anon_vma: the surviving dst takes src's anon_vma when it has none. Returns 0 or -ENOMEM; sets g.copiedFrom-style dup via return of dst. */
function dupAnonVma(vmm: VirtualMemory, dst: VmAreaStruct, src: VmAreaStruct): number {
  if (src.anonVma !== null && dst.anonVma === null) {
    dst.anonVma = src.anonVma;
    return anonVmaClone(vmm, dst, src);
  }
  return 0;
}

/** Frees a VMA deleted by a merge (vma_complete's remove path: no ->close). */
function removeMergedVma(vmm: VirtualMemory, mm: MmStruct, vma: VmAreaStruct): void {
  mm.mmMt.remove(vma);
  vma.detached = true;
  if (vma.vmFile !== null) {
    vmaUnlinkFile(vma);
    vma.vmFile.fCount--;
  }
  if (vma.anonVma !== null || vma.anonVmaChain.length) unlinkAnonVmas(vmm, vma);
  mm.mapCount--;
  vmm.vmAreaFree(vma);
}

/** commit_merge: applies the ranges decided in g (the maple tree cannot fail here: no ENOMEM). */
function commitMerge(vmm: VirtualMemory, g: VmaMergeStruct): void {
  const vma = g.adjustNextStart ? g.middle! : g.target!;
  const mm = g.mm;
  const removeMiddle = g.removeMiddle ? g.middle : null;
  const removeNext = g.removeNext ? g.next : null;
  // vma_adjust_trans_huge: huge PMDs straddling a moving boundary are split first
  vmm.hooks.adjustTransHuge(vma, g.start);
  vmm.hooks.adjustTransHuge(vma, g.end);
  if (g.adjustMiddleStart) vmm.hooks.adjustTransHuge(g.middle!, g.end);
  else if (g.adjustNextStart) vmm.hooks.adjustTransHuge(g.next!, g.end);
  if (removeMiddle) removeMergedVma(vmm, mm, removeMiddle);
  if (removeNext) removeMergedVma(vmm, mm, removeNext);
  vma.vmStart = g.start;
  vma.vmEnd = g.end;
  vma.vmPgoff = g.pgoff;
  if (g.adjustMiddleStart) {
    const adj = g.middle!;
    adj.vmPgoff += (g.end - adj.vmStart) / PAGE_SHIFT_DIV;
    adj.vmStart = g.end;
  } else if (g.adjustNextStart) {
    const adj = g.next!;
    adj.vmPgoff -= (adj.vmStart - g.end) / PAGE_SHIFT_DIV;
    adj.vmStart = g.end;
  }
  // vma_complete: the moved ranges are re-keyed in i_mmap
  vmaIntervalTreeUpdate(vma);
  if (g.adjustMiddleStart) vmaIntervalTreeUpdate(g.middle!);
  else if (g.adjustNextStart) vmaIntervalTreeUpdate(g.next!);
}

/**
 * vma_merge_existing_range: [g.start, g.end) of g.middle changes to g's attributes; merges it into
 * prev and/or next where allowed. Returns the surviving VMA, or null (g.state says NOMERGE or
 * ERROR_NOMEM). g.prev must be middle's predecessor, or middle itself when start is inside it.
 */
export function vmaMergeExistingRange(vmm: VirtualMemory, g: VmaMergeStruct): VmAreaStruct | null {
  const middle = g.middle!;
  const prev = g.prev;
  const start = g.start;
  const end = g.end;
  const leftSide = start === middle.vmStart;
  const rightSide = end === middle.vmEnd;
  if (g.next !== null) BUG("vma_merge_existing_range", "next is set by the merge, not the caller");
  g.state = VMA_MERGE_NOMERGE;
  if ((g.vmFlags & VM_SPECIAL) !== 0 || (!leftSide && !rightSide)) return null;
  const mergeLeft = leftSide ? canVmaMergeLeft(g) : false;
  let mergeRight = false;
  let next: VmAreaStruct | null = null;
  if (rightSide) {
    next = g.next = middle.vmMm.mmMt.vmaNext(middle);
    mergeRight = canVmaMergeRight(g, mergeLeft);
  }
  if (!mergeLeft && !mergeRight) return null;
  let mergeBoth = mergeLeft && mergeRight;
  g.removeMiddle = leftSide && rightSide;
  if (g.removeMiddle && !canMergeRemoveVma(middle)) return null;
  g.removeNext = mergeBoth;
  if (g.removeNext && !canMergeRemoveVma(next!)) {
    g.removeNext = false;
    mergeRight = false;
    mergeBoth = false;
  }
  if (mergeRight) g.target = next;
  if (mergeLeft) g.target = prev;
  let err: number;
  if (mergeBoth) {
    g.start = prev!.vmStart;
    g.end = next!.vmEnd;
    g.pgoff = prev!.vmPgoff;
    err = dupAnonVma(vmm, prev!, next!.anonVma !== null ? next! : middle);
  } else if (mergeLeft) {
    g.start = prev!.vmStart;
    g.pgoff = prev!.vmPgoff;
    if (!g.removeMiddle) g.adjustMiddleStart = true;
    err = dupAnonVma(vmm, prev!, middle);
  } else {
    const pglen = (g.end - g.start) / PAGE_SHIFT_DIV;
    if (g.removeMiddle) {
      g.end = next!.vmEnd;
      g.pgoff = next!.vmPgoff - pglen;
    } else {
      g.adjustNextStart = true;
      g.start = middle.vmStart;
      g.end = start;
      g.pgoff = middle.vmPgoff;
    }
    err = dupAnonVma(vmm, next!, middle);
  }
  if (err !== 0) {
    if (!g.giveUpOnOom) g.state = VMA_MERGE_ERROR_NOMEM;
    return null;
  }
  commitMerge(vmm, g);
  g.state = VMA_MERGE_SUCCESS;
  return g.target;
}

/**
 * vma_merge_new_range: the empty range [g.start, g.end) between g.prev and g.next gets g's
 * attributes; expands prev (deleting next when both sides merge and next has no close hook) or
 * next. Returns the expanded VMA, or null.
 */
export function vmaMergeNewRange(vmm: VirtualMemory, g: VmaMergeStruct): VmAreaStruct | null {
  const prev = g.prev;
  const next = g.next;
  const end = g.end;
  if (g.middle !== null || g.target !== null) BUG("vma_merge_new_range", "middle/target set for a new range");
  g.state = VMA_MERGE_NOMERGE;
  if ((g.vmFlags & VM_SPECIAL) !== 0 || (prev === null && next === null)) return null;
  const canMergeLeft = canVmaMergeLeft(g);
  const canMergeRight = !g.justExpand && canVmaMergeRight(g, canMergeLeft);
  if (canMergeRight) {
    g.end = next!.vmEnd;
    g.target = next;
  }
  if (canMergeLeft) {
    g.start = prev!.vmStart;
    g.target = prev;
    g.pgoff = prev!.vmPgoff;
    if (canMergeRight && !canMergeRemoveVma(next!)) g.end = end;
  }
  if (g.target !== null && vmaExpand(vmm, g) === 0) {
    g.state = VMA_MERGE_SUCCESS;
    return g.target;
  }
  return null;
}

/**
 * vma_expand: grows g.target to [g.start, g.end), deleting g.next when the new end is next's end.
 * Returns 0 or -ENOMEM (anon_vma duplication failed; g.state ERROR_NOMEM).
 */
export function vmaExpand(vmm: VirtualMemory, g: VmaMergeStruct): number {
  const target = g.target!;
  const next = g.next;
  const removeNext = next !== null && target !== next && g.end === next.vmEnd;
  if (target.vmStart < g.start || target.vmEnd > g.end) BUG("vma_expand", "only expands");
  let ret = 0;
  if (removeNext) ret = dupAnonVma(vmm, target, next);
  if (ret === 0 && g.copiedFrom !== null) ret = dupAnonVma(vmm, target, g.copiedFrom);
  if (ret !== 0) {
    if (!g.giveUpOnOom) g.state = VMA_MERGE_ERROR_NOMEM;
    return ret;
  }
  if (removeNext) g.removeNext = true;
  commitMerge(vmm, g);
  return 0;
}

/** vma_shrink: narrows a VMA to [start, end) (one end must stay), zapping nothing. Returns 0. */
export function vmaShrink(vma: VmAreaStruct, start: number, end: number, pgoff: number): number {
  if (vma.vmStart !== start && vma.vmEnd !== end) BUG("vma_shrink", "both ends move");
  vma.vmStart = start;
  vma.vmEnd = end;
  vma.vmPgoff = pgoff;
  vmaIntervalTreeUpdate(vma);
  return 0;
}

/** vma_link: inserts a detached VMA into its mm (tree, i_mmap, map_count). Returns 0. */
export function vmaLink(mm: MmStruct, vma: VmAreaStruct): number {
  mm.mmMt.insert(vma);
  vma.detached = false;
  vmaLinkFile(vma);
  mm.mapCount++;
  return 0;
}
