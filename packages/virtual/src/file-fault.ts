// The file side of mm/memory.c's fault handler: do_fault for a VMA with vm_ops->fault
// (do_read_fault with do_fault_around, do_cow_fault for a private write, do_shared_fault),
// finish_fault/set_pte_range, and the write-protect faults on file pages (wp_page_shared for a
// shared mapping, wp_page_copy of a page-cache page for a private one). Anonymous PTEs and swap
// entries in such a VMA go to handle_mm_fault (memory.ts).
import type { VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import type { VmFault } from "./memory";
import { GFP_HIGHUSER_MOVABLE } from "@mmsim/physical";
import {
  FAULT_FLAG_WRITE, MM_ANONPAGES, VM_FAULT_ERROR, VM_FAULT_MAJOR, VM_FAULT_OOM, handleMmFault,
} from "./memory";
import { PTE_A, PTE_D, PTE_RW, PTE_SPECIAL, entryPfn, flushTlbPage, pfnHi, pfnLo, pteHi, pteOffset, ptePresent } from "./pte";
import { pmdAllocMm, pteAllocPmd } from "./pgtable";
import { anonVmaPrepare, folioAddFileRmapPte, folioAddNewAnonRmap, folioPut, folioRemoveRmapPte } from "./rmap";
import { VM_SHARED, VM_WRITE } from "./mm-flags";
import { mmCounterFile } from "./shmem/mm-counter";


/** The fault-around window of a file mapping: do_fault_around asks ->mapPages for [first, last] pgoffs. */
export interface MapPagesOps {
  /**
   * ->map_pages (filemap_map_pages): maps the cached, uptodate, unlocked pages of pgoffs
   * [first, last] into vmf.vma at empty PTEs (each via `setPteRange`); returns VM_FAULT_NOPAGE when
   * the page of vmf.pgoff was among them, else 0
   */
  mapPages?: (vmf: VmFault, first: number, last: number) => number;
  /** fault_around_bytes >> PAGE_SHIFT (debugfs fault_around_bytes, 64 KiB by default) */
  faultAroundPages?: number;
  /** ->page_mkwrite (the shared mapping's first write to a page): dirties the page; 0 or VM_FAULT_SIGBUS (no space) */
  pageMkwrite?: (vmf: VmFault, pfn: number) => number;
}

/**
 * handle_mm_fault for a VMA whose vm_ops has ->fault. Counts pgfault (and pgmajfault on
 * VM_FAULT_MAJOR) as handle_mm_fault does; anonymous pages (a private copy) and swap entries go
 * to handleMmFault. Returns 0 or VM_FAULT_* bits.
 */
export function handleFileMmFault(vmm: VirtualMemory, vma: VmAreaStruct, address: number, flags: number): number {
  const mm = vma.vmMm;
  const page = address - (address % 4096);
  const ea = pteOffset(vmm, mm, page);
  if (ea >= 0) {
    const lo = vmm.ram.readU32(ea);
    const hi = pteHi(vmm, ea);
    if (!ptePresent(lo) && (lo !== 0 || hi !== 0)) return handleMmFault(vmm, vma, address, flags);
    if (ptePresent(lo) && (lo & PTE_SPECIAL) === 0 && (vmm.pages.mapping[vmm.pages.idx(entryPfn(lo, hi))] & 1) !== 0) return handleMmFault(vmm, vma, address, flags);
  }
  vmm.phys.counters.add(vmm.slotPgfault, 1);
  const vmf = vmm.vmf;
  vmf.vma = vma;
  vmf.address = page;
  vmf.pgoff = vma.vmPgoff + (page - vma.vmStart) / 4096;
  vmf.flags = flags;
  vmf.cowPage = -1;
  const ret = fileFault(vmm, vmf);
  if (ret & VM_FAULT_MAJOR) vmm.phys.counters.add(vmm.slotPgmajfault, 1);
  // mm_account_fault: a completed fault counts for current (VM_FAULT_ERROR: not counted)
  if ((ret & VM_FAULT_ERROR) === 0) {
    if (ret & VM_FAULT_MAJOR) mm.majFlt++;
    else mm.minFlt++;
  }
  vmf.vma = null;
  return ret;
}

function fileFault(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  const mm = vma.vmMm;
  const pmd = pmdAllocMm(vmm, mm, vmf.address);
  if (pmd < 0) return VM_FAULT_OOM;
  vmf.pmd = pmd;
  const pte = pteAllocPmd(vmm, mm, pmd, vmf.address);
  if (pte < 0) return VM_FAULT_OOM;
  vmf.pte = pte;
  const ram = vmm.ram;
  const lo = ram.readU32(pte);
  const hi = pteHi(vmm, pte); // i386: no high word
  vmf.origLo = lo;
  vmf.origHi = hi;
  if (lo === 0 && hi === 0) return doFault(vmm, vmf);
  if ((vmf.flags & FAULT_FLAG_WRITE) !== 0 && (lo & PTE_RW) === 0) {
    if (vma.vmFlags & VM_SHARED) return wpPageShared(vmm, vmf);
    return wpFilePageCopy(vmm, vmf);
  }
  const nlo = (lo | PTE_A | (vmf.flags & FAULT_FLAG_WRITE ? PTE_D : 0)) >>> 0;
  if (nlo !== lo) ram.writeU32(pte, nlo);
  return 0;
}

/** do_fault: an empty PTE of a file VMA. */
function doFault(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  if ((vmf.flags & FAULT_FLAG_WRITE) === 0) return doReadFault(vmm, vmf);
  if ((vma.vmFlags & VM_SHARED) === 0) return doCowFault(vmm, vmf);
  return doSharedFault(vmm, vmf);
}

/** __do_fault: vm_ops->fault; the page (with the mapping's reference) or -1 with the error bits in `ret`. */
function doVmOpsFault(vmf: VmFault): number {
  const ops = vmf.vma!.vmOps!;
  return ops.fault!(vmf);
}

/**
 * set_pte_range for one page-cache page at addr: the PTE from vm_page_prot (writable and dirty
 * on a write to a shared mapping), the file rmap, MM_FILEPAGES. The caller holds the mapping's
 * reference and checked the PTE is empty.
 */
export function setFilePte(vmm: VirtualMemory, vma: VmAreaStruct, pte: number, pfn: number, write: boolean): void {
  const prot = vma.vmPageProt;
  // vma_wants_writenotify: a shared mapping of a file with dirty accounting (->page_mkwrite) maps
  // pages read-only until their first write, so every write to a clean page faults and dirties
  // it; shmem has none, and its pages map as vm_page_prot says
  let lo = pfnLo(pfn, prot.lo) | PTE_A;
  if ((vma.vmOps as MapPagesOps | null)?.pageMkwrite !== undefined) lo &= ~PTE_RW;
  if (write && (vma.vmFlags & VM_WRITE) !== 0) lo |= PTE_RW | PTE_D;
  folioAddFileRmapPte(vmm, pfn);
  vma.vmMm.rssStat[mmCounterFile(vmm, pfn)]++; // MM_FILEPAGES, or MM_SHMEMPAGES for a shmem page
  if (vmm.entryShift === 3) vmm.ram.writeU32(pte + 4, pfnHi(pfn, prot.hi));
  vmm.ram.writeU32(pte, lo >>> 0);
}

/**
 * do_fault_around: the window of fault_around_pages PTEs holding the fault, aligned to its size,
 * clamped to the VMA and to the PTE table; ->map_pages maps what is cached there.
 */
function doFaultAround(vmm: VirtualMemory, vmf: VmFault, ops: MapPagesOps, nrPages: number): number {
  const vma = vmf.vma!;
  const ptrsPerPte = vmm.pteIndexMask + 1; // PTRS_PER_PTE: 512, or 1024 on i386
  const pteOff = (vmf.address / 4096) % ptrsPerPte;
  const vmaOff = vmf.pgoff - vma.vmPgoff;
  const fromPte = Math.max(pteOff - (pteOff % nrPages), pteOff - Math.min(pteOff, vmaOff));
  const toPte = Math.min(fromPte + nrPages, ptrsPerPte, pteOff + vma.pages - vmaOff) - 1;
  return ops.mapPages!(vmf, vmf.pgoff + fromPte - pteOff, vmf.pgoff + toPte - pteOff);
}

/** do_read_fault: fault-around first (should_fault_around), then ->fault and a read-only PTE. */
function doReadFault(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  const ops = vma.vmOps as MapPagesOps;
  const nr = ops.faultAroundPages ?? 0;
  if (ops.mapPages !== undefined && nr > 1) {
    const r = doFaultAround(vmm, vmf, ops, nr);
    if (r !== 0) return r;
  }
  const ret = doVmOpsFault(vmf);
  if (ret & VM_FAULT_ERROR) return ret;
  setFilePte(vmm, vma, vmf.pte, vma.vmOps!.faultPage!, false);
  return ret;
}

/** do_cow_fault: a private write: a new anonymous page gets a copy of the file page (which stays as it is). */
function doCowFault(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  if (anonVmaPrepare(vmm, vma) < 0) return VM_FAULT_OOM;
  const cow = vmm.phys.allocPages(GFP_HIGHUSER_MOVABLE, 0);
  if (cow < 0) return VM_FAULT_OOM;
  const ret = doVmOpsFault(vmf);
  if (ret & VM_FAULT_ERROR) {
    vmm.phys.freePages(cow, 0);
    return ret;
  }
  const src = vma.vmOps!.faultPage!;
  vmm.ram.copy(cow * 4096, src * 4096, 4096);
  folioPut(vmm, src);
  mapAnonCopy(vmm, vmf, cow);
  return ret;
}

/** The new private page `pfn` replaces whatever vmf.pte held (finish_fault / wp_page_copy's PTE). */
function mapAnonCopy(vmm: VirtualMemory, vmf: VmFault, pfn: number): void {
  const vma = vmf.vma!;
  const prot = vma.vmPageProt;
  vmf.cowPage = pfn;
  folioAddNewAnonRmap(vmm, pfn, vma, vmf.address);
  vmm.reclaim.lruAdd(pfn);
  vma.vmMm.rssStat[MM_ANONPAGES]++;
  let lo = (pfnLo(pfn, prot.lo) | PTE_A | PTE_D) >>> 0;
  if (vma.vmFlags & VM_WRITE) lo = (lo | PTE_RW) >>> 0;
  if (vmm.entryShift === 3) vmm.ram.writeU32(vmf.pte + 4, pfnHi(pfn, prot.hi));
  vmm.ram.writeU32(vmf.pte, lo);
}

/** do_shared_fault: ->fault, ->page_mkwrite, a writable dirty PTE (fault_dirty_shared_page). */
function doSharedFault(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  const ret = doVmOpsFault(vmf);
  if (ret & VM_FAULT_ERROR) return ret;
  const pfn = vma.vmOps!.faultPage!;
  const mk = (vma.vmOps as MapPagesOps).pageMkwrite?.(vmf, pfn) ?? 0;
  if (mk & VM_FAULT_ERROR) {
    folioPut(vmm, pfn);
    return mk;
  }
  setFilePte(vmm, vma, vmf.pte, pfn, true);
  return ret;
}

/** wp_page_shared: a write to a clean page of a shared mapping dirties it and makes the PTE writable (wp_page_reuse). */
function wpPageShared(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  const pfn = entryPfn(vmf.origLo, vmf.origHi);
  const mk = (vma.vmOps as MapPagesOps).pageMkwrite?.(vmf, pfn) ?? 0;
  if (mk & VM_FAULT_ERROR) return mk;
  vmm.ram.writeU32(vmf.pte, (vmf.origLo | PTE_A | PTE_D | PTE_RW) >>> 0);
  return 0;
}

/** wp_page_copy of a page-cache page in a private mapping: MM_FILEPAGES - 1, MM_ANONPAGES + 1. */
function wpFilePageCopy(vmm: VirtualMemory, vmf: VmFault): number {
  const vma = vmf.vma!;
  if (anonVmaPrepare(vmm, vma) < 0) return VM_FAULT_OOM;
  const old = entryPfn(vmf.origLo, vmf.origHi);
  const pfn = vmm.phys.allocPages(GFP_HIGHUSER_MOVABLE, 0);
  if (pfn < 0) return VM_FAULT_OOM;
  vmm.ram.copy(pfn * 4096, old * 4096, 4096);
  // ptep_clear_flush, then the new PTE
  vmm.ram.writeU32(vmf.pte, 0);
  if (vmm.entryShift === 3) vmm.ram.writeU32(vmf.pte + 4, 0);
  flushTlbPage(vmm, vma.vmMm, vmf.address);
  vma.vmMm.rssStat[mmCounterFile(vmm, old)]--;
  mapAnonCopy(vmm, vmf, pfn);
  folioRemoveRmapPte(vmm, old);
  folioPut(vmm, old);
  return 0;
}
