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
import { CR4_SMAP, CR4_SMEP, CR0_WP, X86_PF_INSTR, X86_PF_USER, X86_PF_WRITE, walkPageTable } from "./walk";

// Module-local copies of the bits the hit path tests (an imported binding is a load through a
// module cell on every use; see walk.ts).
const WRITE = X86_PF_WRITE, USER = X86_PF_USER, INSTR = X86_PF_INSTR, WP = CR0_WP, SMEP = CR4_SMEP, SMAP = CR4_SMAP;

export class Mmu {
  constructor(
    readonly ram: Ram,
    readonly levels: PagingLevels,
    readonly cost: CostModel,
    /** when given, translations advance it by the cycles they cost */
    readonly clock: Clock | null = null,
  ) {}

  /**
   * Translates `va` for `access` (ACCESS_READ / ACCESS_WRITE / ACCESS_EXEC; the USER bit is
   * added when cpu.mode is "user") into out.pa. Returns true on success; false on a page fault,
   * with out.errorCode set (and cpu.cr2 / cpu.lastFaultCode). Never allocates unless
   * out.record is set.
   */
  translate(cpu: Cpu, va: number, access: Access, out: WalkResult): boolean {
    // The TLB-hit path, kept small so that callers can inline it; everything else is in miss().
    const acc = cpu.mode === "user" ? access | USER : access;
    if (!cpu.tlb.lookup(va, out)) return this.miss(cpu, va, acc, out, false);
    if (!rightsAllow(out, acc, cpu.pagingFlags)) return this.miss(cpu, va, acc, out, true);
    if ((acc & INSTR) !== 0) cpu.itlbHits++;
    else cpu.dtlbHits++;
    this.charge(cpu, this.cost.tlbHit);
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
    if ((acc & X86_PF_INSTR) !== 0) cpu.itlbMisses++;
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
    this.charge(cpu, cycles);
    return ok;
  }

  private charge(cpu: Cpu, cycles: number): void {
    cpu.cycles += cycles;
    if (this.clock !== null) this.clock.advanceCycles(cycles);
  }
}

/** Whether cached rights allow `acc` (same rules as the walk; a write also needs D set). */
function rightsAllow(e: WalkResult, acc: number, flags: number): boolean {
  const write = (acc & WRITE) !== 0;
  const fetch = (acc & INSTR) !== 0;
  if (write && !e.dirty) return false;
  if ((acc & USER) !== 0) return e.user && (!write || e.writable) && (!fetch || !e.nx);
  if (write && !e.writable && (flags & WP) !== 0) return false;
  if (fetch && e.nx) return false;
  if (e.user && ((fetch && (flags & SMEP) !== 0) || (!fetch && (flags & SMAP) !== 0))) return false;
  return true;
}
