// The page-level work behind the VMA operations (VmaPageHooks): unmap_region's zap and
// free_pgtables (floor and ceiling from the remaining neighbours), change_protection,
// move_page_tables, populate (mm/gup.c populate_vma_page_range: write faults on private
// writable VMAs, read faults elsewhere), and the page-level madvise advices.
import type { VmaPageHooks } from "./hooks";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { changeProtectionRange, madviseFreeRange, movePtes, zapPageRange } from "./memory-range";
import { freePgtables } from "./pgtable";
import { changeHugePmds, madviseFreeHugePmds, moveHugePmds, pmdTransHuge, splitHugePmdAt, zapHugePmds } from "./huge-memory-range";
import { FAULT_FLAG_WRITE, handleMmFault, VM_FAULT_ERROR } from "./memory";
import { PTE_P, PTE_RW, pmdOffset, pteOffset, ptePresent } from "./pte";
import { HPAGE_PMD_SIZE } from "./huge-mm";
import {
  MADV_DONTNEED, MADV_DONTNEED_LOCKED, MADV_FREE, MADV_POPULATE_READ, MADV_POPULATE_WRITE, VM_ACCESS_FLAGS, VM_IO, VM_LOCKONFAULT, VM_PFNMAP,
  VM_SHARED, VM_WRITE,
} from "./mm-flags";

const ENOMEM = -12;
const EFAULT = -14;

/** The VmaPageHooks of vmm: the real page-table work. */
export function pageVmaPageHooks(vmm: VirtualMemory): VmaPageHooks {
  return {
    zapVmaRange: (vma, start, end) => unmapRegion(vmm, vma, start, end),
    changeProtection: (vma, start, end) => {
      changeHugePmds(vmm, vma, start, end);
      changeProtectionRange(vmm, vma, start, end);
    },
    movePageTables: (oldVma, oldAddr, _newVma, newAddr, len) => {
      moveHugePmds(vmm, oldVma, oldAddr, newAddr, len);
      return movePtes(vmm, oldVma.vmMm, oldAddr, newAddr, len);
    },
    populate: (mm, start, len) => {
      mmPopulate(vmm, mm, start, len);
    },
    mlockPages: () => {},
    madvisePages: (vma, start, end, behavior) => {
      if (behavior === MADV_DONTNEED || behavior === MADV_DONTNEED_LOCKED) {
        zapHugePmds(vmm, vma, start, end);
        zapPageRange(vmm, vma, start, end);
      } else if (behavior === MADV_FREE) {
        madviseFreeHugePmds(vmm, vma, start, end);
        madviseFreeRange(vmm, vma, start, end);
      }
      else if (behavior === MADV_POPULATE_READ || behavior === MADV_POPULATE_WRITE) {
        return populateVmaPageRange(vmm, vma, start, end, behavior === MADV_POPULATE_WRITE);
      }
      return 0;
    },
    adjustTransHuge: (vma, addr) => splitHugePmdAt(vmm, vma, addr),
  };
}

/**
 * unmap_region for one VMA's [start, end): zap its PTEs, then free_pgtables between the nearest
 * mapped neighbours (VMAs of the tree that do not meet [start, end)).
 */
function unmapRegion(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number): void {
  const mm = vma.vmMm;
  if (mm.pgd < 0) return;
  zapHugePmds(vmm, vma, start, end);
  zapPageRange(vmm, vma, start, end);
  let floor = 0;
  let ceiling = 2 ** (vmm.levels === 5 ? 57 : 48);
  for (const v of mm.mmMt.vmas) {
    if (v.vmEnd <= start) floor = v.vmEnd;
    else if (v.vmStart >= end) {
      ceiling = v.vmStart;
      break;
    }
  }
  freePgtables(vmm, mm, start, end, floor, ceiling);
}

/**
 * populate_vma_page_range: faults in every page of [start, end) of vma not mapped as needed.
 * Returns 0, -ENOMEM (out of memory) or -EFAULT (the fault failed otherwise).
 */
export function populateVmaPageRange(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number, write: boolean): number {
  const mm = vma.vmMm;
  const ram = vmm.ram;
  for (let addr = start; addr < end; addr += 4096) {
    if (mm.pmdHugePte.size !== 0) {
      // follow_page_mask finds a huge PMD: nothing to fault in its 2 MiB unless a write needs it writable
      const pmd = pmdOffset(vmm, mm, addr);
      const plo = pmd < 0 ? 0 : ram.readU32(pmd);
      if (pmdTransHuge(plo) && (plo & PTE_P) !== 0 && (!write || (plo & PTE_RW) !== 0)) {
        addr += HPAGE_PMD_SIZE - (addr % HPAGE_PMD_SIZE) - 4096;
        continue;
      }
    }
    const ea = pteOffset(vmm, mm, addr);
    if (ea >= 0) {
      const lo = ram.readU32(ea);
      if (ptePresent(lo) && (!write || (lo & PTE_RW) !== 0)) continue;
    }
    const ret = handleMmFault(vmm, vma, addr, write ? FAULT_FLAG_WRITE : 0);
    if (ret & VM_FAULT_ERROR) return ret & 1 ? ENOMEM : EFAULT;
  }
  return 0;
}

/**
 * __mm_populate(start, len, ignore_errors): every VMA meeting the range, except VM_IO/VM_PFNMAP,
 * PROT_NONE, VM_LOCKONFAULT and file-backed VMAs (file faults are part 2), is populated: write
 * faults where the VMA is private and writable (breaking COW now), read faults elsewhere.
 */
export function mmPopulate(vmm: VirtualMemory, mm: MmStruct, start: number, len: number): void {
  const end = start + len;
  for (const vma of mm.mmMt.vmas) {
    if (vma.vmEnd <= start) continue;
    if (vma.vmStart >= end) break;
    const f = vma.vmFlags;
    if (f & (VM_IO | VM_PFNMAP | VM_LOCKONFAULT) || (f & VM_ACCESS_FLAGS) === 0 || vma.vmFile !== null) continue;
    populateVmaPageRange(vmm, vma, Math.max(start, vma.vmStart), Math.min(end, vma.vmEnd), (f & (VM_WRITE | VM_SHARED)) === VM_WRITE);
  }
}
