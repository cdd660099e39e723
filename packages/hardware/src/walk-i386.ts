// The 32-bit x86 page walks (Intel SDM vol. 3A §4.3 "32-bit paging" and §4.4 "PAE paging"),
// as an i386 kernel (CONFIG_X86_32) sets them up: 2 levels of 4-byte entries, or with PAE 3
// levels of 8-byte entries. Models P/RW/US/NX rights, CR0.WP, SMEP/SMAP, reserved bits and A/D
// updates as walk.ts does for x86-64. Does not model PSE-36 beyond MAXPHYADDR 40, PAT, the
// PDPTE registers loaded at CR3 writes (the PDPT is read on every walk; a reserved bit there
// faults with RSVD instead of raising #GP at the CR3 load), or the MMU and TLB around the walk.
//
//   32-bit:  CR3 ──► PGD[VA 31:22] ──► PTE[VA 21:12] ──► frame + VA 11:0     (4-byte entries)
//                     └─ PS (CR4.PSE): 4 MiB page + VA 21:0
//   PAE:     CR3 ──► PGD[VA 31:30] ──► PMD[VA 29:21] ──► PTE[VA 20:12] ──► frame + VA 11:0
//            (PDPT, 4 entries)          └─ PS: 2 MiB page + VA 20:0         (8-byte entries)
//
// Linux's names: with 2-level paging the page directory is the pgd (the pud and pmd fold into
// it, include/asm-generic/pgtable-nopmd.h); with PAE the PDPT is the pgd and the page directory
// the pmd (arch/x86/include/asm/pgtable-3level.h). A PDPTE has no RW, US or A bit: the rights
// come from the PMD and PTE entries, and A is set only on them.
import type { Ram } from "./ram";
import type { Access, WalkResult } from "./walk";
import {
  CR0_WP, CR4_SMAP, CR4_SMEP, RIGHT_DIRTY, RIGHT_GLOBAL, RIGHT_NX, RIGHT_USER, RIGHT_WRITABLE,
  X86_PF_INSTR, X86_PF_PROT, X86_PF_RSVD, X86_PF_USER, X86_PF_WRITE,
} from "./walk";
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_GLOBAL, _PAGE_NX_HI, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER, PTE_ADDR_MASK_HI } from "./pgtable";
import { BUG } from "@mmsim/base";

const P = _PAGE_PRESENT, RW = _PAGE_RW, US = _PAGE_USER, A = _PAGE_ACCESSED, D = _PAGE_DIRTY, PSE = _PAGE_PSE, G = _PAGE_GLOBAL;
const NX_HI = _PAGE_NX_HI, ADDR_HI = PTE_ADDR_MASK_HI;
const TWO_32 = 4294967296;

/** A 4 MiB page of 32-bit paging: PDE bits 31:22 are PA 31:22 (SDM Table 4-4). */
export const I386_PSE_PAGE_SIZE = 4194304;
/** A 2 MiB page of PAE paging (SDM Table 4-9). */
export const I386_PAE_PMD_PAGE_SIZE = 2097152;
/** 4 MiB PDE: bit 21 is reserved; bits 20:13 are PA 39:32 (PSE-36 with MAXPHYADDR 40, SDM Table 4-4). */
const PSE_RSVD_LO = 0x00200000;
/** PAE entries: bits 62:52 reserved with MAXPHYADDR 52 (SDM Tables 4-8 to 4-11); bit 63 is XD. */
const PAE_RSVD_HI = 0x7ff00000;
/** PDPTE: bits 2:1 and 8:5 reserved (SDM Table 4-8), and 63:52 (no XD in a PDPTE). */
const PDPTE_RSVD_LO = 0x1e6;
const PDPTE_RSVD_HI = 0xfff00000;
/** PAE 2 MiB PDE: bits 20:13 reserved (SDM Table 4-9). */
const PAE_2M_RSVD_LO = 0x001fe000;

/** The table names of a 32-bit walk by level, Linux's (see the header). */
function levelName(level: number, pae: boolean): string {
  return level === 1 ? "PTE" : pae && level === 2 ? "PMD" : "PGD";
}

