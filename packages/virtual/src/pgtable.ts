// User page tables of an mm (arch/x86/mm/pgtable.c pgd_alloc/pgd_free, mm/memory.c __pte_alloc
// and free_pgtables) in the VirtualMemory's format (pgtable-types.ts: x86-64, i386, i386 PAE):
// table pages come from the buddy allocator (GFP_KERNEL | __GFP_ZERO: lowmem, no CONFIG_HIGHPTE),
// carry PGTY_table, count in nr_page_table_pages (PageTables) and in mm->pgtables_bytes (VmPTE).
// PAE preallocates the pgd's four PMDs as pgd_alloc does. Not modelled: the kernel half of the
// pgd (tasks only run user code here; PAE's fourth PMD stays empty) and PTI's second pgd.
import {
  BUG, PAGE_SIZE as PAGE_SIZE_,
} from "@mmsim/base";
import type { AllocTable, Ram } from "@mmsim/hardware";
import {
  GFP_KERNEL as GFP_KERNEL_, PGTY_table as PGTY_table_, __GFP_ZERO as __GFP_ZERO_,
} from "@mmsim/physical";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { PAE_PTRS_PER_PGD, levelShiftOf } from "./pgtable-types";

// Local copies of imported bindings (docs/design/performance.md, rule 2).
const PAGE_SIZE = PAGE_SIZE_;
const GFP_KERNEL = GFP_KERNEL_;
const PGTY_table = PGTY_table_;
const __GFP_ZERO = __GFP_ZERO_;
const TWO_32 = 4294967296;
/**
 * 2^-32 and 2^-12 (4096): multiplying by a power of two is exact, like dividing by it, and stays
 * one multiplication in the bundled dist, where a module constant becomes a `var` and a division
 * by it a real division (performance.md, rule 9).
 */
const INV_TWO_32 = 1 / 4294967296;
const INV_PAGE_SIZE = 1 / 4096;
/** _PAGE_PRESENT | _PAGE_PSE: the bits that tell a table pointer from a leaf (arch/x86/include/asm/pgtable_types.h) */
const P = 0x1, PSE = 0x80;
/** bits 12-31 of an entry's address in its low word (PTE_PFN_MASK) */
const ADDR_LO = 0xfffff000;
/** bits 32-51 of an entry's address in its high word */
const ADDR_HI = 0xfffff;

/**
 * The table-page allocator of one VirtualMemory: `alloc` is the AllocTable the hardware
 * primitives call, charging the mm named in `mm` (set by the caller before each use).
 */
export class PageTableAlloc {
  mm: MmStruct | null = null;
  readonly alloc: AllocTable;

  constructor(private readonly vmm: VirtualMemory) {
    this.alloc = (): number => {
      const mm = this.mm;
      if (mm === null) BUG("__pte_alloc", "no mm to charge");
      return pgtableAlloc(this.vmm, mm);
    };
  }
}

/** pagetable_alloc + pagetable_pte_ctor: a zeroed table page charged to mm, or -1. */
export function pgtableAlloc(vmm: VirtualMemory, mm: MmStruct): number {
  const pfn = vmm.phys.allocPages(GFP_KERNEL | __GFP_ZERO, 0);
  if (pfn < 0) return -1;
  vmm.pages.setType(pfn, PGTY_table);
  vmm.phys.counters.add(vmm.slotPageTables, 1);
  vmm.nrPgtablePages++;
  mm.pgtablesBytes += PAGE_SIZE;
  return pfn;
}

/** pagetable_dtor_free: gives a table page back. */
export function pgtableFree(vmm: VirtualMemory, mm: MmStruct, pfn: number): void {
  vmm.pages.clearType(pfn, PGTY_table);
  vmm.phys.counters.add(vmm.slotPageTables, -1);
  vmm.nrPgtablePages--;
  mm.pgtablesBytes -= PAGE_SIZE;
  vmm.phys.freePages(pfn, 0);
}

/**
 * mm_alloc_pgd: the mm's top-level table (a whole page, PAE's 32-byte PDPT too, as 6.18's
 * _pgd_alloc), and with PAE its four PMDs (preallocate_pmds + pgd_prepopulate_pmd: the PDPTEs
 * are loaded into the CPU at each CR3 write, so Linux fills them once; each counts in VmPTE by
 * mm_inc_nr_pmds). Returns false on ENOMEM, with nothing left allocated.
 */
