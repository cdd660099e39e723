// The reverse-map structures (mm/rmap.c): anon_vma and anon_vma_chain, and the file side's
// i_mmap. An anonymous page will point at its VMA's anon_vma; the anon_vma's chains list every
// VMA (in this mm and, after fork, in children) that may map it. fork links a child's VMA to
// every anon_vma of the parent's VMA and gives it an anon_vma of its own for its COW copies:
//
//     parent VMA P ──avc──> AV0 (root)          AV0.rbRoot = {P, C}
//     child  VMA C ──avc──> AV0, ──avc──> AV1   AV1.parent = AV0, AV1.root = AV0
//
// Invariants (verifyRmap): every chain is on both its VMA's list and its anon_vma's tree; a VMA's
// anonVma is one of its chains' anon_vmas; numActiveVmas counts the VMAs pointing at it;
// numChildren counts anon_vmas whose parent it is (plus its self-parent link for a root).
import {
  BUG,
} from "@mmsim/base";
import type { AddressSpace, AnonVma, AnonVmaChain, MmStruct, VmAreaStruct } from "./mm-types";
import {
  VM_ACCESS_FLAGS as VM_ACCESS_FLAGS_, VM_SHARED as VM_SHARED_, VM_MAYWRITE as VM_MAYWRITE_, VM_SOFTDIRTY as VM_SOFTDIRTY_,
} from "./mm-flags";
import type { VirtualMemory } from "./virtual-memory";
import {
  PG_anon_exclusive as PG_anon_exclusive_, PG_swapbacked as PG_swapbacked_, PG_uptodate as PG_uptodate_,
} from "@mmsim/physical";
import {
  PTE_D, PTE_RW, flushTlbPage, mappedPfn as mappedPfn_, pteOffset,
} from "./pte";
import {
  largeDupAnonRmapPte, largeFolioPut, largeHead as largeHead_, largeMoveAnonRmap, largeRemoveRmapPte, pageIndex,
} from "./rmap-folio";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const VM_ACCESS_FLAGS = VM_ACCESS_FLAGS_;
const VM_SHARED = VM_SHARED_;
const VM_MAYWRITE = VM_MAYWRITE_;
const VM_SOFTDIRTY = VM_SOFTDIRTY_;
const mappedPfn = mappedPfn_;
const largeHead = largeHead_;
const PG_ANON_EXCLUSIVE_BIT = 1 << PG_anon_exclusive_;
const PG_SWAPBACKED_BIT = 1 << PG_swapbacked_;
const PG_UPTODATE_BIT = 1 << PG_uptodate_;

const ENOMEM = -12;

/** anon_vma_chain_link: the chain goes on the VMA's list (at the head) and into the anon_vma's tree. */
function anonVmaChainLink(vma: VmAreaStruct, avc: AnonVmaChain, av: AnonVma): void {
  vma.anonVmaChain.unshift(avc);
  av.rbRoot.push(avc);
}

function treeRemove(av: AnonVma, avc: AnonVmaChain): void {
  const i = av.rbRoot.indexOf(avc);
  if (i < 0) BUG("anon_vma_interval_tree_remove", "chain not in its anon_vma's tree");
  av.rbRoot.splice(i, 1);
}

