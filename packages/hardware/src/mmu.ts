// Address translation as a CPU performs it: TLB lookup, page walk on a miss, TLB fill, page
// fault on failure (Intel SDM vol. 3A §4.10). Charges the cost model and counts per-CPU
// events. Does not run the fault handler: a failed translation returns false with the error
// code, and the kernel layers decide what happens next.
//
//   translatePa(cpu, va, access)  (translate() is the same, reporting the details in a WalkResult)
//     ├─ TLB hit and rights allow it (and a write finds D already set) ── pa  [tlbHit cycles]
//     ├─ otherwise walk from CR3 ── ok ── fill TLB ── pa                      [walk cycles]
//     └─ walk fails ── drop the page's TLB entries, CR2 = va, error code, -1 [+ fault entry/exit]
//
// A hit increments nothing but the TLB's LRU tick: the TLB derives its hit count from that
// tick, the CPU its dTLB hits and cycles from the hit count (cpu.ts); only the clock is
// advanced per hit, since other layers read it directly.
//
// A hit whose cached rights deny the access is not a fault by itself: like x86, which
// re-walks before raising #PF, the MMU walks again, so a rights upgrade in RAM needs no flush
// (Linux relies on this: flush_tlb_fix_spurious_fault() is a no-op on x86). A write that hits a
// clean entry also walks, to set D, as Intel CPUs do.
import type { Clock } from "@mmsim/base";
import type { Ram } from "./ram";
import type { PagingLevels } from "./pgtable";
import type { CostModel } from "./cost";
import type { Cpu } from "./cpu";
import type { Access } from "./walk";
import { ACC_PAGING_SHIFT, PAGING_32BIT, PAGING_IA32E, PAGING_PAE } from "./cpu";
import { I386_PAE_PMD_PAGE_SIZE, I386_PSE_PAGE_SIZE as I386_PSE_PAGE_SIZE_, walkPageTableI386 } from "./walk-i386";
import {
  CR4_SMAP, CR4_SMEP, CR0_WP, RIGHT_DIRTY, RIGHT_NX, RIGHT_USER, RIGHT_WRITABLE, WalkResult, X86_PF_INSTR, X86_PF_USER, X86_PF_WRITE,
  walkPageTable as walkPageTable_,
} from "./walk";

// Local copies of the imports every miss uses (an imported binding is a load through a module
// cell per use, and a getter call under the tsx and vitest loaders).
const walkPageTable = walkPageTable_;
const I386_PSE_PAGE_SIZE = I386_PSE_PAGE_SIZE_;

// Module-local copies of the bits the hit path tests (an imported binding is a load through a
// module cell on every use; see walk.ts).
const INSTR = X86_PF_INSTR;
/** The access bits the rights depend on: X86_PF_WRITE | X86_PF_USER | X86_PF_INSTR. */
const ACC_BITS = X86_PF_WRITE | X86_PF_USER | X86_PF_INSTR;
/** The end of the virtual space of each paging mode: 2^48 (4 levels), 2^57 (5 levels), 2^32 (i386). */
const VA_LIMIT_4 = 2 ** 48, VA_LIMIT_5 = 2 ** 57, VA_LIMIT_32 = 2 ** 32;
/**
 * Cpu.lastFaultCode after a general-protection fault (#GP) instead of a page fault: a
 * non-canonical address, which no page-fault error code (all >= 0) describes.
 */
export const MMU_FAULT_GP = -1;
/** Page-table formats miss() walks, Cpu.pagingFormat's values: x86-64 (4 or 5 levels), i386 32-bit paging, i386 PAE. */
const FORMAT_X86_64 = PAGING_IA32E, FORMAT_I386 = PAGING_32BIT, FORMAT_I386_PAE = PAGING_PAE;
/** Entries of the rights table: every access-bit combination under every paging-flag set. */
const RIGHTS_TABLE_SIZE = 8 << ACC_PAGING_SHIFT;

export class Mmu {
  // Fields are `declare`d and assigned in the constructor (parameter properties and plain
  // declarations would first define them as undefined, and V8 would then check their maps
  // and Smi tags on every hit).
  declare readonly ram: Ram;
  declare readonly levels: PagingLevels;
  declare readonly cost: CostModel;
  /** when given, translations advance it by the cycles they cost */
  declare readonly clock: Clock | null;
  /** cost.tlbHit (CostModel fields are readonly) */
  private declare readonly hitCycles: number;
  /** clock.advanceCycles(cost.tlbHit) as a constant: the same double, without a division per hit */
  private declare readonly hitNs: number;
  /**
   * The TLB rights check as one table: for index (acc & ACC_BITS) | cpu.accBits, the entry's
   * flags f allow the access iff (f & r) === r >>> 8, where r = rights[index] (low byte: flags
   * that matter, next byte: the values they need). See rightsRule.
   */
  private declare readonly rights: Int32Array;
  /** the walk of translatePa's misses (a walk calls nothing back, so one per MMU is enough) */
  private declare readonly scratch: WalkResult;