/**
 * Walks 32-bit page tables rooted at physical address `cr3` for the 32-bit address `va` and
 * `access`, filling `out` as walkPageTable does (pa, pageSize, level, rights, leafLo/leafHi,
 * entriesRead, and `steps` when out.record). Without `pae`: 2 levels of 4-byte entries, with
 * 4 MiB pages when `pse` (CR4.PSE); there is no NX bit. With `pae`: the 4-entry PDPT at cr3
 * (32-byte aligned), then 2 levels of 8-byte entries, with 2 MiB pages; NX (bit 63) counts
 * when `nxe` (EFER.NXE), else it is reserved. Returns true when the access is allowed (A/D set
 * in RAM); false on a page fault with out.errorCode. A va outside 32 bits, a misaligned cr3 or
 * a table outside RAM is a Bug.
 */
export function walkPageTableI386(
  ram: Ram, cr3: number, va: number, access: Access, pae: boolean, out: WalkResult,
  cpuFlags = CR0_WP, pse = true, nxe = true,
): boolean {
  if (!(va >= 0 && va < TWO_32) || va !== Math.floor(va)) BUG("walkPageTableI386", `va ${va} is not a 32-bit address`);
  if (!(cr3 >= 0 && cr3 < TWO_32) || cr3 % (pae ? 32 : 4096) !== 0) BUG("walkPageTableI386", `cr3 0x${cr3.toString(16)} is not a ${pae ? "32-byte" : "page"}-aligned 32-bit address`);
  out.ok = false;
  out.tlbHit = false;
  if (out.record) out.steps = [];
  const pas = out.entryPas;
  const width = pae ? 8 : 4;
  let table = cr3;
  let level = pae ? 3 : 2;
  let all = -1; // AND of the low halves of the entries that carry rights (not a PDPTE)
  let nx = 0;
  let lo = 0, hi = 0;
  let j = 0;
  let pageSize = 4096;
  for (;; j++) {
    const shift = pae ? 12 + 9 * (level - 1) : 12 + 10 * (level - 1);
    const bits = pae ? (level === 3 ? 2 : 9) : 10;
    const index = Math.floor(va / 2 ** shift) % 2 ** bits;
    const entryPa = table + index * width;
    if (entryPa + width > ram.bytes) BUG("walkPageTableI386", `table at 0x${table.toString(16)} outside RAM`);
    lo = ram.readU32(entryPa);
    hi = pae ? ram.readU32(entryPa + 4) : 0;
    pas[j] = entryPa;
    if (out.record) out.steps.push({ level, name: levelName(level, pae), vaHi: shift + bits - 1, vaLo: shift, index, entryPa, lo, hi });
    if ((lo & P) === 0) return fault(out, level, j + 1, access);
    const rsvd = !pae ? false
      : level === 3 ? (lo & PDPTE_RSVD_LO) !== 0 || (hi & PDPTE_RSVD_HI) !== 0
      : (hi & PAE_RSVD_HI) !== 0 || (!nxe && (hi & NX_HI) !== 0);
    if (rsvd) return fault(out, level, j + 1, X86_PF_PROT | X86_PF_RSVD | access);
    if (!(pae && level === 3)) {
      all &= lo;
      nx |= nxe ? hi & NX_HI : 0;
    }
    if (level === 1) break;
    if (level === 2 && (lo & PSE) !== 0 && (pae || pse)) {
      const bad = pae ? (lo & PAE_2M_RSVD_LO) !== 0 : (lo & PSE_RSVD_LO) !== 0;
      if (bad) return fault(out, level, j + 1, X86_PF_PROT | X86_PF_RSVD | access);
      pageSize = pae ? I386_PAE_PMD_PAGE_SIZE : I386_PSE_PAGE_SIZE;
      break;
    }
    table = (hi & ADDR_HI) * TWO_32 + ((lo & 0xfffff000) >>> 0);
    level--;
  }
  const rw = all & RW, us = all & US;
  const write = (access & X86_PF_WRITE) !== 0;
  const fetch = (access & X86_PF_INSTR) !== 0;
  // SDM §4.6, as in walk.ts.
  let denied: boolean;
  if ((access & X86_PF_USER) !== 0) denied = us === 0 || (write && rw === 0) || (fetch && nx !== 0);
  else {
    denied = (write && rw === 0 && (cpuFlags & CR0_WP) !== 0) || (fetch && nx !== 0) ||
      (us !== 0 && ((fetch && (cpuFlags & CR4_SMEP) !== 0) || (!fetch && (cpuFlags & CR4_SMAP) !== 0)));
  }
  if (denied) return fault(out, level, j + 1, X86_PF_PROT | access);
  // Accessed on the entries used (not a PDPTE), Dirty on the leaf for a write.
  for (let k = pae ? 1 : 0; k < j; k++) {
    const e = ram.readU32(pas[k]);
    if ((e & A) === 0) ram.writeU32(pas[k], (e | A) >>> 0);
  }
  const next = (lo | A | (write ? D : 0)) >>> 0;
  if (next !== lo) ram.writeU32(pas[j], next);
  lo = next;
  let base: number;
  if (pageSize === I386_PSE_PAGE_SIZE) base = ((lo >>> 13) & 0xff) * TWO_32 + ((lo & 0xffc00000) >>> 0);
  else base = (hi & ADDR_HI) * TWO_32 + ((lo & 0xfffff000 & ~(pageSize - 1)) >>> 0);
  out.ok = true;
  out.pa = base + (va % pageSize);
  out.pageSize = pageSize;
  out.level = level;
  out.entriesRead = j + 1;
  out.rights = (rw !== 0 ? RIGHT_WRITABLE : 0) | (us !== 0 ? RIGHT_USER : 0) | (nx !== 0 ? RIGHT_NX : 0) |
    ((lo & G) !== 0 ? RIGHT_GLOBAL : 0) | ((lo & D) !== 0 ? RIGHT_DIRTY : 0);
  out.leafLo = lo;
  out.leafHi = hi;
  out.errorCode = 0;
  return true;
}