/** anon_vma_compatible: a and b adjacent with the same file and flags (ignoring access and soft-dirty bits) and linear pgoff. */
function anonVmaCompatible(a: VmAreaStruct, b: VmAreaStruct): boolean {
  return a.vmEnd === b.vmStart && a.vmFile === b.vmFile && ((a.vmFlags ^ b.vmFlags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) === 0 && b.vmPgoff === a.vmPgoff + (b.vmStart - a.vmStart) / 4096;
}

function reusableAnonVma(old: VmAreaStruct, a: VmAreaStruct, b: VmAreaStruct): AnonVma | null {
  if (anonVmaCompatible(a, b) && old.anonVma !== null && old.anonVmaChain.length === 1) return old.anonVma;
  return null;
}

/** find_mergeable_anon_vma: a neighbour's anon_vma this VMA may share (next first, then prev), or null. */
export function findMergeableAnonVma(vma: VmAreaStruct): AnonVma | null {
  const t = vma.vmMm.mmMt;
  const next = t.vmaLookup(vma.vmEnd);
  if (next !== null) {
    const av = reusableAnonVma(next, vma, next);
    if (av !== null) return av;
  }
  const prev = t.vmaPrev(vma);
  return prev !== null ? reusableAnonVma(prev, prev, vma) : null;
}

/**
 * __anon_vma_prepare: gives `vma` an anon_vma (a neighbour's if reusable, else a new root) before
 * its first anonymous page. Returns 0 or -ENOMEM.
 */
export function anonVmaPrepare(vmm: VirtualMemory, vma: VmAreaStruct): number {
  if (vma.anonVma !== null) return 0;
  let av = findMergeableAnonVma(vma);
  let allocated: AnonVma | null = null;
  if (av === null) {
    av = allocated = vmm.anonVmaAlloc();
    if (av === null) return ENOMEM;
    av.numChildren++; // self-parent link for a new root
  }
  const avc = vmm.avcAlloc(vma, av);
  if (avc === null) {
    if (allocated !== null) putAnonVma(vmm, allocated);
    return ENOMEM;
  }
  vma.anonVma = av;
  anonVmaChainLink(vma, avc, av);
  av.numActiveVmas++;
  return 0;
}

/**
 * anon_vma_clone: links `dst` to every anon_vma `src` is linked to (oldest first), reusing one
 * that no VMA uses and that has fewer than two children. Returns 0 or -ENOMEM (dst left unlinked).
 */
export function anonVmaClone(vmm: VirtualMemory, dst: VmAreaStruct, src: VmAreaStruct): number {
  for (let i = src.anonVmaChain.length - 1; i >= 0; i--) {
    const av = src.anonVmaChain[i].anonVma;
    const avc = vmm.avcAlloc(dst, av);
    if (avc === null) {
      dst.anonVma = null;
      unlinkAnonVmas(vmm, dst);
      return ENOMEM;
    }
    anonVmaChainLink(dst, avc, av);
    if (dst.anonVma === null && src.anonVma !== null && av.numChildren < 2 && av.numActiveVmas === 0) dst.anonVma = av;
  }
  if (dst.anonVma !== null) dst.anonVma.numActiveVmas++;
  return 0;
}

/**
 * anon_vma_fork: attaches a forked child's VMA to the parent VMA's anon_vmas and gives it its own
 * anon_vma (or reuses an idle one). Returns 0 or -ENOMEM. Used by dup_mmap (next session).
 */
export function anonVmaFork(vmm: VirtualMemory, vma: VmAreaStruct, pvma: VmAreaStruct): number {
  if (pvma.anonVma === null) return 0;
  vma.anonVma = null;
  if (anonVmaClone(vmm, vma, pvma) < 0) return ENOMEM;
  if (vma.anonVma !== null) return 0;
  const av = vmm.anonVmaAlloc();
  if (av === null) {
    unlinkAnonVmas(vmm, vma);
    return ENOMEM;
  }
  av.numActiveVmas++;
  const avc = vmm.avcAlloc(vma, av);
  if (avc === null) {
    putAnonVma(vmm, av);
    unlinkAnonVmas(vmm, vma);
    return ENOMEM;
  }
  av.root = pvma.anonVma.root;
  av.parent = pvma.anonVma;
  av.root.refcount++; // get_anon_vma(root): the lock lives in the root
  vma.anonVma = av;
  anonVmaChainLink(vma, avc, av);
  av.parent.numChildren++;
  return 0;
}

/** put_anon_vma: drops a reference; the last one frees it (and drops the root's reference). */
export function putAnonVma(vmm: VirtualMemory, av: AnonVma): void {
  if (--av.refcount > 0) return;
  if (av.refcount < 0) BUG("put_anon_vma", "refcount below zero");
  const root = av.root;
  vmm.anonVmaFree(av);
  if (root !== av && --root.refcount === 0) vmm.anonVmaFree(root);
}

/**
 * unlink_anon_vmas: removes every chain of `vma` from its anon_vma's tree and frees the chains;
 * an anon_vma left with no chains drops its parent's child count and its own reference.
 */
export function unlinkAnonVmas(vmm: VirtualMemory, vma: VmAreaStruct): void {
  const chains = vma.anonVmaChain;
  const empty: AnonVma[] = [];
  for (const avc of chains) {
    const av = avc.anonVma;
    treeRemove(av, avc);
    if (av.rbRoot.length === 0) {
      av.parent.numChildren--;
      empty.push(av);
    }
    vmm.avcFree(avc);
  }
  chains.length = 0;
  if (vma.anonVma !== null) {
    vma.anonVma.numActiveVmas--;
    vma.anonVma = null;
  }
  for (const av of empty) putAnonVma(vmm, av);
}

// ---- the file side: i_mmap (an interval tree of VMAs by pgoff range, interval-tree.ts) ----------

/** __vma_link_file: a file VMA joins its mapping's i_mmap (and i_mmap_writable if shared and may write). */
export function vmaLinkFile(vma: VmAreaStruct): void {
  const f = vma.vmFile;
  if (f === null) return;
  if ((vma.vmFlags & (VM_SHARED | VM_MAYWRITE)) === (VM_SHARED | VM_MAYWRITE)) f.mapping.iMmapWritable++;
  f.mapping.iMmap.insert(vma);
}

/** __remove_shared_vm_struct: the reverse of vmaLinkFile. */
export function vmaUnlinkFile(vma: VmAreaStruct): void {
  const f = vma.vmFile;
  if (f === null) return;
  if ((vma.vmFlags & (VM_SHARED | VM_MAYWRITE)) === (VM_SHARED | VM_MAYWRITE)) f.mapping.iMmapWritable--;
  if (!f.mapping.iMmap.contains(vma)) BUG("__remove_shared_vm_struct", `VMA ${vma.vmStart.toString(16)} not in i_mmap of ${f.path}`);
  f.mapping.iMmap.remove(vma);
}

/**
 * The i_mmap side of vma_prepare / vma_complete: a linked file VMA whose vm_start, vm_end or
 * vm_pgoff changed (split, merge, shrink) is re-keyed in its mapping's interval tree.
 */
export function vmaIntervalTreeUpdate(vma: VmAreaStruct): void {
  if (vma.vmFile !== null) vma.vmFile.mapping.iMmap.update(vma);
}

/** The rmap invariants of every VMA of `mm` (part of verify). */
export function verifyRmap(mm: MmStruct): void {
  for (const vma of mm.mmMt.vmas) {
    const av = vma.anonVma;
    if (av !== null && !vma.anonVmaChain.some((c) => c.anonVma === av)) BUG("verifyRmap", `VMA ${vma.vmStart.toString(16)}: anon_vma not among its chains`);
    if (av === null && vma.anonVmaChain.length !== 0) BUG("verifyRmap", `VMA ${vma.vmStart.toString(16)}: chains without an anon_vma`);
    for (const c of vma.anonVmaChain) {
      if (c.vma !== vma) BUG("verifyRmap", "chain on the wrong VMA's list");
      if (!c.anonVma.rbRoot.includes(c)) BUG("verifyRmap", "chain missing from its anon_vma's tree");
      if (c.anonVma.refcount <= 0) BUG("verifyRmap", "chain to a freed anon_vma");
    }
    if (vma.vmFile !== null && !vma.vmFile.mapping.iMmap.contains(vma)) BUG("verifyRmap", `file VMA ${vma.vmStart.toString(16)} not in i_mmap`);
    if (vma.vmFile !== null) vma.vmFile.mapping.iMmap.verify();
  }
}

// ---- anonymous pages (mm/rmap.c folio_add_*_rmap, folio_remove_rmap_pte, rmap_walk_anon) -------
// An anonymous page's mapping word holds (anon_vma id << 1) | PAGE_MAPPING_ANON, its index the
// linear page index in its VMA (linear_page_index), its _mapcount the PTEs mapping it minus one.

/** PAGE_MAPPING_ANON (include/linux/page-flags.h): the low bit of an anonymous folio's mapping. */
export const PAGE_MAPPING_ANON = 1;

const TWO_32 = 4294967296;

/**
 * index - pgoff for a page index kept in 32 bits (struct page's index array is a Uint32Array,
 * while anonymous pgoffs reach 2^35): the difference modulo 2^32 as a signed number, exact for
 * VMAs smaller than 8 TiB.
 */
export function indexDelta(index: number, pgoff: number): number {
  const d = (index - (pgoff % TWO_32) + TWO_32) % TWO_32;
  return d >= 2147483648 ? d - TWO_32 : d;
}

/** linear_page_index: the pgoff of addr in vma. */
export function linearPageIndex(vma: VmAreaStruct, addr: number): number {
  return vma.vmPgoff + (addr - vma.vmStart) / 4096;
}

/** folio_anon_vma: the anon_vma of an anonymous page, or null for a page that is not anonymous. */
export function folioAnonVma(vmm: VirtualMemory, pfn: number): AnonVma | null {
  const m = vmm.pages.mapping[vmm.pages.idx(pfn)];
  if ((m & PAGE_MAPPING_ANON) === 0) return null;
  return vmm.anonVmaById[m >>> 1] ?? BUG("folio_anon_vma", `pfn ${pfn} points at a freed anon_vma ${m >>> 1}`);
}

/**
 * folio_add_new_anon_rmap(RMAP_EXCLUSIVE): a page just allocated for `vma` at addr gets its
 * anon_vma, index, first mapping, PG_swapbacked and PageAnonExclusive; AnonPages grows.
 */
export function folioAddNewAnonRmap(vmm: VirtualMemory, pfn: number, vma: VmAreaStruct, addr: number): void {
  const pages = vmm.pages;
  const i = pages.idx(pfn);
  const av = vma.anonVma ?? BUG("folio_add_new_anon_rmap", `VMA ${vma.vmStart.toString(16)} has no anon_vma`);
  pages.mapping[i] = (av.id << 1) | PAGE_MAPPING_ANON;
  pages.index[i] = linearPageIndex(vma, addr) >>> 0; // modulo 2^32 (ToUint32 of a non-negative integer)
  if (pages.mapcount[i] !== -1) BUG("folio_add_new_anon_rmap", `pfn ${pfn} is already mapped`);
  pages.mapcount[i] = 0;
  pages.flags[i] = (pages.flags[i] | PG_SWAPBACKED_BIT | PG_UPTODATE_BIT | PG_ANON_EXCLUSIVE_BIT) >>> 0;
  vmm.phys.counters.add(vmm.slotAnonPages, 1);
  vmm.nrAnonPages++;
}

/** folio_try_dup_anon_rmap_pte (fork): one more PTE maps the page, which stops being exclusive. */
export function folioDupAnonRmapPte(vmm: VirtualMemory, pfn: number): void {
  const pages = vmm.pages;
  const i = pages.idx(pfn);
  const h = largeHead(vmm, i);
  if (h >= 0) return largeDupAnonRmapPte(vmm, h, i);
  if (pages.mapcount[i] < 0) BUG("folio_try_dup_anon_rmap_pte", `pfn ${pfn} is not mapped`);
  pages.mapcount[i]++;
  pages.refcount[i]++;
  pages.flags[i] = (pages.flags[i] & ~PG_ANON_EXCLUSIVE_BIT) >>> 0;
}

/** folio_move_anon_rmap: a page reused by do_wp_page now belongs to the faulting VMA's anon_vma. */
export function folioMoveAnonRmap(vmm: VirtualMemory, pfn: number, vma: VmAreaStruct): void {
  const av = vma.anonVma ?? BUG("folio_move_anon_rmap", "VMA without anon_vma");
  const i = vmm.pages.idx(pfn);
  const h = largeHead(vmm, i);
  if (h >= 0) largeMoveAnonRmap(vmm, h, (av.id << 1) | PAGE_MAPPING_ANON);
  else vmm.pages.mapping[i] = (av.id << 1) | PAGE_MAPPING_ANON;
}

/** folio_remove_rmap_pte: one PTE less maps the page; the last one takes it out of AnonPages. */
export function folioRemoveRmapPte(vmm: VirtualMemory, pfn: number): void {
  const pages = vmm.pages;
  const i = pages.idx(pfn);
  const h = largeHead(vmm, i);
  if (h >= 0) return largeRemoveRmapPte(vmm, h, i);
  const c = pages.mapcount[i];
  if (c < 0) BUG("folio_remove_rmap_pte", `pfn ${pfn}: mapcount underflow`);
  pages.mapcount[i] = c - 1;
  if (c === 0) {
    if ((pages.mapping[i] & PAGE_MAPPING_ANON) === 0) {
      // a page-cache page: its last PTE leaves NR_FILE_MAPPED (Mapped)
      vmm.phys.counters.add(vmm.phys.counters.id("nr_mapped"), -1);
      return;
    }
    vmm.phys.counters.add(vmm.slotAnonPages, -1);
    vmm.nrAnonPages--;
  }
}

/**
 * folio_add_file_rmap_pte: one more PTE maps the page-cache page `pfn` (the caller holds the
 * mapping's reference); its first mapping enters NR_FILE_MAPPED (Mapped).
 */
export function folioAddFileRmapPte(vmm: VirtualMemory, pfn: number): void {
  const pages = vmm.pages;
  const i = pages.idx(pfn);
  if ((pages.mapping[i] & PAGE_MAPPING_ANON) !== 0 || pages.mapping[i] === 0) BUG("folio_add_file_rmap_pte", `pfn ${pfn} is not a page-cache page`);
  const c = ++pages.mapcount[i];
  if (c === 0) vmm.phys.counters.add(vmm.phys.counters.id("nr_mapped"), 1);
}

/**
 * rmap_walk_file: calls visit(vma, address) for every VMA of `mapping`'s i_mmap whose range holds
 * page `index` and whose PTE there maps pfn (a private VMA may map its own copy instead). Returns
 * how many mappers it found.
 */
export function rmapWalkFile(vmm: VirtualMemory, mapping: AddressSpace, index: number, pfn: number, visit: (vma: VmAreaStruct, address: number) => void): number {
  let found = 0;
  const t = mapping.iMmap;
  // vma_interval_tree_foreach(vma, &mapping->i_mmap, index, index): only the VMAs mapping index
  for (let n = t.iterFirst(index, index); n >= 0; n = t.iterNext(n, index, index)) {
    const vma = t.vmaAt(n);
    const addr = vma.vmStart + (index - vma.vmPgoff) * 4096;
    if (mappedPfn(vmm, vma.vmMm, addr) !== pfn) continue;
    found++;
    visit(vma, addr);
  }
  return found;
}

/**
 * folio_mkclean (rmap_walk_file with page_mkclean_one): every PTE of a shared VMA of `mapping`
 * that maps page-cache page `pfn` at `index` and is writable or dirty becomes read-only and clean
 * (ptep_clear_flush, pte_wrprotect, pte_mkclean), so the next write faults into wp_page_shared
 * and ->page_mkwrite dirties the folio again. Private VMAs are skipped (invalid_mkclean_vma: they
 * map the page read-only). Returns the PTEs changed; write-back calls it before clearing PG_dirty.
 */
export function folioMkclean(vmm: VirtualMemory, mapping: AddressSpace, index: number, pfn: number): number {
  if (vmm.pages.mapcount[vmm.pages.idx(pfn)] < 0) return 0; // !folio_mapped
  const ram = vmm.ram;
  let cleaned = 0;
  const t = mapping.iMmap;
  for (let n = t.iterFirst(index, index); n >= 0; n = t.iterNext(n, index, index)) {
    const vma = t.vmaAt(n);
    if ((vma.vmFlags & VM_SHARED) === 0) continue;
    const addr = vma.vmStart + (index - vma.vmPgoff) * 4096;
    const mm = vma.vmMm;
    if (mappedPfn(vmm, mm, addr) !== pfn) continue;
    const ea = pteOffset(vmm, mm, addr);
    const lo = ram.readU32(ea);
    if ((lo & (PTE_RW | PTE_D)) === 0) continue;
    ram.writeU32(ea, (lo & ~(PTE_RW | PTE_D)) >>> 0);
    flushTlbPage(vmm, mm, addr);
    cleaned++;
  }
  return cleaned;
}

/**
 * folio_put: drops a reference; the last one frees the page (off the LRU, mapping cleared as
 * free_pages_prepare does for anonymous pages).
 */
export function folioPut(vmm: VirtualMemory, pfn: number): void {
  const pages = vmm.pages;
  const i = pages.idx(pfn);
  const h = largeHead(vmm, i);
  if (h >= 0) return largeFolioPut(vmm, h);
  const r = pages.refcount[i] - 1;
  if (r < 0) BUG("folio_put", `pfn ${pfn}: refcount underflow`);
  if (r > 0) {
    pages.refcount[i] = r;
    return;
  }
  if (pages.mapcount[i] !== -1) BUG("folio_put", `pfn ${pfn} freed while mapped`);
  vmm.reclaim.lruDel(pfn);
  pages.mapping[i] = 0;
  pages.index[i] = 0;
  pages.refcount[i] = 1;
  vmm.phys.freePages(pfn, 0);
}

/**
 * rmap_walk_anon: calls visit(vma, address) for every VMA that maps the anonymous page `pfn`
 * (the VMAs on its anon_vma's chains whose range holds the page's index and whose PTE, or huge
 * PMD, there maps pfn: page_vma_mapped_walk). Returns how many mappers it found.
 */
export function rmapWalkAnon(vmm: VirtualMemory, pfn: number, visit: (vma: VmAreaStruct, address: number) => void): number {
  const av = folioAnonVma(vmm, pfn);
  if (av === null) return 0;
  const index = pageIndex(vmm, vmm.pages.idx(pfn));
  let found = 0;
  for (const avc of av.rbRoot) {
    const vma = avc.vma;
    const addr = vma.vmStart + indexDelta(index, vma.vmPgoff) * 4096;
    if (addr < vma.vmStart || addr >= vma.vmEnd) continue;
    if (mappedPfn(vmm, vma.vmMm, addr) !== pfn) continue;
    found++;
    visit(vma, addr);
  }
  return found;
}
