// The virtual-memory layer of one machine: the slab caches of mm_struct, vm_area_struct, anon_vma
// and anon_vma_chain (kernel/fork.c, mm/rmap.c, 6.18 object sizes), the sysctls of mm/mmap.c and
// mm/util.c, vm_committed_as with __vm_enough_memory, and the hooks through which page-level work
// (zapping, populating, changing protections, moving page tables: page-hooks.ts). It also holds
// the page level's machine state: RAM, struct page, the CPUs and MMU, the shared zero page, the
// anon_vma handles stored in pages' mapping words, and the Counters slots it moves.
import {
  BUG, PAGE_SIZE as PAGE_SIZE_,
} from "@mmsim/base";
import {
  x86Layout as x86Layout_,
} from "@mmsim/hardware";
import type { Cpu, Mmu, PagingLevels, Ram } from "@mmsim/hardware";
import {
  WalkResult,
} from "@mmsim/hardware";
import type { KernelAlloc, SlabCacheInfo } from "@mmsim/kernel-alloc";
import {
  KERNEL_CACHES as KERNEL_CACHES_,
} from "@mmsim/kernel-alloc";
import {
  GFP_KERNEL as GFP_KERNEL_, PhysicalMemory, __GFP_ZERO as __GFP_ZERO_,
} from "@mmsim/physical";
import type { PageArray } from "@mmsim/physical";
import {
  AnonVma, AnonVmaChain, MmStruct, VmAreaStruct,
} from "./mm-types";
import type { VmaPageHooks } from "./hooks";
import { OVERCOMMIT_ALWAYS, OVERCOMMIT_GUESS } from "./mm-flags";
import type { ReclaimHooks } from "./hooks";
import {
  NOOP_RECLAIM_HOOKS as NOOP_RECLAIM_HOOKS_,
} from "./hooks";
import {
  pageVmaPageHooks,
} from "./page-hooks";
import { PageTableAlloc, freePgtables, mmAllocPgd, mmFreePgd } from "./pgtable";
import type { UserArch } from "./pgtable-types";
import { I386_TASK_SIZE, pgtableFormat } from "./pgtable-types";
import { VmFault } from "./memory";
import { ThpState } from "./huge-mm";
import { mmPutHugeZeroFolio } from "./huge-memory";
import type { ThpEnabled } from "./huge-mm";
import type { FaultSignal } from "./fault";
import type { Shmem } from "./shmem/shmem";
import { userLoad, userMemcpy, userMemset, userStore } from "./user-access";
import { dupMm } from "./fork";
import { exitMmap } from "./syscalls";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const PAGE_SIZE = PAGE_SIZE_;
const x86Layout = x86Layout_;
const KERNEL_CACHES = KERNEL_CACHES_;
const GFP_KERNEL = GFP_KERNEL_;
const NOOP_RECLAIM_HOOKS = NOOP_RECLAIM_HOOKS_;
const __GFP_ZERO = __GFP_ZERO_;

/** DEFAULT_MAX_MAP_COUNT = USHRT_MAX - MAPCOUNT_ELF_CORE_MARGIN = 65535 - 5 (include/linux/mm.h). */
export const DEFAULT_MAX_MAP_COUNT = 65530;
/** stack_guard_gap = 256UL << PAGE_SHIFT (mm/mmap.c). */
export const DEFAULT_STACK_GUARD_GAP = 256 * PAGE_SIZE;
/** mmap_min_addr on the 6.18 reference machine (CONFIG_DEFAULT_MMAP_MIN_ADDR 4096; distros ship 65536). */
export const DEFAULT_MMAP_MIN_ADDR = 4096;
export { OVERCOMMIT_GUESS, OVERCOMMIT_ALWAYS, OVERCOMMIT_NEVER } from "./mm-flags";

/** The sysctls this layer reads (/proc/sys/vm/...). */
export interface VirtualSysctls {
  maxMapCount: number;
  mmapMinAddr: number;
  /** bytes (the stack_guard_gap= boot parameter is in pages) */
  stackGuardGap: number;
  overcommitMemory: number;
  overcommitRatio: number;
  overcommitKbytes: number;
  adminReserveKbytes: number;
  userReserveKbytes: number;
}

