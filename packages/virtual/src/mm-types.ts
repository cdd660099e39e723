// The objects of a process's address space (include/linux/mm_types.h, rmap.h, fs.h): mm_struct,
// vm_area_struct, anon_vma and anon_vma_chain, and the file/address_space a mapping refers to.
// Each kernel object remembers the slab object (kaddr) it was allocated from, so /proc/slabinfo
// moves as on Linux. The page-level state of an mm (pgd, rss counters, mm_cpumask) is here too.
import type { PteFlags } from "@mmsim/hardware";
import type { VmFault } from "./memory";
import { VmaTree } from "./vma-tree";
import { VmaIntervalTree } from "./interval-tree";

/** vm_operations_struct: the hooks a mapping's owner installs (only those the VMA layer calls). */
export interface VmOperations {
  /** a name for messages, e.g. "special_mapping" */
  readonly name: string;
  /** ->name: the name /proc/<pid>/maps shows (special_mapping_name: "[vdso]"), or null */
  getName?: (vma: VmAreaStruct) => string | null;
  /** ->open: called on a VMA duplicated by split or copy */
  open?: (vma: VmAreaStruct) => void;
  /** ->close: called when a VMA is unmapped; a VMA with one is never deleted by a merge */
  close?: (vma: VmAreaStruct) => void;
  /**
   * ->fault: finds the page of vmf.pgoff (vmf.vma's file); returns VM_FAULT_* bits and, when no
   * error bit is set, leaves the page with one reference for the mapping in `faultPage` (vmf->page)
   */
  fault?: (vmf: VmFault) => number;
  /** the page the last ->fault returned (vmf->page), -1 after an error */
  faultPage?: number;
}

/**
 * struct address_space's mapping side: i_mmap, every VMA mapping the file in an interval tree
 * keyed by the pgoffs it maps (interval-tree.ts), and i_mmap_writable, the number of shared
 * writable mappings.
 */
export class AddressSpace {
  readonly iMmap = new VmaIntervalTree();
  iMmapWritable = 0;
  /** a_ops: what the page-table code calls on the mapping's folios (null: nothing to tell, as shmem's noop_dirty_folio) */
  aOps: AddressSpaceOperations | null = null;
}

/** address_space_operations: the owner's hooks the VMA and page-table layer calls. */
export interface AddressSpaceOperations {
  /** ->dirty_folio through folio_mark_dirty: a dirty PTE of page-cache page pfn was zapped; true if the folio was clean */
  dirtyFolio(pfn: number): boolean;
}

/** Options of a file description handed to mmap. */
export interface VmFileOptions {
  /** device as "major:minor" numbers (maps shows them in hex) */
  dev?: [number, number];
  ino?: number;
  /** FMODE_READ (default true) */
  readable?: boolean;
  /** FMODE_WRITE (default false) */
  writable?: boolean;
  /** the mount is noexec */
  noexec?: boolean;
  /** the file has f_op->mmap (default true; false gives ENODEV) */
  mmap?: boolean;
  /** the vm_ops its ->mmap installs (default none) */
  vmOps?: VmOperations | null;
  /** shared mapping of an address_space (default a fresh one) */
  mapping?: AddressSpace;
  /**
   * f_op->fsync for msync(MS_SYNC) (vfs_fsync_range with datasync 1): writes the dirty pages of
   * file bytes [fstart, fend] and waits for them; 0 or -errno (default none: 0)
   */
  fsync?: (fstart: number, fend: number) => number;
  /** vfs_fadvise(file, offset, len, POSIX_FADV_WILLNEED) for madvise(MADV_WILLNEED): reads the range ahead (default none) */
  fadviseWillneed?: (offset: number, len: number) => void;
}

