// Read-ahead (mm/readahead.c): the on-demand window of each open file (struct file_ra_state),
// grown as the stream proves sequential, and the allocation of the window's folios.
//
//                        |<----- asyncSize ---------|
//     |------------------- size -------------------->|
//     |==================#===========================|
//     ^start             ^folio marked PG_readahead
//
// A miss calls page_cache_sync_ra: at the start of a file, for a sequential miss (index at or
// just after prev_pos's page) or an oversized read, the window opens at get_init_ra_size(req);
// otherwise the cached history before index decides between a small random read (read just
// the request) and a stream found in the cache. Reaching the PG_readahead folio calls
// page_cache_async_ra, which moves the window forward and ramps it with get_next_ra_size (x4
// while small, x2, then max), rounding its end down to the alignment of the order it would use.
// The filesystem has no large folios, so page_cache_ra_order always falls back to
// do_page_cache_ra with order-0 folios. mmap read-around (do_sync_mmap_readahead) is in
// filemap-fault.ts. Not modelled: fadvise (FMODE_RANDOM is never set), blk-cgroup congestion.
import { GFP_HIGHUSER_MOVABLE, PG_readahead, PG_writeback, __GFP_NORETRY, __GFP_NOWARN } from "@mmsim/physical";
import type { FileSystem, Inode } from "./fs";
import type { File } from "./file-table";
import { filemapAddFolio, filemapAllocFolio, folioClearFlags, folioFlags, folioSetFlags, readPages } from "./filemap";

/** readahead_gfp_mask: mapping_gfp_mask (GFP_HIGHUSER_MOVABLE) | __GFP_NORETRY | __GFP_NOWARN (include/linux/pagemap.h). */
export const READAHEAD_GFP = GFP_HIGHUSER_MOVABLE | __GFP_NORETRY | __GFP_NOWARN;
/** force_page_cache_ra reads in chunks of 2 MiB (mm/readahead.c). */
const FORCE_RA_CHUNK_PAGES = (2 * 1024 * 1024) / 4096;
const READAHEAD = 1 << PG_readahead;
const WRITEBACK = 1 << PG_writeback;

/** struct file_ra_state. */
export class FileRaState {
  start = 0;
  size = 0;
  asyncSize = 0;
  order = 0;
  /** the last byte position of the previous read (-1: none yet, file_ra_state_init) */
  prevPos = -1;
  /** page faults that missed the cache, less those that hit (do_sync/async_mmap_readahead) */
  mmapMiss = 0;
  constructor(
    /** ra_pages: the bdi's read-ahead maximum at open */
    public raPages: number,
  ) {}
}

/** roundup_pow_of_two. */
function roundupPowOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** ffs: the 1-based index of the lowest set bit (0 for 0). */
function ffs(n: number): number {
  if (n === 0) return 0;
  let i = 1;
  while (n % 2 === 0) {
    n /= 2;
    i++;
  }
  return i;
}

/**
 * get_init_ra_size: the first window for a request of `size` pages, max `max`: the request
 * rounded up to a power of two, x4 when at most max/32, x2 when at most max/4, else max. With
 * the 128 KiB default (32 pages): 1-2 pages -> 4, 3-4 -> 8, 5-8 -> 16, more -> 32.
 */
export function getInitRaSize(size: number, max: number): number {
  const n = roundupPowOfTwo(size);
  if (n <= Math.floor(max / 32)) return n * 4;
  if (n <= Math.floor(max / 4)) return n * 2;
  return max;
}

/** get_next_ra_size: the next window after one of `cur` pages: x4 below max/16, x2 up to max/2, else max. */
export function getNextRaSize(cur: number, max: number): number {
  if (cur < Math.floor(max / 16)) return 4 * cur;
  if (cur <= Math.floor(max / 2)) return 2 * cur;
  return max;
}

/** ractl_max_pages: ra_pages, or up to the device's io_pages for a request larger than ra_pages. */
function ractlMaxPages(fs: FileSystem, ra: FileRaState, req: number): number {
  let max = ra.raPages;
  if (req > max && fs.ioPages > max) max = Math.min(req, fs.ioPages);
  return max;
}

/**
 * page_cache_ra_unbounded: adds up to nrToRead new locked folios from index (skipping cached
 * ones, each skip submitting the batch so far), marks the one at nrToRead - lookahead with
 * PG_readahead, and reads them. Stops early when the allocator fails.
 */
