// Shared memory (mm/shmem.c): shmem superblocks (shm_mnt, the kernel's internal mount behind
// MAP_SHARED|MAP_ANONYMOUS, and tmpfs mounts such as /dev/shm), shmem inodes whose folios are
// swap-backed page-cache folios made zeroed on first use (shmem_get_folio), never written to a
// disk, and the accounting Linux does for them: NR_FILE_PAGES and NR_SHMEM per folio
// (shmem_update_stats), the mount's used blocks (size=, ENOSPC), and Committed_AS (shmem_acct_size
// for a fixed-size object, shmem_acct_blocks per page for a VM_NORESERVE one, as tmpfs files are).
//
//   shmem_get_folio(inode, index, sgp)
//     cached? ── yes ──> the folio (SGP_WRITE marks it accessed)
//       │ no
//     SGP_READ: a hole reads as zeros, no folio ── SGP_CACHE / SGP_WRITE: allocate,
//     shmem_add_to_page_cache (swapbacked, NR_FILE_PAGES + 1, NR_SHMEM + 1),
//     shmem_inode_acct_blocks (ENOSPC past size= or Committed_AS), folio_add_lru, zeroed unless
//     the writer fills it
//
// Not modelled: swap (shmem_writeout is reclaim's hook: a dirty shmem folio stays in RAM), huge
// shmem folios, fallocate, seals and memfd, SysV shmget/shmat, xattrs, quotas, directories.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { GFP_HIGHUSER_MOVABLE, PG_dirty, PG_locked, PG_referenced, PG_swapbacked, PG_uptodate } from "@mmsim/physical";
import { DEFAULT_FAULT_AROUND_BYTES, Inode } from "../file/fs";
import { folioPut } from "../rmap";
import type { VirtualMemory } from "../virtual-memory";
import { zapPageRange } from "../memory-range";
import type { AddressSpace } from "../mm-types";

const SWAPBACKED = 1 << PG_swapbacked;
const UPTODATE = 1 << PG_uptodate;
const DIRTY = 1 << PG_dirty;
const REFERENCED = 1 << PG_referenced;
const LOCKED = 1 << PG_locked;
/** The flags a shmem folio carries while it is in the page cache. */
export const SHMEM_FOLIO_FLAGS = SWAPBACKED | UPTODATE | DIRTY | REFERENCED | LOCKED;

/** Mapping ids of shmem inodes start here (mmfs's start at 1): the two never collide in a page's mapping word (id << 1 < 2^31). */
export const SHMEM_MAPPING_BASE = 2 ** 29;
/** BOGO_INODE_SIZE (mm/shmem.c): what one inode costs of a tmpfs mount's nr_inodes budget. */
export const BOGO_INODE_SIZE = 1024;
/** The shm_mnt kernel mount's device in /proc/<pid>/maps: 00:01, the first anonymous block device (get_anon_bdev), as a real "/dev/zero (deleted)" line shows. */
export const SHM_MNT_DEV: [number, number] = [0, 1];
/** MAX_LFS_FILESIZE in pages, as mmsim's page indices allow (below 2^32, like mmfs). */
export const SHMEM_MAX_INDEX = 2 ** 32 - 1;
/** Errnos (include/uapi/asm-generic/errno-base.h). */
export const ENOMEM = 12;
export const EINVAL = 22;
export const EFBIG = 27;
export const ENOSPC = 28;

/** sgp_type (include/linux/shmem_fs.h), in Linux's order: SGP_READ and SGP_CACHE refuse an index at or past EOF. */
export const SGP_READ = 0;
export const SGP_NOALLOC = 1;
export const SGP_CACHE = 2;
export const SGP_WRITE = 3;

/** struct shmem_sb_info: one shmem mount (shm_mnt, or a tmpfs such as /dev/shm). */
export class ShmemSb {
  /** max_blocks: the size= limit in pages (0: unlimited, as shm_mnt) */
  maxBlocks: number;
  /** used_blocks: pages charged by the mount's inodes (shmem_inode_acct_blocks) */
  usedBlocks = 0;
  /** max_inodes (0: unlimited) and the inodes alive */
  maxInodes: number;
  nrInodes = 0;
  /** next_ino: a tmpfs mount's root directory took 1 */
  nextIno: number;

  constructor(
    /** the machine's shmem state the mount belongs to */
    readonly shmem: Shmem,
    /** the mount's name for messages: "shm_mnt" or the mount point */
    readonly name: string,
    /** st_dev as major:minor (what /proc/<pid>/maps shows) */
    readonly dev: [number, number],
    maxBlocks: number,
    maxInodes: number,
    firstIno: number,
  ) {
    this.maxBlocks = maxBlocks;
    this.maxInodes = maxInodes;
    this.nextIno = firstIno;
  }
}

