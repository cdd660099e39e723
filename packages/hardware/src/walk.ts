// The MMU's page walk (Intel SDM vol. 3A §4.5 "4-level and 5-level paging", §4.6 access
// rights, §4.7 page-fault exceptions, §4.8 accessed and dirty flags). Models P/RW/US/NX checks,
// reserved-bit faults, CR0.WP, optional SMEP/SMAP, and A/D updates. Does not model protection
// keys, shadow stacks, paging-structure caches (the TLB is tlb.ts) or EPT.
//
//   CR3 ──► PGD[VA 47:39] ──► PUD[VA 38:30] ──► PMD[VA 29:21] ──► PTE[VA 20:12] ──► frame + VA 11:0
//   (LA57 adds PGD[VA 56:48] ──► P4D[VA 47:39] on top)
//                              └─ PS: 1 GiB leaf  └─ PS: 2 MiB leaf
//
// At every level: P clear → fault (error code without PROT); reserved bits set (PS in the
// top one or two levels, address bits 52–56, misaligned huge-page address bits) → fault with
// PROT|RSVD. Rights combine across levels: writable only if RW is set at every level, user
// only if US is set at every level, executable only if NX is clear at every level. Then:
//   user access      needs US; a write needs RW; a fetch needs !NX
//   supervisor access a write needs RW when CR0.WP is set (Linux always sets it, so kernel
//                    writes to read-only pages fault, which is how COW of user pages touched
//                    by copy_to_user works); a fetch needs !NX; with SMEP a fetch from a user
//                    page faults, with SMAP a data access to a user page faults
// Only a walk that succeeds sets Accessed on every entry it used (and Dirty on the leaf for a
// write) — a choice within what the SDM allows (it permits A to be set on a faulting walk), made
// so that a fault leaves RAM unchanged and results are easy to pin in tests.
import type { Ram } from "./ram";
import type { PagingLevels } from "./pgtable";
import {
  _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_GLOBAL, _PAGE_NX_HI, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER,
  PTE_ADDR_MASK_HI, PTE_ADDR_MASK_LO, PTE_RSVD_MASK_HI, levelName, levelShift, vaBits,
} from "./pgtable";
import { BUG, TWO_32 as BASE_TWO_32 } from "@mmsim/base";

// Page-fault error code bits (arch/x86/include/asm/trap_pf.h, enum x86_pf_error_code).
export const X86_PF_PROT = 1 << 0;
export const X86_PF_WRITE = 1 << 1;
export const X86_PF_USER = 1 << 2;
export const X86_PF_RSVD = 1 << 3;
export const X86_PF_INSTR = 1 << 4;
export const X86_PF_PK = 1 << 5;

/**
 * Kind of access, as a bitmask whose bits are the page-fault error-code bits they produce:
 * ACCESS_READ (0), ACCESS_WRITE (X86_PF_WRITE), ACCESS_EXEC (X86_PF_INSTR), each optionally
 * | ACCESS_USER (X86_PF_USER) for CPL 3.
 */
export type Access = number;
export const ACCESS_READ = 0;
export const ACCESS_WRITE = X86_PF_WRITE;
export const ACCESS_USER = X86_PF_USER;
export const ACCESS_EXEC = X86_PF_INSTR;

// Precomputed: `2 ** n` with a variable exponent is a slow runtime call on the hot path.
const VA_LIMIT_4 = 2 ** 48;
const VA_LIMIT_5 = 2 ** 57;
const LEVEL_PAGE_SIZE = [0, 4096, 2097152, 1073741824];

// Module-local copies of the entry bits the walk tests (as pgtable.ts names them locally).
// Measured: reading the imported bindings on every level, each a load through a module cell,
// costs the walk ~20%.
const P = _PAGE_PRESENT, PSE = _PAGE_PSE, RW = _PAGE_RW, US = _PAGE_USER, A = _PAGE_ACCESSED, D = _PAGE_DIRTY, G = _PAGE_GLOBAL;
const TWO_32 = BASE_TWO_32;
/**
 * 2^-32: multiplying by a power of two is exact, like dividing by it, and stays one
 * multiplication in the bundled dist, where a module constant becomes a `var` and a division by
 * it a real division (performance.md, rule 9).
 */