/** struct file as mmap sees it: modes, f_op->mmap, the inode's mapping, and f_count. */
export class VmFile {
  readonly dev: [number, number];
  readonly ino: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly noexec: boolean;
  readonly hasMmap: boolean;
  readonly vmOps: VmOperations | null;
  readonly mapping: AddressSpace;
  /** f_op->fsync over file bytes [fstart, fend] (null: nothing to write) */
  readonly fsync: ((fstart: number, fend: number) => number) | null;
  /** POSIX_FADV_WILLNEED through f_op->fadvise over file bytes [offset, offset + len) (null: ignored) */
  readonly fadviseWillneed: ((offset: number, len: number) => void) | null;
  /** f_count: references held (one per VMA mapping it, plus the opener's) */
  fCount = 1;

  constructor(
    readonly path: string,
    opts: VmFileOptions = {},
  ) {
    this.dev = opts.dev ?? [0, 0];
    this.ino = opts.ino ?? 0;
    this.readable = opts.readable ?? true;
    this.writable = opts.writable ?? false;
    this.noexec = opts.noexec ?? false;
    this.hasMmap = opts.mmap ?? true;
    this.vmOps = opts.vmOps ?? null;
    this.mapping = opts.mapping ?? new AddressSpace();
    this.fsync = opts.fsync ?? null;
    this.fadviseWillneed = opts.fadviseWillneed ?? null;
  }
}

/**
 * struct anon_vma: the root of the reverse map of anonymous pages. Every anonymous page of a VMA
 * points at its VMA's anon_vma; the anon_vma's tree (rbRoot, Linux's interval tree of chains)
 * lists every VMA that may map such a page: the VMA itself and, after fork, its children's.
 */
export class AnonVma {
  /** the root of this anon_vma's family (itself for a fresh one); shares the lock in Linux */
  root: AnonVma = this;
  /** the anon_vma this one was forked from (itself for a fresh one) */
  parent: AnonVma = this;
  /** references: one per chain in rbRoot's VMAs that own it, plus one per child (get_anon_vma) */
  refcount = 1;
  /** anon_vmas whose parent this is, counting itself (num_children) */
  numChildren = 0;
  /** VMAs whose vma->anon_vma is this one (num_active_vmas) */
  numActiveVmas = 0;
  /** anon_vma_chains linking VMAs to this anon_vma (rb_root) */
  readonly rbRoot: AnonVmaChain[] = [];

  constructor(
    readonly kaddr: number,
    /** handle stored in an anonymous page's mapping word ((id << 1) | PAGE_MAPPING_ANON) */
    readonly id: number,
  ) {}
}

/** struct anon_vma_chain: one (VMA, anon_vma) link, on vma.anonVmaChain and anonVma.rbRoot. */
export class AnonVmaChain {
  constructor(
    readonly kaddr: number,
    readonly vma: VmAreaStruct,
    readonly anonVma: AnonVma,
  ) {}
}

/** struct vm_area_struct: one mapped range [vmStart, vmEnd) of an mm. */
export class VmAreaStruct {
  vmStart = 0;
  /** exclusive */
  vmEnd = 0;
  /** offset of vmStart in the file, in pages; for anonymous VMAs vmStart >> PAGE_SHIFT at creation */
  vmPgoff = 0;
  /** VM_* bits (int32) */
  vmFlags = 0;
  /** the PTE protection (protection_map[flags & (READ|WRITE|EXEC|SHARED)]) */
  vmPageProt!: PteFlags;
  vmFile: VmFile | null = null;
  vmOps: VmOperations | null = null;
  anonVma: AnonVma | null = null;
  /** this VMA's anon_vma_chains, newest first (list_add at the head, as Linux) */
  readonly anonVmaChain: AnonVmaChain[] = [];
  /** PR_SET_VMA_ANON_NAME (null: none) */
  anonName: string | null = null;
  /** true once removed from its mm (vma_mark_detached) */
  detached = true;
  /** shared.rb: this VMA's node in its file's i_mmap tree (-1: not linked) */
  iMmapNode = -1;

  constructor(
    readonly vmMm: MmStruct,
    /** the slab object (vm_area_struct) backing this VMA */
    readonly kaddr: number,
  ) {}

  /** vma_pages */
  get pages(): number {
    return (this.vmEnd - this.vmStart) / 4096;
  }
}

