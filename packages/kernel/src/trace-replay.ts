// A memory trace replayed by one task of a booted kernel (`mmsim replay --kernel`). Before the
// replay the task maps the pages the trace touches: each maximal run of touched pages becomes
// one private anonymous mapping (MAP_FIXED_NOREPLACE), read-write, and executable when an
// instruction was fetched from it. MAP_NORESERVE: the traced program ran already, so a trace
// larger than the simulated RAM is not refused at mmap by the overcommit heuristic but pages
// until memory runs out (vm.overcommit_memory=2 still accounts it, as Linux does). Then the trace's accesses run through the MMU, the TLB and
// the page-fault handler (traceAccesses): pages are populated on first touch as Linux does
// (zero page on a read, a new page on a write, copy-on-write of the zero page).
//
//   trace pages:  |xx.xxx....x|   ->  VMAs [x x] [x x x] [x]  (one per run; exec runs apart)
//
// Not modelled: the program's real layout (text, heap, stack, libraries and their files), so no
// file pages, no stack growth and no major faults from the page cache. A page the kernel cannot
// find (no free memory and, today, no reclaim or swap) kills the task: the replay stops there.
import { InputError } from "@mmsim/base";
import {
  MAP_ANONYMOUS, MAP_FIXED_NOREPLACE, MAP_NORESERVE, MAP_PRIVATE, MM_ANONPAGES, PROT_EXEC, PROT_READ, PROT_WRITE,
  TraceAccessCounts, siCodeName, getMmRss, sysMmap, traceAccesses, type FaultSignal, type MmStruct,
} from "@mmsim/virtual";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, type Cpu } from "@mmsim/hardware";
import type { Kernel } from "./kernel";
import { SIGNALS, type Task } from "./task";
import { virtualOf, type VirtualKernel } from "./virtual-kernel";

/** Bytes per page: the x86-64 base page the trace's pages are mapped with. */
const PAGE = 4096;
/** The access types the report splits by (index into TraceAccessCounts' arrays). */
const R = ACCESS_READ, W = ACCESS_WRITE, X = ACCESS_EXEC;
/** -ENOMEM, -EEXIST (include/uapi/asm-generic/errno-base.h) */
const ENOMEM = -12;
const EEXIST = -17;

/** A run of touched pages: [start, end) in bytes, page-aligned; exec when an instruction was fetched from it. */
export interface TraceRange {
  start: number;
  end: number;
  exec: boolean;
}

/**
 * The VMAs a trace needs: its distinct page numbers `pages[0..n)` (any order) with `exec[i]`
 * non-zero for a page an instruction was fetched from, sorted and merged into maximal runs of
 * consecutive pages with the same exec flag. Page numbers are in 4 KiB pages.
 */
export function traceRanges(pages: Float64Array, exec: Uint8Array, n: number): TraceRange[] {
  // each page as 2 * page + exec (exact: page numbers are below 2^52), sorted: address order
  const order = Float64Array.from(pages.subarray(0, n), (p, i) => p * 2 + (exec[i] ? 1 : 0)).sort();
  const out: TraceRange[] = [];
  for (let i = 0; i < n; ) {
    const x = order[i]!;
    const isExec = x % 2 === 1;
    const first = (x - (isExec ? 1 : 0)) / 2;
    let last = first;
    i++;
    while (i < n && order[i] === (last + 1) * 2 + (isExec ? 1 : 0)) {
      last++;
      i++;
    }
    out.push({ start: first * PAGE, end: (last + 1) * PAGE, exec: isExec });
  }
  return out;
}

/** The counts of a replay so far (deltas since the task was set up). */
export interface TraceReplayReport {
  /** accesses made (an access that got a fatal signal is not counted) */
  accesses: number;
  /** page faults handled (pgfault) and the major ones (pgmajfault) */
  pgfault: number;
  pgmajfault: number;
  /** pages read back from swap (pswpin) */
  pswpin: number;
  /** accesses made by kind: loads, stores (lackey's M included), instruction fetches */
  loads: number;
  stores: number;
  fetches: number;
  /**
   * perf's dTLB-loads, dTLB-load-misses, dTLB-stores, dTLB-store-misses, iTLB-loads,
   * iTLB-load-misses: translations (accesses, plus one retry per page fault) and TLB misses
   */
  dtlbLoads: number;
  dtlbLoadMisses: number;
  dtlbStores: number;
  dtlbStoreMisses: number;
  itlbLoads: number;
  itlbLoadMisses: number;
  /** page walks the MMU made (TLB misses and fault retries) */
  pageWalks: number;
  /** the task's resident memory and page tables, kB (VmRSS, RssAnon, VmPTE of /proc/PID/status) */
  rssKb: number;
  rssAnonKb: number;
  pageTablesKb: number;
  /** the mappings made for the trace: VMAs and their total size in kB (the task maps nothing else: its VmSize) */
  vmas: number;
  mappedKb: number;
  /** simulated time the replay took, ns */
  ns: number;
  /** the signal that ended the task, or null while it runs */
  signal: TraceSignal | null;
}

/** A fatal signal of the replay: which access got it and why. */
export interface TraceSignal {
  /** index of the access in the trace (0-based) */
  access: number;
  name: string;
  signo: number;
  code: number;
  /** si_code's name as strace prints it (SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, SI_KERNEL), else the number */
  codeName: string;
  addr: number;
  /** the fault found no memory (VM_FAULT_OOM): the OOM kill */
  oom: boolean;
}

