// filemap_fault (mm/filemap.c), the vm_ops->fault of a file mapping, called by do_read_fault /
// do_cow_fault / do_shared_fault (file-fault.ts): it finds the folio of pgoff in the page cache
// or reads it with mmap read-around (do_sync_mmap_readahead: a window of ra_pages centred on the
// fault, async_size ra_pages / 4), pushes read-ahead forward on a PG_readahead folio
// (do_async_mmap_readahead), waits for the read, and hands the folio back with a reference for
// the mapping (vmf->page). VM_RAND_READ (MADV_RANDOM) turns read-ahead off, VM_SEQ_READ
// (MADV_SEQUENTIAL) reads ahead as a stream (page_cache_sync_ra); mmap_miss stops read-around
// after MMAP_LOTSAMISS misses more than hits (hits: faults on cached pages here, and the pages
// filemap_map_pages maps around a fault, file-mmap.ts). The caller counts pgmajfault from
// VM_FAULT_MAJOR. Not modelled: the VM_HUGEPAGE and VM_EXEC large-folio windows, dropping
// mmap_lock for I/O (VM_FAULT_RETRY).
import { GFP_HIGHUSER_MOVABLE, PG_locked, PG_readahead, PG_uptodate } from "@mmsim/physical";
import { VM_RAND_READ, VM_SEQ_READ } from "../mm-flags";
import { VM_FAULT_MAJOR, VM_FAULT_OOM, VM_FAULT_SIGBUS } from "../memory";
import type { FileSystem } from "./fs";
import type { File } from "./file-table";
import { filemapAddFolio, filemapAllocFolio, folioFlags, folioSetFlags, folioWait, readPages } from "./filemap";
import { pageCacheAsyncRa, pageCacheRaOrder, pageCacheSyncRa } from "./readahead";

/** MMAP_LOTSAMISS (mm/filemap.c): read-around stops after this many more misses than hits. */
export const MMAP_LOTSAMISS = 100;
const LOCKED = 1 << PG_locked;
const UPTODATE = 1 << PG_uptodate;
const READAHEAD = 1 << PG_readahead;

/** do_sync_mmap_readahead for a fault at pgoff that missed the cache. */
function doSyncMmapReadahead(fs: FileSystem, file: File, pgoff: number, vmFlags: number): void {
  const ra = file.ra;
  if ((vmFlags & VM_RAND_READ) !== 0 || ra.raPages === 0) return;
  if ((vmFlags & VM_SEQ_READ) !== 0) {
    pageCacheSyncRa(fs, file, pgoff, ra.raPages);
    return;
  }
  if (ra.mmapMiss < MMAP_LOTSAMISS * 10) ra.mmapMiss++;
  if (ra.mmapMiss > MMAP_LOTSAMISS) return;
  ra.start = Math.max(0, pgoff - Math.floor(ra.raPages / 2));
  ra.size = ra.raPages;
  ra.asyncSize = Math.floor(ra.raPages / 4);
  pageCacheRaOrder(fs, file);
}

/**
 * filemap_fault for pgoff of `file` in a VMA with vmFlags: VM_FAULT_MAJOR when the page had to be
 * read, 0 when it was cached, VM_FAULT_SIGBUS beyond EOF or on a read error, VM_FAULT_OOM when no
 * page could be allocated. On success the folio's pfn is in fs.faultPfn with one more reference
 * (the mapping's), unlocked and uptodate.
 */
export function filemapFault(fs: FileSystem, file: File, pgoff: number, vmFlags: number): number {
  const inode = file.inode;
  fs.faultPfn = -1;
  if (pgoff >= Math.ceil(inode.size / 4096)) return VM_FAULT_SIGBUS;
  let ret = 0;
  let pfn = inode.pages.load(pgoff);
  if (pfn >= 0) {
    // do_async_mmap_readahead
    const ra = file.ra;
    if ((vmFlags & VM_RAND_READ) === 0 && ra.raPages !== 0) {
      if (ra.mmapMiss > 0) ra.mmapMiss--;
      if ((folioFlags(fs, pfn) & READAHEAD) !== 0) pageCacheAsyncRa(fs, file, pfn, pgoff, ra.raPages);
    }
  } else {
    ret = VM_FAULT_MAJOR;
    doSyncMmapReadahead(fs, file, pgoff, vmFlags);
    pfn = inode.pages.load(pgoff);
    if (pfn < 0) {
      // __filemap_get_folio(FGP_CREAT | FGP_FOR_MMAP), then filemap_read_folio
      pfn = filemapAllocFolio(fs, GFP_HIGHUSER_MOVABLE);
      if (pfn < 0) return VM_FAULT_OOM;
      filemapAddFolio(fs, inode, pfn, pgoff);
      readPages(fs, inode, [pgoff, pfn]);
    }
  }
  folioWait(fs, pfn, LOCKED);
  if ((folioFlags(fs, pfn) & UPTODATE) === 0) {
    // page_not_uptodate: one synchronous retry of the read
    folioSetFlags(fs, pfn, LOCKED);
    readPages(fs, inode, [pgoff, pfn]);
    folioWait(fs, pfn, LOCKED);
    if ((folioFlags(fs, pfn) & UPTODATE) === 0) return VM_FAULT_SIGBUS;
  }
  const p = fs.vmm.pages;
  p.refcount[p.idx(pfn)]!++;
  fs.faultPfn = pfn;
  return ret;
}
