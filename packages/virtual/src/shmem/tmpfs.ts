// tmpfs (mm/shmem.c with CONFIG_TMPFS) mounted in mmfs's namespace, as /dev/shm is on a Linux
// machine: a name under the mount point is a shmem inode (shmem_mknod: VM_NORESERVE, so pages
// are charged to Committed_AS one at a time), read through shmem_file_read_iter (a hole reads as
// zeros without allocating), written through generic_perform_write with shmem_write_begin/end
// (no dirty accounting and no throttling: tmpfs has no write-back), fsync a no-op, truncation
// shmem_setattr's, the last close of an unlinked file shmem_evict_inode. The mount's size= is
// 50% of RAM by default (shmem_default_max_blocks), nr_inodes the smaller of the lowmem pages
// and half the RAM pages; beyond either, ENOSPC. Not modelled: directories under the mount.
import { PAGE_SIZE } from "@mmsim/base";
import type { Cpu } from "@mmsim/hardware";
import { PG_dirty, PG_referenced, PG_uptodate } from "@mmsim/physical";
import type { MmStruct, VmFile } from "../mm-types";
import type { FileSystem, FsMount, Inode, InodeOps } from "../file/fs";
import type { File } from "../file/file-table";
import { copyFromUser, copyToUser, faultInReadable } from "../file/uaccess";
import { EFBIG, EINVAL, SGP_READ, SGP_WRITE, SHMEM_MAX_INDEX, ShmemSb, shmemOf } from "./shmem";
import type { Shmem, ShmemInode } from "./shmem";
import { ShmemVmFile, shmemVmOps } from "./shmem-file";

const UPTODATE = 1 << PG_uptodate;
const DIRTY = 1 << PG_dirty;
const REFERENCED = 1 << PG_referenced;
/** EFAULT, ENOENT (include/uapi/asm-generic/errno-base.h). */
const EFAULT = 14;
const ENOENT = 2;
/** The mount point of the POSIX shared-memory tmpfs (glibc's shm_open opens names under it). */
export const DEV_SHM = "/dev/shm/";
/** /dev/shm's device in /proc/<pid>/maps: a tmpfs mount's anonymous device (mmsim's choice: the minor depends on the order of mounts at boot). */
export const DEV_SHM_DEV: [number, number] = [0, 0x19];
/** The largest file position (mmsim's page indices stay below 2^32). */
const MAX_BYTES = (SHMEM_MAX_INDEX + 1) * PAGE_SIZE;

/** The sizes of a tmpfs mount: size= in pages and nr_inodes (0: unlimited). */
export interface TmpfsOptions {
  maxBlocks: number;
  maxInodes: number;
}

/** shmem_default_max_blocks and shmem_default_max_inodes for a machine of `totalram` pages (no highmem on x86-64). */
export function tmpfsDefaults(totalram: number): TmpfsOptions {
  return { maxBlocks: Math.floor(totalram / 2), maxInodes: Math.min(totalram, Math.floor(totalram / 2)) };
}

/**
 * shmem_file_read_iter: copies up to count bytes from pos into user memory; a hole copies the
 * zero page. The bytes copied, 0 at EOF, or -EINVAL / -EFAULT when none were.
 */
function shmemFileReadIter(shmem: Shmem, file: File, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number): number {
  if (pos < 0) return -EINVAL;
  const inode = file.inode as ShmemInode;
  const vmm = shmem.vmm;
  const p = vmm.pages;
  let done = 0;
  while (done < count && pos < inode.size) {
    const index = Math.floor(pos / PAGE_SIZE);
    const offset = pos - index * PAGE_SIZE;
    const nr = Math.min(inode.size - pos, count - done, PAGE_SIZE - offset);
    const pfn = shmem.getFolio(inode, index, SGP_READ);
    let src: number;
    if (pfn >= 0) {
      if (offset === 0) p.flags[p.idx(pfn)] |= REFERENCED; // folio_mark_accessed when reading the start
      src = pfn * PAGE_SIZE + offset;
    } else src = vmm.zeroPfn * PAGE_SIZE + offset;
    const copied = nr - copyToUser(vmm, mm, cpu, buf + done, src, nr);
    done += copied;
    pos += copied;
    if (copied < nr) return done > 0 ? done : -EFAULT;
  }
  file.ra.prevPos = pos;
  return done;
}

