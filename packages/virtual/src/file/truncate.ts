// Truncation (mm/truncate.c, fs/attr.c's size change, ext4-style block_truncate_page) and the
// end of an inode (evict: truncate_inode_pages_final). Shrinking zeroes the tail of the page
// that keeps the new last byte (so bytes past EOF read as zeros if the file grows again), waits
// for locked and write-back folios past the end, removes them (dirty ones without write-back:
// their data is gone) and frees their blocks and delalloc reservations. Growing only sets
// i_size (a sparse file).
import { PAGE_SIZE } from "@mmsim/base";
import { GFP_HIGHUSER_MOVABLE, PG_dirty, PG_locked, PG_uptodate, PG_writeback } from "@mmsim/physical";
import { BLOCK_DELALLOC, BLOCK_HOLE, MMFS_MAX_BYTES } from "./fs";
import type { FileSystem, Inode } from "./fs";
import { EFBIG, EINVAL, EIO, ENOMEM, filemapAddFolio, filemapAllocFolio, filemapRemoveFolio, folioFlags, folioWait, readPages } from "./filemap";
import { folioMarkDirty, inodeClean } from "./page-writeback";
import { zapPageRange } from "../memory-range";
import type { AddressSpace } from "../mm-types";

const LOCKED = 1 << PG_locked;
const WRITEBACK = 1 << PG_writeback;
const UPTODATE = 1 << PG_uptodate;
const DIRTY = 1 << PG_dirty;

/**
 * block_truncate_page: the page holding byte `size` (not page aligned) gets zeros from there to
 * its end; when the file has a block there, the page is read if needed and redirtied so the
 * disk copy is zeroed too. 0 or -ENOMEM / -EIO.
 */
function blockTruncatePage(fs: FileSystem, inode: Inode, size: number): number {
  const index = Math.floor(size / PAGE_SIZE);
  const offset = size - index * PAGE_SIZE;
  const b = inode.block(index);
  let pfn = inode.pages.load(index);
  if (pfn < 0) {
    if (b === BLOCK_HOLE || b === BLOCK_DELALLOC) return 0;
    pfn = filemapAllocFolio(fs, GFP_HIGHUSER_MOVABLE);
    if (pfn < 0) return -ENOMEM;
    filemapAddFolio(fs, inode, pfn, index);
    readPages(fs, inode, [index, pfn]);
  }
  folioWait(fs, pfn, LOCKED | WRITEBACK);
  if ((folioFlags(fs, pfn) & UPTODATE) === 0) return -EIO;
  fs.vmm.ram.fill(pfn * PAGE_SIZE + offset, PAGE_SIZE - offset, 0);
  if (b >= 0) folioMarkDirty(fs, inode, pfn, null);
  return 0;
}

/**
 * truncate_setsize + the filesystem's block freeing: sets i_size to `size`, dropping the page
 * cache and the blocks past it. 0, or -EINVAL (negative), -EFBIG (beyond the size limit),
 * -ENOMEM / -EIO (the partial page could not be read).
 */
export function truncateSetsize(fs: FileSystem, inode: Inode, size: number): number {
  if (inode.ops !== null) return inode.ops.setSize(inode, size); // ->setattr of a tmpfs file
  if (size < 0) return -EINVAL;
  if (size > MMFS_MAX_BYTES) return -EFBIG;
  if (size >= inode.size) {
    inode.size = size;
    return 0;
  }
  if (size % PAGE_SIZE !== 0) {
    const r = blockTruncatePage(fs, inode, size);
    if (r < 0) return r;
  }
  inode.size = size;
  truncateInodePages(fs, inode, Math.ceil(size / PAGE_SIZE));
  return 0;
}

/**
 * unmap_mapping_range(mapping, first << PAGE_SHIFT, 0, even_cows = 1), as truncate_pagecache
 * calls it: every PTE at file pages >= first in every VMA of the mapping is zapped, private
 * copies of those pages too (file VMAs have no huge PMDs; the page tables stay).
 */
export function unmapMappingRange(fs: FileSystem, mapping: AddressSpace, first: number): void {
  const t = mapping.iMmap;
  // unmap_mapping_range_tree: the VMAs overlapping [first, ULONG_MAX] only
  for (let n = t.iterFirst(first, Infinity); n >= 0; n = t.iterNext(n, first, Infinity)) {
    const vma = t.vmaAt(n);
    const start = Math.max(vma.vmStart, vma.vmStart + (first - vma.vmPgoff) * PAGE_SIZE);
    zapPageRange(fs.vmm, vma, start, vma.vmEnd);
  }
}

/** truncate_inode_pages_range from page `start` to the end, then the blocks from there. */
export function truncateInodePages(fs: FileSystem, inode: Inode, start: number): void {
  // truncate_pagecache: unmap_mapping_range first, so no PTE maps a page about to go
  unmapMappingRange(fs, inode.iMmap, start);
  const doomed: number[] = [];
  inode.pages.forEach(start, 2 ** 32 - 1, (index, pfn) => {
    doomed.push(index, pfn);
  });
  for (let k = 0; k < doomed.length; k += 2) {
    folioWait(fs, doomed[k + 1]!, LOCKED | WRITEBACK);
    filemapRemoveFolio(fs, inode, doomed[k]!);
  }
  for (let i = start; i < inode.blocks.length; i++) {
    const b = inode.blocks[i]!;
    if (b >= 0) fs.freeBlock(b);
    else if (b === BLOCK_DELALLOC) fs.nrReservedBlocks--;
    inode.blocks[i] = BLOCK_HOLE;
  }
  if (inode.nrDirty === 0) inodeClean(fs, inode);
}

/** evict: an unlinked inode's last close drops every page (dirty ones unwritten) and block. */
export function evictInode(fs: FileSystem, inode: Inode): void {
  if (inode.ops !== null) return inode.ops.evict(inode); // shmem_evict_inode
  inode.size = 0;
  truncateInodePages(fs, inode, 0);
  inode.blocks = new Int32Array(0);
  fs.destroyInode(inode);
}

/**
 * invalidate_mapping_pages (drop_caches 1, POSIX_FADV_DONTNEED): removes the clean, unlocked,
 * unmapped folios not under write-back of inode; dirty, busy and mapped ones stay. Returns how many went.
 */
export function invalidateMappingPages(fs: FileSystem, inode: Inode): number {
  const victims: number[] = [];
  inode.pages.forEach(0, 2 ** 32 - 1, (index, pfn) => {
    // mapping_evict_folio: a mapped folio stays
    if ((folioFlags(fs, pfn) & (LOCKED | WRITEBACK | DIRTY)) === 0 && fs.vmm.pages.mapcount[fs.vmm.pages.idx(pfn)]! < 0) victims.push(index);
  });
  for (const index of victims) filemapRemoveFolio(fs, inode, index);
  return victims.length;
}

/** drop_caches = 1 over every inode: the clean page cache goes. Returns the pages dropped. */
export function dropPagecache(fs: FileSystem): number {
  let n = 0;
  for (const inode of fs.inodeByMapping) if (inode) n += invalidateMappingPages(fs, inode);
  return n;
}
