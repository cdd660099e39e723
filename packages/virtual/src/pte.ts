// x86 PTE helpers as mm/ and arch/x86/include/asm/pgtable.h use them on user page tables
// (pte_present, pte_pfn, pte_write, pte_modify, ...), on the two 32-bit words of an entry (an
// i386 4-byte entry is a low word with a zero high word: the flag bits are x86-64's, without NX),
// and the lookups that find a PTE or PMD slot without allocating (pte_offset_map, pmd_offset) in
// the VirtualMemory's format. Also the TLB shootdown of arch/x86/mm/tlb.c
// (flush_tlb_page/flush_tlb_mm_range over mm_cpumask) and switch_mm.
import type { Cpu } from "@mmsim/hardware";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";

const TWO_32 = 4294967296;
/**
 * 2^-32: multiplying by a power of two is exact, like dividing by it, and stays one
 * multiplication in the bundled dist, where a module constant becomes a `var` and a division by
 * it a real division (performance.md, rule 9).
 */
const INV_TWO_32 = 1 / 4294967296;
/** _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PSE (arch/x86/include/asm/pgtable_types.h) */
export const PTE_P = 0x1, PTE_RW = 0x2, PTE_US = 0x4, PTE_A = 0x20, PTE_D = 0x40, PTE_PSE = 0x80;
/** _PAGE_PROTNONE (= _PAGE_GLOBAL on user PTEs, bit 8) and _PAGE_SPECIAL (_PAGE_SOFTW1, bit 9) */
export const PTE_PROTNONE = 0x100, PTE_SPECIAL = 0x200;
/** _PAGE_CHG_MASK's low word: PFN bits 12-31, PWT, PCD, ACCESSED, DIRTY, SPECIAL, UFFD_WP (bit 10), SOFT_DIRTY (bit 11) */
const CHG_MASK_LO = 0xfffff000 | 0x8 | 0x10 | PTE_A | PTE_D | PTE_SPECIAL | 0x400 | 0x800;
/** bits 32-51 of the frame address, in an entry's high word */
export const PTE_ADDR_HI = 0xfffff;
/** TLB_SINGLE_PAGE_FLUSH_CEILING (arch/x86/mm/tlb.c): above 33 pages a range flush drops the whole PCID */
const FLUSH_CEILING = 33;

/** pte_present (x86): P or PROTNONE set. */
export function ptePresent(lo: number): boolean {
  return (lo & (PTE_P | PTE_PROTNONE)) !== 0;
}

/** pte_pfn of an entry given as its two words. */
export function entryPfn(lo: number, hi: number): number {
  return (hi & PTE_ADDR_HI) * 1048576 + (lo >>> 12);
}

/**
 * The low word of pfn_pte(pfn, prot). pfn is below 2^32 (16 TiB of RAM): `pfn << 12` keeps the
 * low 32 bits of pfn * 4096, which is all this word holds.
 */
export function pfnLo(pfn: number, protLo: number): number {
  return ((pfn << 12) | protLo) >>> 0;
}

/** The high word of pfn_pte(pfn, prot): bits 20-31 of a pfn below 2^32. */
export function pfnHi(pfn: number, protHi: number): number {
  return ((pfn >>> 20) | protHi) >>> 0;
}

/** pte_modify's low word: keeps _PAGE_CHG_MASK bits of old, takes the rest from newprot. */
export function pteModifyLo(oldLo: number, protLo: number): number {
  return ((oldLo & CHG_MASK_LO) | (protLo & ~CHG_MASK_LO)) >>> 0;
}

/** pte_modify's high word: the frame bits stay, NX and the other high flags come from newprot. */
export function pteModifyHi(oldHi: number, protHi: number): number {
  return ((oldHi & PTE_ADDR_HI) | protHi) >>> 0;
}

/** The high word of the entry at ea: bits 32-63 of an 8-byte entry, 0 for i386's 4-byte entries. */
export function pteHi(vmm: VirtualMemory, ea: number): number {
  return vmm.entryShift === 3 ? vmm.ram.readU32(ea + 4) : 0;
}

/** Writes the entry at ea (the high word first, as set_pte does on PAE; i386's entries have none). */
export function setPte(vmm: VirtualMemory, ea: number, lo: number, hi: number): void {
  if (vmm.entryShift === 3) vmm.ram.writeU32(ea + 4, hi);
  vmm.ram.writeU32(ea, lo);
}

/**
 * pte_offset_map without allocation: the physical address of the PTE slot of addr in mm, or -1
 * when a table on the way is missing or a huge leaf maps addr.
 */
