// The x86-64 page-table entry format and address split (Intel SDM vol. 3A §4.5; Linux
// arch/x86/include/asm/pgtable_types.h and pgtable_64_types.h). Models 4-level and 5-level
// (LA57) paging with 4 KiB, 2 MiB and 1 GiB pages. Does not model PAT decoding, protection
// keys (the bits are named, never checked), shadow stacks or memory encryption.
//
// A 64-bit entry, as the MMU reads it from RAM:
//
//   63  62..59  58   57   56..52  51 ............ 32 | 31 .......... 12 11 10 9  8  7  6  5  4   3   2  1  0
//  +--+-------+----+----+-------+--------------------+-----------------+--+--+--+--+--+--+--+---+---+--+--+--+
//  |NX| PKEY  |SW5 |SW4 | (rsv) | address 51..32     | address 31..12  |S3|S2|S1|G |PS|D |A |PCD|PWT|US|RW|P |
//  +--+-------+----+----+-------+--------------------+-----------------+--+--+--+--+--+--+--+---+---+--+--+--+
//  \________________ hi u32 (entry + 4) ____________/ \____________ lo u32 (entry + 0) _______________________/
//
// A JS number cannot hold an entry with NX set (bit 63 > 2^53), so entries are always handled
// as two unsigned 32-bit halves: `lo` (flags 0–11 and address bits 12–31) and `hi` (address
// bits 32–51 in its bits 0–19, software bits 57/58 in 25/26, PKEY in 27–30, NX in 31).
// In a 2 MiB (PMD) or 1 GiB (PUD) leaf, PS (bit 7) is set, bit 12 is PAT_LARGE and the
// address bits below the page size must be zero (reserved: a walk reports RSVD).
//
// Software bits Linux uses (pgtable_types.h): SOFTW1 (9) = _PAGE_SPECIAL / CPA_TEST,
// SOFTW2 (10) = _PAGE_UFFD_WP, SOFTW3 (11) = _PAGE_SOFT_DIRTY (KERNEL_4K in the direct map),
// SOFTW4 (57) = formerly _PAGE_DEVMAP (removed in 6.17), SOFTW5 (58) = _PAGE_SAVED_DIRTY on
// leaves / _PAGE_NOPTISHADOW on a root PGD. When P is clear, bit 8 is _PAGE_PROTNONE: Linux
// treats such an entry as present (a PROT_NONE or NUMA-hinting mapping) though the MMU faults.
//
// Virtual address split (9 index bits per level, 512 entries of 8 bytes = one 4 KiB table):
//
//   5-level:  | 56..48 PGD | 47..39 P4D | 38..30 PUD | 29..21 PMD | 20..12 PTE | 11..0 offset |
//   4-level:               | 47..39 PGD | 38..30 PUD | 29..21 PMD | 20..12 PTE | 11..0 offset |
//
// Virtual addresses are held as canonical tails modulo 2^vaBits (48 or 57 bits, see
// @mmsim/base formatVa). With LA57 the upper half lies above 2^53: page-aligned addresses there
// are exact (multiples of 16 are), byte addresses are not, so kernel code above keeps byte
// pointers for such memory as physical addresses or page-aligned virtual ones plus an offset.
import { TWO_32 } from "@mmsim/base";

// ---- bits of the low half (bits 0..31 of the entry) -------------------------------------------
export const _PAGE_BIT_PRESENT = 0;
export const _PAGE_BIT_RW = 1;
export const _PAGE_BIT_USER = 2;
export const _PAGE_BIT_PWT = 3;
export const _PAGE_BIT_PCD = 4;
export const _PAGE_BIT_ACCESSED = 5;
export const _PAGE_BIT_DIRTY = 6;
export const _PAGE_BIT_PSE = 7;
export const _PAGE_BIT_PAT = 7;
export const _PAGE_BIT_GLOBAL = 8;
export const _PAGE_BIT_SOFTW1 = 9;
export const _PAGE_BIT_SOFTW2 = 10;
export const _PAGE_BIT_SOFTW3 = 11;
export const _PAGE_BIT_PAT_LARGE = 12;
export const _PAGE_BIT_SOFTW4 = 57;
export const _PAGE_BIT_SOFTW5 = 58;
export const _PAGE_BIT_PKEY_BIT0 = 59;
export const _PAGE_BIT_NX = 63;

