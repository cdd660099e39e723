// The model behind the live "A page fault step by step" page: the kernel's built-in fault process
// (spawnFaultDemo: text, heap, mmap, guard, rodata and stack regions) on a booted @mmsim/kernel
// machine, and one user access at a time narrated by the kernel's explainFault (the same data
// `mmsim fault` prints). The machine persists between accesses, so a second access to a page shows
// what the first left behind; a task killed by SIGSEGV is replaced by a fresh machine.
import { FAULT_DEMO_LAYOUT, explainFault, formatFault, parseFaultAddress, spawnFaultDemo } from "@mmsim/kernel";
import type { FaultAccess, FaultExplanation, Task } from "@mmsim/kernel";
import { InputError } from "@mmsim/base";
import { decodeEntry, entryAddr, formatEntry } from "@mmsim/hardware";
import { VmSession } from "./vm-session";

export type { FaultAccess };

/** One region of the built-in process, as the page lists it. */
export interface RegionView {
  name: string;
  /** "0x..." start and end (exclusive) */
  start: string;
  end: string;
  perms: string;
  /** bytes written at setup (present pages) */
  written: number;
}

/** The built-in process's regions, lowest address first (FAULT_DEMO_LAYOUT). */
export function faultRegions(): RegionView[] {
  return FAULT_DEMO_LAYOUT.map((r) => ({ name: r.name, start: "0x" + r.start.toString(16), end: "0x" + r.end.toString(16), perms: r.perms, written: r.written }));
}

/** One level of a fault's table walk, ready to print. */
export interface LevelRow {
  name: string;
  index: number;
  before: string;
  after: string;
  /** "found" (a present table entry), "allocated" (the fault allocated the table: pfn), "leaf" (the PTE or huge entry) */
  state: "found" | "allocated" | "leaf";
  /** the table or page the entry points to after the fault, -1 when none */
  pfn: number;
  /** the entry's flags after the fault */
  flags: string;
}

/** What the page shows for one access: the kernel's explanation, its text, and the walk rows of each #PF. */
export interface FaultView {
  e: FaultExplanation;
  /** formatFault(e): what `mmsim fault` prints */
  text: string;
  /** per #PF round: the levels as rows */
  levels: LevelRow[][];
  /** the hardware walk that failed, per round: "PGD 170 0000000003856067 [P RW US A]" */
  hwWalk: string[][];
  /** the task was killed: the next access boots a fresh machine */
  killed: boolean;
}

/** The demo: a fresh machine with the built-in process (forked first when afterFork: the child faults). */
export class FaultDemo {
  private s!: VmSession;
  private task!: Task;
  private killed = false;

  constructor(readonly afterFork = false) {
    this.boot();
  }

  private boot(): void {
    this.s = new VmSession();
    this.task = spawnFaultDemo(this.s.k, { afterFork: this.afterFork }).task;
    this.killed = false;
  }

  /** The address the user typed (parseFaultAddress: hex, canonical), or the input error's text. */
  parse(text: string): number | string {
    try {
      return parseFaultAddress(this.s.k, text);
    } catch (e) {
      if (e instanceof InputError) return e.problem;
      throw e;
    }
  }

  /** Runs one user access at va and returns its narration. */
  access(va: number, access: FaultAccess): FaultView {
    if (this.killed) this.boot();
    const e = explainFault(this.s.k, this.task, va, access);
    this.killed = !this.task.alive;
    return {
      e,
      text: formatFault(e),
      levels: e.rounds.map((r) => r.levels.map((l): LevelRow => ({
        name: l.name,
        index: l.index,
        before: formatEntry(l.before.lo, l.before.hi),
        after: formatEntry(l.after.lo, l.after.hi),
        state: l.leaf ? "leaf" : l.allocatedPfn >= 0 ? "allocated" : "found",
        pfn: (l.after.lo & 1) !== 0 ? entryAddr(l.after.lo, l.after.hi) / 4096 : -1,
        flags: decodeEntry(l.after.lo, l.after.hi, l.level).join(" "),
      }))),
      hwWalk: e.rounds.map((r) => r.hwWalk.map((st) => `${st.name} ${st.index} ${formatEntry(st.lo, st.hi)} [${decodeEntry(st.lo, st.hi, st.level).join(" ")}]`)),
      killed: this.killed,
    };
  }
}

/** Runs `accesses` in order on one demo and returns every view (the Node reference of the e2e). */
export function runFaults(afterFork: boolean, accesses: readonly { va: number; access: FaultAccess }[]): FaultView[] {
  const d = new FaultDemo(afterFork);
  return accesses.map((a) => d.access(a.va, a.access));
}
