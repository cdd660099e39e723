// Building and tearing down page-table trees in simulated RAM: the one primitive that both
// vmalloc (kernel-alloc) and user mappings (virtual) use, like Linux's
// __pte_alloc/set_pte_at/pte_clear chain and xv6's mappages/walk. Policy (what to map, when to
// flush the TLB, where table pages come from) belongs to the callers. Does not split or
// collapse huge pages; that is the caller's job (split_huge_pmd).
//
// A table page comes from `allocTable()`, which returns the pfn of a zeroed page or -1. A
// failed allocation makes mapPage return false; tables it already installed on the way stay
// (as in Linux, where a freshly allocated PMD table stays in the PUD), but no leaf is written.
// Intermediate entries get Linux's _PAGE_TABLE (P|RW|US|A|D) for the user half and
// _KERNPG_TABLE (P|RW|A|D) for the kernel half: rights are decided by the leaf.
import type { Ram } from "./ram";
import type { PagingLevels, PteFlags } from "./pgtable";
import {
  _KERNPG_TABLE, _PAGE_PRESENT, _PAGE_PSE, _PAGE_TABLE, PTE_ADDR_MASK_HI, PTE_ADDR_MASK_LO,
  entryPresent, isUserHalf, leafLevel, levelSize, vaBits, vaIndex,
} from "./pgtable";
import { BUG, PAGE_SIZE, TWO_32 } from "@mmsim/base";

/** Returns the pfn of a new zeroed page for a page table, or -1 when none is available. */
export type AllocTable = () => number;

/** A located page-table entry: where it is and what it holds. */
export interface PteRef {
  /** physical address of the entry */
  entryPa: number;
  /** its level (1 = PTE, 2 = PMD, 3 = PUD) */
  level: number;
  lo: number;
  hi: number;
  /** bytes an entry at this level maps */
  pageSize: number;
}

/** A fresh PteRef to pass as `out` (reuse it to avoid allocation). */
export function newPteRef(): PteRef {
  return { entryPa: -1, level: 0, lo: 0, hi: 0, pageSize: 0 };
}

function checkVa(fn: string, va: number, levels: PagingLevels): void {
  if (!(va >= 0 && va < 2 ** vaBits(levels)) || va % PAGE_SIZE !== 0) BUG(fn, `va ${va} is not a page-aligned canonical tail`);
}

/** Physical address held in a table entry (bits 12..51). */
function nextTable(lo: number, hi: number): number {
  return (hi & PTE_ADDR_MASK_HI) * TWO_32 + ((lo & PTE_ADDR_MASK_LO) >>> 0);
}

/**
 * Physical address of the entry for `va` at `level` (1..3), allocating missing tables above
 * it. Returns -1 when allocTable fails. An existing huge leaf above `level` is a Bug
 * ("remap": the caller must split it first). Used for present and non-present (swap) entries.
 */
export function pteAlloc(ram: Ram, root: number, va: number, level: number, levels: PagingLevels, allocTable: AllocTable): number {
  checkVa("pteAlloc", va, levels);
  const tableFlags = isUserHalf(va, levels) ? _PAGE_TABLE : _KERNPG_TABLE;
  let table = root;
  for (let l = levels; l > level; l--) {
    const ea = table + vaIndex(va, l) * 8;
    const lo = ram.readU32(ea);
    const hi = ram.readU32(ea + 4);
    if ((lo & _PAGE_PRESENT) !== 0) {
      if ((lo & _PAGE_PSE) !== 0) BUG("mapPage", `remap: va 0x${va.toString(16)} lies in a huge page at level ${l}`);
      table = nextTable(lo, hi);
      continue;
    }
    if (lo !== 0 || hi !== 0) BUG("mapPage", `non-present entry 0x${hi.toString(16)}_${lo.toString(16)} above level ${level}`);
    const pfn = allocTable();
    if (pfn < 0) return -1;
    if (pfn >= ram.maxPfn) BUG("pteAlloc", `allocTable returned pfn ${pfn} outside RAM`);
    const pa = pfn * PAGE_SIZE;
    ram.writeU32(ea + 4, Math.floor(pa / TWO_32) >>> 0);
    ram.writeU32(ea, ((pa >>> 0) | tableFlags.lo) >>> 0);
    table = pa;
  }
  return table + vaIndex(va, level) * 8;
}