export interface VirtualConfig {
  alloc: KernelAlloc;
  /** paging depth (TASK_SIZE) of x86_64: 4 (default) or 5 */
  levels?: PagingLevels;
  /** the user tables' format: x86_64's (default) or i386's, with the 3G/1G split (pgtable-types.ts) */
  arch?: UserArch;
  /** with arch i386: PAE paging (CONFIG_X86_PAE) instead of 2-level 32-bit paging */
  pae?: boolean;
  /** totalram_pages() for overcommit (default: no limit) */
  totalramPages?: number;
  /** total swap pages for overcommit (default 0) */
  totalSwapPages?: number;
  /** CONFIG_MEM_SOFT_DIRTY: new and expanded VMAs get VM_SOFTDIRTY (default false, as the 6.18 reference) */
  softDirty?: boolean;
  /** CONFIG_TRANSPARENT_HUGEPAGE: PMD-multiple anonymous mappings are PMD-aligned (default true) */
  thp?: boolean;
  /** /sys/kernel/mm/transparent_hugepage/enabled at boot (default madvise, the reference machine's) */
  thpEnabled?: ThpEnabled;
  /** overrides of the page-level work the VMA operations call (default: page-hooks.ts) */
  hooks?: Partial<VmaPageHooks>;
  /** the page allocator (default: the one kernel-alloc was booted on) */
  phys?: PhysicalMemory;
  /** the CPUs tasks run on and the MMU translating for them (needed by load/store/memset/memcpy) */
  cpus?: readonly Cpu[];
  mmu?: Mmu;
  /** what the reclaim layer fills: swap-in, swap entries, LRU insertion/removal */
  reclaim?: Partial<ReclaimHooks>;
  sysctls?: Partial<VirtualSysctls>;
}

/** The objects of this layer alive in the slab caches (verify() recounts them). */
export interface VirtualObjectCounts {
  mmStruct: number;
  vmAreaStruct: number;
  anonVma: number;
  anonVmaChain: number;
}

export class VirtualMemory {
  declare readonly ka: KernelAlloc;
  declare readonly sysctl: VirtualSysctls;
  declare readonly hooks: VmaPageHooks;
  declare readonly taskSize: number;
  declare readonly defaultMapWindow: number;
  declare readonly softDirty: boolean;
  declare readonly thp: boolean;
  /** THP knobs, the huge zero folio and the large-folio fields (huge-mm.ts) */
  declare readonly thpState: ThpState;
  declare totalramPages: number;
  declare totalSwapPages: number;
  /** vm_committed_as, in pages (Committed_AS) */
  committedAs = 0;
  /** live objects per cache */
  readonly live: VirtualObjectCounts = { mmStruct: 0, vmAreaStruct: 0, anonVma: 0, anonVmaChain: 0 };
  declare readonly phys: PhysicalMemory;
  declare readonly ram: Ram;
  declare readonly pages: PageArray;
  declare readonly levels: PagingLevels;
  /** "x86_64", or "i386" (3G/1G split, 32-bit user tables) */
  declare readonly arch: UserArch;
  /** i386 with PAE paging */
  declare readonly pae: boolean;
  // The user page-table format (pgtable-types.ts), read once per walk so the JIT sees constants.
  /** levels of the user tables: 2 (i386), 3 (PAE), 4 or 5 (x86_64) */
  declare readonly pgtLevels: number;
  /** log2 of an entry's bytes: 3 (8-byte entries), 2 (i386's 4-byte entries) */
  declare readonly entryShift: number;
  /** PTRS_PER_PTE - 1: 511, or 1023 on i386 */
  declare readonly pteIndexMask: number;
  /** PMD_SHIFT: 21, or 22 on i386 (the pmd folds into the pgd, pgtable-nopmd.h) */
  declare readonly pmdShift: number;
  /** entries of the table the PMD entries live in, less one: 511, or 1023 (i386's pgd) */
  declare readonly pmdIndexMask: number;
  /** PMD_SIZE: what one PTE table maps (2 MiB, or 4 MiB on i386) */
  declare readonly pmdSize: number;
  /** where the user tables' reach ends: 2^48, 2^57, or 2^32 on i386 */
  declare readonly vaTop: number;
  declare readonly cpus: readonly Cpu[];
  declare readonly mmu: Mmu | null;
  declare readonly reclaim: ReclaimHooks;
  /** pfn of the shared zero page (empty_zero_page; never refcounted or mapcounted, as pte_special) */
  declare readonly zeroPfn: number;
  /** live anon_vmas by id (the handle anonymous pages keep in their mapping word) */
  readonly anonVmaById: (AnonVma | null)[] = [null];
  private readonly freeAnonVmaIds: number[] = [];
  /** Counters slots (resolved once) */
  declare readonly slotPgfault: number;
  declare readonly slotPgmajfault: number;
  declare readonly slotAnonPages: number;
  declare readonly slotPageTables: number;
  declare readonly slotPgreuse: number;
  /** user page-table pages allocated (pgds included), and mapped anonymous pages (this layer's share of PageTables and AnonPages) */
  nrPgtablePages = 0;
  nrAnonPages = 0;
  /** the vm_fault of the fault being handled */
  readonly vmf = new VmFault();
  /** the translation result user accesses reuse */
  readonly walk = new WalkResult();
  /** copy_page_range's scratch: one PTE table's entries as low/high words (1024 entries on i386) */
  readonly pteScratch = new Uint32Array(2048);
  /** the signal of the last failed user access */
  lastSignal: FaultSignal | null = null;
  /** shm_mnt and every shmem inode (shmem/shmem.ts), made by shmemOf on first use */
  shmem: Shmem | null = null;
  /** the AllocTable user page tables are built with */
  declare readonly pgtableAlloc: PageTableAlloc;
  private declare readonly mmCache: SlabCacheInfo;
  private declare readonly vmaCache: SlabCacheInfo;
  private declare readonly anonVmaCache: SlabCacheInfo;
  private declare readonly avcCache: SlabCacheInfo;

