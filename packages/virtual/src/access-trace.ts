// A task replaying a memory trace: each access of a chunk is translated by the MMU of the CPU the
// task runs on (TLB hit, else the page walk that sets Accessed and Dirty and fills the TLB), and
// a failed translation takes the page fault (do_user_addr_fault) and is retried, exactly as
// userLoad/userStore do. No data bytes are read or written: a replay needs the translations,
// the A/D bits and the faults, not the contents. No allocation per access.
//
//   for each access i:  mmu.translatePa(cpu, addrs[i], kinds[i])  ── hit or walk ── next
//                                      └─ fault ── do_user_addr_fault ── retry (or a signal: stop at i)
import { BUG } from "@mmsim/base";
import type { Cpu } from "@mmsim/hardware";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { doUserAddrFault as doUserAddrFault_ } from "./fault";
import { switchMm as switchMm_ } from "./pte";

// Local copies of imported bindings (docs/design/performance.md, rule 2).
const doUserAddrFault = doUserAddrFault_;
const switchMm = switchMm_;

/** Faults one access may take before it is a BUG (as user-access.ts: a resolved fault lets the retry through). */
const MAX_FAULT_RETRIES = 4;

/** Size of the per-type arrays: an access type is a combination of X86_PF_WRITE/USER/INSTR bits (< 32). */
const ACCESS_TYPES = 32;

/**
 * What traceAccesses counts per access type (index ACCESS_READ, ACCESS_WRITE or ACCESS_EXEC):
 * perf's dTLB-loads/-stores and iTLB-loads are accesses + faults (a faulting access is
 * translated again after the fault), their -misses the TLB misses.
 */
export class TraceAccessCounts {
  /** accesses made (an access that got a signal is not counted) */
  readonly accesses = new Float64Array(ACCESS_TYPES);
  /** TLB misses: page walks, the faulting walks and the retries' included */
  readonly misses = new Float64Array(ACCESS_TYPES);
  /** page faults taken */
  readonly faults = new Float64Array(ACCESS_TYPES);
}

/**
 * Replays accesses start..end-1 of a chunk by mm's task on cpu: addrs[i] is a user virtual
 * address, kinds[i] the hardware access type (ACCESS_READ, ACCESS_WRITE or ACCESS_EXEC from
 * @mmsim/hardware; the MMU adds the user bit). Counts go where the accesses' would (the CPU's
 * TLB and walk counters, pgfault and the rest in the machine's Counters, the clock) and, per
 * access type, to `counts`.
 *
 * Returns end when every access went through, else the index of the access whose fault was not
 * resolved; its signal is in vmm.lastSignal (the accesses before it were made).
 */
export function traceAccesses(
  vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addrs: Float64Array, kinds: Uint8Array, start: number, end: number, counts: TraceAccessCounts,
): number {
  const mmu = vmm.mmu;
  if (mmu === null) BUG("traceAccesses", "VirtualMemory was built without an MMU (config.mmu)");
  if (end > addrs.length || end > kinds.length || start < 0) BUG("traceAccesses", `accesses ${start}..${end} outside the chunk`);
  // (a dead mm's pgd never stays in CR3: __mmdrop moves its CPUs to init_mm)
  if (cpu.cr3 !== mm.pgd) switchMm(mm, cpu);
  cpu.mode = "user";
  const made = counts.accesses;
  const misses = counts.misses;
  const faults = counts.faults;
  // every TLB miss walks: a change of cpu.pageWalks after an access is its misses
  let walks = cpu.pageWalks;
  for (let i = start; i < end; i++) {
    const va = addrs[i]!;
    const acc = kinds[i]!;
    // translatePa: the TLB hit returns the physical address and stores nothing but the LRU
    // stamp; a fault leaves its error code in cpu.lastFaultCode
    if (mmu.translatePa(cpu, va, acc) < 0) {
      for (let tries = 0; ; tries++) {
        if (tries === MAX_FAULT_RETRIES) BUG("do_user_addr_fault", `fault at 0x${va.toString(16)} does not resolve`);
        faults[acc]++;
        const sig = doUserAddrFault(vmm, mm, cpu.lastFaultCode, va);
        if (sig !== null) {
          misses[acc] += cpu.pageWalks - walks;
          vmm.lastSignal = sig;
          return i;
        }
        if (mmu.translatePa(cpu, va, acc) >= 0) break;
      }
    }
    made[acc]++;
    const w = cpu.pageWalks;
    if (w !== walks) {
      misses[acc] += w - walks;
      walks = w;
    }
  }
  return end;
}
