// The page cache (mm/filemap.c): folios added to and removed from a file's i_pages, the read
// I/O that fills them through the DMA engine, their completion, and the buffered read path
// (filemap_read, filemap_get_pages, filemap_get_read_batch) that copies cached bytes to user
// memory with copy_to_user (uaccess.ts: the task's MMU and fault handler), so a read into an
// untouched buffer takes page faults.
//
//   read(fd, buf, n)
//     filemap_read ── loop ──> filemap_get_pages(pos, count)
//        │                       ├─ filemap_get_read_batch: the cached run from pos (stops at a
//        │                       │   gap, a !uptodate folio, a PG_readahead folio, 31 folios)
//        │                       ├─ empty? page_cache_sync_ra, then look again
//        │                       ├─ last folio PG_readahead? page_cache_async_ra
//        │                       └─ last folio locked under I/O? wait for it (the clock moves)
//        └─ copy each folio's bytes to the user buffer (a CPU copy; faults allowed)
//
// Folios are order 0 (the filesystem does not support large folios). Not modelled: the
// folio_mark_accessed activation (LRU lists belong to reclaim: only PG_referenced is set), RCU
// and the lockless fast path, IOCB_NOWAIT/NOIO, direct I/O, and shadow entries.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import type { Cpu } from "@mmsim/hardware";
import {
  GFP_HIGHUSER_MOVABLE, PG_dirty, PG_locked, PG_readahead, PG_referenced, PG_uptodate, PG_writeback, __GFP_WRITE,
} from "@mmsim/physical";
import type { MmStruct } from "../mm-types";
import { folioPut } from "../rmap";
import { copyFromUser, copyToUser, faultInReadable } from "./uaccess";
import { BLOCK_DELALLOC, BLOCK_HOLE, IO_READ, IO_WRITE, MMFS_MAX_BYTES } from "./fs";
import type { FileSystem, Inode } from "./fs";
import type { File } from "./file-table";
import { pageCacheAsyncRa, pageCacheSyncRa } from "./readahead";
import { balanceDirtyPagesRatelimited, folioMarkDirty, runUntil } from "./page-writeback";
import type { DirtyThrottle } from "./page-writeback";

const LOCKED = 1 << PG_locked;
const WRITEBACK = 1 << PG_writeback;
const REFERENCED = 1 << PG_referenced;
const UPTODATE = 1 << PG_uptodate;
const DIRTY = 1 << PG_dirty;
const READAHEAD = 1 << PG_readahead;
/** The flags of a page-cache folio this layer sets and clears. */
export const PAGECACHE_FLAGS = LOCKED | WRITEBACK | REFERENCED | UPTODATE | DIRTY | READAHEAD;
/** PAGEVEC_SIZE (include/linux/pagevec.h): a folio_batch holds 31 folios. */
export const PAGEVEC_SIZE = 31;
/** Errnos (include/uapi/asm-generic/errno-base.h). */
export const EIO = 5;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EINVAL = 22;

/** The flags word of pfn. */
export function folioFlags(fs: FileSystem, pfn: number): number {
  return fs.vmm.pages.flags[fs.vmm.pages.idx(pfn)]!;
}

function setFlags(fs: FileSystem, pfn: number, set: number, clear: number): void {
  const p = fs.vmm.pages;
  const i = p.idx(pfn);
  p.flags[i] = (p.flags[i]! & ~clear) | set;
}

/** folio_set_readahead / folio_clear_readahead and friends, by mask. */
export function folioSetFlags(fs: FileSystem, pfn: number, mask: number): void {
  setFlags(fs, pfn, mask, 0);
}
export function folioClearFlags(fs: FileSystem, pfn: number, mask: number): void {
  setFlags(fs, pfn, 0, mask);
}

/** filemap_alloc_folio(gfp, 0): a page from the buddy allocator, or -1. */
export function filemapAllocFolio(fs: FileSystem, gfp: number): number {
  return fs.vmm.phys.allocPages(gfp, 0);
}