export const _PAGE_PRESENT = 1 << _PAGE_BIT_PRESENT;
export const _PAGE_RW = 1 << _PAGE_BIT_RW;
export const _PAGE_USER = 1 << _PAGE_BIT_USER;
export const _PAGE_PWT = 1 << _PAGE_BIT_PWT;
export const _PAGE_PCD = 1 << _PAGE_BIT_PCD;
export const _PAGE_ACCESSED = 1 << _PAGE_BIT_ACCESSED;
export const _PAGE_DIRTY = 1 << _PAGE_BIT_DIRTY;
export const _PAGE_PSE = 1 << _PAGE_BIT_PSE;
export const _PAGE_PAT = 1 << _PAGE_BIT_PAT;
export const _PAGE_GLOBAL = 1 << _PAGE_BIT_GLOBAL;
export const _PAGE_SOFTW1 = 1 << _PAGE_BIT_SOFTW1;
export const _PAGE_SOFTW2 = 1 << _PAGE_BIT_SOFTW2;
export const _PAGE_SOFTW3 = 1 << _PAGE_BIT_SOFTW3;
export const _PAGE_PAT_LARGE = 1 << _PAGE_BIT_PAT_LARGE;
export const _PAGE_SPECIAL = _PAGE_SOFTW1;
export const _PAGE_UFFD_WP = _PAGE_SOFTW2;
export const _PAGE_SOFT_DIRTY = _PAGE_SOFTW3;
/** bit 8 when P is clear: a PROT_NONE / NUMA-hinting entry (pte_present() is true) */
export const _PAGE_PROTNONE = _PAGE_GLOBAL;

// ---- bits of the high half (entry bit n is hi bit n - 32) -------------------------------------
/** NX (bit 63) as a bit of the high u32 */
export const _PAGE_NX_HI = 0x80000000;
/** SOFTW4 (bit 57), formerly _PAGE_DEVMAP */
export const _PAGE_SOFTW4_HI = 1 << (_PAGE_BIT_SOFTW4 - 32);
/** SOFTW5 (bit 58): _PAGE_SAVED_DIRTY on leaves, _PAGE_NOPTISHADOW on a root PGD */
export const _PAGE_SOFTW5_HI = 1 << (_PAGE_BIT_SOFTW5 - 32);
export const _PAGE_SAVED_DIRTY_HI = _PAGE_SOFTW5_HI;
/** the four protection-key bits (59..62) */
export const _PAGE_PKEY_MASK_HI = 0x78000000;

/** address bits 12..31 in the low half */
export const PTE_ADDR_MASK_LO = 0xfffff000;
/** address bits 32..51 in the high half (__PHYSICAL_MASK_SHIFT = 52) */
export const PTE_ADDR_MASK_HI = 0x000fffff;
/** hi bits 52..56 of a present entry: reserved (must be zero) */
export const PTE_RSVD_MASK_HI = 0x01f00000;

/**
 * Protection/attribute bits for an entry: `lo` holds bits 0–12, `hi` the high-half flag bits
 * (NX, SOFTW4/5, PKEY). Address bits never appear in a PteFlags.
 */
export interface PteFlags {
  readonly lo: number;
  readonly hi: number;
}

/** Builds a PteFlags (lo: bits 0–12, hi: high-half flags such as _PAGE_NX_HI). */
export function pteFlags(lo: number, hi = 0): PteFlags {
  return Object.freeze({ lo: lo >>> 0, hi: hi >>> 0 });
}

const P = _PAGE_PRESENT, RW = _PAGE_RW, US = _PAGE_USER, A = _PAGE_ACCESSED, D = _PAGE_DIRTY, G = _PAGE_GLOBAL;
const NX = _PAGE_NX_HI;