  constructor(config: VirtualConfig) {
    this.ka = config.alloc;
    const layout = x86Layout(config.levels ?? 4);
    const fmt = pgtableFormat(config.arch ?? "x86_64", config.pae ?? false, config.levels ?? 4);
    this.arch = config.arch ?? "x86_64";
    this.pae = this.arch === "i386" && (config.pae ?? false);
    this.pgtLevels = fmt.levels;
    this.entryShift = fmt.entryShift;
    this.pteIndexMask = fmt.pteIndexMask;
    this.pmdShift = fmt.pmdShift;
    this.pmdIndexMask = fmt.pmdIndexMask;
    this.pmdSize = fmt.pmdSize;
    this.vaTop = fmt.vaTop;
    // i386: TASK_SIZE = DEFAULT_MAP_WINDOW = __PAGE_OFFSET (arch/x86/include/asm/page_32_types.h)
    this.taskSize = this.arch === "i386" ? I386_TASK_SIZE : layout.TASK_SIZE;
    this.defaultMapWindow = this.arch === "i386" ? I386_TASK_SIZE : layout.DEFAULT_MAP_WINDOW;
    this.softDirty = config.softDirty ?? false;
    // i386_defconfig has no CONFIG_TRANSPARENT_HUGEPAGE: 32-bit tasks get 4 KiB pages only
    this.thp = this.arch === "i386" ? false : config.thp ?? true;
    this.totalramPages = config.totalramPages ?? Infinity;
    this.totalSwapPages = config.totalSwapPages ?? 0;
    this.hooks = { ...pageVmaPageHooks(this), ...config.hooks };
    const phys = config.phys ?? this.ka.config.phys;
    if (!(phys instanceof PhysicalMemory)) BUG("VirtualMemory", "no PhysicalMemory: pass config.phys");
    this.phys = phys;
    this.ram = this.ka.config.ram;
    this.pages = phys.pages;
    this.levels = config.levels ?? 4;
    this.cpus = config.cpus ?? [];
    // the CPUs walk the user tables in their format (CR4.PAE and EFER.LME as the kernel's head code sets them)
    for (const cpu of this.cpus) cpu.setPagingFormat(fmt.cpuFormat);
    this.mmu = config.mmu ?? null;
    this.reclaim = { ...NOOP_RECLAIM_HOOKS, ...config.reclaim };
    const c = phys.counters;
    this.slotPgfault = c.id("pgfault");
    this.slotPgmajfault = c.id("pgmajfault");
    this.slotAnonPages = c.id("nr_anon_pages");
    this.slotPageTables = c.id("nr_page_table_pages");
    this.slotPgreuse = c.id("pgreuse");
    this.pgtableAlloc = new PageTableAlloc(this);
    this.thpState = new ThpState(phys, config.thpEnabled ?? "madvise");
    // empty_zero_page lives in the kernel image's bss on Linux; here it is one page taken at boot.
    const z = phys.allocPages(GFP_KERNEL | __GFP_ZERO, 0);
    if (z < 0) BUG("VirtualMemory", "no page for the zero page");
    this.zeroPfn = z;
    this.sysctl = {
      maxMapCount: DEFAULT_MAX_MAP_COUNT, mmapMinAddr: DEFAULT_MMAP_MIN_ADDR, stackGuardGap: DEFAULT_STACK_GUARD_GAP,
      overcommitMemory: OVERCOMMIT_GUESS, overcommitRatio: 50, overcommitKbytes: 0,
      adminReserveKbytes: 8192, userReserveKbytes: 131072, ...config.sysctls,
    };
    this.mmCache = this.cache("mm_struct");
    this.vmaCache = this.cache("vm_area_struct");
    this.anonVmaCache = this.cache("anon_vma");
    this.avcCache = this.cache("anon_vma_chain");
  }

