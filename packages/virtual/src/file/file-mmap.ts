// mmap of an mmfs file (generic_file_mmap and generic_file_vm_ops, mm/filemap.c): the VmFile the
// VMA layer maps, whose vm_ops are filemap_fault, filemap_map_pages (fault-around over cached
// pages) and filemap_page_mkwrite (the first write to a page of a shared mapping dirties it).
// The inode's AddressSpace is the VmFile's mapping, so i_mmap lists every VMA of the file.
import { PG_locked, PG_readahead, PG_uptodate, PG_workingset } from "@mmsim/physical";
import { VmFile } from "../mm-types";
import type { VmOperations } from "../mm-types";
import type { VmFault } from "../memory";
import { VM_FAULT_NOPAGE, VM_FAULT_SIGBUS } from "../memory";
import type { MapPagesOps } from "../file-fault";
import { setFilePte } from "../file-fault";
import { BLOCK_DELALLOC, BLOCK_HOLE } from "./fs";
import type { FileSystem } from "./fs";
import type { File } from "./file-table";
import { filemapFault } from "./filemap-fault";
import { forcePageCacheRa } from "./readahead";
import { folioFlags } from "./filemap";
import { filemapWriteAndWait, folioMarkDirty } from "./page-writeback";

/** The device of mmfs's files in /proc/<pid>/maps: fe:00, the reference machine's root disk (real-proc/self-maps.txt). */
export const MMFS_DEV: [number, number] = [254, 0];
const NOT_MAPPABLE = (1 << PG_locked) | (1 << PG_readahead);
const UPTODATE = 1 << PG_uptodate;
const WORKINGSET = 1 << PG_workingset;

/** The vm_ops of one open file's mappings. */
type FileVmOps = VmOperations & MapPagesOps;

/**
 * filemap_map_pages over pgoffs [first, last] of vmf.vma (one PTE table): every cached page
 * that is uptodate, not locked, not a read-ahead marker and below EOF is mapped at its empty PTE
 * with a reference for the mapping. VM_FAULT_NOPAGE when the faulting page was mapped. Each such
 * page not recently evicted (no PG_workingset), mapped now or before, counts as a read-ahead hit:
 * the file's mmap_miss drops by their number, to 0 at least (filemap_map_order0_folio's
 * *mmap_miss++ and the mmap_miss_saved subtraction).
 */
function filemapMapPages(fs: FileSystem, file: File, vmf: VmFault, first: number, last: number): number {
  const inode = file.inode;
  const vma = vmf.vma!;
  const ram = fs.vmm.ram;
  const p = fs.vmm.pages;
  const maxIdx = Math.ceil(inode.size / 4096);
  let ret = 0;
  let mmapMiss = 0;
  for (let pgoff = first; pgoff <= last && pgoff < maxIdx; pgoff++) {
    const pfn = inode.pages.load(pgoff);
    if (pfn < 0) continue;
    const f = folioFlags(fs, pfn);
    if ((f & NOT_MAPPABLE) !== 0 || (f & UPTODATE) === 0) continue;
    if ((f & WORKINGSET) === 0) mmapMiss++;
    const pte = vmf.pte + (pgoff - vmf.pgoff) * (1 << fs.vmm.entryShift); // 8-byte entries, 4 on i386
    if (ram.readU32(pte) !== 0 || (fs.vmm.entryShift === 3 && ram.readU32(pte + 4) !== 0)) continue;
    p.refcount[p.idx(pfn)]!++;
    setFilePte(fs.vmm, vma, pte, pfn, false);
    if (pgoff === vmf.pgoff) ret = VM_FAULT_NOPAGE;
  }
  const saved = file.ra.mmapMiss;
  file.ra.mmapMiss = mmapMiss >= saved ? 0 : saved - mmapMiss;
  return ret;
}

/**
 * The VmFile that mmap(2) of `file` maps (created once per open file): its mapping is the inode's
 * i_mmap, its vm_ops fault through the page cache.
 */
export function fileVmFile(fs: FileSystem, file: File): VmFile {
  if (file.inode.ops !== null) return file.inode.ops.mmap(file); // tmpfs: shmem_mmap_prepare
  if (file.vmFile !== null) return file.vmFile;
  const inode = file.inode;
  const ops: FileVmOps = {
    name: "generic_file_vm_ops",
    faultPage: -1,
    get faultAroundPages() {
      return Math.floor(fs.faultAroundBytes / 4096);
    },
    fault: (vmf) => {
      const ret = filemapFault(fs, file, vmf.pgoff, vmf.vma!.vmFlags);
      ops.faultPage = fs.faultPfn;
      return ret;
    },
    mapPages: (vmf, first, last) => filemapMapPages(fs, file, vmf, first, last),
    pageMkwrite: (vmf, pfn) => {
      // the delalloc reservation of a hole (ext4_page_mkwrite -> ext4_da_get_block_prep): a
      // full disk is SIGBUS at the write fault, never at write-back
      if (inode.block(vmf.pgoff) === BLOCK_HOLE) {
        if (!fs.reserveBlock()) return VM_FAULT_SIGBUS;
        inode.setBlock(vmf.pgoff, BLOCK_DELALLOC);
      }
      folioMarkDirty(fs, inode, pfn, null);
      return 0;
    },
  };
  const vf = new VmFile(inode.name, {
    dev: MMFS_DEV, ino: inode.ino, readable: file.readable, writable: file.writable, vmOps: ops, mapping: inode.iMmap,
    // vfs_fsync_range for msync(MS_SYNC): file_write_and_wait_range over the bytes a VMA maps
    fsync: (fstart, fend) => filemapWriteAndWait(fs, inode, fstart, fend),
    // generic_fadvise(POSIX_FADV_WILLNEED): force_page_cache_readahead of the pages holding
    // [offset, offset + len - 1], at most max(io_pages, ra_pages) of them
    fadviseWillneed: (offset, len) => {
      const first = Math.floor(offset / 4096);
      forcePageCacheRa(fs, file, first, Math.floor((offset + len - 1) / 4096) - first + 1);
    },
  });
  // a_ops->dirty_folio (filemap_dirty_folio): a zapped dirty PTE dirties its folio
  inode.iMmap.aOps ??= { dirtyFolio: (pfn) => folioMarkDirty(fs, inode, pfn, null) };
  file.vmFile = vf;
  return vf;
}