  constructor(ram: Ram, levels: PagingLevels, cost: CostModel, clock: Clock | null = null) {
    this.ram = ram;
    this.levels = levels;
    this.cost = cost;
    this.clock = clock;
    this.hitCycles = cost.tlbHit;
    this.hitNs = clock === null ? 0 : (cost.tlbHit * 1e9) / clock.cpuHz;
    this.rights = new Int32Array(RIGHTS_TABLE_SIZE);
    this.scratch = new WalkResult();
    for (let pf = 0; pf < 8; pf++) {
      for (let acc = 0; acc <= ACC_BITS; acc++) if ((acc & ACC_BITS) === acc) this.rights[acc | (pf << ACC_PAGING_SHIFT)] = rightsRule(acc, pf);
    }
  }

  /**
   * Translates `va` for `access` (ACCESS_READ / ACCESS_WRITE / ACCESS_EXEC; the USER bit is
   * added when cpu.mode is "user") and returns the physical address, or -1 on a page fault
   * (cpu.lastFaultCode holds the error code, cpu.cr2 the address). Never allocates. The fast
   * path: a TLB hit stores nothing but the entry's LRU stamp (and the clock's time).
   */
  translatePa(cpu: Cpu, va: number, access: Access): number {
    const idx = (access & ACC_BITS) | cpu.accBits;
    const pa = cpu.tlb.hitPa(va, this.rights[idx]);
    if (pa < 0) return this.missPa(cpu, va, idx & ACC_BITS);
    if ((idx & INSTR) !== 0) cpu.itlbHits++;
    const clock = this.clock;
    if (clock !== null) clock.ns += this.hitNs;
    return pa;
  }

  /**
   * translatePa() for the access that just faulted at va on this CPU, run again after the fault
   * handler (the retry of the faulting instruction): the same result and counts, without probing
   * the TLB for the entry the fault left out of it (Tlb.hitPaRetry). translatePa's body with the
   * probe swapped, written out: a shared helper would push translatePa past V8's inlining budget.
   */
  retryPa(cpu: Cpu, va: number, access: Access): number {
    const idx = (access & ACC_BITS) | cpu.accBits;
    const pa = cpu.tlb.hitPaRetry(va, this.rights[idx]);
    if (pa < 0) return this.missPa(cpu, va, idx & ACC_BITS);
    if ((idx & INSTR) !== 0) cpu.itlbHits++;
    const clock = this.clock;
    if (clock !== null) clock.ns += this.hitNs;
    return pa;
  }

  /**
   * translatePa() with the details in `out`: returns true with out.pa, pageSize, rights,
   * tlbHit (and for a walk level, entriesRead, the leaf) on success; false on a page fault,
   * with out.errorCode set (and cpu.cr2 / cpu.lastFaultCode). Never allocates unless
   * out.record is set.
   */
  translate(cpu: Cpu, va: number, access: Access, out: WalkResult): boolean {
    const idx = (access & ACC_BITS) | cpu.accBits;
    const tlb = cpu.tlb;
    if (tlb.hitPa(va, this.rights[idx]) < 0) return this.miss(cpu, va, idx & ACC_BITS, out, cpu.pagingFormat);
    if ((idx & INSTR) !== 0) cpu.itlbHits++;
    if (this.clock !== null) this.clock.ns += this.hitNs;
    tlb.report(va, out);
    return true;
  }

  /**
   * translate() for 32-bit page tables (walk-i386.ts): 2-level 32-bit paging, or PAE when
   * `pae`, rooted at cpu.cr3, for a 32-bit `va`, whatever the CPU's paging mode (translate()
   * and translatePa() walk in cpu.pagingFormat's). The TLB, counters and costs are translate()'s.
   */
  translateI386(cpu: Cpu, va: number, access: Access, pae: boolean, out: WalkResult): boolean {
    const idx = (access & ACC_BITS) | cpu.accBits;
    const tlb = cpu.tlb;
    if (tlb.hitPa(va, this.rights[idx]) < 0) return this.miss(cpu, va, idx & ACC_BITS, out, pae ? FORMAT_I386_PAE : FORMAT_I386);
    if ((idx & INSTR) !== 0) cpu.itlbHits++;
    if (this.clock !== null) this.clock.ns += this.hitNs;
    tlb.report(va, out);
    return true;
  }

