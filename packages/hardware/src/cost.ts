// The cycle cost model: what the simulated hardware charges for translations, page walks,
// exceptions and device I/O. Models average costs on a Skylake-class 3 GHz core; does not
// model caches, prefetching, out-of-order overlap or contention. Figures are estimates with
// their sources named, meant to make relative costs (hit vs walk vs fault vs disk) realistic.
import { DEFAULT_CPU_HZ } from "@mmsim/base";

/**
 * A TLB hit: 1 cycle. An L1 dTLB hit adds nothing beyond the load's own 4–5 cycle L1 latency
 * and an STLB hit adds ~9 cycles (Intel 64 and IA-32 Optimization Reference Manual, Skylake
 * TLB table); one cycle keeps hits visible without pretending to model the hierarchy.
 */
export const TLB_HIT_CYCLES = 1;

/**
 * One page-walk level = one 8-byte memory read of a page-table entry: 25 cycles, between an
 * L2 hit (~12 cycles) and an L3 hit (~42 cycles) on Skylake (7-cpu.com, "Intel Skylake"),
 * because upper-level entries mostly hit the paging-structure caches and L1/L2.
 */
export const PAGE_WALK_LEVEL_CYCLES = 25;

/**
 * Page-fault exception entry and return (IDT delivery, entry code with PTI/IBRS, IRET), not
 * the handler's work: ~600 cycles ≈ 200 ns at 3 GHz, an estimate in the range published for
 * post-Meltdown kernels (e.g. LWN "KAISER: hiding the kernel from user space", 2017, and
 * lmbench lat_pagefault runs). The fault handler's own work is charged by the kernel layers.
 */
export const FAULT_ENTRY_EXIT_CYCLES = 600;

/** A system call's entry and exit: ~250 cycles (estimate, same sources as faults). */
export const SYSCALL_ENTRY_EXIT_CYCLES = 250;

/**
 * Bytes a core copies per cycle in the kernel's copy_to_user/copy_from_user and the socket's
 * copy into its buffers: 4 (12 GB/s at 3 GHz). rep movsb (ERMSB, the kernel's copy_user on
 * Skylake) moves 16-32 bytes a cycle while source and destination are in L1/L2, but the page
 * cache's data has just come by DMA into memory, so the copy runs at one core's memory
 * bandwidth, ~10-14 GB/s (Intel 64 and IA-32 Optimization Reference Manual, "Enhanced REP MOVSB
 * and STOSB operation"; single-thread STREAM Copy on Skylake servers).
 */
export const COPY_BYTES_PER_CYCLE = 4;

export interface CostOptions {
  cpuHz?: number;
  tlbHit?: number;
  walkLevel?: number;
  faultEntryExit?: number;
  syscallEntryExit?: number;
  copyBytesPerCycle?: number;
}

/** The costs one machine charges (each overridable at construction). */
export class CostModel {
  // `declare`d, assigned in the constructor: plain declarations would first define the fields
  // as undefined (ES2022 class fields), so V8 would check their Smi tags on every use.
  declare readonly cpuHz: number;
  declare readonly tlbHit: number;
  declare readonly walkLevel: number;
  declare readonly faultEntryExit: number;
  declare readonly syscallEntryExit: number;
  declare readonly copyBytesPerCycle: number;

  constructor(opts: CostOptions = {}) {
    this.cpuHz = opts.cpuHz ?? DEFAULT_CPU_HZ;
    this.tlbHit = opts.tlbHit ?? TLB_HIT_CYCLES;
    this.walkLevel = opts.walkLevel ?? PAGE_WALK_LEVEL_CYCLES;
    this.faultEntryExit = opts.faultEntryExit ?? FAULT_ENTRY_EXIT_CYCLES;
    this.syscallEntryExit = opts.syscallEntryExit ?? SYSCALL_ENTRY_EXIT_CYCLES;
    this.copyBytesPerCycle = opts.copyBytesPerCycle ?? COPY_BYTES_PER_CYCLE;
  }

  /** Cycles a CPU spends waiting `ns` nanoseconds for a device, at this model's frequency. */
  ioCycles(ns: number): number {
    return Math.round((ns * this.cpuHz) / 1e9);
  }

  /** Cycles for a page walk that read `entries` page-table entries. */
  walkCycles(entries: number): number {
    return entries * this.walkLevel;
  }
}