export function pteOffset(vmm: VirtualMemory, mm: MmStruct, addr: number): number {
  const pmd = pmdOffset(vmm, mm, addr);
  if (pmd < 0) return -1;
  const ram = vmm.ram;
  const lo = ram.readU32(pmd);
  if ((lo & PTE_P) === 0 || (lo & PTE_PSE) !== 0) return -1;
  const shift = vmm.entryShift;
  const table = (shift === 3 ? (ram.readU32(pmd + 4) & PTE_ADDR_HI) * TWO_32 : 0) + ((lo & 0xfffff000) >>> 0);
  return table + ((((addr >>> 0) >>> 12) & vmm.pteIndexMask) << shift);
}

/** The pfn a present PTE of mm maps at addr, or -1. */
export function ptePfn(vmm: VirtualMemory, mm: MmStruct, addr: number): number {
  const ea = pteOffset(vmm, mm, addr);
  if (ea < 0) return -1;
  const lo = vmm.ram.readU32(ea);
  if (!ptePresent(lo)) return -1;
  return entryPfn(lo, pteHi(vmm, ea));
}

/**
 * switch_mm: cpu runs mm from now on (CR3 = mm->pgd, PCID 0: the non-global entries of the mm
 * that ran before are flushed) and joins mm_cpumask.
 */
export function switchMm(mm: MmStruct, cpu: Cpu): void {
  if (cpu.cr3 !== mm.pgd) cpu.writeCr3(mm.pgd, 0, false);
  mm.cpuMask[cpu.id] = 1;
}

/**
 * flush_tlb_mm_range for [start, end) of mm: every CPU of mm_cpumask that runs mm now drops the
 * range (INVLPG per page, the whole PCID above the ceiling). CPUs in the mask that switched to
 * another mm already flushed it in switch_mm (one PCID for user mms).
 */
export function flushTlbRange(vmm: VirtualMemory, mm: MmStruct, start: number, end: number): void {
  const cpus = vmm.cpus;
  const pages = (end - start) / 4096;
  for (let c = 0; c < cpus.length; c++) {
    const cpu = cpus[c];
    if (mm.cpuMask[c] === 0 || cpu.cr3 !== mm.pgd) continue;
    if (pages > FLUSH_CEILING) cpu.tlb.flushPcid(cpu.pcid);
    else for (let a = start; a < end; a += 4096) cpu.tlb.invlpg(a);
  }
}

/** flush_tlb_page. */
export function flushTlbPage(vmm: VirtualMemory, mm: MmStruct, addr: number): void {
  const cpus = vmm.cpus;
  for (let c = 0; c < cpus.length; c++) {
    const cpu = cpus[c];
    if (mm.cpuMask[c] !== 0 && cpu.cr3 === mm.pgd) cpu.tlb.invlpg(addr);
  }
}

/**
 * pmd_offset without allocation: the physical address of the PMD entry of addr in mm (on i386
 * the pgd entry, the pmd being folded), or -1 when a table above it is missing. addr is split
 * into int32 halves once, as pmdAllocMm does.
 */
export function pmdOffset(vmm: VirtualMemory, mm: MmStruct, addr: number): number {
  const ram = vmm.ram;
  const vhi = (addr * INV_TWO_32) >>> 0;
  const vlo = addr >>> 0;
  let table = mm.pgd;
  for (let l = vmm.pgtLevels; l > 2; l--) {
    const idx = l === 3 ? ((vlo >>> 30) | (vhi << 2)) & 511 : (vhi >>> (l === 4 ? 7 : 16)) & 511;
    const ea = table + idx * 8;
    const lo = ram.readU32(ea);
    if ((lo & PTE_P) === 0 || (lo & PTE_PSE) !== 0) return -1;
    table = (ram.readU32(ea + 4) & PTE_ADDR_HI) * TWO_32 + ((lo & 0xfffff000) >>> 0);
  }
  return table + (((vlo >>> vmm.pmdShift) & vmm.pmdIndexMask) << vmm.entryShift);
}

/**
 * The pfn mapped at addr in mm by a present PTE or a huge PMD (the PMD's head pfn plus the
 * page's offset in it), or -1 (page_vma_mapped_walk's question).
 */
export function mappedPfn(vmm: VirtualMemory, mm: MmStruct, addr: number): number {
  const pmd = pmdOffset(vmm, mm, addr);
  if (pmd < 0) return -1;
  const lo = vmm.ram.readU32(pmd);
  if ((lo & PTE_PSE) !== 0) {
    if (!ptePresent(lo)) return -1;
    return entryPfn(lo, pteHi(vmm, pmd)) + (((addr >>> 0) % vmm.pmdSize) >>> 12);
  }
  return ptePfn(vmm, mm, addr);
}
