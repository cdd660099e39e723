// mmfs: a small filesystem over one simulated block device, and the page-cache plumbing every
// file shares (the superblock, its backing_dev_info and its one bdi_writeback). Files are inodes
// in one flat namespace (paths are names, no directories), each with a block map pgoff -> 4 KiB
// disk block, allocated at write-back time (delayed allocation, as ext4's delalloc: a dirtied hole
// reserves a block so ENOSPC comes at write() time). Metadata lives in memory only: no inode
// table, bitmap or journal on disk, so no buffer-head pages and Buffers: stays 0.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import type { Clock } from "@mmsim/base";
import type { BlockDevice, DmaEngine } from "@mmsim/hardware";
import { COPY_BYTES_PER_CYCLE, SECTOR_SIZE } from "@mmsim/hardware";
import { AddressSpace } from "../mm-types";
import type { VirtualMemory } from "../virtual-memory";
import { XArray } from "./xarray";
import type { Cpu } from "@mmsim/hardware";
import type { MmStruct, VmFile } from "../mm-types";
import type { File } from "./file-table";

/** Sectors per 4 KiB block. */
const BLOCK_SECTORS = PAGE_SIZE / SECTOR_SIZE;
/** A block-map entry of a page that has no disk block (a hole). */
export const BLOCK_HOLE = -1;
/** A block-map entry of a dirtied hole: one block reserved, allocated at write-back (delalloc). */
export const BLOCK_DELALLOC = -2;
/** VM_READAHEAD_PAGES (include/linux/mm.h): SZ_128K / PAGE_SIZE, the default read_ahead_kb 128. */
export const VM_READAHEAD_PAGES = (128 * 1024) / PAGE_SIZE;
/** fault_around_bytes (mm/memory.c): rounddown_pow_of_two(SZ_64K); debugfs /sys/kernel/debug/fault_around_bytes. */
export const DEFAULT_FAULT_AROUND_BYTES = 65536;
/** The largest file: page indices stay below 2^32 (mmsim's s_maxbytes, 16 TiB). */
export const MMFS_MAX_BYTES = 2 ** 32 * PAGE_SIZE;

/** The write-back knobs of /proc/sys/vm (mm/page-writeback.c, Linux's defaults). */
export interface WritebackSysctls {
  /** vm.dirty_ratio: 20 (percent of dirtyable memory) */
  dirtyRatio: number;
  /** vm.dirty_background_ratio: 10 */
  dirtyBackgroundRatio: number;
  /** vm.dirty_bytes / dirty_background_bytes: 0 (unused; a non-zero value overrides the ratio) */
  dirtyBytes: number;
  dirtyBackgroundBytes: number;
  /** vm.dirty_expire_centisecs: 3000 (an inode dirty for 30 s is written by the periodic flush) */
  dirtyExpireCentisecs: number;
  /** vm.dirty_writeback_centisecs: 500 (the flusher wakes every 5 s) */
  dirtyWritebackCentisecs: number;
}

export const DEFAULT_WRITEBACK_SYSCTLS: Readonly<WritebackSysctls> = Object.freeze({
  dirtyRatio: 20, dirtyBackgroundRatio: 10, dirtyBytes: 0, dirtyBackgroundBytes: 0, dirtyExpireCentisecs: 3000, dirtyWritebackCentisecs: 500,
});

export interface FileSystemConfig {
  vmm: VirtualMemory;
  dev: BlockDevice;
  dma: DmaEngine;
  clock: Clock;
  /** cycles of one system call's entry and exit (the hardware cost model's syscallEntryExit) */
  syscallCycles?: number;
  /** bytes a CPU copy moves per cycle (the hardware cost model's copyBytesPerCycle; default COPY_BYTES_PER_CYCLE) */
  copyBytesPerCycle?: number;
  /** bdi->ra_pages (read_ahead_kb / 4; default VM_READAHEAD_PAGES) */
  raPages?: number;
  /** bdi->io_pages (the device's max_sectors_kb / 4; default VM_READAHEAD_PAGES) */
  ioPages?: number;
  /** the file LRU pages (NR_ACTIVE_FILE + NR_INACTIVE_FILE) global_dirtyable_memory adds; default 0: no LRU yet */
  fileLruPages?: () => number;
  sysctls?: Partial<WritebackSysctls>;
}

