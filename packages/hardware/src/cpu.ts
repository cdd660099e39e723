// A simulated x86 CPU as the memory-management code sees it: CR3 with its PCID, the privilege
// mode, the paging mode (IA-32e, or i386 32-bit / PAE paging), paging controls (CR0.WP,
// CR4.PCIDE/SMEP/SMAP) and a private TLB. Does not
// model registers, instruction execution or interrupts. The TLB-hit counters and the cycles of
// hits are derived when read (see `cycles`), so a hit through the MMU increments nothing here.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import type { TlbConfig } from "./tlb";
import { Tlb } from "./tlb";
import { TLB_HIT_CYCLES } from "./cost";
import { CR0_WP, CR4_SMAP, CR4_SMEP, X86_PF_USER } from "./walk";

/** Where Cpu.accBits keeps the paging flags: above the access bits (X86_PF_INSTR is bit 4). */
export const ACC_PAGING_SHIFT = 5;

/**
 * Paging modes (Intel SDM vol. 3A §4.1.1, Table 4-1), as Cpu.pagingFormat holds them: IA-32e
 * (CR0.PG, CR4.PAE, EFER.LME: x86-64's 4- or 5-level tables), 32-bit paging (CR0.PG, CR4.PAE
 * clear: 2 levels of 4-byte entries), PAE paging (CR0.PG, CR4.PAE, EFER.LME clear: a 4-entry
 * PDPT, then 2 levels of 8-byte entries). The MMU walks in the mode of the CPU it translates for.
 */
export const PAGING_IA32E = 0;
export const PAGING_32BIT = 1;
export const PAGING_PAE = 2;

/** PCIDs are 12 bits (CR3 bits 0–11). */
export const PCID_MASK = 0xfff;

export type CpuMode = "user" | "kernel";

export interface CpuOptions {
  /** CR4.PCIDE: PCID-tagged TLB entries (default true) */
  pcid?: boolean;
  /** CR0.WP (default true, as Linux sets it) */
  wp?: boolean;
  smep?: boolean;
  smap?: boolean;
  tlb?: TlbConfig;
}

export class Cpu {
  /** physical address of the current top-level page table */
  cr3 = 0;
  /** current PCID (0 when PCIDs are off) */
  pcid = 0;
  // Fields assigned in the constructor are `declare`d: a plain declaration would first define
  // them as undefined (ES2022 class fields), and V8 would then type them as "anything" and
  // check their maps and Smi tags on every use in the TLB-hit path.
  declare readonly id: number;
  declare readonly tlb: Tlb;
  declare readonly pcidEnabled: boolean;
  /** PAGING_IA32E (the default), PAGING_32BIT or PAGING_PAE: the tables CR3 points to (setPagingFormat) */
  declare pagingFormat: number;
  /** CR0_WP | CR4_SMEP | CR4_SMAP bits passed to the page walk */
  declare readonly pagingFlags: number;
  /**
   * For the MMU's hit path: pagingFlags << ACC_PAGING_SHIFT, | X86_PF_USER in user mode, so
   * that (access | accBits) indexes the MMU's rights table with one field read.
   */
  declare accBits: number;
  // cycles = cyclesBase + (tlb.hits - hitsAtRate) * hitRate: hits are charged when read.
  private declare cyclesBase: number;
  private declare hitsAtRate: number;
  private declare hitRate: number;
  // perf-style event counts (dTLB-loads, dTLB-load-misses, iTLB-loads, iTLB-load-misses, ...)
  dtlbMisses = 0;
  /** instruction fetches that hit the TLB (dtlbHits is the rest of the TLB's hits) */
  itlbHits = 0;
  itlbMisses = 0;
  pageWalks = 0;
  pageFaults = 0;
  /** error code and address of the last page fault (CR2) */
  lastFaultCode = 0;
  cr2 = 0;