/**
 * filemap_add_folio: enters the locked new folio `pfn` at `index` of inode's i_pages (mapping
 * and index set, NR_FILE_PAGES + 1) and hands it to the LRU (folio_add_lru, reclaim's hook).
 */
export function filemapAddFolio(fs: FileSystem, inode: Inode, pfn: number, index: number): void {
  const p = fs.vmm.pages;
  const i = p.idx(pfn);
  p.mapping[i] = inode.mappingId << 1;
  p.index[i] = index;
  p.flags[i] = (p.flags[i]! & ~PAGECACHE_FLAGS) | LOCKED;
  inode.pages.store(index, pfn);
  fs.count("nr_file_pages");
  fs.vmm.reclaim.lruAdd(pfn);
}

/**
 * filemap_remove_folio + folio_put for truncation: a dirty folio's accounting is cancelled
 * (folio_cancel_dirty: NR_FILE_DIRTY - 1), the entry leaves i_pages, NR_FILE_PAGES - 1, and the
 * page cache's reference goes (the page is freed). The folio must be unlocked and not under
 * write-back (the caller waited).
 */
export function filemapRemoveFolio(fs: FileSystem, inode: Inode, index: number): void {
  const pfn = inode.pages.erase(index);
  if (pfn < 0) BUG("filemap_remove_folio", `no folio at index ${index} of inode ${inode.ino}`);
  const f = folioFlags(fs, pfn);
  if ((f & (LOCKED | WRITEBACK)) !== 0) BUG("filemap_remove_folio", `pfn ${pfn} is locked or under write-back`);
  if ((f & DIRTY) !== 0) {
    fs.count("nr_dirty", -1);
    inode.nrDirty--;
  }
  folioClearFlags(fs, pfn, PAGECACHE_FLAGS);
  fs.count("nr_file_pages", -1);
  folioPut(fs.vmm, pfn);
}

/**
 * read_pages for newly added locked folios [index, pfn] of inode, in index order: a hole (or a
 * page beyond the block map) is zeroed and uptodate at once (mpage's hole handling, no I/O);
 * the rest are read by DMA, one device request per folio, counted as one DMA copy per run of
 * contiguous blocks (a bio). Each folio stays locked until its read completes.
 */
export function readPages(fs: FileSystem, inode: Inode, batch: readonly number[]): void {
  const now = fs.clock.ns;
  let prevBlock = -2;
  let prevIndex = -2;
  for (let k = 0; k < batch.length; k += 2) {
    const index = batch[k]!;
    const pfn = batch[k + 1]!;
    const b = inode.block(index);
    const pa = pfn * PAGE_SIZE;
    if (b === BLOCK_HOLE || b === BLOCK_DELALLOC) {
      fs.vmm.ram.fill(pa, PAGE_SIZE, 0);
      setFlags(fs, pfn, UPTODATE, LOCKED);
      prevBlock = -2;
      continue;
    }
    const r = fs.dma.deviceToRam(fs.dev, fs.sectorOf(b), pa, PAGE_SIZE, now);
    if (!(b === prevBlock + 1 && index === prevIndex + 1)) fs.count("mmsim_dma_copies");
    prevBlock = b;
    prevIndex = index;
    fs.count("mmsim_dma_copy_bytes", PAGE_SIZE);
    fs.count("pgpgin", PAGE_SIZE / 1024);
    fs.queueIo(pfn, r.ok ? IO_READ : -1 - IO_READ, r.completeNs);
  }
}

/**
 * The completion of the oldest in-flight I/O: a read unlocks its folio (uptodate when it
 * succeeded); a write ends write-back (folio_end_writeback: PG_writeback cleared,
 * NR_WRITEBACK - 1, NR_WRITTEN + 1; a failed write records EIO on the mapping for fsync).
 */