  /** The boot cache of that name, created with the 6.18 size when the kernel was booted without them. */
  private cache(name: string): SlabCacheInfo {
    const have = this.ka.cache(name);
    if (have) return have;
    const spec = KERNEL_CACHES.find((c) => c.name === name);
    if (!spec) BUG("VirtualMemory", `no cache spec for ${name}`);
    const c = this.ka.kmemCacheCreate(name, spec.size, 0, spec.flags);
    if (!c) BUG("VirtualMemory", `cannot create cache ${name}`);
    return c;
  }

  // ---- object allocation (vm_area_alloc, anon_vma_alloc, ...): null on ENOMEM -------------------

  /** mm_alloc: a fresh mm with an empty address space and its pgd (mm_alloc_pgd), or null. */
  mmAlloc(): MmStruct | null {
    const p = this.ka.kmemCacheAlloc(this.mmCache, GFP_KERNEL, "mm_alloc");
    if (p === 0) return null;
    const mm = new MmStruct(p);
    if (!mmAllocPgd(this, mm)) {
      this.ka.kmemCacheFree(this.mmCache, p, "mm_alloc");
      return null;
    }
    this.live.mmStruct++;
    mm.taskSize = this.taskSize;
    return mm;
  }

  /** vm_area_alloc: a detached VMA of `mm`, or null. */
  vmAreaAlloc(mm: MmStruct): VmAreaStruct | null {
    const p = this.ka.kmemCacheAlloc(this.vmaCache, GFP_KERNEL, "vm_area_alloc");
    if (p === 0) return null;
    this.live.vmAreaStruct++;
    return new VmAreaStruct(mm, p);
  }

  /** vm_area_dup: a detached copy of `vma` (range, flags, file, ops, anon_vma pointer; no chains), or null. */
  vmAreaDup(vma: VmAreaStruct): VmAreaStruct | null {
    const n = this.vmAreaAlloc(vma.vmMm);
    if (n === null) return null;
    n.vmStart = vma.vmStart;
    n.vmEnd = vma.vmEnd;
    n.vmPgoff = vma.vmPgoff;
    n.vmFlags = vma.vmFlags;
    n.vmPageProt = vma.vmPageProt;
    n.vmFile = vma.vmFile;
    n.vmOps = vma.vmOps;
    n.anonVma = vma.anonVma;
    n.anonName = vma.anonName;
    return n;
  }

  /** vm_area_free. */
  vmAreaFree(vma: VmAreaStruct): void {
    if (!vma.detached) BUG("vm_area_free", `VMA ${vma.vmStart.toString(16)} is still attached`);
    this.ka.kmemCacheFree(this.vmaCache, vma.kaddr, "vm_area_free");
    this.live.vmAreaStruct--;
  }

  /** anon_vma_alloc: refcount 1, its own root and parent, or null. */
  anonVmaAlloc(): AnonVma | null {
    const p = this.ka.kmemCacheAlloc(this.anonVmaCache, GFP_KERNEL, "anon_vma_alloc");
    if (p === 0) return null;
    this.live.anonVma++;
    const id = this.freeAnonVmaIds.length > 0 ? this.freeAnonVmaIds.pop()! : this.anonVmaById.length;
    const av = new AnonVma(p, id);
    this.anonVmaById[id] = av;
    return av;
  }

  /** anon_vma_free. */
  anonVmaFree(av: AnonVma): void {
    this.ka.kmemCacheFree(this.anonVmaCache, av.kaddr, "anon_vma_free");
    this.live.anonVma--;
    this.anonVmaById[av.id] = null;
    this.freeAnonVmaIds.push(av.id);
  }

  /** anon_vma_chain_alloc + linking into both lists, or null. */
  avcAlloc(vma: VmAreaStruct, av: AnonVma): AnonVmaChain | null {
    const p = this.ka.kmemCacheAlloc(this.avcCache, GFP_KERNEL, "anon_vma_chain_alloc");
    if (p === 0) return null;
    this.live.anonVmaChain++;
    return new AnonVmaChain(p, vma, av);
  }

  /** anon_vma_chain_free. */
  avcFree(avc: AnonVmaChain): void {
    this.ka.kmemCacheFree(this.avcCache, avc.kaddr, "anon_vma_chain_free");
    this.live.anonVmaChain--;
  }