  /** translatePa() without a usable TLB entry: miss() into the scratch walk. */
  private missPa(cpu: Cpu, va: number, acc: number): number {
    const w = this.scratch;
    return this.miss(cpu, va, acc, w, cpu.pagingFormat) ? w.pa : -1;
  }

  /**
   * A translation without a usable TLB entry (none, or one whose cached rights deny the
   * access): walk the tables of `format` (the CPU's paging mode, or translateI386's), then fill
   * the TLB or raise the fault.
   */
  private miss(cpu: Cpu, va: number, acc: number, out: WalkResult, format: number): boolean {
    if (!(va >= 0 && va < (format !== FORMAT_X86_64 ? VA_LIMIT_32 : this.levels === 5 ? VA_LIMIT_5 : VA_LIMIT_4)) || va !== Math.floor(va)) {
      return this.generalProtection(cpu, out);
    }
    const tlb = cpu.tlb;
    if ((acc & INSTR) !== 0) cpu.itlbMisses++;
    else cpu.dtlbMisses++;
    cpu.pageWalks++;
    cpu.setHitCycles(this.hitCycles);
    const ok = format === FORMAT_X86_64 ? walkPageTable(this.ram, cpu.cr3, va, acc, this.levels, out, cpu.pagingFlags)
      : walkPageTableI386(this.ram, cpu.cr3, va, acc, format === FORMAT_I386_PAE, out, cpu.pagingFlags);
    let cycles = out.entriesRead * this.cost.walkLevel;
    if (ok && out.pageSize === I386_PSE_PAGE_SIZE) {
      // The TLB has no 4 MiB array: cache the 2 MiB half holding va, as the SDM allows a
      // processor to cache a page with entries of a smaller size (§4.10.2.3).
      out.pageSize = I386_PAE_PMD_PAGE_SIZE;
      tlb.fill(va, out);
      out.pageSize = I386_PSE_PAGE_SIZE;
    } else if (ok) tlb.fill(va, out);
    else {
      tlb.dropPageAfterMiss(va); // every caller probed va just before: only a denied hit left an entry
      cpu.pageFaults++;
      cpu.cr2 = va;
      cpu.lastFaultCode = out.errorCode;
      cycles += this.cost.faultEntryExit;
    }
    cpu.chargeCycles(cycles);
    if (this.clock !== null) this.clock.advanceCycles(cycles);
    return ok;
  }

  /**
   * A non-canonical address (above the 48- or 57-bit space, or a 32-bit one on i386): the CPU
   * raises #GP before any TLB lookup or walk, with no page-fault error code and no CR2
   * (SDM §4.5.1): cpu.lastFaultCode becomes MMU_FAULT_GP.
   */
  private generalProtection(cpu: Cpu, out: WalkResult): boolean {
    out.ok = false;
    out.tlbHit = false;
    out.entriesRead = 0;
    out.errorCode = MMU_FAULT_GP;
    cpu.lastFaultCode = MMU_FAULT_GP;
    cpu.chargeCycles(this.cost.faultEntryExit);
    if (this.clock !== null) this.clock.advanceCycles(this.cost.faultEntryExit);
    return false;
  }
}

/**
 * The rights check of a TLB hit for access bits `acc` on a CPU with paging flags `pf`, as
 * (want << 8) | mask over the RIGHT_* bits (as Tlb.probe returns them): the same rules as the walk (SDM §4.6), and a write
 * also needs D set (else the MMU walks to set it).
 *   user access:       USER set; a write needs WRITABLE; a fetch needs NX clear
 *   supervisor access: a write needs WRITABLE if CR0.WP; a fetch needs NX clear; with SMEP a
 *                      fetch needs USER clear, with SMAP a data access needs USER clear
 */
export function rightsRule(acc: number, pf: number): number {
  const write = (acc & X86_PF_WRITE) !== 0;
  const fetch = (acc & X86_PF_INSTR) !== 0;
  let mask = 0, want = 0;
  const need = (bit: number, set: boolean) => {
    mask |= bit;
    if (set) want |= bit;
  };
  if (write) need(RIGHT_DIRTY, true);
  if (fetch) need(RIGHT_NX, false);
  if ((acc & X86_PF_USER) !== 0) {
    need(RIGHT_USER, true);
    if (write) need(RIGHT_WRITABLE, true);
  } else {
    if (write && (pf & CR0_WP) !== 0) need(RIGHT_WRITABLE, true);
    if ((fetch && (pf & CR4_SMEP) !== 0) || (!fetch && (pf & CR4_SMAP) !== 0)) need(RIGHT_USER, false);
  }
  return (want << 8) | mask;
}