export function mmAllocPgd(vmm: VirtualMemory, mm: MmStruct): boolean {
  const pfn = pgtableAlloc(vmm, mm);
  if (pfn < 0) return false;
  mm.pgd = pfn * PAGE_SIZE;
  if (!vmm.pae) return true;
  for (let i = 0; i < PAE_PTRS_PER_PGD; i++) {
    if (installTable(vmm, mm, mm.pgd + i * 8, 0, 3) < 0) {
      freePgtables(vmm, mm, 0, vmm.vaTop, 0, vmm.vaTop);
      mmFreePgd(vmm, mm);
      return false;
    }
  }
  return true;
}

/** mm_free_pgd (pgd_free): the pgd goes back once every lower table was freed (free_pgtables; PAE's PMDs too, as pgd_mop_up_pmds). */
export function mmFreePgd(vmm: VirtualMemory, mm: MmStruct): void {
  if (mm.pgd < 0) return;
  pgtableFree(vmm, mm, mm.pgd * INV_PAGE_SIZE);
  mm.pgd = -1;
  if (mm.pgtablesBytes !== 0) BUG("check_mm", `mm still holds ${mm.pgtablesBytes} bytes of page tables`);
}

/**
 * The PTE slot (physical address) for va in mm, allocating missing tables; -1 on ENOMEM
 * (__pte_alloc). A huge PMD on the way is a Bug (the callers split it first).
 */
export function pteAllocMm(vmm: VirtualMemory, mm: MmStruct, va: number): number {
  const pmd = pmdAllocMm(vmm, mm, va);
  if (pmd < 0) return -1;
  if ((tableEntryLo(vmm.ram, 2, pmd) & PSE) !== 0) BUG("__pte_alloc", `va 0x${va.toString(16)} lies in a huge page`);
  return pteAllocPmd(vmm, mm, pmd, va);
}

/** _PAGE_TABLE (P | RW | US | A | D): what a user-half table pointer carries (arch/x86/include/asm/pgtable_types.h) */
const PAGE_TABLE = 0x67;
/** A PAE PDPTE: _PAGE_PRESENT only, the rest is reserved (arch/x86/mm/pgtable.c pud_populate) */
const PDPTE_PRESENT = 0x1;

/**
 * The walk of __handle_mm_fault down to the PMD: the physical address of the PMD entry of va in
 * mm, allocating missing p4d/pud/pmd tables (pgd_offset, p4d_alloc, pud_alloc, pmd_alloc);
 * -1 on ENOMEM. va is split into two 32-bit halves once, so each level's index is an int32
 * shift and mask (performance.md rule 3; no float division per level). On i386 the pmd is the
 * pgd entry (pmd_offset of pgtable-nopmd.h): no level is walked above it.
 */
export function pmdAllocMm(vmm: VirtualMemory, mm: MmStruct, va: number): number {
  const ram = vmm.ram;
  const vhi = (va * INV_TWO_32) >>> 0;
  const vlo = va >>> 0;
  let table = mm.pgd;
  for (let l: number = vmm.pgtLevels; l > 2; l--) {
    const idx = l === 3 ? ((vlo >>> 30) | (vhi << 2)) & 511 : (vhi >>> (l === 4 ? 7 : 16)) & 511;
    const ea = table + idx * 8;
    // The entry through the walk's table cache (Ram.tableFrame, one line per level, as the MMU
    // reads it): the failed walk just loaded these lines, where readU32 would miss Ram's
    // one-frame cache at every level.
    const base = ram.tableFrame(l, table * INV_PAGE_SIZE);
    const lo = base < 0 ? 0 : ram.tableWords(l)[base + idx * 2];
    if ((lo & P) !== 0) {
      if ((lo & PSE) !== 0) BUG("pmd_alloc", `va 0x${va.toString(16)} lies in a huge page at level ${l}`);
      table = (ram.tableWords(l)[base + idx * 2 + 1] & ADDR_HI) * TWO_32 + ((lo & ADDR_LO) >>> 0);
      continue;
    }
    table = installTable(vmm, mm, ea, lo, l);
    if (table < 0) return -1;
  }
  return table + (((vlo >>> vmm.pmdShift) & vmm.pmdIndexMask) << vmm.entryShift);
}

/**
 * pte_alloc + pte_offset_map: the PTE slot of va under the PMD entry at pmd (not a huge one),
 * allocating the PTE table when the PMD is empty; -1 on ENOMEM.
 */
export function pteAllocPmd(vmm: VirtualMemory, mm: MmStruct, pmd: number, va: number): number {
  const ram = vmm.ram;
  const lo = tableEntryLo(ram, 2, pmd);
  const shift = vmm.entryShift;
  let table: number;
  if ((lo & P) !== 0) table = (shift === 3 ? (tableEntryHi(ram, 2, pmd) & ADDR_HI) * TWO_32 : 0) + ((lo & ADDR_LO) >>> 0);
  else {
    table = installTable(vmm, mm, pmd, lo, 2);
    if (table < 0) return -1;
  }
  return table + ((((va >>> 0) >>> 12) & vmm.pteIndexMask) << shift);
}