export function completeOneIo(fs: FileSystem): void {
  const h = fs.ioHead;
  const pfn = fs.ioPfn[h]!;
  const kind = fs.ioKind[h]!;
  fs.ioHead = h + 1;
  if (fs.ioHead > 1024 && fs.ioHead * 2 > fs.ioPfn.length) {
    fs.ioPfn.splice(0, fs.ioHead);
    fs.ioKind.splice(0, fs.ioHead);
    fs.ioDone.splice(0, fs.ioHead);
    fs.ioHead = 0;
  }
  const ok = kind >= 0;
  const k = ok ? kind : -1 - kind;
  if (k === IO_READ) {
    setFlags(fs, pfn, ok ? UPTODATE : 0, LOCKED);
    return;
  }
  if (k !== IO_WRITE) BUG("completeOneIo", `kind ${kind}`);
  const inode = fs.inodeOfPage(pfn) ?? BUG("folio_end_writeback", `pfn ${pfn} has no inode`);
  setFlags(fs, pfn, 0, WRITEBACK);
  inode.nrWriteback--;
  fs.count("nr_writeback", -1);
  fs.count("nr_written");
  if (!ok) inode.wbErr = true;
}

/** folio_wait_locked / folio_wait_writeback: the task sleeps until `mask` clears on pfn (the clock moves to each completion). */
export function folioWait(fs: FileSystem, pfn: number, mask: number): void {
  while ((folioFlags(fs, pfn) & mask) !== 0) {
    if (fs.ioHead >= fs.ioPfn.length) BUG("folio_wait", `pfn ${pfn} waits for I/O that is not in flight`);
    const t = fs.ioDone[fs.ioHead]!;
    if (t > fs.clock.ns) fs.clock.ns = t;
    runUntil(fs, fs.clock.ns);
  }
}

/** folio_mark_accessed, less the LRU activation (reclaim's): the first touch sets PG_referenced. */
function folioMarkAccessed(fs: FileSystem, pfn: number): void {
  setFlags(fs, pfn, REFERENCED, 0);
}

/**
 * filemap_get_read_batch: pfns of the cached folios from index to max (inclusive), contiguous,
 * stopping after a folio that is not uptodate or carries PG_readahead, and at PAGEVEC_SIZE.
 */
export function filemapGetReadBatch(fs: FileSystem, inode: Inode, index: number, max: number, out: number[]): void {
  out.length = 0;
  for (let i = index; i <= max && out.length < PAGEVEC_SIZE; i++) {
    const pfn = inode.pages.load(i);
    if (pfn < 0) return;
    out.push(pfn);
    if ((folioFlags(fs, pfn) & (UPTODATE | READAHEAD)) !== UPTODATE) return;
  }
}

/**
 * filemap_create_folio + filemap_read_folio: one new folio at index read synchronously; its
 * pfn, or -ENOMEM / -EIO.
 */
function filemapCreateFolio(fs: FileSystem, inode: Inode, index: number): number {
  const pfn = filemapAllocFolio(fs, GFP_HIGHUSER_MOVABLE);
  if (pfn < 0) return -ENOMEM;
  filemapAddFolio(fs, inode, pfn, index);
  readPages(fs, inode, [index, pfn]);
  folioWait(fs, pfn, LOCKED);
  return (folioFlags(fs, pfn) & UPTODATE) !== 0 ? pfn : -EIO;
}

