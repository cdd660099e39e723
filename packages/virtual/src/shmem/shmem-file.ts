// The file side of shmem (mm/shmem.c): shmem_vm_ops / shmem_anon_vm_ops (shmem_fault, and
// fault-around through filemap_map_pages as shmem_vm_ops has it), the struct file a shmem mapping
// holds, and shmem_zero_setup for MAP_SHARED|MAP_ANONYMOUS. A shared shmem mapping has no
// ->page_mkwrite and its mapping accounts no dirty pages, so vma_wants_writenotify is false:
// read faults map pages writable in a writable shared VMA (tmpfs's file operations: tmpfs.ts).
import { PAGE_SIZE } from "@mmsim/base";
import { PG_dirty, PG_locked, PG_readahead, PG_uptodate } from "@mmsim/physical";
import { VmFile } from "../mm-types";
import type { VmOperations } from "../mm-types";
import type { VmFault } from "../memory";
import { FAULT_FLAG_WRITE, VM_FAULT_NOPAGE, VM_FAULT_OOM, VM_FAULT_SIGBUS } from "../memory";
import { VM_NORESERVE, VM_SHARED } from "../mm-flags";
import type { MapPagesOps } from "../file-fault";
import { setFilePte } from "../file-fault";
import type { VirtualMemory } from "../virtual-memory";
import { ENOMEM, SGP_CACHE, shmemOf, vmAcct } from "./shmem";
import type { ShmemInode } from "./shmem";

const NOT_MAPPABLE = (1 << PG_locked) | (1 << PG_readahead);
const UPTODATE = 1 << PG_uptodate;
const DIRTY = 1 << PG_dirty;
/** The maps name of a shared anonymous mapping: d_path of the unlinked "dev/zero" on shm_mnt. */
export const DEV_ZERO_PATH = "/dev/zero (deleted)";

/**
 * A struct file of a shmem inode as mmap sees it. Its f_count from mappings is followed so that
 * the inode is evicted when the last mapping of an unlinked, closed file goes (fput -> iput): the
 * VMA layer moves fCount directly, so it is an accessor on the instance here.
 */
export class ShmemVmFile extends VmFile {
  declare fCount: number;
  declare readonly path: string;

  constructor(
    readonly inode: ShmemInode,
    path: string,
    readable: boolean,
    writable: boolean,
    vmOps: VmOperations,
    /** the references it starts with (1 for shmem_zero_setup's file, which its VMA takes over) */
    refs: number,
  ) {
    super(path, { dev: inode.sb.dev, ino: inode.ino, readable, writable, vmOps, mapping: inode.iMmap });
    // d_path: a file unlinked while mapped shows " (deleted)" after its name (shm_mnt's are born so)
    Object.defineProperty(this, "path", { enumerable: true, get: () => (inode.nlink === 0 && !path.endsWith(" (deleted)") ? `${path} (deleted)` : path) });
    let count = refs;
    inode.mapRefs += refs;
    Object.defineProperty(this, "fCount", {
      enumerable: true,
      get: () => count,
      set: (v: number) => {
        const delta = v - count;
        count = v;
        inode.mapRefs += delta;
        if (delta < 0) inode.sb.shmem.maybeEvict(inode);
      },
    });
  }
}

/** The vm_ops of a shmem file's mappings: shmem_fault, filemap_map_pages, no ->page_mkwrite. */
type ShmemVmOps = VmOperations & MapPagesOps;

/**
 * shmem_fault: the folio of vmf.pgoff (made zeroed on first touch: SGP_CACHE) with a reference for
 * the mapping. VM_FAULT_SIGBUS past EOF or when the mount is full (vmf_error(-ENOSPC)),
 * VM_FAULT_OOM without memory. A write fault of a shared mapping dirties the folio here
 * (do_shared_fault's fault_dirty_shared_page: shmem has no ->page_mkwrite to do it).
 */