/**
 * generic_perform_write with shmem_write_begin / shmem_write_end: a folio at a time, the source
 * faulted in first, a new folio filled by the copy and zeroed around it, then uptodate and
 * dirty (noop_dirty_folio: no Dirty: accounting), i_size extended. The bytes written, or -errno
 * when none were (EINVAL, EFBIG, EFAULT, ENOMEM, ENOSPC).
 */
function shmemPerformWrite(shmem: Shmem, file: File, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number): number {
  if (pos < 0) return -EINVAL;
  if (count === 0) return 0;
  if (pos >= MAX_BYTES) return -EFBIG;
  count = Math.min(count, MAX_BYTES - pos);
  const inode = file.inode as ShmemInode;
  const vmm = shmem.vmm;
  const p = vmm.pages;
  let written = 0;
  while (written < count) {
    const index = Math.floor(pos / PAGE_SIZE);
    const offset = pos - index * PAGE_SIZE;
    const bytes = Math.min(PAGE_SIZE - offset, count - written);
    const readable = bytes - faultInReadable(vmm, mm, cpu, buf + written, bytes);
    if (readable === 0) return written > 0 ? written : -EFAULT;
    const pfn = shmem.getFolio(inode, index, SGP_WRITE);
    if (pfn < 0) return written > 0 ? written : pfn;
    const copied = readable - copyFromUser(vmm, mm, cpu, pfn * PAGE_SIZE + offset, buf + written, readable);
    // shmem_write_end: a new folio is zeroed around what was copied (folio_zero_segments), then
    // uptodate; the folio is dirtied; i_size grows by what was copied
    const i = p.idx(pfn);
    if ((p.flags[i]! & UPTODATE) === 0) {
      vmm.ram.fill(pfn * PAGE_SIZE, offset, 0);
      vmm.ram.fill(pfn * PAGE_SIZE + offset + copied, PAGE_SIZE - offset - copied, 0);
      p.flags[i] |= UPTODATE;
    }
    p.flags[i] |= DIRTY;
    pos += copied;
    written += copied;
    if (pos > inode.size) inode.size = pos;
    if (copied < readable) return written > 0 ? written : -EFAULT;
  }
  return written;
}

/** tmpfs's file and inode operations for the inodes of one mount. */
function tmpfsOps(shmem: Shmem): InodeOps {
  return {
    readIter: (file, mm, cpu, buf, count, pos) => shmemFileReadIter(shmem, file, mm, cpu, buf, count, pos),
    writeIter: (file, mm, cpu, buf, count, pos) => shmemPerformWrite(shmem, file, mm, cpu, buf, count, pos),
    setSize: (inode, size) => shmem.setSize(inode as ShmemInode, size),
    evict: (inode) => shmem.maybeEvict(inode as ShmemInode),
    fsync: () => 0, // noop_fsync
    mmap: (file) => tmpfsVmFile(file),
  };
}

/**
 * shmem_mmap_prepare: the VmFile mmap(2) maps for an open tmpfs file (one per struct file, as
 * mmfs's): shmem_vm_ops while the file is linked, shmem_anon_vm_ops once it is not.
 */
function tmpfsVmFile(file: File): VmFile {
  if (file.vmFile !== null) return file.vmFile;
  const inode = file.inode as ShmemInode;
  const vf = new ShmemVmFile(inode, inode.name, file.readable, file.writable, shmemVmOps(inode, inode.nlink === 0), 0);
  file.vmFile = vf;
  return vf;
}

/**
 * Mounts a tmpfs at `prefix` (with its trailing slash) in fs's namespace: open(O_CREAT) of a name
 * under it makes a shmem inode there. Returns the mount's superblock.
 */
export function mountTmpfs(fs: FileSystem, prefix: string, dev: [number, number], opts: TmpfsOptions): ShmemSb {
  const shmem = shmemOf(fs.vmm);
  // shmem_fill_super: the root directory takes inode 1
  const sb = new ShmemSb(shmem, prefix, dev, opts.maxBlocks, opts.maxInodes, 2);
  const ops = tmpfsOps(shmem);
  const mount: FsMount = {
    prefix,
    createInode(name: string): Inode | number {
      if (name.length === prefix.length || name.indexOf("/", prefix.length) >= 0) return -ENOENT; // no directories below the mount
      const inode = shmem.getInode(sb, name, true);
      if (typeof inode === "number") return inode;
      inode.ops = ops;
      return inode;
    },
  };
  fs.mounts.push(mount);
  return sb;
}