/** filemap_get_pages: fills `out` with the folios to copy from pos; 0 or -errno. */
export function filemapGetPages(fs: FileSystem, file: File, pos: number, count: number, out: number[]): number {
  const inode = file.inode;
  const index = Math.floor(pos / PAGE_SIZE);
  const lastIndex = Math.ceil((pos + count) / PAGE_SIZE);
  filemapGetReadBatch(fs, inode, index, lastIndex - 1, out);
  if (out.length === 0) {
    pageCacheSyncRa(fs, file, index, lastIndex - index);
    filemapGetReadBatch(fs, inode, index, lastIndex - 1, out);
  }
  if (out.length === 0) {
    const pfn = filemapCreateFolio(fs, inode, index);
    if (pfn < 0) return pfn;
    out.push(pfn);
  }
  const last = out[out.length - 1]!;
  if ((folioFlags(fs, last) & READAHEAD) !== 0) {
    const li = fs.vmm.pages.index[fs.vmm.pages.idx(last)]!;
    pageCacheAsyncRa(fs, file, last, li, lastIndex - li);
  }
  if ((folioFlags(fs, last) & UPTODATE) === 0) {
    folioWait(fs, last, LOCKED);
    if ((folioFlags(fs, last) & UPTODATE) === 0) {
      // filemap_update_page: the read failed; read it once more, synchronously
      if (inode.pages.load(fs.vmm.pages.index[fs.vmm.pages.idx(last)]!) !== last) BUG("filemap_get_pages", "folio left the cache");
      folioSetFlags(fs, last, LOCKED);
      readPages(fs, inode, [fs.vmm.pages.index[fs.vmm.pages.idx(last)]!, last]);
      folioWait(fs, last, LOCKED);
      if ((folioFlags(fs, last) & UPTODATE) === 0) {
        out.length = 0;
        return -EIO;
      }
    }
  }
  return 0;
}

/**
 * filemap_read: copies up to `count` bytes of file from `pos` into user memory at `buf` of mm
 * (as the task on cpu). Returns the bytes copied (0 at EOF), or -errno when nothing was copied
 * (EINVAL for a negative pos, EFAULT for a bad buffer, ENOMEM, EIO). Updates file.ra.prevPos.
 */
export function filemapRead(fs: FileSystem, file: File, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number): number {
  if (file.inode.ops !== null) return file.inode.ops.readIter(file, mm, cpu, buf, count, pos); // ->read_iter of a tmpfs file
  if (pos < 0) return -EINVAL;
  if (pos >= MMFS_MAX_BYTES || count === 0) return 0;
  count = Math.min(count, MMFS_MAX_BYTES - pos);
  const inode = file.inode;
  const ra = file.ra;
  const pages = fs.vmm.pages;
  const batch = fs.readBatch;
  let lastPos = ra.prevPos;
  let already = 0;
  let error = 0;
  do {
    if (pos >= inode.size) break;
    error = filemapGetPages(fs, file, pos, count - already, batch);
    if (error < 0) break;
    const isize = inode.size;
    if (pos >= isize) break;
    const endOffset = Math.min(isize, pos + count - already);
    if (Math.floor(pos / PAGE_SIZE) !== Math.floor((lastPos - 1) / PAGE_SIZE)) folioMarkAccessed(fs, batch[0]!);
    for (let k = 0; k < batch.length; k++) {
      const pfn = batch[k]!;
      const fpos = pages.index[pages.idx(pfn)]! * PAGE_SIZE;
      if (endOffset < fpos) break;
      if (k > 0) folioMarkAccessed(fs, pfn);
      const offset = pos - fpos;
      const bytes = Math.min(endOffset - pos, PAGE_SIZE - offset);
      if (bytes <= 0) break;
      const copied = bytes - copyToUser(fs.vmm, mm, cpu, buf + already, pfn * PAGE_SIZE + offset, bytes);
      already += copied;
      pos += copied;
      lastPos = pos;
      if (copied < bytes) {
        error = -EFAULT;
        break;
      }
    }
  } while (already < count && pos < inode.size && error === 0);
  batch.length = 0;
  ra.prevPos = lastPos;
  return already > 0 ? already : error;
}

/** EFBIG and ENOSPC (include/uapi/asm-generic/errno-base.h). */
export const EFBIG = 27;
export const ENOSPC = 28;

/**
 * write_begin for `bytes` at `offset` of the folio at index: the cached folio (waiting for a
 * read in flight), or a new one (GFP_HIGHUSER_MOVABLE | __GFP_WRITE, FGP_WRITEBEGIN); a folio
 * that is not uptodate and only partly overwritten is read from its block when the file has
 * data there, else zeroed. A hole gets a delalloc block reservation. The folio's pfn, or -ENOMEM,
 * -ENOSPC, -EIO.
 */