/** struct shmem_inode_info + its inode: a shmem file. Its pages live in `pages` (i_pages), nothing on a disk. */
export class ShmemInode extends Inode {
  /** info->alloced: pages charged to the mount (what shmem_recalc_inode balances against nrpages) */
  alloced = 0;
  /** SHMEM_F_NORESERVE: Committed_AS is charged per page, not for the whole size */
  readonly noreserve: boolean;
  /** pages of Committed_AS this inode holds (VM_ACCT(size) when fixed-size, else alloced) */
  committed = 0;
  /** VMAs mapping the file through every struct file of it (the files' f_count from mappings) */
  mapRefs = 0;

  constructor(
    readonly sb: ShmemSb,
    ino: number,
    mappingId: number,
    name: string,
    noreserve: boolean,
  ) {
    super(ino, mappingId, name);
    this.noreserve = noreserve;
  }
}

/** VM_ACCT(size): the pages a size in bytes covers. */
export function vmAcct(size: number): number {
  return Math.ceil(size / PAGE_SIZE);
}

/**
 * The shmem state of one machine: shm_mnt, the inodes of every shmem mount by mapping id, and
 * the counter slots it moves. Made on first use by shmemOf.
 */
export class Shmem {
  /** shm_mnt: the kernel-internal mount (SB_KERNMOUNT: no size or inode limit) */
  readonly shmMnt: ShmemSb;
  /** live shmem inodes by mapping id - SHMEM_MAPPING_BASE */
  readonly inodes: (ShmemInode | null)[] = [];
  private readonly freeIds: number[] = [];
  /** pages in every shmem inode's page cache (NR_SHMEM's share of this layer) */
  nrPages = 0;
  /** Committed_AS pages held by shmem inodes (shmem_acct_size / shmem_acct_blocks) */
  committedPages = 0;
  /** fault_around_bytes as shmem mappings see it (mm/memory.c's one knob; the kernel keeps it equal to mmfs's) */
  faultAroundBytes = DEFAULT_FAULT_AROUND_BYTES;
  readonly slotFilePages: number;
  readonly slotShmem: number;

  constructor(readonly vmm: VirtualMemory) {
    // shmem_fill_super of the kernel mount: next_ino 1, handed out in SHMEM_INO_BATCH per CPU; one sequence here
    this.shmMnt = new ShmemSb(this, "shm_mnt", SHM_MNT_DEV, 0, 0, 1);
    this.slotFilePages = vmm.phys.counters.id("nr_file_pages");
    this.slotShmem = vmm.phys.counters.id("nr_shmem");
  }

  /**
   * shmem_get_inode for a regular file of `sb` (shmem_reserve_inode: ENOSPC past nr_inodes); the
   * inode, or -ENOSPC.
   */
  getInode(sb: ShmemSb, name: string, noreserve: boolean): ShmemInode | number {
    if (sb.maxInodes !== 0 && sb.nrInodes >= sb.maxInodes) return -ENOSPC;
    const slot = this.freeIds.length > 0 ? this.freeIds.pop()! : this.inodes.length;
    const inode = new ShmemInode(sb, sb.nextIno++, SHMEM_MAPPING_BASE + slot, name, noreserve);
    // shmem_aops' dirty_folio is noop_dirty_folio: PG_dirty set, nothing accounted (no write-back)
    const p = this.vmm.pages;
    inode.iMmap.aOps = {
      dirtyFolio: (pfn) => {
        const i = p.idx(pfn);
        const clean = (p.flags[i]! & DIRTY) === 0;
        p.flags[i] |= DIRTY;
        return clean;
      },
    };
    this.inodes[slot] = inode;
    sb.nrInodes++;
    return inode;
  }

  /** The shmem inode whose mapping id a page's mapping word holds, or null. */
  inodeOfPage(pfn: number): ShmemInode | null {
    const m = this.vmm.pages.mapping[this.vmm.pages.idx(pfn)]!;
    if ((m & 1) !== 0 || m >>> 1 < SHMEM_MAPPING_BASE) return null;
    return this.inodes[(m >>> 1) - SHMEM_MAPPING_BASE] ?? null;
  }

  /** Charges `pages` to Committed_AS for inode (__vm_enough_memory); false when refused. */
  acct(inode: ShmemInode, pages: number): boolean {
    if (pages > 0 && this.vmm.vmEnoughMemory(null, pages) < 0) return false;
    inode.committed += pages;
    this.committedPages += pages;
    return true;
  }

  /** vm_unacct_memory of `pages` held by inode. */
  unacct(inode: ShmemInode, pages: number): void {
    if (pages > inode.committed) BUG("shmem_unacct", `inode ${inode.ino} holds ${inode.committed} pages, not ${pages}`);
    this.vmm.vmUnacctMemory(pages);
    inode.committed -= pages;
    this.committedPages -= pages;
  }