/**
 * The operations of an inode that is not mmfs's own (tmpfs: shmem/shmem-file.ts): what the file
 * system calls use instead of the page-cache and block paths (i_fop->read_iter, ->write_iter,
 * ->fsync, ->mmap, i_op->setattr for a size, s_op->evict_inode). Results as the callers' own.
 */
export interface InodeOps {
  readIter(file: File, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number): number;
  writeIter(file: File, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number): number;
  setSize(inode: Inode, size: number): number;
  evict(inode: Inode): void;
  fsync(inode: Inode): number;
  mmap(file: File): VmFile;
}

/** A filesystem mounted at a directory of the namespace (tmpfs at /dev/shm/): it makes the inodes of the names under it. */
export interface FsMount {
  /** the mount point with its trailing slash, e.g. "/dev/shm/" */
  readonly prefix: string;
  /** a new inode for `name` (nlink 1, not yet in the namespace), or -errno (ENOSPC, ENOENT) */
  createInode(name: string): Inode | number;
}

/** struct inode with its address_space (i_pages) and its block map. */
export class Inode {
  /** the inode's own operations (null: an mmfs file, served by the page cache and the disk) */
  ops: InodeOps | null = null;
  /** i_size in bytes */
  size = 0;
  /** links from the namespace (0 once unlinked) */
  nlink = 1;
  /** open struct files */
  openCount = 0;
  /** i_pages: pgoff -> pfn of the cached folio */
  readonly pages = new XArray();
  /** i_mmap and i_mmap_writable, for file mappings (the VMA layer's AddressSpace) */
  readonly iMmap = new AddressSpace();
  /** block map: disk block of each pgoff, BLOCK_HOLE, or BLOCK_DELALLOC */
  blocks = new Int32Array(0);
  /** pages of this mapping with PG_dirty / PG_writeback */
  nrDirty = 0;
  nrWriteback = 0;
  /** I_DIRTY_PAGES: on the writeback's b_dirty list since dirtiedWhen (jiffies) */
  dirty = false;
  dirtiedWhen = 0;
  /** a write-back failed since the last fsync (mapping_set_error; fsync reports EIO once) */
  wbErr = false;

  constructor(
    readonly ino: number,
    /** the handle its pages keep in their mapping word (id << 1, PAGE_MAPPING_ANON clear) */
    readonly mappingId: number,
    public name: string,
  ) {}

  /** The block of pgoff (BLOCK_HOLE beyond the map). */
  block(pgoff: number): number {
    return pgoff < this.blocks.length ? this.blocks[pgoff]! : BLOCK_HOLE;
  }

  /** Sets the block of pgoff, growing the map. */
  setBlock(pgoff: number, b: number): void {
    if (pgoff >= this.blocks.length) {
      const grown = new Int32Array(Math.max(pgoff + 1, this.blocks.length * 2, 16)).fill(BLOCK_HOLE);
      grown.set(this.blocks);
      this.blocks = grown;
    }
    this.blocks[pgoff] = b;
  }
}

/** I/O kinds in the completion queue. */
export const IO_READ = 0;
export const IO_WRITE = 1;

/**
 * The filesystem of one machine. The device is FIFO (one request at a time), so I/O completes in
 * submission order: the completion queue is a FIFO of [pfn, kind, completion time]. Time moves
 * only forward: runUntil(t) completes the I/O and runs the flusher wake-ups due up to t, in order.
 */
