// mlock, mlock2, munlock, mlockall and munlockall at the VMA level (mm/mlock.c): VM_LOCKED (and
// VM_LOCKONFAULT) set or cleared over a range with vma_modify's splitting and merging, locked_vm
// kept, RLIMIT_MEMLOCK checked. Locking the pages themselves (populating, the unevictable LRU)
// goes through the mlockPages and populate hooks.
import { PAGE_SIZE } from "@mmsim/base";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import { MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT, VM_HUGETLB, VM_LOCKED, VM_LOCKED_MASK, VM_LOCKONFAULT, VM_SPECIAL } from "./mm-flags";
import { vmaModifyFlags } from "./vma";
import type { VirtualMemory } from "./virtual-memory";

const EPERM = -1;
const ENOMEM = -12;
const EINVAL = -22;

/** can_do_mlock: RLIMIT_MEMLOCK is not 0, or CAP_IPC_LOCK. */
function canDoMlock(mm: MmStruct): boolean {
  return mm.rlimits.memlock !== 0 || mm.capIpcLock;
}

/** mlock_fixup: [start, end) of vma gets newFlags' lock bits. Returns [0, VMA covering the range] or [-errno, vma]. */
function mlockFixup(vmm: VirtualMemory, vma: VmAreaStruct, prev: VmAreaStruct | null, start: number, end: number, newFlags: number): [number, VmAreaStruct] {
  const mm = vma.vmMm;
  const oldFlags = vma.vmFlags;
  if (newFlags === oldFlags || oldFlags & (VM_SPECIAL | VM_HUGETLB)) return [0, vma];
  const r = vmaModifyFlags(vmm, prev, vma, start, end, newFlags);
  if (typeof r === "number") return [r, vma];
  let nrPages = (end - start) / PAGE_SIZE;
  if (!(newFlags & VM_LOCKED)) nrPages = -nrPages;
  else if (oldFlags & VM_LOCKED) nrPages = 0;
  mm.lockedVm += nrPages;
  r.vmFlags = newFlags;
  if (!(newFlags & VM_LOCKED && oldFlags & VM_LOCKED)) vmm.hooks.mlockPages(r, start, end, newFlags);
  return [0, r];
}

/** apply_vma_lock_flags: sets the lock bits `flags` on every VMA of [start, start+len); ENOMEM on a hole. */
function applyVmaLockFlags(vmm: VirtualMemory, mm: MmStruct, start: number, len: number, flags: number): number {
  const end = start + len;
  if (end === start) return 0;
  const t = mm.mmMt;
  let vma = t.vmaLookup(start);
  if (vma === null) return ENOMEM;
  let prev: VmAreaStruct | null = start > vma.vmStart ? vma : t.vmaPrev(vma);
  let nstart = start;
  let tmp = vma.vmStart;
  while (vma !== null && vma.vmStart < end) {
    if (vma.vmStart !== tmp) return ENOMEM;
    const newFlags = (vma.vmFlags & ~VM_LOCKED_MASK) | flags;
    tmp = Math.min(vma.vmEnd, end);
    const [e, cur] = mlockFixup(vmm, vma, prev, nstart, tmp, newFlags);
    if (e) return e;
    prev = cur;
    tmp = cur.vmEnd;
    nstart = tmp;
    vma = t.findVma(tmp);
  }
  return tmp < end ? ENOMEM : 0;
}

/** count_mm_mlocked_page_nr: pages of VM_LOCKED VMAs inside [start, start+len). */
function countMmMlockedPageNr(mm: MmStruct, start: number, len: number): number {
  const end = start + len;
  let count = 0;
  const v = mm.mmMt.vmas;
  for (let i = mm.mmMt.indexAfter(start); i < v.length && v[i].vmStart < end; i++) {
    const vma = v[i];
    if (vma.vmFlags & VM_LOCKED) count += (Math.min(vma.vmEnd, end) - Math.max(vma.vmStart, start)) / PAGE_SIZE;
  }
  return count;
}