function writeBegin(fs: FileSystem, inode: Inode, index: number, offset: number, bytes: number): number {
  let pfn = inode.pages.load(index);
  let created = false;
  if (pfn >= 0) folioWait(fs, pfn, LOCKED);
  else {
    pfn = filemapAllocFolio(fs, GFP_HIGHUSER_MOVABLE | __GFP_WRITE);
    if (pfn < 0) return -ENOMEM;
    filemapAddFolio(fs, inode, pfn, index);
    folioClearFlags(fs, pfn, LOCKED);
    created = true;
  }
  const b = inode.block(index);
  if (b === BLOCK_HOLE) {
    if (!fs.reserveBlock()) {
      if (created) filemapRemoveFolio(fs, inode, index);
      return -ENOSPC;
    }
    inode.setBlock(index, BLOCK_DELALLOC);
  }
  if ((folioFlags(fs, pfn) & UPTODATE) === 0 && !(offset === 0 && bytes === PAGE_SIZE)) {
    if (b >= 0 && index * PAGE_SIZE < inode.size) {
      folioSetFlags(fs, pfn, LOCKED);
      readPages(fs, inode, [index, pfn]);
      folioWait(fs, pfn, LOCKED);
      if ((folioFlags(fs, pfn) & UPTODATE) === 0) return -EIO;
    } else {
      fs.vmm.ram.fill(pfn * PAGE_SIZE, PAGE_SIZE, 0);
    }
  }
  return pfn;
}

/**
 * generic_perform_write: copies `count` bytes of user memory at buf (mm's task on cpu; faults
 * allowed) into the page cache at pos, a folio at a time: write_begin, the copy, write_end
 * (uptodate, folio_mark_dirty, i_size extended), then balance_dirty_pages_ratelimited. Returns
 * the bytes written, or -errno when none were (EINVAL, EFBIG at the size limit, EFAULT, ENOMEM,
 * ENOSPC, EIO).
 */
export function genericPerformWrite(fs: FileSystem, file: File, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number, w: DirtyThrottle): number {
  if (file.inode.ops !== null) return file.inode.ops.writeIter(file, mm, cpu, buf, count, pos); // ->write_iter of a tmpfs file
  if (pos < 0) return -EINVAL;
  if (count === 0) return 0;
  if (pos >= MMFS_MAX_BYTES) return -EFBIG;
  count = Math.min(count, MMFS_MAX_BYTES - pos);
  const inode = file.inode;
  let written = 0;
  let err = 0;
  while (written < count) {
    const index = Math.floor(pos / PAGE_SIZE);
    const offset = pos - index * PAGE_SIZE;
    // fault_in_iov_iter_readable: a buffer that cannot be read at all is EFAULT; a partly
    // readable one is written up to its first bad page
    const bytes = Math.min(PAGE_SIZE - offset, count - written);
    const readable = bytes - faultInReadable(fs.vmm, mm, cpu, buf + written, bytes);
    if (readable === 0) {
      err = -EFAULT;
      break;
    }
    const pfn = writeBegin(fs, inode, index, offset, readable);
    if (pfn < 0) {
      err = pfn;
      break;
    }
    if (copyFromUser(fs.vmm, mm, cpu, pfn * PAGE_SIZE + offset, buf + written, readable) !== 0) BUG("generic_perform_write", "a faulted-in buffer page went away");
    setFlags(fs, pfn, UPTODATE, LOCKED);
    folioMarkDirty(fs, inode, pfn, w, cpu.id);
    pos += readable;
    written += readable;
    if (pos > inode.size) inode.size = pos;
    balanceDirtyPagesRatelimited(fs, w, cpu.id);
  }
  return written > 0 ? written : err;
}