export class FileSystem {
  declare readonly vmm: VirtualMemory;
  declare readonly dev: BlockDevice;
  declare readonly dma: DmaEngine;
  declare readonly clock: Clock;
  declare readonly syscallCycles: number;
  declare readonly copyBytesPerCycle: number;
  declare readonly raPages: number;
  declare readonly ioPages: number;
  declare readonly fileLruPages: () => number;
  declare readonly sysctl: WritebackSysctls;
  /** the namespace: name -> inode */
  readonly names = new Map<string, Inode>();
  /** filesystems mounted in the namespace (tmpfs at /dev/shm/), looked up by prefix */
  readonly mounts: FsMount[] = [];
  /** live inodes by mapping id (index 0 unused) */
  readonly inodeByMapping: (Inode | null)[] = [null];
  private readonly freeMappingIds: number[] = [];
  private nextIno = 12;
  /** block allocation: 1 = used; block 0 stands for the superblock */
  declare readonly blockUsed: Uint8Array;
  nrFreeBlocks = 0;
  /** blocks promised to dirtied holes (delalloc reservations) */
  nrReservedBlocks = 0;
  private blockCursor = 1;
  /** b_dirty: inodes with dirty pages, oldest dirtiedWhen first */
  readonly bDirty: Inode[] = [];
  /** in-flight I/O (FIFO): pfn, kind, completion ns */
  readonly ioPfn: number[] = [];
  readonly ioKind: number[] = [];
  readonly ioDone: number[] = [];
  ioHead = 0;
  /** the flusher's next wake-up (ns, on a jiffy), or -1 when not armed (wb_wakeup_delayed) */
  nextWakeNs = -1;
  /** wb->last_old_flush (jiffies) */
  lastOldFlush = 0;
  /** bdp_ratelimits: pages dirtied on each CPU since one of its writers last balanced */
  readonly bdpRatelimits: number[] = [];
  /** dirty_exceeded (the writer is throttled) and how many times a writer was paused */
  dirtyExceeded = false;
  nrThrottled = 0;
  /** the folio filemap_fault returns (vmf->page), or -1 */
  faultPfn = -1;
  /** fault_around_bytes: the window do_read_fault maps from the cache (a power of two, 4096 turns it off) */
  faultAroundBytes = DEFAULT_FAULT_AROUND_BYTES;
  /** the folio batch filemap_read fills (reads do not nest) */
  readonly readBatch: number[] = [];
  /** Counters slots */
  declare readonly slot: Readonly<Record<FileCounter, number>>;

  constructor(cfg: FileSystemConfig) {
    this.vmm = cfg.vmm;
    this.dev = cfg.dev;
    this.dma = cfg.dma;
    this.clock = cfg.clock;
    this.syscallCycles = cfg.syscallCycles ?? 0;
    this.copyBytesPerCycle = cfg.copyBytesPerCycle ?? COPY_BYTES_PER_CYCLE;
    this.raPages = cfg.raPages ?? VM_READAHEAD_PAGES;
    this.ioPages = cfg.ioPages ?? VM_READAHEAD_PAGES;
    this.fileLruPages = cfg.fileLruPages ?? (() => 0);
    this.sysctl = { ...DEFAULT_WRITEBACK_SYSCTLS, ...cfg.sysctls };
    const nrBlocks = Math.floor(cfg.dev.bytes / PAGE_SIZE);
    if (nrBlocks < 2) BUG("FileSystem", `device ${cfg.dev.name} holds fewer than 2 blocks`);
    this.blockUsed = new Uint8Array(nrBlocks);
    this.blockUsed[0] = 1;
    this.nrFreeBlocks = nrBlocks - 1;
    const c = cfg.vmm.phys.counters;
    const slot = {} as Record<FileCounter, number>;
    for (const n of FILE_COUNTERS) slot[n] = c.id(n);
    this.slot = slot;
  }

  /**
   * Adds delta to a counter. NR_ZONE_WRITE_PENDING moves with NR_FILE_DIRTY and NR_WRITEBACK
   * (folio_account_dirtied, folio_clear_dirty_for_io, folio_start_writeback, folio_end_writeback).
   */
  count(name: FileCounter, delta = 1): void {
    const c = this.vmm.phys.counters;
    c.add(this.slot[name], delta);
    if (name === "nr_dirty" || name === "nr_writeback") c.add(this.slot.nr_zone_write_pending, delta);
  }

  /** A new inode named `name` (nlink 1, empty), entered in the namespace. */
  newInode(name: string): Inode {
    const id = this.freeMappingIds.length > 0 ? this.freeMappingIds.pop()! : this.inodeByMapping.length;
    const inode = new Inode(this.nextIno++, id, name);
    this.inodeByMapping[id] = inode;
    this.names.set(name, inode);
    return inode;
  }