/**
 * Maps `va` → `pa` with a page of `pageSize` (4 KiB, 2 MiB or 1 GiB; PS is added for huge
 * pages) and `flags`. Returns true, or false when a table page could not be allocated (no leaf
 * written). A present entry already there is a Bug ("mapPage: remap"); so are misaligned
 * addresses.
 */
export function mapPage(
  ram: Ram, root: number, va: number, pa: number, pageSize: number, flags: PteFlags, levels: PagingLevels, allocTable: AllocTable,
): boolean {
  const level = leafLevel(pageSize);
  if (level < 0) BUG("mapPage", `page size ${pageSize} is not 4 KiB, 2 MiB or 1 GiB`);
  if (va % pageSize !== 0 || pa % pageSize !== 0 || pa < 0 || pa + pageSize > 2 ** 52) {
    BUG("mapPage", `va 0x${va.toString(16)} / pa 0x${pa.toString(16)} not aligned to ${pageSize}`);
  }
  const ea = pteAlloc(ram, root, va, level, levels, allocTable);
  if (ea < 0) return false;
  const oldLo = ram.readU32(ea);
  if (entryPresent(oldLo)) BUG("mapPage", `remap: va 0x${va.toString(16)} already mapped`);
  const lo = ((pa >>> 0) | flags.lo | (level > 1 ? _PAGE_PSE : 0)) >>> 0;
  const hi = ((Math.floor(pa / TWO_32) & PTE_ADDR_MASK_HI) | flags.hi) >>> 0;
  ram.writeU32(ea + 4, hi);
  ram.writeU32(ea, lo);
  return true;
}

/**
 * Finds the entry that maps `va`: the first huge leaf on the way, or the level-1 entry (which
 * may be empty or a swap entry). Returns null when a table on the way is missing; then
 * out.level says at which level the walk stopped (its entry is empty). Never allocates when
 * `out` is given.
 */
export function lookupPte(ram: Ram, root: number, va: number, levels: PagingLevels, out: PteRef = newPteRef()): PteRef | null {
  if (!(va >= 0 && va < 2 ** vaBits(levels))) BUG("lookupPte", `va ${va} is not a canonical tail`);
  let table = root;
  for (let l: number = levels; ; l--) {
    const ea = table + vaIndex(va, l) * 8;
    const lo = ram.readU32(ea);
    const hi = ram.readU32(ea + 4);
    out.entryPa = ea;
    out.level = l;
    out.lo = lo;
    out.hi = hi;
    out.pageSize = levelSize(l);
    if (l === 1) return out;
    if ((lo & _PAGE_PRESENT) === 0) {
      if (l <= 3 && (lo !== 0 || hi !== 0)) return out; // a non-present huge entry (e.g. migration)
      return null;
    }
    if ((lo & _PAGE_PSE) !== 0) return out;
    table = nextTable(lo, hi);
  }
}

/**
 * Clears the entry mapping `va` (a huge leaf or a 4 KiB PTE, present or not) and returns what
 * it held, or null when there was nothing (no table or an all-zero entry). Unmapping a va inside
 * a huge page that is not its first byte is a Bug (split first). The caller flushes the TLB.
 */
export function unmapPage(ram: Ram, root: number, va: number, levels: PagingLevels, out: PteRef = newPteRef()): PteRef | null {
  checkVa("unmapPage", va, levels);
  const ref = lookupPte(ram, root, va, levels, out);
  if (ref === null || (ref.lo === 0 && ref.hi === 0)) return null;
  if (va % ref.pageSize !== 0) BUG("unmapPage", `va 0x${va.toString(16)} inside a ${ref.pageSize}-byte page`);
  ram.writeU32(ref.entryPa, 0);
  ram.writeU32(ref.entryPa + 4, 0);
  return ref;
}