function fault(out: WalkResult, level: number, entriesRead: number, errorCode: number): boolean {
  out.level = level;
  out.entriesRead = entriesRead;
  out.errorCode = errorCode;
  return false;
}

/**
 * Maps the 4 KiB page at 32-bit `va` to physical `pa` in the 32-bit tree at `cr3` with leaf
 * flags (lo, hi; hi is dropped without PAE), allocating missing tables through `allocTable`
 * (a zeroed frame's pfn, or -1). Tables get P|RW|US|A|D (_PAGE_TABLE) for a user leaf,
 * P|RW|A|D (_KERNPG_TABLE) for a kernel one, and PDPTEs P only, as Linux sets them (PAE's
 * pud_populate). Returns false when a table cannot be allocated; a
 * huge page or a present leaf in the way is a Bug.
 */
export function mapPageI386(
  ram: Ram, cr3: number, va: number, pa: number, lo: number, hi: number, pae: boolean, allocTable: () => number,
): boolean {
  if (!(va >= 0 && va < TWO_32) || va % 4096 !== 0 || pa % 4096 !== 0 || !(pa >= 0 && pa < (pae ? 2 ** 52 : TWO_32))) {
    BUG("mapPageI386", `va 0x${va.toString(16)} / pa 0x${pa.toString(16)} not a page of ${pae ? "PAE" : "32-bit"} paging`);
  }
  const width = pae ? 8 : 4;
  const tableFlags = (lo & US) !== 0 ? P | RW | US | A | D : P | RW | A | D; // _PAGE_TABLE / _KERNPG_TABLE
  let table = cr3;
  for (let level = pae ? 3 : 2; level > 1; level--) {
    const shift = pae ? 12 + 9 * (level - 1) : 22;
    const index = Math.floor(va / 2 ** shift) % 2 ** (pae ? (level === 3 ? 2 : 9) : 10);
    const e = table + index * width;
    const elo = ram.readU32(e);
    if ((elo & P) === 0) {
      const pfn = allocTable();
      if (pfn < 0) return false;
      if (pae) ram.writeU32(e + 4, Math.floor(pfn / 1048576));
      ram.writeU32(e, (((pfn % 1048576) * 4096) | (pae && level === 3 ? P : tableFlags)) >>> 0);
    } else if (level === 2 && (elo & PSE) !== 0) BUG("mapPageI386", `a huge page maps 0x${va.toString(16)}`);
    const ehi = pae ? ram.readU32(e + 4) : 0;
    table = (ehi & ADDR_HI) * TWO_32 + ((ram.readU32(e) & 0xfffff000) >>> 0);
  }
  const index = Math.floor(va / 4096) % (pae ? 512 : 1024);
  const e = table + index * width;
  if ((ram.readU32(e) & P) !== 0) BUG("mapPageI386", `remap of 0x${va.toString(16)}`);
  if (pae) ram.writeU32(e + 4, ((hi & ~ADDR_HI) | Math.floor(pa / TWO_32)) >>> 0);
  ram.writeU32(e, (((pa % TWO_32) & 0xfffff000) | (lo & 0xfff)) >>> 0);
  return true;
}
