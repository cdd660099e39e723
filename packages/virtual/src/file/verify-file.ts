// verify() of the page cache and the filesystem (CONFIG_DEBUG_VM for this layer). Invariants:
//   - every i_pages entry is an allocated page (refcount >= 1, no page type) whose mapping word
//     names its inode and whose index is its key; a dirty page is uptodate (a page whose read
//     failed stays, not uptodate, to be read again, as in Linux);
//   - no cached page lies wholly past EOF;
//   - PG_dirty / PG_writeback recount to the inode's and the machine's nr_dirty / nr_writeback;
//     the cached pages recount to nr_file_pages; in-flight writes equal PG_writeback pages;
//   - an inode is on b_dirty exactly when it has dirty pages; b_dirty is oldest first;
//   - a clean page is mapped writable or dirty by no PTE of a shared VMA (write-back's folio_mkclean);
//   - a dirty page has a block or a delalloc reservation; the block map's blocks are in use,
//     owned once, and used + free + reserved add up to the device's blocks.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { PG_dirty, PG_locked, PG_uptodate, PG_writeback } from "@mmsim/physical";
import { BLOCK_DELALLOC, BLOCK_HOLE, IO_WRITE } from "./fs";
import type { FileSystem } from "./fs";
import { rmapWalkFile } from "../rmap";
import { PTE_D, PTE_RW, pteOffset } from "../pte";
import { VM_SHARED } from "../mm-flags";

const LOCKED = 1 << PG_locked;
const UPTODATE = 1 << PG_uptodate;
const DIRTY = 1 << PG_dirty;
const WRITEBACK = 1 << PG_writeback;