  /** __mmdrop: frees the mm_struct of an mm whose address space is already empty. */
  mmFree(mm: MmStruct): void {
    if (mm.mmMt.length !== 0) BUG("__mmdrop", `mm still has ${mm.mmMt.length} VMAs`);
    if (mm.pmdHugePte.size !== 0) BUG("__mmdrop", `mm still has ${mm.pmdHugePte.size} deposited tables`);
    mmPutHugeZeroFolio(this, mm);
    // A CPU that ran mm last still holds its pgd in CR3 (lazy TLB: Linux keeps it as active_mm).
    // Before the tables go it moves to init_mm (swapper_pg_dir), dropping what it cached of mm, as
    // the lazy-TLB shootdown does on x86: a later mm whose pgd reuses this frame must not find a
    // CPU already "running" it, skip switch_mm and keep stale entries to freed frames.
    const initPgd = this.ka.vm.pgd;
    for (const cpu of this.cpus) if (cpu.cr3 === mm.pgd) cpu.writeCr3(initPgd, 0, false);
    const top = this.vaTop;
    freePgtables(this, mm, 0, top, 0, top);
    mmFreePgd(this, mm);
    this.ka.kmemCacheFree(this.mmCache, mm.kaddr, "__mmdrop");
    this.live.mmStruct--;
  }

  // ---- a task's view: memory access, fork, exit (the API the kernel layer uses) ---------------

  /** A load of dst.length bytes at addr by mm's task on cpu: null, or the signal it gets. */
  load(mm: MmStruct, cpu: Cpu, addr: number, dst: Uint8Array): FaultSignal | null {
    return userLoad(this, mm, cpu, addr, dst);
  }

  /** A store of bytes at addr by mm's task on cpu: null, or the signal it gets. */
  store(mm: MmStruct, cpu: Cpu, addr: number, bytes: Uint8Array): FaultSignal | null {
    return userStore(this, mm, cpu, addr, bytes);
  }

  /** memset(addr, byte, len) by mm's task on cpu: null, or the signal it gets. */
  memset(mm: MmStruct, cpu: Cpu, addr: number, byte: number, len: number): FaultSignal | null {
    return userMemset(this, mm, cpu, addr, byte, len);
  }

  /** memcpy(dst, src, len) inside mm by its task on cpu: null, or the signal it gets. */
  memcpy(mm: MmStruct, cpu: Cpu, dst: number, src: number, len: number): FaultSignal | null {
    return userMemcpy(this, mm, cpu, dst, src, len);
  }

  /** fork's copy of mm (dup_mm): the child's mm, or null on ENOMEM. */
  fork(mm: MmStruct): MmStruct | null {
    return dupMm(this, mm);
  }

  /** exit_mmap + __mmdrop: every VMA, page and table page of mm goes back. */
  exitMm(mm: MmStruct): void {
    exitMmap(this, mm);
  }

  // ---- overcommit (mm/util.c) ------------------------------------------------------------------

  /** vm_commit_limit: (totalram - hugetlb) * overcommit_ratio / 100 + swap, or overcommit_kbytes + swap. */
  vmCommitLimit(): number {
    const s = this.sysctl;
    const allowed = s.overcommitKbytes ? s.overcommitKbytes / (PAGE_SIZE / 1024) : Math.floor((this.totalramPages * s.overcommitRatio) / 100);
    return allowed + this.totalSwapPages;
  }

  /**
   * __vm_enough_memory: charges `pages` to vm_committed_as when the policy allows it and returns
   * 0, or returns -ENOMEM (-12) without charging. `mm` is the caller's (its total_vm sizes the
   * user reserve under OVERCOMMIT_NEVER); `capSysAdmin` drops the admin reserve.
   */
  vmEnoughMemory(mm: MmStruct | null, pages: number, capSysAdmin = false): number {
    this.committedAs += pages;
    const s = this.sysctl;
    if (s.overcommitMemory === OVERCOMMIT_ALWAYS) return 0;
    if (s.overcommitMemory === OVERCOMMIT_GUESS) {
      if (pages <= this.totalramPages + this.totalSwapPages) return 0;
    } else {
      let allowed = this.vmCommitLimit();
      if (!capSysAdmin) allowed -= s.adminReserveKbytes / (PAGE_SIZE / 1024);
      if (mm) allowed -= Math.min(Math.floor(mm.totalVm / 32), s.userReserveKbytes / (PAGE_SIZE / 1024));
      if (this.committedAs < allowed) return 0;
    }
    this.committedAs -= pages;
    return -12;
  }

  /** vm_unacct_memory. */
  vmUnacctMemory(pages: number): void {
    this.committedAs -= pages;
  }
}
