// Address translation as a CPU performs it: TLB lookup, page walk on a miss, TLB fill, page
// fault on failure (Intel SDM vol. 3A §4.10). Charges the cost model and counts per-CPU
// events. Does not run the fault handler: a failed translation returns false with the error
// code, and the kernel layers decide what happens next.
//
//   translate(cpu, va, access)
//     ├─ TLB hit and rights allow it (and a write finds D already set) ── pa  [tlbHit cycles]
//     ├─ otherwise walk from CR3 ── ok ── fill TLB ── pa                      [walk cycles]
//     └─ walk fails ── drop the page's TLB entries, CR2 = va, error code     [+ fault entry/exit]
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
import type { Access, WalkResult } from "./walk";
import {
  CR4_SMAP, CR4_SMEP, CR0_WP, RIGHT_DIRTY, RIGHT_NX, RIGHT_USER, RIGHT_WRITABLE, X86_PF_INSTR, X86_PF_USER, X86_PF_WRITE, walkPageTable,
} from "./walk";

// Module-local copies of the bits the hit path tests (an imported binding is a load through a
// module cell on every use; see walk.ts).
const INSTR = X86_PF_INSTR, USER = X86_PF_USER;
/** The access bits the rights depend on: X86_PF_WRITE | X86_PF_USER | X86_PF_INSTR. */
const ACC_BITS = X86_PF_WRITE | X86_PF_USER | X86_PF_INSTR;

export class Mmu {
  // Fields are `declare`d and assigned in the constructor (parameter properties and plain
  // declarations would first define them as undefined, and V8 would then check their maps
  // and Smi tags on every hit).
  declare readonly ram: Ram;
  declare readonly levels: PagingLevels;
  declare readonly cost: CostModel;
  /** when given, translations advance it by the cycles they cost */
  declare readonly clock: Clock | null;
  // The hit path's inputs, precomputed (CostModel and Clock fields are readonly):
  /** cost.tlbHit */
  private declare readonly hitCycles: number;
  /** clock.advanceCycles(cost.tlbHit) as a constant: the same double, without a division per hit */
  private declare readonly hitNs: number;
  /**
   * The TLB rights check as one table: for index (acc & ACC_BITS) | (pagingFlags << 5), the
   * entry's flags f allow the access iff (f & r) === r >>> 8, where r = rights[index] (low byte:
   * flags that matter, next byte: the values they need). See rightsRule.
   */
  private readonly rights = new Int32Array(256);

  constructor(ram: Ram, levels: PagingLevels, cost: CostModel, clock: Clock | null = null) {
    this.ram = ram;
    this.levels = levels;
    this.cost = cost;
    this.clock = clock;
    this.hitCycles = cost.tlbHit;
    this.hitNs = clock === null ? 0 : (cost.tlbHit * 1e9) / clock.cpuHz;
    for (let pf = 0; pf < 8; pf++) {
      for (let acc = 0; acc <= ACC_BITS; acc++) if ((acc & ACC_BITS) === acc) this.rights[acc | (pf << 5)] = rightsRule(acc, pf);
    }
  }

  /**
   * Translates `va` for `access` (ACCESS_READ / ACCESS_WRITE / ACCESS_EXEC; the USER bit is
   * added when cpu.mode is "user") into out.pa. Returns true on success; false on a page fault,
   * with out.errorCode set (and cpu.cr2 / cpu.lastFaultCode). Never allocates unless
   * out.record is set.
   */
  translate(cpu: Cpu, va: number, access: Access, out: WalkResult): boolean {
    // The TLB-hit path, kept small so that callers can inline it; everything else is in miss().
    const acc = cpu.mode === "user" ? access | USER : access;
    const f = cpu.tlb.probe(va, out);
    if (f === 0) return this.miss(cpu, va, acc, out, false);
    const r = this.rights[(acc & ACC_BITS) | (cpu.pagingFlags << 5)];
    if ((f & r) !== r >>> 8) return this.miss(cpu, va, acc, out, true);
    if ((acc & INSTR) !== 0) cpu.itlbHits++;
    else cpu.dtlbHits++;
    cpu.cycles += this.hitCycles;
    const clock = this.clock;
    if (clock !== null) clock.ns += this.hitNs;
    return true;
  }

  /**
   * translate() without a usable TLB entry: walk, then fill the TLB or raise the fault. A hit
   * whose cached rights deny the access (`deniedHit`) is recounted as a miss.
   */
  private miss(cpu: Cpu, va: number, acc: number, out: WalkResult, deniedHit: boolean): boolean {
    const tlb = cpu.tlb;
    if (deniedHit) {
      tlb.hits--;
      tlb.misses++;
    }
    if ((acc & INSTR) !== 0) cpu.itlbMisses++;
    else cpu.dtlbMisses++;
    cpu.pageWalks++;
    const ok = walkPageTable(this.ram, cpu.cr3, va, acc, this.levels, out, cpu.pagingFlags);
    let cycles = out.entriesRead * this.cost.walkLevel;
    if (ok) tlb.fill(va, out);
    else {
      tlb.dropPage(va);
      cpu.pageFaults++;
      cpu.cr2 = va;
      cpu.lastFaultCode = out.errorCode;
      cycles += this.cost.faultEntryExit;
    }
    cpu.cycles += cycles;
    if (this.clock !== null) this.clock.advanceCycles(cycles);
    return ok;
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
