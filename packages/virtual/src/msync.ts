// msync(2) (mm/msync.c): MS_SYNC writes the dirty pages of exactly the file range each shared
// file VMA maps inside [start, end) and waits for them (vfs_fsync_range(file, fstart, fend, 1));
// MS_ASYNC starts nothing (dirty pages are already on the write-back lists since 2.6.19);
// MS_INVALIDATE only checks for locked VMAs (EBUSY). Errnos in Linux's order: EINVAL, ENOMEM
// for unmapped parts, EBUSY.
import type { MmStruct } from "./mm-types";
import { VM_LOCKED, VM_SHARED } from "./mm-flags";

/** include/uapi/asm-generic/mman-common.h */
export const MS_ASYNC = 1;
export const MS_INVALIDATE = 2;
export const MS_SYNC = 4;
const EINVAL = -22;
const ENOMEM = -12;
const EBUSY = -16;

/** msync(start, len, flags): 0 or -errno. */
export function sysMsync(mm: MmStruct, start: number, len: number, flags: number): number {
  if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) !== 0) return EINVAL;
  if (start % 4096 !== 0) return EINVAL;
  if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return EINVAL;
  if (len < 0) return ENOMEM;
  const end = start + Math.ceil(len / 4096) * 4096;
  if (end === start) return 0;
  let unmappedError = 0;
  let vma = mm.mmMt.findVma(start);
  for (;;) {
    if (vma === null) return ENOMEM;
    if (start < vma.vmStart) {
      // error is still -ENOMEM at these exits
      if (flags === MS_ASYNC) return ENOMEM;
      start = vma.vmStart;
      if (start >= end) return ENOMEM;
      unmappedError = ENOMEM;
    }
    if ((flags & MS_INVALIDATE) !== 0 && (vma.vmFlags & VM_LOCKED) !== 0) return EBUSY;
    const file = vma.vmFile;
    // the file bytes [fstart, fend] this VMA maps of [start, end)
    const fstart = start - vma.vmStart + vma.vmPgoff * 4096;
    const fend = fstart + (Math.min(end, vma.vmEnd) - start) - 1;
    start = vma.vmEnd;
    if ((flags & MS_SYNC) !== 0 && file !== null && (vma.vmFlags & VM_SHARED) !== 0 && file.fsync !== null) {
      const err = file.fsync(fstart, fend);
      if (err !== 0) return err;
    }
    if (start >= end) return unmappedError; // error 0: the unmapped parts decide
    vma = mm.mmMt.findVma(start);
  }
}