/**
 * The low word of the page-table entry at physical address ea in a table of paging level
 * `level` (1 = PTE table, 2 = PMD table, ...), read through the walk's table cache
 * (Ram.tableFrame: one line per level, which the MMU's walk of the same address just loaded)
 * instead of Ram's one-frame cache, which misses when the reads go from table to table.
 */
export function tableEntryLo(ram: Ram, level: number, ea: number): number {
  const off = (ea >>> 0) & 4095;
  const base = ram.tableFrame(level, (ea - off) * INV_PAGE_SIZE);
  return base < 0 ? 0 : ram.tableWords(level)[base + (off >>> 2)];
}

/** The high word of the 8-byte entry at ea (see tableEntryLo); i386's 4-byte entries have none. */
export function tableEntryHi(ram: Ram, level: number, ea: number): number {
  const off = (ea >>> 0) & 4095;
  const base = ram.tableFrame(level, (ea - off) * INV_PAGE_SIZE);
  return base < 0 ? 0 : ram.tableWords(level)[base + (off >>> 2) + 1];
}

/**
 * A new table page installed in the empty entry at ea of a table of paging level `level`
 * (pmd_populate and its siblings; PAE's pgd entries take P only, as pud_populate sets them);
 * its address, or -1.
 */
function installTable(vmm: VirtualMemory, mm: MmStruct, ea: number, lo: number, level: number): number {
  const ram = vmm.ram;
  const wide = vmm.entryShift === 3;
  if (lo !== 0 || (wide && ram.readU32(ea + 4) !== 0)) BUG("__pte_alloc", `non-present entry 0x${lo.toString(16)} above a PTE`);
  const pfn = pgtableAlloc(vmm, mm);
  if (pfn < 0) return -1;
  const pa = pfn * PAGE_SIZE;
  if (wide) ram.writeU32(ea + 4, (pa * INV_TWO_32) >>> 0);
  ram.writeU32(ea, ((pa >>> 0) | (vmm.pae && level === 3 ? PDPTE_PRESENT : PAGE_TABLE)) >>> 0);
  return pa;
}

/**
 * free_pgtables over [start, end) with the neighbours' bounds [floor, ceiling): frees every table
 * whose coverage meets [start, end), lies inside [floor, ceiling) and is empty, and clears the
 * entry that pointed at it. Returns how many tables were freed. The pgd stays.
 */
export function freePgtables(vmm: VirtualMemory, mm: MmStruct, start: number, end: number, floor: number, ceiling: number): number {
  const top = vmm.vaTop;
  return freeLevel(vmm, mm, mm.pgd, vmm.pgtLevels, 0, start, Math.min(end, top), floor, Math.min(ceiling, top));
}

function freeLevel(vmm: VirtualMemory, mm: MmStruct, table: number, level: number, base: number, start: number, end: number, floor: number, ceiling: number): number {
  const ram = vmm.ram;
  const span = 2 ** levelShiftOf(vmm.pmdShift, level);
  const entries = level === 1 ? vmm.pteIndexMask : level === 2 ? vmm.pmdIndexMask : 511;
  const shift = vmm.entryShift;
  let freed = 0;
  const first = Math.max(0, Math.floor((start - base) / span));
  const last = Math.min(entries, Math.floor((end - 1 - base) / span));
  for (let i = first; i <= last; i++) {
    const ea = table + (i << shift);
    const lo = ram.readU32(ea);
    if ((lo & P) === 0 || (lo & PSE) !== 0 || level === 1) continue;
    const hi = shift === 3 ? ram.readU32(ea + 4) : 0;
    const child = (hi & ADDR_HI) * TWO_32 + ((lo & ADDR_LO) >>> 0);
    const cStart = base + i * span;
    freed += freeLevel(vmm, mm, child, level - 1, cStart, start, end, floor, ceiling);
    if (cStart >= floor && cStart + span <= ceiling && tableEmpty(vmm, child)) {
      ram.writeU32(ea, 0);
      if (shift === 3) ram.writeU32(ea + 4, 0);
      pgtableFree(vmm, mm, child * INV_PAGE_SIZE);
      freed++;
    }
  }
  return freed;
}

function tableEmpty(vmm: VirtualMemory, table: number): boolean {
  const ram = vmm.ram;
  for (let off = 0; off < PAGE_SIZE; off += 4) if (ram.readU32(table + off) !== 0) return false;
  return true;
}
