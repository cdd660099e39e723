// The VMA-level system calls as a task makes them (mm/mmap.c, mm/util.c vm_mmap_pgoff,
// kernel/fork.c mmput): the argument checks done before the mm code (page-aligned offset,
// a file for non-anonymous maps), MAP_POPULATE handed to the populate hook, and exit_mmap, which
// unmaps everything and frees the mm. Every call returns a value (address, 0 or -errno).
import {
  BUG, PAGE_SIZE as PAGE_SIZE_,
} from "@mmsim/base";
import type { MmStruct, VmFile } from "./mm-types";
import {
  MAP_ANONYMOUS as MAP_ANONYMOUS_,
} from "./mm-flags";
import {
  doMmap as doMmap_,
} from "./mmap";
import type { MmapResult } from "./mmap";
import {
  doVmiAlignMunmap as doVmiAlignMunmap_, doVmiMunmap as doVmiMunmap_,
} from "./vma";
import type { VirtualMemory } from "./virtual-memory";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const PAGE_SIZE = PAGE_SIZE_;
const MAP_ANONYMOUS = MAP_ANONYMOUS_;
const doMmap = doMmap_;
const doVmiAlignMunmap = doVmiAlignMunmap_;
const doVmiMunmap = doVmiMunmap_;

const EBADF = -9;
const EINVAL = -22;

/**
 * mmap(addr, len, prot, flags, file, off): the x86-64 syscall. Returns the address or -errno;
 * EINVAL for an unaligned offset, EBADF for a non-anonymous map without a file, then do_mmap's.
 * out (optional, reused to avoid allocation) receives how much to populate.
 */
export function sysMmap(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number, prot: number, flags: number, file: VmFile | null, off: number, out?: MmapResult): number {
  if (off % PAGE_SIZE !== 0) return EINVAL;
  if (flags & MAP_ANONYMOUS) file = null;
  else if (file === null) return EBADF;
  const res = out ?? { addr: 0, populate: 0 };
  const r = doMmap(vmm, mm, file, addr, len, prot, flags, off / PAGE_SIZE, res);
  if (r >= 0 && res.populate) vmm.hooks.populate(mm, r, res.populate);
  return r;
}

/** munmap(addr, len): 0 or -errno (EINVAL, ENOMEM when a split would exceed max_map_count). */
export function sysMunmap(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number): number {
  return doVmiMunmap(vmm, mm, addr, len);
}

/**
 * exit_mmap at the VMA level, then __mmdrop: every VMA is unmapped (PTEs through the hook,
 * ->close, rmap links, Committed_AS) and the mm_struct is freed. Used by exit and exec.
 */
export function exitMmap(vmm: VirtualMemory, mm: MmStruct): void {
  const first = mm.mmMt.findVma(0);
  if (first !== null) {
    const last = mm.mmMt.vmas[mm.mmMt.length - 1];
    const e = doVmiAlignMunmap(vmm, mm, first, first.vmStart, last.vmEnd);
    if (e) BUG("exit_mmap", `unmapping everything failed with ${e}`);
  }
  vmm.mmFree(mm);
}

/** mmput: drops a user of the mm; the last one tears it down. */
export function mmput(vmm: VirtualMemory, mm: MmStruct): void {
  if (--mm.mmUsers === 0) exitMmap(vmm, mm);
}