/** One task replaying a trace on a booted kernel (see the file header). */
export class TraceReplay {
  /** accesses made so far */
  accesses = 0;
  private dead: TraceReplayReport | null = null;
  private readonly v: VirtualKernel;
  private readonly mm: MmStruct;
  private readonly cpu: Cpu;
  /** accesses, faults and TLB misses per access type */
  private readonly counts = new TraceAccessCounts();
  /** baselines of the counters the report gives as deltas */
  private readonly base: number[];

  private constructor(
    private readonly k: Kernel,
    readonly task: Task,
    private readonly ranges: readonly TraceRange[],
  ) {
    this.v = virtualOf(k);
    this.mm = task.mm!;
    this.cpu = k.hw.cpus[task.cpu]!;
    this.base = this.raw();
  }

  /**
   * Spawns the task `comm` on `k` and maps `ranges` into it (traceRanges' output, in address
   * order). Throws InputError when a range cannot be mapped: below vm.mmap_min_addr, beyond the
   * user address space, more runs than vm.max_map_count, or no memory for the VMAs.
   */
  static start(k: Kernel, ranges: readonly TraceRange[], comm = "replay"): TraceReplay {
    const v = virtualOf(k);
    const t = v.spawn(comm);
    if (typeof t === "number") throw new InputError(`cannot spawn the replay task: ${t === ENOMEM ? "out of memory" : `errno ${-t}`}`);
    const mm = t.mm!;
    const vmm = v.vmm;
    const hex = (a: number) => `0x${a.toString(16)}`;
    if (ranges.length > vmm.sysctl.maxMapCount) {
      throw new InputError(`the trace touches ${ranges.length} separate runs of pages: more VMAs than vm.max_map_count (${vmm.sysctl.maxMapCount}); raise it with --sysctl vm.max_map_count=${ranges.length}`);
    }
    for (const r of ranges) {
      if (r.start < vmm.sysctl.mmapMinAddr) {
        throw new InputError(`the trace touches address ${hex(r.start)}, below vm.mmap_min_addr (${vmm.sysctl.mmapMinAddr}); allow it with --sysctl vm.mmap_min_addr=0`);
      }
      if (r.end > mm.taskSize) throw new InputError(`the trace touches address ${hex(r.end - PAGE)}, beyond the user address space (${hex(mm.taskSize)})`);
      const prot = PROT_READ | PROT_WRITE | (r.exec ? PROT_EXEC : 0);
      const a = sysMmap(vmm, mm, r.start, r.end - r.start, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, null, 0);
      if (a !== r.start) {
        const why = a === ENOMEM ? "out of memory (ENOMEM)" : a === EEXIST ? "already mapped (EEXIST)" : `errno ${-a}`;
        throw new InputError(`cannot map the trace's pages ${hex(r.start)}-${hex(r.end)}: ${why}`);
      }
    }
    return new TraceReplay(k, t, ranges);
  }

  /** Whether the task is still alive (false once a fault killed it). */
  get alive(): boolean {
    return this.dead === null;
  }

  /**
   * Replays accesses 0..n-1 of a chunk (user addresses, hardware access types as traceAccesses
   * takes them). Returns false, and ignores later chunks, once an access got a fatal signal: the
   * task is killed then, as the signal's default action does.
   */
  run(addrs: Float64Array, kinds: Uint8Array, n: number): boolean {
    if (this.dead !== null) return false;
    const vmm = this.v.vmm;
    const stop = traceAccesses(vmm, this.mm, this.cpu, addrs, kinds, 0, n, this.counts);
    this.accesses += stop;
    if (stop === n) return true;
    this.die(vmm.lastSignal!);
    return false;
  }

  /** The counts so far, or those at the task's death. */
  report(): TraceReplayReport {
    return this.dead ?? this.snapshot(null);
  }

  private die(sig: FaultSignal): void {
    this.dead = this.snapshot({ access: this.accesses, name: SIGNALS[sig.signo] ?? `signal ${sig.signo}`, signo: sig.signo, code: sig.code, codeName: siCodeName(sig.signo, sig.code), addr: sig.addr, oom: sig.oom });
    this.v.kill(this.task, sig.signo);
  }

  /** pgfault, pgmajfault, pswpin, the CPU's page walks, the clock. */
  private raw(): number[] {
    const c = this.k.counters;
    const cpu = this.cpu;
    return [c.get("pgfault"), c.get("pgmajfault"), c.get("pswpin"), cpu.pageWalks, this.k.clock.ns];
  }

  private snapshot(signal: TraceSignal | null): TraceReplayReport {
    const now = this.raw();
    const d = now.map((x, i) => x - this.base[i]!);
    const mm = this.mm;
    const t = this.counts;
    return {
      accesses: this.accesses,
      pgfault: d[0]!, pgmajfault: d[1]!, pswpin: d[2]!,
      loads: t.accesses[R]!, stores: t.accesses[W]!, fetches: t.accesses[X]!,
      dtlbLoads: t.accesses[R]! + t.faults[R]!, dtlbLoadMisses: t.misses[R]!,
      dtlbStores: t.accesses[W]! + t.faults[W]!, dtlbStoreMisses: t.misses[W]!,
      itlbLoads: t.accesses[X]! + t.faults[X]!, itlbLoadMisses: t.misses[X]!,
      pageWalks: d[3]!,
      rssKb: getMmRss(mm) * (PAGE / 1024),
      rssAnonKb: mm.rssStat[MM_ANONPAGES]! * (PAGE / 1024),
      pageTablesKb: mm.pgtablesBytes / 1024,
      vmas: mm.mmMt.length,
      mappedKb: this.ranges.reduce((s, r) => s + (r.end - r.start) / 1024, 0),
      ns: d[4]!,
      signal,
    };
  }
}
