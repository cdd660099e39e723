// Page-table work over a range of a VMA (mm/memory.c zap_pte_range and copy_pte_range,
// mm/mprotect.c change_pte_range, mm/mremap.c move_ptes, mm/madvise.c madvise_free_pte_range):
// each visits the PTEs of [start, end), skipping whole tables that do not exist, and moves
// refcounts, mapcounts and rss as Linux does; the TLB flush follows each range. Entries are 8 or
// 4 bytes (vmm.entryShift: i386's have no high word, read as 0) and a PTE table maps vmm.pmdSize.
import type { MmStruct, VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import {
  PTE_A, PTE_D, PTE_P, PTE_PROTNONE, PTE_RW, PTE_SPECIAL, entryPfn as entryPfn_, flushTlbRange, pteModifyHi, pteModifyLo, pteOffset as pteOffset_,
  ptePresent as ptePresent_,
} from "./pte";
import { MM_ANONPAGES, MM_SWAPENTS, updateHiwaterRss } from "./memory";
import { folioDupAnonRmapPte as folioDupAnonRmapPte_, folioPut as folioPut_, folioRemoveRmapPte as folioRemoveRmapPte_ } from "./rmap";
import { pteAllocMm } from "./pgtable";
import { VM_MAYWRITE, VM_SHARED, VM_WRITE } from "./mm-flags";
import { PG_anon_exclusive } from "@mmsim/physical";
import { mmCounter as mmCounter_, mmCounterFile as mmCounterFile_ } from "./shmem/mm-counter";
import type { MapPagesOps } from "./file-fault";

// Local copies of the imports the per-PTE loops call (docs/design/performance.md, rule 2: an
// imported binding is a load through a module cell per use, a getter call under tsx and vitest).
const entryPfn = entryPfn_;
const pteOffset = pteOffset_;
const ptePresent = ptePresent_;
const folioDupAnonRmapPte = folioDupAnonRmapPte_;
const folioPut = folioPut_;
const folioRemoveRmapPte = folioRemoveRmapPte_;
const mmCounter = mmCounter_;
const mmCounterFile = mmCounterFile_;
const ANON_EXCLUSIVE = 1 << PG_anon_exclusive;
/** The next PTE table boundary above addr (pmd_addr_end without the end): span is PMD_SIZE. */
function nextTable(addr: number, span: number): number {
  return addr - (addr % span) + span;
}

/**
 * zap_pte_range over [start, end) of vma (unmap_vmas, zap_page_range_single): clears every PTE,
 * drops the rmap and the reference of normal pages, frees swap entries through the reclaim hook,
 * lowers the rss after update_hiwater_rss, flushes the TLBs. Returns the PTEs cleared.
 */
export function zapPageRange(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number): number {
  const mm = vma.vmMm;
  if (mm.pgd < 0) return 0;
  updateHiwaterRss(mm);
  const ram = vmm.ram;
  const span = vmm.pmdSize, step = 1 << vmm.entryShift, wide = step === 8;
  let cleared = 0;
  for (let addr = start; addr < end; ) {
    const ea = pteOffset(vmm, mm, addr);
    if (ea < 0) {
      addr = nextTable(addr, span);
      continue;
    }
    const stop = Math.min(end, nextTable(addr, span));
    for (let e = ea; addr < stop; addr += 4096, e += step) {
      const lo = ram.readU32(e);
      const hi = wide ? ram.readU32(e + 4) : 0;
      if (lo === 0 && hi === 0) continue;
      ram.writeU32(e, 0);
      if (wide) ram.writeU32(e + 4, 0);
      cleared++;
      if (!ptePresent(lo)) {
        vmm.reclaim.swapFree(lo, hi);
        mm.rssStat[MM_SWAPENTS]--;
        continue;
      }
      if (lo & PTE_SPECIAL) continue;
      const pfn = entryPfn(lo, hi);
      const file = (vmm.pages.mapping[vmm.pages.idx(pfn)] & 1) === 0;
      mm.rssStat[file ? mmCounterFile(vmm, pfn) : MM_ANONPAGES]--; // mm_counter
      // zap_present_folio_ptes: a file folio inherits the PTE's dirty bit (folio_mark_dirty)
      if (file && (lo & PTE_D) !== 0) vma.vmFile?.mapping.aOps?.dirtyFolio(pfn);
      folioRemoveRmapPte(vmm, pfn);
      folioPut(vmm, pfn);
    }
  }
  if (cleared > 0) flushTlbRange(vmm, mm, start, end);
  return cleared;
}

/** is_cow_mapping: private and may become writable. */
export function isCowMapping(flags: number): boolean {
  return (flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
}

/**
 * copy_page_range for fork: the PTEs of src (in the parent) are copied into dst (the child's
 * VMA at the same range). Anonymous pages gain a reference and a mapping and stop being
 * exclusive; writable PTEs of a COW mapping are write-protected in both; the child's PTEs are
 * old. Returns 0 or -ENOMEM (a child table could not be allocated).
 */
export function copyPageRange(vmm: VirtualMemory, dst: VmAreaStruct, src: VmAreaStruct): number {
  if (src.anonVma === null) return 0; // nothing but what a fault can rebuild (vma_needs_copy)
  const smm = src.vmMm;
  const dmm = dst.vmMm;
  const ram = vmm.ram;
  const cow = isCowMapping(src.vmFlags);
  const span = vmm.pmdSize, step = 1 << vmm.entryShift, wide = step === 8;
  let wrprotected = false;
  for (let addr = src.vmStart; addr < src.vmEnd; ) {
    const ea = pteOffset(vmm, smm, addr);
    if (ea < 0) {
      addr = nextTable(addr, span);
      continue;
    }
    const stop = Math.min(src.vmEnd, nextTable(addr, span));
    // Two passes per table: the parent's entries into the scratch words, then the child's
    // table. Interleaving reads of one table frame with writes to another missed Ram's
    // one-frame cache on every access; the final RAM contents are the same.
    const words = vmm.pteScratch;
    let dBase = -1; // the child's entry matching the parent's entry at ea, once the child's table exists
    let n = 0;
    for (let e = ea; addr < stop; addr += 4096, e += step, n += 2) {
      let lo = ram.readU32(e);
      const hi = wide ? ram.readU32(e + 4) : 0;
      words[n] = lo;
      words[n + 1] = hi;
      if (lo === 0 && hi === 0) continue;
      if (dBase < 0) {
        const d = pteAllocMm(vmm, dmm, addr);
        if (d < 0) return -12;
        dBase = d - (e - ea);
      }
      if (!ptePresent(lo)) {
        vmm.reclaim.swapDup(lo, hi);
        dmm.rssStat[MM_SWAPENTS]++;
      } else {
        if ((lo & PTE_SPECIAL) === 0) {
          const pfn = entryPfn(lo, hi);
          dmm.rssStat[mmCounter(vmm, pfn)]++; // mm_counter
          folioDupAnonRmapPte(vmm, pfn);
        }
        if (cow && (lo & PTE_RW) !== 0) {
          lo = (lo & ~PTE_RW) >>> 0;
          ram.writeU32(e, lo);
          wrprotected = true;
        }
        words[n] = (lo & ~PTE_A) >>> 0; // pte_mkold
      }
    }
    if (dBase < 0) continue;
    for (let k = 0; k < n; k += 2) {
      const lo = words[k];
      const hi = words[k + 1];
      if (lo === 0 && hi === 0) continue;
      const slot = dBase + (wide ? k << 2 : k << 1); // k counts two scratch words per entry
      if (wide) ram.writeU32(slot + 4, hi);
      ram.writeU32(slot, lo);
    }
  }
  if (wrprotected) flushTlbRange(vmm, smm, src.vmStart, src.vmEnd);
  return 0;
}

/**
 * change_pte_range: every present PTE of [start, end) takes vma.vmPageProt (pte_modify); with a
 * writable private VMA, a PTE of an exclusive anonymous page becomes writable at once
 * (MM_CP_TRY_CHANGE_WRITABLE, can_change_pte_writable). Returns the PTEs changed.
 */
export function changeProtectionRange(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number): number {
  const mm = vma.vmMm;
  if (mm.pgd < 0) return 0;
  const ram = vmm.ram;
  const prot = vma.vmPageProt;
  const tryWritable = (vma.vmFlags & (VM_WRITE | VM_SHARED)) === VM_WRITE;
  // vma_wants_writenotify: a shared file mapping's vm_page_prot has no write bit, so only a dirty
  // PTE becomes writable (can_change_pte_writable); a clean page's next write faults and dirties it
  const writenotify = (vma.vmFlags & VM_SHARED) !== 0 && (vma.vmOps as MapPagesOps | null)?.pageMkwrite !== undefined;
  const pages = vmm.pages;
  const span = vmm.pmdSize, step = 1 << vmm.entryShift, wide = step === 8;
  let changed = 0;
  for (let addr = start; addr < end; ) {
    const ea = pteOffset(vmm, mm, addr);
    if (ea < 0) {
      addr = nextTable(addr, span);
      continue;
    }
    const stop = Math.min(end, nextTable(addr, span));
    for (let e = ea; addr < stop; addr += 4096, e += step) {
      const lo = ram.readU32(e);
      if (!ptePresent(lo)) continue;
      const hi = wide ? ram.readU32(e + 4) : 0;
      let nlo = pteModifyLo(lo, prot.lo);
      const nhi = wide ? pteModifyHi(hi, prot.hi) : 0;
      if (tryWritable && (nlo & PTE_RW) === 0 && (nlo & PTE_P) !== 0 && (nlo & PTE_SPECIAL) === 0) {
        if ((pages.flags[pages.idx(entryPfn(lo, hi))] & ANON_EXCLUSIVE) !== 0) nlo = (nlo | PTE_RW) >>> 0;
      }
      if (writenotify && (lo & PTE_D) === 0) nlo = (nlo & ~PTE_RW) >>> 0;
      if (nlo === lo && nhi === hi) continue;
      if (wide) ram.writeU32(e + 4, nhi);
      ram.writeU32(e, nlo);
      changed++;
    }
  }
  if (changed > 0) flushTlbRange(vmm, mm, start, end);
  return changed;
}

/**
 * move_ptes for mremap: the PTEs of [oldAddr, oldAddr + len) move to newAddr (same mm; a page's
 * index and anon_vma stay valid because copy_vma gave the new VMA the matching pgoff). Returns
 * the bytes moved; on ENOMEM for a new table the moved PTEs go back and 0 is returned.
 */
export function movePtes(vmm: VirtualMemory, mm: MmStruct, oldAddr: number, newAddr: number, len: number): number {
  const ram = vmm.ram;
  const span = vmm.pmdSize, wide = vmm.entryShift === 3;
  let moved = false;
  for (let off = 0; off < len; off += 4096) {
    const ea = pteOffset(vmm, mm, oldAddr + off);
    if (ea < 0) {
      off = nextTable(oldAddr + off, span) - oldAddr - 4096;
      continue;
    }
    const lo = ram.readU32(ea);
    const hi = wide ? ram.readU32(ea + 4) : 0;
    if (lo === 0 && hi === 0) continue;
    const d = pteAllocMm(vmm, mm, newAddr + off);
    if (d < 0) {
      if (off > 0) movePtes(vmm, mm, newAddr, oldAddr, off);
      return 0;
    }
    // pteAllocMm may have allocated a table but never moves existing ones: ea is still valid
    ram.writeU32(ea, 0);
    if (wide) ram.writeU32(ea + 4, 0);
    if (wide) ram.writeU32(d + 4, hi);
    ram.writeU32(d, lo);
    moved = true;
  }
  if (moved) flushTlbRange(vmm, mm, oldAddr, oldAddr + len);
  return len;
}

/**
 * madvise_free_pte_range: swap entries are dropped; present PTEs of anonymous pages mapped only
 * here (mapcount 1) become clean and old, so reclaim may discard them instead of swapping.
 * Marking the folio lazyfree (clearing PG_swapbacked, moving it to the file LRU) is reclaim's work.
 */
export function madviseFreeRange(vmm: VirtualMemory, vma: VmAreaStruct, start: number, end: number): void {
  const mm = vma.vmMm;
  if (mm.pgd < 0) return;
  const ram = vmm.ram;
  const pages = vmm.pages;
  const span = vmm.pmdSize, step = 1 << vmm.entryShift, wide = step === 8;
  let flush = false;
  for (let addr = start; addr < end; ) {
    const ea = pteOffset(vmm, mm, addr);
    if (ea < 0) {
      addr = nextTable(addr, span);
      continue;
    }
    const stop = Math.min(end, nextTable(addr, span));
    for (let e = ea; addr < stop; addr += 4096, e += step) {
      const lo = ram.readU32(e);
      const hi = wide ? ram.readU32(e + 4) : 0;
      if (lo === 0 && hi === 0) continue;
      if (!ptePresent(lo)) {
        ram.writeU32(e, 0);
        if (wide) ram.writeU32(e + 4, 0);
        vmm.reclaim.swapFree(lo, hi);
        mm.rssStat[MM_SWAPENTS]--;
        continue;
      }
      if ((lo & (PTE_SPECIAL | PTE_PROTNONE)) !== 0) continue;
      if (pages.mapcount[pages.idx(entryPfn(lo, hi))] !== 0) continue;
      const nlo = (lo & ~(PTE_A | PTE_D)) >>> 0;
      if (nlo !== lo) {
        ram.writeU32(e, nlo);
        flush = true;
      }
    }
  }
  if (flush) flushTlbRange(vmm, mm, start, end);
}