  /**
   * shmem_inode_acct_blocks: one page more for inode: Committed_AS for a VM_NORESERVE inode
   * (shmem_acct_blocks), then the mount's size= limit. false means ENOSPC.
   */
  inodeAcctBlock(inode: ShmemInode): boolean {
    if (inode.noreserve && !this.acct(inode, 1)) return false;
    const sb = inode.sb;
    if (sb.maxBlocks !== 0 && sb.usedBlocks + 1 > sb.maxBlocks) {
      if (inode.noreserve) this.unacct(inode, 1);
      return false;
    }
    sb.usedBlocks++;
    inode.alloced++;
    return true;
  }

  /** shmem_inode_unacct_blocks for `pages` pages that left inode (shmem_recalc_inode's freed). */
  inodeUnacctBlocks(inode: ShmemInode, pages: number): void {
    inode.sb.usedBlocks -= pages;
    inode.alloced -= pages;
    if (inode.noreserve) this.unacct(inode, pages);
  }

  /**
   * shmem_get_folio: the folio at index of inode, allocating a zeroed one for SGP_CACHE (or one
   * the caller fills for SGP_WRITE, not yet uptodate). Returns its pfn (with no extra reference:
   * the caller takes what it needs), -1 for a hole under SGP_READ, or -EINVAL (index at or past
   * EOF for SGP_READ/SGP_CACHE), -EFBIG, -ENOMEM, -ENOSPC.
   */
  getFolio(inode: ShmemInode, index: number, sgp: number): number {
    if (index > SHMEM_MAX_INDEX) return -EFBIG;
    if (sgp <= SGP_CACHE && index * PAGE_SIZE >= inode.size) return -EINVAL;
    const p = this.vmm.pages;
    let pfn = inode.pages.load(index);
    if (pfn >= 0) {
      if (sgp === SGP_WRITE) p.flags[p.idx(pfn)] |= REFERENCED; // folio_mark_accessed's first touch
      return pfn;
    }
    if (sgp === SGP_READ) return -1;
    if (sgp === SGP_NOALLOC) return -ENOSPC;
    pfn = this.allocAndAddFolio(inode, index);
    if (pfn < 0) return pfn;
    const i = p.idx(pfn);
    if (sgp === SGP_WRITE) p.flags[i] |= REFERENCED;
    else {
      this.vmm.ram.fill(pfn * PAGE_SIZE, PAGE_SIZE, 0); // clear_highpage
      p.flags[i] |= UPTODATE;
    }
    p.flags[i] &= ~LOCKED;
    return pfn;
  }

  /**
   * shmem_alloc_and_add_folio (order 0): a locked swap-backed folio entered at index, charged
   * to the mount and put on the LRU; its pfn, or -ENOMEM / -ENOSPC.
   */
  private allocAndAddFolio(inode: ShmemInode, index: number): number {
    const vmm = this.vmm;
    const pfn = vmm.phys.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    if (pfn < 0) return -ENOMEM;
    const p = vmm.pages;
    const i = p.idx(pfn);
    p.flags[i] = (p.flags[i]! & ~SHMEM_FOLIO_FLAGS) | LOCKED | SWAPBACKED;
    this.addToPageCache(inode, pfn, index);
    if (!this.inodeAcctBlock(inode)) {
      this.deleteFromPageCache(inode, index);
      return -ENOSPC;
    }
    vmm.reclaim.lruAdd(pfn);
    return pfn;
  }

  /** shmem_add_to_page_cache: the folio's mapping and index, i_pages, NR_FILE_PAGES and NR_SHMEM (shmem_update_stats). */
  private addToPageCache(inode: ShmemInode, pfn: number, index: number): void {
    const p = this.vmm.pages;
    const i = p.idx(pfn);
    p.mapping[i] = inode.mappingId << 1;
    p.index[i] = index;
    inode.pages.store(index, pfn);
    const c = this.vmm.phys.counters;
    c.add(this.slotFilePages, 1);
    c.add(this.slotShmem, 1);
    this.nrPages++;
  }

  /**
   * The page cache's side of truncate_inode_folio / filemap_remove_folio for a shmem folio: out of
   * i_pages, the stats back, and the cache's reference dropped (the folio is freed unless a
   * mapping still holds it: callers unmap first). Returns whether a folio was there.
   */
  deleteFromPageCache(inode: ShmemInode, index: number): boolean {
    const pfn = inode.pages.erase(index);
    if (pfn < 0) return false;
    const p = this.vmm.pages;
    p.flags[p.idx(pfn)] &= ~SHMEM_FOLIO_FLAGS;
    const c = this.vmm.phys.counters;
    c.add(this.slotFilePages, -1);
    c.add(this.slotShmem, -1);
    this.nrPages--;
    folioPut(this.vmm, pfn);
    return true;
  }