export function pageCacheRaUnbounded(fs: FileSystem, inode: Inode, index: number, nrToRead: number, lookahead: number): void {
  const mark = lookahead <= nrToRead ? nrToRead - lookahead : -1;
  let batch: number[] = [];
  for (let i = 0; i < nrToRead; ) {
    if (inode.pages.load(index + i) >= 0) {
      readPages(fs, inode, batch);
      batch = [];
      i++;
      continue;
    }
    const pfn = filemapAllocFolio(fs, READAHEAD_GFP);
    if (pfn < 0) break;
    filemapAddFolio(fs, inode, pfn, index + i);
    if (i === mark) folioSetFlags(fs, pfn, READAHEAD);
    batch.push(index + i, pfn);
    i++;
  }
  readPages(fs, inode, batch);
}

/** do_page_cache_ra: page_cache_ra_unbounded, never past the page holding the file's last byte. */
export function doPageCacheRa(fs: FileSystem, inode: Inode, index: number, nrToRead: number, lookahead: number): void {
  const isize = inode.size;
  if (isize === 0) return;
  const endIndex = Math.floor((isize - 1) / 4096);
  if (index > endIndex) return;
  if (nrToRead > endIndex - index) nrToRead = endIndex - index + 1;
  pageCacheRaUnbounded(fs, inode, index, nrToRead, lookahead);
}

/** force_page_cache_ra: the request as is (at most max(io_pages, ra_pages)), in 2 MiB chunks, no marker. */
export function forcePageCacheRa(fs: FileSystem, file: File, index: number, nrToRead: number): void {
  nrToRead = Math.min(nrToRead, Math.max(fs.ioPages, file.ra.raPages));
  while (nrToRead > 0) {
    const chunk = Math.min(FORCE_RA_CHUNK_PAGES, nrToRead);
    doPageCacheRa(fs, file.inode, index, chunk, 0);
    index += chunk;
    nrToRead -= chunk;
  }
}

/** page_cache_ra_order without large folios: do_page_cache_ra of the whole window. */
export function pageCacheRaOrder(fs: FileSystem, file: File): void {
  const ra = file.ra;
  ra.order = 0;
  if (ra.size > 0) doPageCacheRa(fs, file.inode, ra.start, ra.size, ra.asyncSize);
}

/** page_cache_sync_ra: a read of reqCount pages at index missed the cache. */
export function pageCacheSyncRa(fs: FileSystem, file: File, index: number, reqCount: number): void {
  const ra = file.ra;
  if (ra.raPages === 0) {
    forcePageCacheRa(fs, file, index, 1);
    return;
  }
  const maxPages = ractlMaxPages(fs, ra, reqCount);
  // prev_pos >> PAGE_SHIFT as unsigned: -1 is far above any index, so never "sequential"
  const prevIndex = ra.prevPos < 0 ? Infinity : Math.floor(ra.prevPos / 4096);
  const sequential = prevIndex === index || prevIndex === index - 1;
  if (index === 0 || reqCount > maxPages || sequential) {
    ra.start = index;
    ra.size = getInitRaSize(reqCount, maxPages);
    ra.asyncSize = ra.size > reqCount ? ra.size - reqCount : ra.size >> 1;
  } else {
    const miss = file.inode.pages.prevMiss(index - 1, maxPages);
    let contig = index - miss - 1;
    if (contig <= reqCount) {
      // a standalone small random read: read it as is, leave the state alone
      doPageCacheRa(fs, file.inode, index, reqCount, 0);
      return;
    }
    if (miss === -1) contig *= 2; // cached from the start of the file: a long stream
    ra.start = index;
    ra.size = Math.min(contig + reqCount, maxPages);
    ra.asyncSize = 1;
  }
  pageCacheRaOrder(fs, file);
}

/** page_cache_async_ra: a read reached folio `pfn` (at index) marked PG_readahead. */
export function pageCacheAsyncRa(fs: FileSystem, file: File, pfn: number, index: number, reqCount: number): void {
  const ra = file.ra;
  if (ra.raPages === 0) return;
  if ((folioFlags(fs, pfn) & WRITEBACK) !== 0) return; // the bit is PG_reclaim then
  folioClearFlags(fs, pfn, READAHEAD);
  const maxPages = ractlMaxPages(fs, ra, reqCount);
  if (index === ra.start + ra.size - ra.asyncSize) {
    ra.start += ra.size;
    ra.size = Math.max(ra.size, getNextRaSize(ra.size, maxPages));
  } else {
    // a marked folio without matching state (interleaved streams): size the window from the cache
    const start = file.inode.pages.nextMiss(index + 1, maxPages);
    if (start === 0 || start - index > maxPages) return;
    ra.start = start;
    ra.size = getNextRaSize(start - index + reqCount, maxPages);
  }
  ra.order += 2;
  const align = 2 ** Math.min(ra.order, ffs(maxPages) - 1);
  const end = ra.start + ra.size;
  const alignedEnd = Math.floor(end / align) * align;
  if (alignedEnd > ra.start) ra.size -= end - alignedEnd;
  ra.asyncSize = ra.size;
  pageCacheRaOrder(fs, file);
}