// Linux's protection sets (pgtable_types.h). Every one pre-sets A, so new PTEs start young.
export const PAGE_NONE = pteFlags(A | G);
export const PAGE_SHARED = pteFlags(P | RW | US | A, NX);
export const PAGE_SHARED_EXEC = pteFlags(P | RW | US | A);
export const PAGE_COPY = pteFlags(P | US | A, NX);
export const PAGE_COPY_EXEC = pteFlags(P | US | A);
export const PAGE_READONLY = pteFlags(P | US | A, NX);
export const PAGE_READONLY_EXEC = pteFlags(P | US | A);
export const PAGE_KERNEL = pteFlags(P | RW | A | D | G, NX);
export const PAGE_KERNEL_RO = pteFlags(P | A | G, NX);
export const PAGE_KERNEL_ROX = pteFlags(P | A | G);
export const PAGE_KERNEL_EXEC = pteFlags(P | RW | A | D | G);
export const PAGE_KERNEL_NOGLOBAL = pteFlags(P | RW | A | D, NX);
/** PAGE_KERNEL with PS: a 2 MiB / 1 GiB kernel mapping (the direct map) */
export const PAGE_KERNEL_LARGE = pteFlags(P | RW | A | D | _PAGE_PSE | G, NX);
/** upper-level entry for user page tables (_PAGE_TABLE): P|RW|US|A|D */
export const _PAGE_TABLE = pteFlags(P | RW | US | A | D);
/** upper-level entry for kernel page tables (_KERNPG_TABLE): P|RW|A|D */
export const _KERNPG_TABLE = pteFlags(P | RW | A | D);

// ---- levels and address split ------------------------------------------------------------------

/** Paging depth: 4 (48-bit VA, the default) or 5 (LA57, 57-bit VA). */
export type PagingLevels = 4 | 5;

/** x86 level numbers as Linux's enum pg_level counts them: 1 = PTE, 2 = PMD, 3 = PUD, 4/5 above. */
export const LEVEL_PTE = 1;
export const LEVEL_PMD = 2;
export const LEVEL_PUD = 3;

export const PMD_SIZE = 2 * 1024 * 1024;
export const PUD_SIZE = 1024 * 1024 * 1024;
/** The page sizes x86-64 paging can map. */
export type PageSize = 4096 | 2097152 | 1073741824;

/** Bits of virtual address for a paging depth: 48 or 57. */
export function vaBits(levels: PagingLevels): number {
  return levels === 5 ? 57 : 48;
}

/** log2 of the bytes one entry at `level` covers: 12, 21, 30, 39, 48. */
export function levelShift(level: number): number {
  return 12 + 9 * (level - 1);
}

/** Bytes one entry at `level` covers (4 KiB at level 1 ... 256 TiB at level 5). */
export function levelSize(level: number): number {
  return 2 ** levelShift(level);
}

/** Linux's name for the table at `level` for a paging depth ("PGD", "P4D", "PUD", "PMD", "PTE"). */
export function levelName(level: number, levels: PagingLevels): string {
  if (level === levels) return "PGD";
  return level === 4 ? "P4D" : level === 3 ? "PUD" : level === 2 ? "PMD" : "PTE";
}

/** The level at which a page of `pageSize` is a leaf (1, 2 or 3). */
export function leafLevel(pageSize: number): number {
  if (pageSize === 4096) return LEVEL_PTE;
  if (pageSize === PMD_SIZE) return LEVEL_PMD;
  if (pageSize === PUD_SIZE) return LEVEL_PUD;
  return -1;
}

/**
 * The 9-bit table index of `va` at `level` (1 = VA[20:12] ... 5 = VA[56:48]). Splits va into
 * int32 halves so no float division is needed.
 */