/**
 * Maps [va, va + size) → [pa, pa + size) with pages of `pageSize`. Returns true, or false
 * when a table allocation failed; then every page this call mapped is unmapped again (tables
 * it allocated stay, empty).
 */
export function mapRange(
  ram: Ram, root: number, va: number, pa: number, size: number, pageSize: number, flags: PteFlags,
  levels: PagingLevels, allocTable: AllocTable,
): boolean {
  if (size % pageSize !== 0) BUG("mapRange", `size ${size} not a multiple of ${pageSize}`);
  for (let off = 0; off < size; off += pageSize) {
    if (!mapPage(ram, root, va + off, pa + off, pageSize, flags, levels, allocTable)) {
      for (let back = 0; back < off; back += pageSize) unmapPage(ram, root, va + back, levels);
      return false;
    }
  }
  return true;
}

/**
 * Clears every entry (4 KiB or huge, present or swap) mapping pages in [va, va + size) and
 * returns how many entries were cleared. Missing tables are skipped whole. A huge page that
 * straddles either end of the range is a Bug.
 */
export function unmapRange(ram: Ram, root: number, va: number, size: number, levels: PagingLevels): number {
  checkVa("unmapRange", va, levels);
  const end = va + size;
  const ref = newPteRef();
  let cleared = 0;
  let cur = va;
  while (cur < end) {
    const r = lookupPte(ram, root, cur, levels, ref);
    if (r === null) {
      const span = levelSize(ref.level);
      cur = cur - (cur % span) + span;
      continue;
    }
    if (r.lo !== 0 || r.hi !== 0) {
      if (cur % r.pageSize !== 0 || cur + r.pageSize > end) BUG("unmapRange", `huge page at 0x${cur.toString(16)} straddles the range`);
      ram.writeU32(r.entryPa, 0);
      ram.writeU32(r.entryPa + 4, 0);
      cleared++;
    }
    cur = cur - (cur % r.pageSize) + r.pageSize;
  }
  return cleared;
}

/**
 * Frees the page-table pages whose whole coverage lies inside [start, end) (like Linux's
 * free_pgtables between two VMAs), clearing the entries that pointed at them, and returns how
 * many were freed. The root is never freed. A table still holding a present or swap leaf is a
 * Bug (unmap first).
 */
export function freePgtables(
  ram: Ram, root: number, levels: PagingLevels, start: number, end: number, freeTable: (pfn: number) => void,
): number {
  return freeLevel(ram, root, levels, 0, start, end, freeTable);
}

function freeLevel(
  ram: Ram, table: number, level: number, base: number, start: number, end: number, freeTable: (pfn: number) => void,
): number {
  const span = levelSize(level);
  let freed = 0;
  const first = Math.max(0, Math.floor((start - base) / span));
  const last = Math.min(511, Math.floor((end - 1 - base) / span));
  for (let i = first; i <= last; i++) {
    const ea = table + i * 8;
    const lo = ram.readU32(ea);
    const hi = ram.readU32(ea + 4);
    if (lo === 0 && hi === 0) continue;
    const cStart = base + i * span;
    if (level === 1 || (lo & _PAGE_PRESENT) === 0 || (lo & _PAGE_PSE) !== 0) {
      if (cStart >= start && cStart + span <= end) BUG("freePgtables", `leaf still mapped at 0x${cStart.toString(16)} (level ${level})`);
      continue;
    }
    const child = nextTable(lo, hi);
    freed += freeLevel(ram, child, level - 1, cStart, start, end, freeTable);
    if (cStart >= start && cStart + span <= end) {
      ram.writeU32(ea, 0);
      ram.writeU32(ea + 4, 0);
      freeTable(child / PAGE_SIZE);
      freed++;
    }
  }
  return freed;
}