const INV_TWO_32 = 1 / 4294967296;
const NX_HI = _PAGE_NX_HI, RSVD_HI = PTE_RSVD_MASK_HI, ADDR_HI = PTE_ADDR_MASK_HI, ADDR_LO = PTE_ADDR_MASK_LO;

/** Paging-control bits of the CPU the walk runs for. */
export const CR0_WP = 1;
export const CR4_SMEP = 2;
export const CR4_SMAP = 4;

/**
 * Bits of WalkResult.rights. The TLB stores them unchanged in its entry flags (tlb.ts, where
 * bit 0 is the entry's valid bit), so both files must agree on these values.
 */
export const RIGHT_GLOBAL = 2;
export const RIGHT_WRITABLE = 4;
export const RIGHT_USER = 8;
export const RIGHT_NX = 16;
export const RIGHT_DIRTY = 32;

// Module-local copies of this file's own exported constants for the hot code below: an
// exported binding is a cell, and every use in its own module loads it and checks it for the
// temporal dead zone (seen in the optimized code: a cell load and a hole check per use); a
// local const folds to an immediate.
const PF_PROT = X86_PF_PROT, PF_WRITE = X86_PF_WRITE, PF_USER = X86_PF_USER, PF_RSVD = X86_PF_RSVD, PF_INSTR = X86_PF_INSTR;
const WP = CR0_WP, SMEP = CR4_SMEP, SMAP = CR4_SMAP;
const R_GLOBAL = RIGHT_GLOBAL, R_WRITABLE = RIGHT_WRITABLE, R_USER = RIGHT_USER, R_NX = RIGHT_NX, R_DIRTY = RIGHT_DIRTY;

/** One level of a recorded walk (for `mmsim walk` and the docs page). */
export interface WalkStep {
  level: number;
  /** Linux's name of the table: PGD, P4D, PUD, PMD, PTE */
  name: string;
  /** the VA bits that index this table, e.g. [47, 39] */
  vaHi: number;
  vaLo: number;
  index: number;
  /** physical address of the entry */
  entryPa: number;
  /** the entry as read (before A/D updates) */
  lo: number;
  hi: number;
}

/** Reusable result of a walk or translation: fill once, read fields, reuse (no allocation). */
export class WalkResult {
  ok = false;
  /** the physical address (valid when ok) */
  pa = 0;
  /** bytes mapped by the leaf: 4096, 2 MiB or 1 GiB (valid when ok) */
  pageSize = 0;
  /** level where the walk ended: the leaf's level, or the level of the faulting entry */
  level = 0;
  /** x86 page-fault error code (valid when !ok) */
  errorCode = 0;
  /**
   * Effective rights of the translation (valid when ok) as RIGHT_* bits; the boolean views
   * writable, user, nx, global and dirty below read and write these bits. One int field lets
   * a TLB hit report all rights with one store instead of five boolean stores.
   */
  rights = 0;
  /** the leaf entry after A/D updates (valid when ok) */
  leafLo = 0;
  leafHi = 0;
  /** number of page-table entries read (memory accesses of the walk) */
  entriesRead = 0;
  /** true when the translation came from the TLB (set by Mmu.translate) */
  tlbHit = false;
  /** set to record `steps` (allocates; leave off on hot paths) */
  record = false;
  steps: WalkStep[] = [];
  /** writable at every level */
  get writable(): boolean { return (this.rights & R_WRITABLE) !== 0; }
  set writable(v: boolean) { this.rights = v ? this.rights | R_WRITABLE : this.rights & ~R_WRITABLE; }
  /** user-accessible at every level */
  get user(): boolean { return (this.rights & R_USER) !== 0; }
  set user(v: boolean) { this.rights = v ? this.rights | R_USER : this.rights & ~R_USER; }
  /** no-execute at some level */
  get nx(): boolean { return (this.rights & R_NX) !== 0; }
  set nx(v: boolean) { this.rights = v ? this.rights | R_NX : this.rights & ~R_NX; }
  /** the leaf is global (G) */
  get global(): boolean { return (this.rights & R_GLOBAL) !== 0; }
  set global(v: boolean) { this.rights = v ? this.rights | R_GLOBAL : this.rights & ~R_GLOBAL; }
  /** the leaf is dirty (D) */
  get dirty(): boolean { return (this.rights & R_DIRTY) !== 0; }
  set dirty(v: boolean) { this.rights = v ? this.rights | R_DIRTY : this.rights & ~R_DIRTY; }