export function vaIndex(va: number, level: number): number {
  const lo = va >>> 0;
  const hi = (va - lo) / TWO_32;
  switch (level) {
    case 1: return (lo >>> 12) & 511;
    case 2: return (lo >>> 21) & 511;
    case 3: return ((lo >>> 30) | (hi << 2)) & 511;
    case 4: return (hi >>> 7) & 511;
    default: return (hi >>> 16) & 511;
  }
}

/** The byte offset of `va` within its 4 KiB page. */
export function vaOffset(va: number): number {
  return (va >>> 0) & 4095;
}

/** True when `va` is a valid canonical tail for the paging depth: an integer in [0, 2^vaBits). */
export function isCanonicalTail(va: number, levels: PagingLevels): boolean {
  return Number.isInteger(va) && va >= 0 && va < 2 ** vaBits(levels);
}

/** True when `va` (a canonical tail) is in the lower, user half. */
export function isUserHalf(va: number, levels: PagingLevels): boolean {
  return va < 2 ** (vaBits(levels) - 1);
}

/**
 * Canonical tail of a sign-extended 64-bit address given as a bigint; null when the address
 * is not canonical for the paging depth (bits 63..vaBits-1 not all equal).
 */
export function canonicalTail(va64: bigint, levels: PagingLevels): number | null {
  const bitsN = BigInt(vaBits(levels));
  const v = BigInt.asUintN(64, va64);
  const head = v >> (bitsN - 1n);
  if (head !== 0n && head !== (1n << (65n - bitsN)) - 1n) return null;
  return Number(v & ((1n << bitsN) - 1n));
}

// ---- decoding entries ----------------------------------------------------------------------------

/** Physical address in an entry (bits 12..51), for a non-leaf or 4 KiB leaf entry. */
export function entryAddr(lo: number, hi: number): number {
  return (hi & PTE_ADDR_MASK_HI) * TWO_32 + ((lo & PTE_ADDR_MASK_LO) >>> 0);
}

/** Linux's pte_present(): P set, or PROT_NONE (bit 8 with P clear). */
export function entryPresent(lo: number): boolean {
  return (lo & (_PAGE_PRESENT | _PAGE_PROTNONE)) !== 0;
}

/** Names of the set bits of an entry, in bit order (for walk traces and docs). */
export function decodeEntry(lo: number, hi: number, level: number): string[] {
  const out: string[] = [];
  const leafish = level === 1 || (lo & _PAGE_PSE) !== 0;
  const names: [number, string][] = [
    [_PAGE_PRESENT, "P"], [_PAGE_RW, "RW"], [_PAGE_USER, "US"], [_PAGE_PWT, "PWT"], [_PAGE_PCD, "PCD"],
    [_PAGE_ACCESSED, "A"], [_PAGE_DIRTY, "D"], [_PAGE_PSE, level === 1 ? "PAT" : "PS"],
    [_PAGE_GLOBAL, (lo & _PAGE_PRESENT) === 0 ? "PROTNONE" : "G"],
    [_PAGE_SOFTW1, leafish ? "SPECIAL" : "SW1"], [_PAGE_SOFTW2, leafish ? "UFFD_WP" : "SW2"],
    [_PAGE_SOFTW3, leafish ? "SOFT_DIRTY" : "SW3"],
  ];
  for (const [bit, name] of names) if ((lo & bit) !== 0) out.push(name);
  if (level > 1 && (lo & _PAGE_PSE) !== 0 && (lo & _PAGE_PAT_LARGE) !== 0) out.push("PAT_LARGE");
  if ((hi & _PAGE_SOFTW4_HI) !== 0) out.push("SW4");
  if ((hi & _PAGE_SOFTW5_HI) !== 0) out.push("SW5");
  if ((hi & _PAGE_PKEY_MASK_HI) !== 0) out.push(`PKEY=${(hi & _PAGE_PKEY_MASK_HI) >>> 27}`);
  if ((hi & _PAGE_NX_HI) !== 0) out.push("NX");
  return out;
}

/** The 64-bit entry as 16 hex digits (display only). */
export function formatEntry(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, "0") + (lo >>> 0).toString(16).padStart(8, "0");
}
