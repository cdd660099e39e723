// madvise at the VMA level (mm/madvise.c): the advices that only change vm_flags (DONTFORK,
// DOFORK, WIPEONFORK, KEEPONFORK, DONTDUMP, DODUMP, HUGEPAGE, NOHUGEPAGE, NORMAL, RANDOM,
// SEQUENTIAL) split and merge VMAs as vma_modify does; the page-level ones (DONTNEED, FREE,
// WILLNEED, COLD, PAGEOUT, ...) are checked per VMA here and carried out by the madvisePages
// hook. Holes in the range are skipped but make the call return ENOMEM, as Linux does. KSM
// (MERGEABLE/UNMERGEABLE) and memory failure (HWPOISON) are not modelled: EINVAL, as without them.
import { PAGE_SIZE } from "@mmsim/base";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import {
  MADV_COLD, MADV_COLLAPSE, MADV_DODUMP, MADV_DOFORK, MADV_DONTDUMP, MADV_DONTFORK, MADV_DONTNEED, MADV_DONTNEED_LOCKED,
  MADV_FREE, MADV_HUGEPAGE, MADV_KEEPONFORK, MADV_NOHUGEPAGE, MADV_NORMAL, MADV_PAGEOUT, MADV_POPULATE_READ,
  MADV_POPULATE_WRITE, MADV_RANDOM, MADV_REMOVE, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_WIPEONFORK,
  VM_DONTCOPY, VM_DONTDUMP, VM_HUGEPAGE, VM_HUGETLB, VM_IO, VM_LOCKED, VM_NOHUGEPAGE, VM_PFNMAP, VM_RAND_READ,
  VM_SEQ_READ, VM_SHARED, VM_SPECIAL, VM_WIPEONFORK,
} from "./mm-flags";
import { vmaModifyFlags } from "./vma";
import type { VirtualMemory } from "./virtual-memory";

const ENOMEM = -12;
const EINVAL = -22;

const VALID = new Set([
  MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE, MADV_REMOVE,
  MADV_DONTFORK, MADV_DOFORK, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT,
  MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_COLLAPSE,
]);

/** madvise_behavior_valid (with CONFIG_TRANSPARENT_HUGEPAGE, without KSM and MEMORY_FAILURE). */
export function madviseBehaviorValid(behavior: number): boolean {
  return VALID.has(behavior);
}

/** The new vm_flags for a flag advice, or -EINVAL, or null when the advice is page-level. */
function flagAdvice(vma: VmAreaStruct, behavior: number): number | null {
  let f = vma.vmFlags;
  switch (behavior) {
    case MADV_NORMAL: return f & ~(VM_RAND_READ | VM_SEQ_READ);
    case MADV_SEQUENTIAL: return (f & ~VM_RAND_READ) | VM_SEQ_READ;
    case MADV_RANDOM: return (f & ~VM_SEQ_READ) | VM_RAND_READ;
    case MADV_DONTFORK: return f | VM_DONTCOPY;
    case MADV_DOFORK:
      if (f & VM_IO) return EINVAL;
      return f & ~VM_DONTCOPY;
    case MADV_WIPEONFORK:
      if (vma.vmFile !== null || f & VM_SHARED) return EINVAL;
      return f | VM_WIPEONFORK;
    case MADV_KEEPONFORK: return f & ~VM_WIPEONFORK;
    case MADV_DONTDUMP: return f | VM_DONTDUMP;
    case MADV_DODUMP:
      if (!(f & VM_HUGETLB) && f & VM_SPECIAL) return EINVAL;
      return f & ~VM_DONTDUMP;
    case MADV_HUGEPAGE:
      f &= ~VM_NOHUGEPAGE;
      return f | VM_HUGEPAGE;
    case MADV_NOHUGEPAGE:
      f &= ~VM_HUGEPAGE;
      return f | VM_NOHUGEPAGE;
    default: return null;
  }
}

/** The VMA-level checks of the page-level advices (madvise_dontneed_free_valid_vma, can_madv_lru_vma). */
function pageAdviceValid(vma: VmAreaStruct, behavior: number): boolean {
  const f = vma.vmFlags;
  switch (behavior) {
    case MADV_DONTNEED: return (f & VM_HUGETLB) !== 0 || (f & (VM_PFNMAP | VM_LOCKED)) === 0;
    case MADV_DONTNEED_LOCKED: return (f & VM_HUGETLB) !== 0 || (f & VM_PFNMAP) === 0;
    case MADV_FREE: return vma.vmFile === null && vma.vmOps === null && (f & (VM_PFNMAP | VM_LOCKED)) === 0;
    case MADV_COLD:
    case MADV_PAGEOUT: return (f & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB)) === 0;
    default: return true;
  }
}

/** madvise_vma_behavior for one VMA piece; returns [0 or -errno, the VMA now covering it]. */
function madviseVmaBehavior(vmm: VirtualMemory, vma: VmAreaStruct, prev: VmAreaStruct | null, start: number, end: number, behavior: number): [number, VmAreaStruct] {
  const nf = flagAdvice(vma, behavior);
  if (nf === null) {
    if (!pageAdviceValid(vma, behavior)) return [EINVAL, vma];
    // madvise_willneed of a file: vfs_fadvise(POSIX_FADV_WILLNEED) from the file offset of start
    const f = vma.vmFile;
    if (behavior === MADV_WILLNEED && f !== null && f.fadviseWillneed !== null) {
      f.fadviseWillneed(start - vma.vmStart + vma.vmPgoff * PAGE_SIZE, end - start);
      return [0, vma];
    }
    return [vmm.hooks.madvisePages(vma, start, end, behavior), vma];
  }
  if (nf === EINVAL) return [EINVAL, vma]; // no real flag word is 0xffffffea
  if (nf === vma.vmFlags) return [0, vma];
  const r = vmaModifyFlags(vmm, prev, vma, start, end, nf);
  if (typeof r === "number") return [r, vma];
  r.vmFlags = nf;
  return [0, r];
}

/**
 * do_madvise: madvise(start, len, behavior). Returns 0 or -errno: EINVAL (unknown advice, unaligned
 * start, len wrapping, or an advice the VMA does not allow), ENOMEM (part of the range unmapped).
 */
export function doMadvise(vmm: VirtualMemory, mm: MmStruct, start: number, lenIn: number, behavior: number): number {
  if (!madviseBehaviorValid(behavior)) return EINVAL;
  if (start % PAGE_SIZE !== 0) return EINVAL;
  const len = Math.ceil(lenIn / PAGE_SIZE) * PAGE_SIZE;
  const end = start + len;
  if (end < start || end > 2 ** 64) return EINVAL;
  if (end === start) return 0;
  const t = mm.mmMt;
  let unmappedError = 0;
  let vma = t.findVma(start);
  let prev: VmAreaStruct | null = vma !== null && start > vma.vmStart ? vma : vma !== null ? t.vmaPrev(vma) : null;
  for (;;) {
    if (vma === null) return ENOMEM;
    if (start < vma.vmStart) {
      unmappedError = ENOMEM;
      start = vma.vmStart;
      if (start >= end) break;
    }
    const tmp = Math.min(vma.vmEnd, end);
    const [e, cur] = madviseVmaBehavior(vmm, vma, prev, start, tmp, behavior);
    if (e) return e;
    prev = cur;
    start = tmp;
    if (start < prev.vmEnd) start = prev.vmEnd;
    if (start >= end) break;
    vma = t.findVma(prev.vmEnd);
  }
  return unmappedError;
}