  /**
   * A new inode for `name` in the namespace: the mount's whose prefix the name has, else mmfs's.
   * The inode, or -errno from the mount.
   */
  createInode(name: string): Inode | number {
    for (const m of this.mounts) {
      if (!name.startsWith(m.prefix)) continue;
      const inode = m.createInode(name);
      if (typeof inode !== "number") this.names.set(name, inode);
      return inode;
    }
    return this.newInode(name);
  }

  /** Forgets an inode whose pages and blocks are gone (evict/destroy_inode). */
  destroyInode(inode: Inode): void {
    if (inode.pages.size !== 0 || inode.nlink !== 0 || inode.openCount !== 0) BUG("destroy_inode", `inode ${inode.ino} still in use`);
    this.inodeByMapping[inode.mappingId] = null;
    this.freeMappingIds.push(inode.mappingId);
  }

  /** The inode whose mapping id a page's mapping word holds, or null. */
  inodeOfPage(pfn: number): Inode | null {
    const m = this.vmm.pages.mapping[this.vmm.pages.idx(pfn)]!;
    if (m === 0 || (m & 1) !== 0) return null;
    return this.inodeByMapping[m >>> 1] ?? null;
  }

  /** Reserves one block for a dirtied hole; false when the disk is full (ENOSPC). */
  reserveBlock(): boolean {
    if (this.nrFreeBlocks - this.nrReservedBlocks <= 0) return false;
    this.nrReservedBlocks++;
    return true;
  }

  /** Allocates a reserved block (next fit from the last allocation). */
  allocReservedBlock(): number {
    if (this.nrReservedBlocks <= 0) BUG("allocReservedBlock", "no reservation");
    const n = this.blockUsed.length;
    for (let k = 0; k < n; k++) {
      const b = (this.blockCursor + k) % n;
      if (this.blockUsed[b] === 0) {
        this.blockUsed[b] = 1;
        this.nrFreeBlocks--;
        this.nrReservedBlocks--;
        this.blockCursor = b + 1;
        return b;
      }
    }
    return BUG("allocReservedBlock", "a reservation without a free block");
  }

  /** Frees a disk block. */
  freeBlock(b: number): void {
    if (this.blockUsed[b] !== 1 || b === 0) BUG("freeBlock", `block ${b} is not in use`);
    this.blockUsed[b] = 0;
    this.nrFreeBlocks++;
  }

  /** The first sector of block b. */
  sectorOf(b: number): number {
    return b * BLOCK_SECTORS;
  }

  /** Queues the completion of an I/O on pfn at doneNs (the device is FIFO: times never decrease). */
  queueIo(pfn: number, kind: number, doneNs: number): void {
    this.ioPfn.push(pfn);
    this.ioKind.push(kind);
    this.ioDone.push(doneNs);
  }

  /** In-flight I/O requests. */
  get ioInFlight(): number {
    return this.ioPfn.length - this.ioHead;
  }
}

/** The counters this layer moves: Linux's vmstat items, and mmsim's counters of the I/O path. */
export const FILE_COUNTERS = [
  "nr_file_pages", "nr_dirty", "nr_writeback", "nr_zone_write_pending", "nr_dirtied", "nr_written", "pgpgin", "pgpgout",
  /** system calls entered, and user/kernel mode switches (two per call: entry and return) */
  "mmsim_syscalls", "mmsim_mode_switches",
  /** CPU copies between user memory and the page cache (one per call that moved bytes), and bytes */
  "mmsim_cpu_copies", "mmsim_cpu_copy_bytes",
  /** DMA copies between the disk and the page cache (one per request of contiguous blocks), and bytes */
  "mmsim_dma_copies", "mmsim_dma_copy_bytes",
  /** sleeps of writers in balance_dirty_pages (io_schedule_timeout of a pause) */
  "mmsim_dirty_throttled",
] as const;
export type FileCounter = (typeof FILE_COUNTERS)[number];
