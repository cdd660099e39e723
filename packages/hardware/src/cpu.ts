// A simulated x86-64 CPU as the memory-management code sees it: CR3 with its PCID, the
// privilege mode, paging controls (CR0.WP, CR4.PCIDE/SMEP/SMAP) and a private TLB. Does not
// model registers, instruction execution or interrupts.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import type { TlbConfig } from "./tlb";
import { Tlb } from "./tlb";
import { CR0_WP, CR4_SMAP, CR4_SMEP } from "./walk";

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
  mode: CpuMode = "kernel";
  // Fields assigned in the constructor are `declare`d: a plain declaration would first define
  // them as undefined (ES2022 class fields), and V8 would then type them as "anything" and
  // check their maps and Smi tags on every use in the TLB-hit path.
  declare readonly id: number;
  declare readonly tlb: Tlb;
  declare readonly pcidEnabled: boolean;
  /** CR0_WP | CR4_SMEP | CR4_SMAP bits passed to the page walk */
  declare readonly pagingFlags: number;
  /** cycles charged to this CPU by the cost model */
  cycles = 0;
  // perf-style event counts (dTLB-loads, dTLB-load-misses, iTLB-loads, iTLB-load-misses, ...)
  dtlbHits = 0;
  dtlbMisses = 0;
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
    this.pagingFlags = ((opts.wp ?? true) ? CR0_WP : 0) | (opts.smep ? CR4_SMEP : 0) | (opts.smap ? CR4_SMAP : 0);
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