  /**
   * shmem_undo_range from byte `lstart` to the end of the file: folios wholly past lstart go, the
   * folio holding lstart (if any) is zeroed from there and marked dirty; the freed pages are
   * given back to the mount (shmem_recalc_inode). The caller unmapped the range first.
   */
  truncateRange(inode: ShmemInode, lstart: number): void {
    const start = Math.ceil(lstart / PAGE_SIZE);
    if (lstart % PAGE_SIZE !== 0) {
      const pfn = inode.pages.load(Math.floor(lstart / PAGE_SIZE));
      if (pfn >= 0) {
        const off = lstart % PAGE_SIZE;
        this.vmm.ram.fill(pfn * PAGE_SIZE + off, PAGE_SIZE - off, 0);
        const p = this.vmm.pages;
        p.flags[p.idx(pfn)] |= DIRTY;
      }
    }
    const doomed: number[] = [];
    inode.pages.forEach(start, SHMEM_MAX_INDEX, (index) => {
      doomed.push(index);
    });
    for (const index of doomed) this.deleteFromPageCache(inode, index);
    const freed = inode.alloced - inode.pages.size;
    if (freed > 0) this.inodeUnacctBlocks(inode, freed);
  }

  /**
   * shmem_setattr(ATTR_SIZE): the new size (a fixed-size object re-charges Committed_AS,
   * shmem_reacct_size: -ENOMEM when refused); shrinking unmaps the pages past the new end from
   * every mapping (private COW copies too) and truncates them. 0 or -errno (-EINVAL negative,
   * -EFBIG beyond the limit).
   */
  setSize(inode: ShmemInode, size: number): number {
    if (size < 0) return -EINVAL;
    if (size > (SHMEM_MAX_INDEX + 1) * PAGE_SIZE) return -EFBIG;
    const old = inode.size;
    if (size === old) return 0;
    if (!inode.noreserve) {
      const delta = vmAcct(size) - vmAcct(old);
      if (delta > 0 && !this.acct(inode, delta)) return -ENOMEM;
      if (delta < 0) this.unacct(inode, -delta);
    }
    inode.size = size;
    if (size < old) {
      const holebegin = Math.ceil(size / PAGE_SIZE);
      if (old > holebegin * PAGE_SIZE) unmapRange(this.vmm, inode.iMmap, holebegin);
      if (inode.alloced > 0) this.truncateRange(inode, size);
    }
    return 0;
  }

  /**
   * shmem_evict_inode + destroy: the last reference to an unlinked inode is gone: its size
   * charge, every page and its inode slot go back.
   */
  evictInode(inode: ShmemInode): void {
    if (inode.nlink !== 0 || inode.openCount !== 0 || inode.iMmap.iMmap.length !== 0) BUG("shmem_evict_inode", `inode ${inode.ino} still in use`);
    if (!inode.noreserve) this.unacct(inode, vmAcct(inode.size));
    inode.size = 0;
    this.truncateRange(inode, 0);
    if (inode.pages.size !== 0 || inode.alloced !== 0 || inode.committed !== 0) BUG("shmem_evict_inode", `inode ${inode.ino} keeps ${inode.pages.size} pages, ${inode.alloced} blocks, ${inode.committed} committed`);
    const slot = inode.mappingId - SHMEM_MAPPING_BASE;
    if (this.inodes[slot] !== inode) BUG("shmem_evict_inode", `inode ${inode.ino} not in its slot`);
    this.inodes[slot] = null;
    this.freeIds.push(slot);
    inode.sb.nrInodes--;
  }

  /** iput's end for an unlinked inode: evicted once no descriptor and no mapping holds it. */
  maybeEvict(inode: ShmemInode): void {
    if (inode.nlink === 0 && inode.openCount === 0 && inode.iMmap.iMmap.length === 0 && inode.mapRefs === 0) this.evictInode(inode);
  }
}

/**
 * unmap_mapping_range(mapping, first << PAGE_SHIFT, 0, even_cows = 1): every PTE at file pages >=
 * first in every VMA of the mapping goes, private COW copies included.
 */
export function unmapRange(vmm: VirtualMemory, mapping: AddressSpace, first: number): void {
  for (const vma of mapping.iMmap) {
    const start = Math.max(vma.vmStart, vma.vmStart + (first - vma.vmPgoff) * PAGE_SIZE);
    if (start < vma.vmEnd) zapPageRange(vmm, vma, start, vma.vmEnd);
  }
}

/** The machine's shmem state (made on first use). */
export function shmemOf(vmm: VirtualMemory): Shmem {
  return (vmm.shmem ??= new Shmem(vmm));
}