/** Checks every invariant above; throws Bug on the first broken one. */
export function verifyFileSystem(fs: FileSystem): void {
  const pages = fs.vmm.pages;
  const counters = fs.vmm.phys.counters;
  let cached = 0;
  let dirty = 0;
  let writeback = 0;
  let reserved = 0;
  const owner = new Map<number, string>();
  for (let id = 1; id < fs.inodeByMapping.length; id++) {
    const inode = fs.inodeByMapping[id];
    if (!inode) continue;
    if (inode.mappingId !== id) BUG("verifyFileSystem", `inode ${inode.ino} filed under mapping ${id}`);
    if (inode.nlink > 0 && fs.names.get(inode.name) !== inode) BUG("verifyFileSystem", `inode ${inode.ino} "${inode.name}" is not in the namespace`);
    if (inode.nlink === 0 && inode.openCount === 0) BUG("verifyFileSystem", `inode ${inode.ino} is unlinked and closed but alive`);
    const n = inode.pages.recount();
    if (n !== inode.pages.size) BUG("verifyFileSystem", `inode ${inode.ino}: i_pages holds ${n}, nrpages ${inode.pages.size}`);
    const endIndex = Math.ceil(inode.size / PAGE_SIZE);
    let d = 0;
    let w = 0;
    inode.pages.forEach(0, 2 ** 32 - 1, (index, pfn) => {
      const i = pages.idx(pfn);
      if (i < 0 || pages.refcount[i]! < 1 || pages.mapcount[i]! < -1) BUG("verifyFileSystem", `inode ${inode.ino} index ${index}: pfn ${pfn} is not an allocated page`);
      if (pages.mapping[i] !== id << 1 || pages.index[i] !== index) BUG("verifyFileSystem", `pfn ${pfn} at ${inode.ino}:${index} has mapping ${pages.mapping[i]} index ${pages.index[i]}`);
      const f = pages.flags[i]!;
      if ((f & DIRTY) !== 0 && (f & UPTODATE) === 0) BUG("verifyFileSystem", `dirty pfn ${pfn} at ${inode.ino}:${index} is not uptodate`);
      if ((f & LOCKED) !== 0 && (f & UPTODATE) !== 0) BUG("verifyFileSystem", `pfn ${pfn} at ${inode.ino}:${index} is locked though uptodate (no read in flight)`);
      if (index >= endIndex) BUG("verifyFileSystem", `pfn ${pfn} at ${inode.ino}:${index} lies past EOF (${inode.size} bytes)`);
      if ((f & DIRTY) !== 0) {
        d++;
        if (inode.block(index) === BLOCK_HOLE) BUG("verifyFileSystem", `dirty pfn ${pfn} at ${inode.ino}:${index} has no block`);
      }
      if ((f & WRITEBACK) !== 0) w++;
      // folio_mkclean's promise: a clean mapped page is writable through no PTE of a shared VMA
      if ((f & DIRTY) === 0 && pages.mapcount[i]! >= 0) {
        rmapWalkFile(fs.vmm, inode.iMmap, index, pfn, (vma, addr) => {
          if ((vma.vmFlags & VM_SHARED) !== 0 && (fs.vmm.ram.readU32(pteOffset(fs.vmm, vma.vmMm, addr)) & (PTE_RW | PTE_D)) !== 0) {
            BUG("verifyFileSystem", `clean pfn ${pfn} at ${inode.ino}:${index} has a writable or dirty PTE at ${addr.toString(16)}`);
          }
        });
      }
    });
    if (d !== inode.nrDirty || w !== inode.nrWriteback) BUG("verifyFileSystem", `inode ${inode.ino}: ${d} dirty / ${w} writeback pages, counted ${inode.nrDirty} / ${inode.nrWriteback}`);
    if (inode.dirty !== d > 0 || fs.bDirty.includes(inode) !== d > 0) BUG("verifyFileSystem", `inode ${inode.ino} with ${d} dirty pages: I_DIRTY_PAGES ${inode.dirty}`);
    cached += n;
    dirty += d;
    writeback += w;
    for (let pg = 0; pg < inode.blocks.length; pg++) {
      const b = inode.blocks[pg]!;
      if (b === BLOCK_DELALLOC) reserved++;
      else if (b >= 0) {
        if (fs.blockUsed[b] !== 1) BUG("verifyFileSystem", `block ${b} of ${inode.ino}:${pg} is free`);
        const o = owner.get(b);
        if (o !== undefined) BUG("verifyFileSystem", `block ${b} owned by ${o} and ${inode.ino}:${pg}`);
        owner.set(b, `${inode.ino}:${pg}`);
      } else if (b !== BLOCK_HOLE) BUG("verifyFileSystem", `block map entry ${b}`);
      if (b !== BLOCK_HOLE && pg >= endIndex) BUG("verifyFileSystem", `inode ${inode.ino} keeps block ${b} past EOF at ${pg}`);
    }
  }
  for (let k = 1; k < fs.bDirty.length; k++) if (fs.bDirty[k - 1]!.dirtiedWhen > fs.bDirty[k]!.dirtiedWhen) BUG("verifyFileSystem", "b_dirty is not oldest first");
  let used = 0;
  for (let b = 1; b < fs.blockUsed.length; b++) used += fs.blockUsed[b]!;
  if (used !== owner.size) BUG("verifyFileSystem", `${used} blocks in use, ${owner.size} owned`);
  if (reserved !== fs.nrReservedBlocks || used + fs.nrFreeBlocks !== fs.blockUsed.length - 1) BUG("verifyFileSystem", `blocks: ${used} used, ${fs.nrFreeBlocks} free, ${fs.nrReservedBlocks} reserved (recount ${reserved})`);
  let inflightWrites = 0;
  for (let h = fs.ioHead; h < fs.ioKind.length; h++) {
    const k = fs.ioKind[h]!;
    if (k === IO_WRITE || k === -1 - IO_WRITE) inflightWrites++;
  }
  if (inflightWrites !== writeback) BUG("verifyFileSystem", `${inflightWrites} writes in flight, ${writeback} pages under write-back`);
  const got = (n: string) => counters.get(n);
  cached += fs.vmm.shmem?.nrPages ?? 0; // shmem and tmpfs folios are page cache too (verifyShmem recounts them)
  if (got("nr_file_pages") !== cached || got("nr_dirty") !== dirty || got("nr_writeback") !== writeback) {
    BUG("verifyFileSystem", `counters nr_file_pages/nr_dirty/nr_writeback ${got("nr_file_pages")}/${got("nr_dirty")}/${got("nr_writeback")}, recount ${cached}/${dirty}/${writeback}`);
  }
}
