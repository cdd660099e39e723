// The user page-table formats a VirtualMemory builds, as Linux's x86 headers define them:
// x86-64 (pgtable_64_types.h: 4 or 5 levels of 512 8-byte entries), i386 without PAE
// (pgtable-2level_types.h: 2 levels of 1024 4-byte entries, the pmd folded into the pgd) and
// i386 with PAE (pgtable-3level_types.h: a 4-entry pgd, the PDPT, then 512-entry PMD and PTE
// tables of 8-byte entries). Only the numbers live here; the walks read them from VirtualMemory.
//
//   i386:      | 31..22 PGD (1024) | 21..12 PTE (1024) | 11..0 |   PMD_SHIFT = PGDIR_SHIFT = 22
//   i386 PAE:  | 31..30 PGD (4) | 29..21 PMD (512) | 20..12 PTE (512) | 11..0 |   PMD_SHIFT = 21
//
// Seed 001's arithmetic: a 4 GiB space of 4 KiB pages needs 2^20 PTEs of 4 bytes, 4 MiB of PTE
// tables (1024 pages), reached from one 4 KiB page directory; a 3 GiB user half needs 768.
import { BUG } from "@mmsim/base";
import { PAGING_32BIT as PAGING_32BIT_, PAGING_IA32E as PAGING_IA32E_, PAGING_PAE as PAGING_PAE_ } from "@mmsim/hardware";

/** The architecture of the user address space: x86-64, or 32-bit x86. */
export type UserArch = "x86_64" | "i386";

/** TASK_SIZE = __PAGE_OFFSET = CONFIG_PAGE_OFFSET 0xC0000000: the 3G/1G split (arch/x86/include/asm/page_32_types.h). */
export const I386_TASK_SIZE = 0xc0000000;
/** ELF_ET_DYN_BASE for an ia32 task: 0x400000 (arch/x86/include/asm/elf.h, mmap_is_ia32()). */
export const I386_ELF_ET_DYN_BASE = 0x400000;
/** PTRS_PER_PGD and PTRS_PER_PTE of 2-level paging: 1024 (pgtable-2level_types.h). */
export const I386_PTRS_PER_PTE = 1024;
/** PGDIR_SHIFT of 2-level paging: 22, so one PTE table maps 4 MiB (pgtable-2level_types.h). */
export const I386_PGDIR_SHIFT = 22;
/** PTRS_PER_PGD of PAE paging: 4, the PDPT (pgtable-3level_types.h). */
export const PAE_PTRS_PER_PGD = 4;
/** PGDIR_SHIFT of PAE paging: 30 (pgtable-3level_types.h). */
export const PAE_PGDIR_SHIFT = 30;

/** The numbers of one user page-table format. */
export interface PgtableFormat {
  /** table levels: 2 (i386), 3 (PAE), 4 or 5 */
  readonly levels: number;
  /** log2 of an entry's size in bytes */
  readonly entryShift: number;
  /** PTRS_PER_PTE - 1 */
  readonly pteIndexMask: number;
  /** PMD_SHIFT */
  readonly pmdShift: number;
  /** entries of a table holding PMD entries, less one (i386: the pgd's 1024) */
  readonly pmdIndexMask: number;
  /** PMD_SIZE: bytes one PTE table maps */
  readonly pmdSize: number;
  /** end of the virtual space the tables cover */
  readonly vaTop: number;
  /** the CPU paging mode that walks these tables (Cpu.pagingFormat) */
  readonly cpuFormat: number;
}

/** The format of `arch` (`pae` on i386; `levels` 4 or 5 on x86-64). */
export function pgtableFormat(arch: UserArch, pae: boolean, levels: number): PgtableFormat {
  if (arch === "i386") {
    if (pae) return { levels: 3, entryShift: 3, pteIndexMask: 511, pmdShift: 21, pmdIndexMask: 511, pmdSize: 2 ** 21, vaTop: 2 ** 32, cpuFormat: PAGING_PAE_ };
    return { levels: 2, entryShift: 2, pteIndexMask: I386_PTRS_PER_PTE - 1, pmdShift: I386_PGDIR_SHIFT, pmdIndexMask: 1023, pmdSize: 2 ** I386_PGDIR_SHIFT, vaTop: 2 ** 32, cpuFormat: PAGING_32BIT_ };
  }
  if (pae) BUG("pgtableFormat", "PAE is an i386 format");
  if (levels !== 4 && levels !== 5) BUG("pgtableFormat", `x86_64 has 4 or 5 levels, not ${levels}`);
  return { levels, entryShift: 3, pteIndexMask: 511, pmdShift: 21, pmdIndexMask: 511, pmdSize: 2 ** 21, vaTop: 2 ** (levels === 5 ? 57 : 48), cpuFormat: PAGING_IA32E_ };
}

/**
 * The bit position where the index of table level `level` starts in a virtual address
 * (PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, ...) for a format with PMD_SHIFT `pmdShift`.
 */
export function levelShiftOf(pmdShift: number, level: number): number {
  return level === 1 ? 12 : pmdShift + 9 * (level - 2);
}