  /** entry addresses used by the walk, top level first (internal scratch) */
  readonly entryPas = new Float64Array(5);
  /** unused scratch, kept for compatibility (the walk no longer records the entries it read here) */
  readonly entryLos = new Int32Array(5);
}

/**
 * Walks the page tables rooted at physical address `cr3` for `va` (a canonical tail) and
 * `access`, filling `out`. Returns true when the access is allowed (out.pa, out.pageSize and
 * rights are set; A/D bits updated in RAM); false on a page fault (out.errorCode holds the x86
 * error code, out.level the level of the offending entry; RAM untouched). A va that is not a
 * canonical tail, or a table outside RAM, is a Bug (real hardware raises #GP / reads garbage).
 */
export function walkPageTable(
  ram: Ram, cr3: number, va: number, access: Access, levels: PagingLevels, out: WalkResult, cpuFlags = WP,
): boolean {
  // va as int32 halves (va < 2^57, so va / 2^32 truncated is exact); rebuilding va from them
  // is also the integer check.
  const vlo = va >>> 0;
  const vhi = (va * INV_TWO_32) >>> 0;
  if (!(va >= 0 && va < (levels === 5 ? VA_LIMIT_5 : VA_LIMIT_4)) || vhi * TWO_32 + vlo !== va) BUG("walkPageTable", `va ${va} is not a canonical ${vaBits(levels)}-bit tail`);
  out.ok = false;
  out.tlbHit = false;
  const record = out.record;
  if (record) out.steps = [];
  const pas = out.entryPas;
  // Tables are followed by frame number: pfn < maxPfn <= 2^32, so it stays an integer, and each
  // entry is read straight from the table's words through Ram's per-level table cache (see
  // Ram.tableFrame), both halves at once.
  let pfn = cr3 / 4096;
  if (pfn !== pfn >>> 0) BUG("walkPageTable", `cr3 0x${cr3.toString(16)} is not a page-aligned physical address`);
  const maxPfn = ram.maxPfn;
  let all = -1; // AND of the entries' low halves: RW, US and A survive iff set at every level
  let nx = 0;
  let level: number = levels;
  let lo = 0, hi = 0;
  let j = 0; // entries read so far (levels - level)
  for (;; j++) {
    // VA bits [12 + 9(level-1), +9), from the int32 halves: level 3 straddles them (bits 30-38).
    const index = (level === 1 ? vlo >>> 12 : level === 2 ? vlo >>> 21 : level === 3 ? (vlo >>> 30) | (vhi << 2)
      : vhi >>> (level === 4 ? 7 : 16)) & 511;
    if (!(pfn < maxPfn)) BUG("walkPageTable", `table at 0x${(pfn * 4096).toString(16)} outside RAM`);
    const base = ram.tableFrame(level, pfn);
    if (base >= 0) {
      const words = ram.tableWords(level);
      lo = words[base + index * 2];
      hi = words[base + index * 2 + 1];
    } else {
      lo = 0;
      hi = 0;
    }
    pas[j] = pfn * 4096 + index * 8;
    if (record) {
      const shift = levelShift(level);
      out.steps.push({ level, name: levelName(level, levels), vaHi: shift + 8, vaLo: shift, index, entryPa: pas[j], lo, hi });
    }
    if ((lo & P) === 0) return fault(out, level, j + 1, access);
    if ((hi & RSVD_HI) !== 0) return fault(out, level, j + 1, PF_PROT | PF_RSVD | access);
    all &= lo;
    nx |= hi & NX_HI;
    if (level === 1) break; // (bit 7 of a PTE is PAT, not PS)
    if ((lo & PSE) !== 0) {
      // A huge-page leaf: PS is reserved above the PUD, and the address bits below the page
      // size (except PAT_LARGE, bit 12) must be zero.
      if (level >= 4 || (level === 3 ? (lo & 0x3fffe000) : (lo & 0x001fe000)) !== 0) {
        return fault(out, level, j + 1, PF_PROT | PF_RSVD | access);
      }
      break;
    }
    pfn = (hi & ADDR_HI) * 1048576 + (lo >>> 12); // address bits 51..12 of the entry
    level--;
  }
  const rw = all & RW, us = all & US;

  // Rights (SDM §4.6).
  const write = (access & PF_WRITE) !== 0;
  const fetch = (access & PF_INSTR) !== 0;
  let denied: boolean;
  if ((access & PF_USER) !== 0) denied = us === 0 || (write && rw === 0) || (fetch && nx !== 0);
  else {
    denied = (write && rw === 0 && (cpuFlags & WP) !== 0) || (fetch && nx !== 0) ||
      (us !== 0 && ((fetch && (cpuFlags & SMEP) !== 0) || (!fetch && (cpuFlags & SMAP) !== 0)));
  }
  if (denied) return fault(out, level, j + 1, PF_PROT | access);

  // Accessed on every entry used, Dirty on the leaf for a write: usually already set, so the
  // updates are a separate (cold) function.
  if ((all & A) === 0 || (write && (lo & D) === 0)) lo = setAccessedDirty(ram, pas, j, write);

  const pageSize = LEVEL_PAGE_SIZE[level];
  const offMask = pageSize - 1; // < 2^30, fits int32
  const base = (hi & ADDR_HI) * TWO_32 + ((lo & ADDR_LO & ~offMask) >>> 0);
  out.ok = true;
  out.pa = base + (vlo & offMask);
  out.pageSize = pageSize;
  out.level = level;
  out.entriesRead = j + 1;
  out.rights = (rw !== 0 ? R_WRITABLE : 0) | (us !== 0 ? R_USER : 0) | (nx !== 0 ? R_NX : 0) |
    ((lo & G) !== 0 ? R_GLOBAL : 0) | ((lo & D) !== 0 ? R_DIRTY : 0);
  out.leafLo = lo;
  out.leafHi = hi;
  out.errorCode = 0;
  return true;
}