/**
 * do_mlock: mlock/mlock2 of [start, start+len) with lock bits `flags` (VM_LOCKED, optionally
 * VM_LOCKONFAULT). Returns 0 or -errno: EPERM (RLIMIT_MEMLOCK 0), ENOMEM (over the limit, or a hole).
 */
export function doMlock(vmm: VirtualMemory, mm: MmStruct, start: number, len: number, flags: number): number {
  if (!canDoMlock(mm)) return EPERM;
  len = Math.ceil((len + (start % PAGE_SIZE)) / PAGE_SIZE) * PAGE_SIZE;
  start -= start % PAGE_SIZE;
  const lockLimit = Math.floor(mm.rlimits.memlock / PAGE_SIZE);
  let locked = len / PAGE_SIZE + mm.lockedVm;
  if (locked > lockLimit && !mm.capIpcLock) locked -= countMmMlockedPageNr(mm, start, len);
  if (!(locked <= lockLimit || mm.capIpcLock)) return ENOMEM;
  const e = applyVmaLockFlags(vmm, mm, start, len, flags);
  if (e) return e;
  if (!(flags & VM_LOCKONFAULT)) vmm.hooks.populate(mm, start, len);
  return 0;
}

/** mlock2: MLOCK_ONFAULT is the only flag (EINVAL otherwise). */
export function doMlock2(vmm: VirtualMemory, mm: MmStruct, start: number, len: number, flags: number): number {
  if (flags & ~MLOCK_ONFAULT) return EINVAL;
  return doMlock(vmm, mm, start, len, VM_LOCKED | (flags & MLOCK_ONFAULT ? VM_LOCKONFAULT : 0));
}

/** munlock: clears the lock bits over the range. Returns 0 or -ENOMEM (a hole). */
export function doMunlock(vmm: VirtualMemory, mm: MmStruct, start: number, len: number): number {
  len = Math.ceil((len + (start % PAGE_SIZE)) / PAGE_SIZE) * PAGE_SIZE;
  start -= start % PAGE_SIZE;
  return applyVmaLockFlags(vmm, mm, start, len, 0);
}

function applyMlockallFlags(vmm: VirtualMemory, mm: MmStruct, flags: number): void {
  mm.defFlags &= ~VM_LOCKED_MASK;
  if (flags & MCL_FUTURE) {
    mm.defFlags |= VM_LOCKED;
    if (flags & MCL_ONFAULT) mm.defFlags |= VM_LOCKONFAULT;
    if (!(flags & MCL_CURRENT)) return;
  }
  let toAdd = 0;
  if (flags & MCL_CURRENT) {
    toAdd |= VM_LOCKED;
    if (flags & MCL_ONFAULT) toAdd |= VM_LOCKONFAULT;
  }
  let prev: VmAreaStruct | null = null;
  let vma = mm.mmMt.findVma(0);
  while (vma !== null) {
    const newFlags = (vma.vmFlags & ~VM_LOCKED_MASK) | toAdd;
    const [e, cur] = mlockFixup(vmm, vma, prev, vma.vmStart, vma.vmEnd, newFlags);
    prev = e ? vma : cur;
    vma = mm.mmMt.findVma(prev.vmEnd);
  }
}

/** mlockall: EINVAL for bad flags, EPERM without RLIMIT_MEMLOCK, ENOMEM when MCL_CURRENT exceeds it. */
export function doMlockall(vmm: VirtualMemory, mm: MmStruct, flags: number): number {
  if (!flags || flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) || flags === MCL_ONFAULT) return EINVAL;
  if (!canDoMlock(mm)) return EPERM;
  const lockLimit = Math.floor(mm.rlimits.memlock / PAGE_SIZE);
  if (!(!(flags & MCL_CURRENT) || mm.totalVm <= lockLimit || mm.capIpcLock)) return ENOMEM;
  applyMlockallFlags(vmm, mm, flags);
  if (flags & MCL_CURRENT) vmm.hooks.populate(mm, 0, mm.taskSize);
  return 0;
}

/** munlockall. */
export function doMunlockall(vmm: VirtualMemory, mm: MmStruct): number {
  applyMlockallFlags(vmm, mm, 0);
  return 0;
}