function shmemFault(inode: ShmemInode, ops: ShmemVmOps, vmf: VmFault): number {
  ops.faultPage = -1;
  const shmem = inode.sb.shmem;
  const pfn = shmem.getFolio(inode, vmf.pgoff, SGP_CACHE);
  if (pfn < 0) return pfn === -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
  const p = shmem.vmm.pages;
  const i = p.idx(pfn);
  p.refcount[i]!++;
  if ((vmf.flags & FAULT_FLAG_WRITE) !== 0 && (vmf.vma!.vmFlags & VM_SHARED) !== 0) p.flags[i] |= DIRTY;
  ops.faultPage = pfn;
  return 0;
}

/**
 * filemap_map_pages over pgoffs [first, last] of vmf.vma for a shmem file: every cached folio
 * that is uptodate and unlocked, below EOF, is mapped at its empty PTE with a reference.
 * VM_FAULT_NOPAGE when the faulting page was among them. Holes stay for ->fault.
 */
function shmemMapPages(inode: ShmemInode, vmf: VmFault, first: number, last: number): number {
  const vmm = inode.sb.shmem.vmm;
  const vma = vmf.vma!;
  const ram = vmm.ram;
  const p = vmm.pages;
  const maxIdx = Math.ceil(inode.size / PAGE_SIZE);
  let ret = 0;
  for (let pgoff = first; pgoff <= last && pgoff < maxIdx; pgoff++) {
    const pfn = inode.pages.load(pgoff);
    if (pfn < 0) continue;
    const f = p.flags[p.idx(pfn)]!;
    if ((f & NOT_MAPPABLE) !== 0 || (f & UPTODATE) === 0) continue;
    const pte = vmf.pte + (pgoff - vmf.pgoff) * (1 << vmm.entryShift); // 8-byte entries, 4 on i386
    if (ram.readU32(pte) !== 0 || (vmm.entryShift === 3 && ram.readU32(pte + 4) !== 0)) continue;
    p.refcount[p.idx(pfn)]!++;
    setFilePte(vmm, vma, pte, pfn, false);
    if (pgoff === vmf.pgoff) ret = VM_FAULT_NOPAGE;
  }
  return ret;
}

/** shmem_vm_ops (a linked tmpfs file) or shmem_anon_vm_ops (an unlinked one: shared anonymous memory). */
export function shmemVmOps(inode: ShmemInode, anon: boolean): ShmemVmOps {
  const shmem = inode.sb.shmem;
  const ops: ShmemVmOps = {
    name: anon ? "shmem_anon_vm_ops" : "shmem_vm_ops",
    faultPage: -1,
    get faultAroundPages() {
      return Math.floor(shmem.faultAroundBytes / PAGE_SIZE);
    },
    fault: (vmf) => shmemFault(inode, ops, vmf),
    mapPages: (vmf, first, last) => shmemMapPages(inode, vmf, first, last),
  };
  return ops;
}

/**
 * shmem_zero_setup for a shared anonymous mapping of `len` bytes with vmFlags: an unlinked shmem
 * file "dev/zero" of that size on shm_mnt, charged to Committed_AS whole (shmem_acct_size) unless
 * VM_NORESERVE (then per page). Its one reference is the VMA's. null on ENOMEM.
 */
export function shmemZeroSetup(vmm: VirtualMemory, len: number, vmFlags: number): ShmemVmFile | null {
  const shmem = shmemOf(vmm);
  const noreserve = (vmFlags & VM_NORESERVE) !== 0;
  const inode = shmem.getInode(shmem.shmMnt, "dev/zero", noreserve);
  if (typeof inode === "number") return null;
  inode.nlink = 0; // clear_nlink: it is unlinked
  if (!noreserve && !shmem.acct(inode, vmAcct(len))) {
    shmem.evictInode(inode);
    return null;
  }
  inode.size = len;
  return new ShmemVmFile(inode, DEV_ZERO_PATH, true, true, shmemVmOps(inode, true), 1);
}
