// The page-fault handler of mm/memory.c: handle_mm_fault → __handle_mm_fault (the walk that
// allocates the missing pgd/p4d/pud/pmd/pte tables) → handle_pte_fault → do_anonymous_page (the
// zero page on a read, a new zeroed page on a write), do_wp_page (reuse of an exclusive page,
// else wp_page_copy) or do_swap_page (the reclaim layer's hook). One VmFault (struct vm_fault)
// per VirtualMemory carries the state. The PMD step hands empty and huge PMDs to the THP code
// (huge-memory.ts). Not built: file faults (do_fault).
import type { MmStruct, VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import {
  GFP_HIGHUSER_MOVABLE as GFP_HIGHUSER_MOVABLE_, PG_anon_exclusive as PG_anon_exclusive_,
} from "@mmsim/physical";
import {
  anonVmaPrepare as anonVmaPrepare_, folioAddNewAnonRmap as folioAddNewAnonRmap_, folioMoveAnonRmap as folioMoveAnonRmap_,
  folioPut as folioPut_, folioRemoveRmapPte as folioRemoveRmapPte_,
} from "./rmap";
import {
  PTE_A, PTE_D, PTE_P, PTE_RW, PTE_SPECIAL, entryPfn as entryPfn_, pfnHi as pfnHi_, pfnLo as pfnLo_, ptePresent as ptePresent_,
  flushTlbPage as flushTlbPage_,
} from "./pte";
import {
  pmdAllocMm as pmdAllocMm_, pteAllocPmd as pteAllocPmd_, tableEntryHi as tableEntryHi_, tableEntryLo as tableEntryLo_,
} from "./pgtable";
import {
  VM_FAULT_FALLBACK as VM_FAULT_FALLBACK_, hugePmdFault as hugePmdFault_,
} from "./huge-memory";
import {
  VM_SHARED as VM_SHARED_, VM_MAYSHARE as VM_MAYSHARE_, VM_WRITE as VM_WRITE_,
} from "./mm-flags";

// Local copies of imported bindings (docs/design/performance.md, rule 2).
const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER_MOVABLE_;
const ANON_EXCLUSIVE = 1 << PG_anon_exclusive_;
const anonVmaPrepare = anonVmaPrepare_;
const folioAddNewAnonRmap = folioAddNewAnonRmap_;
const folioMoveAnonRmap = folioMoveAnonRmap_;
const folioPut = folioPut_;
const folioRemoveRmapPte = folioRemoveRmapPte_;
const entryPfn = entryPfn_;
const pfnHi = pfnHi_;
const pfnLo = pfnLo_;
const ptePresent = ptePresent_;
const flushTlbPage = flushTlbPage_;
const pmdAllocMm = pmdAllocMm_;
const pteAllocPmd = pteAllocPmd_;
const tableEntryLo = tableEntryLo_;
const tableEntryHi = tableEntryHi_;
const hugePmdFault = hugePmdFault_;
const VM_FAULT_FALLBACK = VM_FAULT_FALLBACK_;
/** _PAGE_PSE: a PMD entry that is a leaf */
const PSE = 0x80;
const VM_SHARED = VM_SHARED_;
const VM_MAYSHARE = VM_MAYSHARE_;
const VM_WRITE = VM_WRITE_;

/** enum fault_flag (include/linux/mm_types.h) */
export const FAULT_FLAG_WRITE = 1 << 0;
export const FAULT_FLAG_MKWRITE = 1 << 1;
export const FAULT_FLAG_ALLOW_RETRY = 1 << 2;
export const FAULT_FLAG_RETRY_NOWAIT = 1 << 3;
export const FAULT_FLAG_KILLABLE = 1 << 4;
export const FAULT_FLAG_TRIED = 1 << 5;
export const FAULT_FLAG_USER = 1 << 6;
export const FAULT_FLAG_REMOTE = 1 << 7;
export const FAULT_FLAG_INSTRUCTION = 1 << 8;
export const FAULT_FLAG_INTERRUPTIBLE = 1 << 9;
/** FAULT_FLAG_DEFAULT: ALLOW_RETRY | KILLABLE | INTERRUPTIBLE */
export const FAULT_FLAG_DEFAULT = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_INTERRUPTIBLE;

/** vm_fault_t bits (include/linux/mm_types.h enum vm_fault_reason) */
export const VM_FAULT_OOM = 0x000001;
export const VM_FAULT_SIGBUS = 0x000002;
export const VM_FAULT_MAJOR = 0x000004;
export const VM_FAULT_SIGSEGV = 0x000040;
export const VM_FAULT_NOPAGE = 0x000100;
export const VM_FAULT_RETRY = 0x000400;
export const VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | 0x10 | 0x20;

/** MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES (include/linux/mm_types_task.h) */
export const MM_FILEPAGES = 0;
export const MM_ANONPAGES = 1;
export const MM_SWAPENTS = 2;
export const MM_SHMEMPAGES = 3;

/** struct vm_fault: the state of one fault, passed down the handlers (and to the swap-in hook). */
export class VmFault {
  vma: VmAreaStruct | null = null;
  /** page-aligned faulting address */
  address = 0;
  /** linear_page_index of address */
  pgoff = 0;
  /** FAULT_FLAG_* */
  flags = 0;
  /** physical address of the PMD entry (vmf->pmd), -1 before the walk */
  pmd = -1;
  /** physical address of the PTE slot (vmf->pte), -1 before the walk */
  pte = -1;
  /** the PTE's words when the fault began (orig_pte) */
  origLo = 0;
  origHi = 0;
  /** the new page of a COW (cow_page), -1 when none */
  cowPage = -1;
}

/** get_mm_rss */
export function getMmRss(mm: MmStruct): number {
  return mm.rssStat[MM_FILEPAGES] + mm.rssStat[MM_ANONPAGES] + mm.rssStat[MM_SHMEMPAGES];
}

/** update_hiwater_rss */
export function updateHiwaterRss(mm: MmStruct): void {
  const rss = getMmRss(mm);
  if (mm.hiwaterRss < rss) mm.hiwaterRss = rss;
}

/**
 * handle_mm_fault(vma, address, flags): counts pgfault and resolves the fault at `address` in
 * `vma` (the caller checked the VMA's rights). Returns 0 or VM_FAULT_* bits.
 */
export function handleMmFault(vmm: VirtualMemory, vma: VmAreaStruct, address: number, flags: number): number {
  vmm.phys.counters.add(vmm.slotPgfault, 1);
  const vmf = vmm.vmf;
  vmf.vma = vma;
  vmf.address = address - ((address >>> 0) & 4095); // the page offset from the low 32-bit half, as the TLB splits va
  vmf.pgoff = vma.vmPgoff + (vmf.address - vma.vmStart) / 4096;
  vmf.flags = flags;
  vmf.cowPage = -1;
  const ret = __handleMmFault(vmm, vmf);
  if (ret & VM_FAULT_MAJOR) vmm.phys.counters.add(vmm.slotPgmajfault, 1);
  // mm_account_fault: a completed fault counts for current (VM_FAULT_ERROR: not counted)
  if ((ret & VM_FAULT_ERROR) === 0) {
    if (ret & VM_FAULT_MAJOR) vma.vmMm.majFlt++;
    else vma.vmMm.minFlt++;
  }
  vmf.vma = null;
  return ret;
}

/**
 * __handle_mm_fault: one walk allocating missing levels down to the PMD (OOM when a table page
 * cannot be had); an empty or huge PMD goes to the THP code first (one test on the 4 KiB path),
 * then the PTE slot under the PMD, kept in vmf.pte for the handlers.
 */
function __handleMmFault(vmm: VirtualMemory, vmf: VmFault): number {
  const mm = vmf.vma!.vmMm;
  const pmd = pmdAllocMm(vmm, mm, vmf.address);
  if (pmd < 0) return VM_FAULT_OOM;
  vmf.pmd = pmd;
  const plo = tableEntryLo(vmm.ram, 2, pmd);
  if (plo === 0 || (plo & PSE) !== 0) {
    const ret = hugePmdFault(vmm, vmf, plo);
    if ((ret & VM_FAULT_FALLBACK) === 0) return ret;
  }
  const pte = pteAllocPmd(vmm, mm, pmd, vmf.address);
  if (pte < 0) return VM_FAULT_OOM;
  vmf.pte = pte;
  return handlePteFault(vmm, vmf);
}

/** handle_pte_fault */
function handlePteFault(vmm: VirtualMemory, vmf: VmFault): number {
  const ram = vmm.ram;
  const lo = tableEntryLo(ram, 1, vmf.pte);
  const hi = vmm.entryShift === 3 ? tableEntryHi(ram, 1, vmf.pte) : 0; // i386's 4-byte PTEs have no high word
  vmf.origLo = lo;
  vmf.origHi = hi;
  const vma = vmf.vma!;
  if (lo === 0 && hi === 0) {
    if (vma.vmFile === null) return doAnonymousPage(vmm, vmf);
    return VM_FAULT_SIGBUS; // do_fault: file and shmem faults are part 2 (docs/design/virtual.md)
  }
  if (!ptePresent(lo)) return vmm.reclaim.swapIn(vmf);
  if ((lo & PTE_P) === 0) return VM_FAULT_SIGBUS; // do_numa_page: NUMA balancing is off, a PROT_NONE VMA never gets here
  if (vmf.flags & FAULT_FLAG_WRITE) {
    if ((lo & PTE_RW) === 0) return doWpPage(vmm, vmf);
  }
  // pte_mkyoung (+ pte_mkdirty on a write) and ptep_set_access_flags; the flush of a spurious
  // fault (flush_tlb_fix_spurious_fault) is a no-op on x86.
  const nlo = (lo | PTE_A | (vmf.flags & FAULT_FLAG_WRITE ? PTE_D : 0)) >>> 0;
  if (nlo !== lo) ram.writeU32(vmf.pte, nlo);
  return 0;
}

/** Allocates and zeroes a user page (vma_alloc_zeroed_movable_folio), -1 when none. */
function allocZeroedUserPage(vmm: VirtualMemory): number {
  // GFP_HIGHUSER_MOVABLE then clear_user_highpage: the same page contents as __GFP_ZERO, on the
  // allocator's order-0 fast path.
  const pfn = vmm.phys.allocPages(GFP_HIGHUSER_MOVABLE, 0);
  if (pfn >= 0) vmm.ram.zeroFrame(pfn);
  return pfn;
}

/** do_anonymous_page */
function doAnonymousPage(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  const ram = vmm.ram;
  if (vma.vmFlags & VM_SHARED) return VM_FAULT_SIGBUS;
  const prot = vma.vmPageProt;
  if ((vmf.flags & FAULT_FLAG_WRITE) === 0) {
    // the zero page, read-only and special (no refcount, no mapcount, no rss)
    if (vmm.entryShift === 3) ram.writeU32(vmf.pte + 4, pfnHi(vmm.zeroPfn, prot.hi));
    ram.writeU32(vmf.pte, (pfnLo(vmm.zeroPfn, prot.lo) | PTE_SPECIAL) >>> 0);
    return 0;
  }
  if (anonVmaPrepare(vmm, vma) < 0) return VM_FAULT_OOM;
  const pfn = allocZeroedUserPage(vmm);
  if (pfn < 0) return VM_FAULT_OOM;
  let lo = pfnLo(pfn, prot.lo);
  if (vma.vmFlags & VM_WRITE) lo = (lo | PTE_RW | PTE_D) >>> 0;
  const mm = vma.vmMm;
  mm.rssStat[MM_ANONPAGES]++;
  folioAddNewAnonRmap(vmm, pfn, vma, vmf.address);
  vmm.reclaim.lruAdd(pfn);
  // through the walk's table cache: the frame cache stays on the task's last data frame
  if (vmm.entryShift === 3) ram.writeTablePair(1, vmf.pte, lo, pfnHi(pfn, prot.hi));
  else ram.writeU32(vmf.pte, lo);
  return 0;
}

/**
 * wp_can_reuse_anon_folio (6.18, small folios): the faulting PTE holds the only reference
 * (refcount 1; a swap-cache page would add one, no swap cache without reclaim). KSM is not modelled.
 */
export function wpCanReuseAnonFolio(vmm: VirtualMemory, pfn: number): boolean {
  return vmm.pages.refcount[vmm.pages.idx(pfn)] === 1;
}

/** do_wp_page: a write to a present read-only PTE of a private mapping. */
function doWpPage(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  if (vma.vmFlags & (VM_SHARED | VM_MAYSHARE)) return VM_FAULT_SIGBUS; // wp_page_shared: file mappings, part 2
  const lo = vmf.origLo;
  const special = (lo & PTE_SPECIAL) !== 0;
  const pfn = entryPfn(lo, vmf.origHi);
  if (!special) {
    const pages = vmm.pages;
    const i = pages.idx(pfn);
    if ((pages.mapping[i] & 1) !== 0 && ((pages.flags[i] & ANON_EXCLUSIVE) !== 0 || wpCanReuseAnonFolio(vmm, pfn))) {
      // PageAnonExclusive, or reusable (then it becomes exclusive): wp_page_reuse
      if ((pages.flags[i] & ANON_EXCLUSIVE) === 0) {
        pages.flags[i] = (pages.flags[i] | ANON_EXCLUSIVE) >>> 0;
        folioMoveAnonRmap(vmm, pfn, vma);
      }
      vmm.phys.counters.add(vmm.slotPgreuse, 1);
      vmm.ram.writeU32(vmf.pte, (lo | PTE_A | PTE_D | PTE_RW) >>> 0);
      return 0;
    }
  }
  return wpPageCopy(vmm, vmf, special ? -1 : pfn);
}

/** wp_page_copy: a private copy of oldPfn (a zeroed page for the zero page, oldPfn -1) replaces it. */
function wpPageCopy(vmm: VirtualMemory, vmf: VmFault, oldPfn: number): number {
  const vma = vmf.vma!;
  if (anonVmaPrepare(vmm, vma) < 0) return VM_FAULT_OOM;
  const ram = vmm.ram;
  let pfn: number;
  if (oldPfn < 0) pfn = allocZeroedUserPage(vmm);
  else {
    pfn = vmm.phys.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    if (pfn >= 0) ram.copy(pfn * 4096, oldPfn * 4096, 4096);
  }
  if (pfn < 0) return VM_FAULT_OOM;
  vmf.cowPage = pfn;
  const mm = vma.vmMm;
  if (oldPfn < 0) mm.rssStat[MM_ANONPAGES]++;
  const prot = vma.vmPageProt;
  let lo = (pfnLo(pfn, prot.lo) | PTE_D) >>> 0;
  if (vma.vmFlags & VM_WRITE) lo = (lo | PTE_RW) >>> 0;
  // ptep_clear_flush, then the new PTE
  ram.writeU32(vmf.pte, 0);
  if (vmm.entryShift === 3) ram.writeU32(vmf.pte + 4, 0);
  flushTlbPage(vmm, mm, vmf.address);
  folioAddNewAnonRmap(vmm, pfn, vma, vmf.address);
  vmm.reclaim.lruAdd(pfn);
  if (vmm.entryShift === 3) ram.writeU32(vmf.pte + 4, pfnHi(pfn, prot.hi));
  ram.writeU32(vmf.pte, lo);
  if (oldPfn >= 0) {
    folioRemoveRmapPte(vmm, oldPfn);
    folioPut(vmm, oldPfn);
  }
  return 0;
}