  constructor(id: number, opts: CpuOptions = {}) {
    this.id = id;
    this.tlb = new Tlb(opts.tlb);
    this.pcidEnabled = opts.pcid ?? true;
    this.pagingFormat = PAGING_IA32E;
    this.pagingFlags = ((opts.wp ?? true) ? CR0_WP : 0) | (opts.smep ? CR4_SMEP : 0) | (opts.smap ? CR4_SMAP : 0);
    this.accBits = this.pagingFlags << ACC_PAGING_SHIFT;
    this.cyclesBase = 0;
    this.hitsAtRate = 0;
    this.hitRate = TLB_HIT_CYCLES;
  }

  /** The privilege mode: "user" is CPL 3 (translations add X86_PF_USER), "kernel" CPL 0. */
  get mode(): CpuMode {
    return (this.accBits & X86_PF_USER) !== 0 ? "user" : "kernel";
  }
  set mode(mode: CpuMode) {
    this.accBits = (this.pagingFlags << ACC_PAGING_SHIFT) | (mode === "user" ? X86_PF_USER : 0);
  }

  /**
   * Cycles charged to this CPU by the cost model: what chargeCycles() added, plus every hit of
   * this CPU's TLB at the hit cost of the MMU that last walked for it (cost.tlbHit).
   */
  get cycles(): number {
    return this.cyclesBase + (this.tlb.hits - this.hitsAtRate) * this.hitRate;
  }

  /** Data-side TLB hits: the TLB's hits that were not instruction fetches. */
  get dtlbHits(): number {
    return this.tlb.hits - this.itlbHits;
  }

  /** Charges `cycles` to this CPU (page walks, faults; TLB hits are charged by `cycles` itself). */
  chargeCycles(cycles: number): void {
    this.cyclesBase += cycles;
  }

  /**
   * Sets what a TLB hit costs from now on (the MMU calls it when it walks for this CPU); hits
   * so far stay charged at the old cost.
   */
  setHitCycles(cycles: number): void {
    if (cycles === this.hitRate) return;
    const hits = this.tlb.hits;
    this.cyclesBase += (hits - this.hitsAtRate) * this.hitRate;
    this.hitsAtRate = hits;
    this.hitRate = cycles;
  }

  /**
   * Switches the paging mode (CR0.PG, CR4.PAE, EFER.LME as an i386 or x86-64 kernel sets them at
   * boot) to PAGING_IA32E, PAGING_32BIT or PAGING_PAE. A change of CR4.PAE or CR4.PGE flushes every
   * TLB entry, global ones included (SDM §4.10.4.1), so the TLB is emptied.
   */
  setPagingFormat(format: number): void {
    if (format !== PAGING_IA32E && format !== PAGING_32BIT && format !== PAGING_PAE) BUG("Cpu.setPagingFormat", `unknown paging mode ${format}`);
    if (format === this.pagingFormat) return;
    this.pagingFormat = format;
    this.tlb.flushAll();
  }

  /**
   * Loads CR3 with a new top-level table and PCID. Without PCIDs every non-global entry is
   * flushed. With PCIDs the new PCID's non-global entries are flushed unless `noflush` (CR3
   * bit 63) is set; other PCIDs' entries and global entries survive.
   */
  writeCr3(cr3: number, pcid = 0, noflush = false): void {
    if (cr3 % PAGE_SIZE !== 0 || cr3 < 0) BUG("Cpu.writeCr3", `cr3 0x${cr3.toString(16)} not page aligned`);
    if (pcid !== (pcid & PCID_MASK)) BUG("Cpu.writeCr3", `pcid ${pcid} is not 12 bits`);
    if (!this.pcidEnabled && (pcid !== 0 || noflush)) BUG("Cpu.writeCr3", "PCID or no-flush used with CR4.PCIDE clear");
    this.cr3 = cr3;
    this.pcid = pcid;
    this.tlb.pcid = pcid;
    if (!this.pcidEnabled) this.tlb.flushNonGlobal();
    else if (!noflush) this.tlb.flushPcid(pcid);
  }
}