/** CPUs an mm_cpumask covers: the kernel's machine config allows 1-64 CPUs (kernel/src/config.ts). */
export const MM_MAX_CPUS = 64;

/** Resource limits of the task owning an mm, in bytes (Infinity: RLIM_INFINITY). */
export interface MmRlimits {
  /** RLIMIT_AS */
  as: number;
  /** RLIMIT_DATA */
  data: number;
  /** RLIMIT_MEMLOCK (Linux's default since 5.16: 8 MiB) */
  memlock: number;
  /** RLIMIT_STACK (8 MiB by default) */
  stack: number;
}

/** struct mm_struct: one address space. */
export class MmStruct {
  /** the VMAs (mm_mt) */
  readonly mmMt = new VmaTree();
  mapCount = 0;
  mmapBase = 0;
  taskSize = 0;
  startCode = 0;
  endCode = 0;
  startData = 0;
  endData = 0;
  startBrk = 0;
  brk = 0;
  startStack = 0;
  /** the argument and environment strings exec wrote on the stack (arg_start..env_end; 0 before an exec) */
  argStart = 0;
  argEnd = 0;
  envStart = 0;
  envEnd = 0;
  /** saved_auxv: the auxiliary vector exec wrote, [type, value] pairs ending with AT_NULL (/proc/<pid>/auxv) */
  savedAuxv: readonly number[] = [];
  /** context.flags MM_CONTEXT_HAS_VSYSCALL: set by a 64-bit exec (set_personality_64bit); maps then shows the gate area */
  hasVsyscall = false;
  /**
   * Faults resolved for the task running on this mm (mm_account_fault: current->min_flt / maj_flt).
   * mmsim runs one task per mm, so the mm stands for `current`; the task adds them up at exec and exit.
   */
  minFlt = 0;
  majFlt = 0;
  /** pages mapped (VmSize) */
  totalVm = 0;
  /** pages with VM_LOCKED (VmLck) */
  lockedVm = 0;
  pinnedVm = 0;
  /** private writable, not stack (VmData) */
  dataVm = 0;
  /** executable, not writable, not stack (VmExe + VmLib) */
  execVm = 0;
  /** VM_STACK (VmStk) */
  stackVm = 0;
  /** high-water mark of totalVm (VmPeak) */
  hiwaterVm = 0;
  /** VM_* bits every new mapping gets (mlockall(MCL_FUTURE) sets VM_LOCKED here) */
  defFlags = 0;
  /** mm_users */
  mmUsers = 1;
  readonly rlimits: MmRlimits = { as: Infinity, data: Infinity, memlock: 8 * 1024 * 1024, stack: 8 * 1024 * 1024 };
  /** the task holds CAP_IPC_LOCK (mlock beyond RLIMIT_MEMLOCK) */
  capIpcLock = false;
  /** physical address of the top-level page table (mm->pgd; -1 before mm_alloc_pgd) */
  pgd = -1;
  /** bytes of user page tables, the pgd included (mm->pgtables_bytes, VmPTE) */
  pgtablesBytes = 0;
  /** rss_stat by MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES (include/linux/mm_types_task.h) */
  readonly rssStat = [0, 0, 0, 0];
  /** high-water mark of the rss (VmHWM), raised before the rss drops (update_hiwater_rss) */
  hiwaterRss = 0;
  /** mm_cpumask: cpuMask[c] is 1 once CPU c has run this mm (its TLB may cache its translations); up to MM_MAX_CPUS */
  readonly cpuMask = new Uint8Array(MM_MAX_CPUS);
  /** MMF_HUGE_ZERO_FOLIO: this mm holds a reference on the huge zero folio (mm_get_huge_zero_folio) */
  hugeZeroFolio = false;
  /**
   * pmd_huge_pte: the PTE table deposited for each huge PMD (pgtable_trans_huge_deposit), by the
   * physical address of the PMD entry; a split withdraws it. Its size is the number of huge PMDs.
   */
  readonly pmdHugePte = new Map<number, number>();

  constructor(
    /** the slab object (mm_struct) */
    readonly kaddr: number,
  ) {}
}