/**
 * Sets Accessed on entries 0..leaf-1 of a successful walk (at the addresses in `pas`) and
 * Accessed (and Dirty for a write) on the leaf, writing only the entries that change; returns
 * the leaf's new low half.
 */
function setAccessedDirty(ram: Ram, pas: Float64Array, leaf: number, write: boolean): number {
  for (let k = 0; k < leaf; k++) {
    const e = ram.readU32(pas[k]);
    if ((e & A) === 0) ram.writeU32(pas[k], (e | A) >>> 0);
  }
  const lo = ram.readU32(pas[leaf]);
  const next = (lo | A | (write ? D : 0)) >>> 0;
  if (next !== lo) ram.writeU32(pas[leaf], next);
  return next;
}

/** Reports a page fault found at `level` after reading `entriesRead` entries; returns false. */
function fault(out: WalkResult, level: number, entriesRead: number, errorCode: number): boolean {
  out.level = level;
  out.entriesRead = entriesRead;
  out.errorCode = errorCode;
  return false;
}

/**
 * The two lines Linux's show_fault_oops() (arch/x86/mm/fault.c) prints for a fault, e.g.
 * ["#PF: supervisor write access in kernel mode", "#PF: error_code(0x0002) - not-present page"].
 * `userMode` is the CPU mode at the time (the USER bit says who made the access).
 */
export function describeErrorCode(code: number, userMode = (code & X86_PF_USER) !== 0): [string, string] {
  const who = (code & X86_PF_USER) !== 0 ? "user" : "supervisor";
  const what = (code & X86_PF_INSTR) !== 0 ? "instruction fetch" : (code & X86_PF_WRITE) !== 0 ? "write access" : "read access";
  const why = (code & X86_PF_PROT) === 0 ? "not-present page"
    : (code & X86_PF_RSVD) !== 0 ? "reserved bit violation"
    : (code & X86_PF_PK) !== 0 ? "protection keys violation" : "permissions violation";
  return [`#PF: ${who} ${what} in ${userMode ? "user" : "kernel"} mode`, `#PF: error_code(0x${code.toString(16).padStart(4, "0")}) - ${why}`];
}
