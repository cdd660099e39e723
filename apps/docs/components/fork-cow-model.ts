// The model behind the live "fork and copy-on-write" page: a parent task of a booted
// @mmsim/kernel machine with a 4-page anonymous buffer (three pages written), fork as the scenario
// step runs it (dup_mmap, copy_pte_range write-protecting both sides), then reads and writes by
// either task. The view reads each page's PTE in both tasks' tables, the frame's refcount and
// mapcount, its first byte in RAM, smaps' Rss/Pss and the fault counters, after every action.
import { _PAGE_DIRTY, _PAGE_RW } from "@mmsim/hardware";
import { VmSession, type PteRead, type StepLine } from "./vm-session";

/** Pages in the demo buffer. */
export const FC_PAGES = 4;
/** Pages the parent writes before the fork (the last one stays untouched). */
export const FC_WRITTEN = 3;
/** The byte each task writes: the parent 0xaa, the child 0xcc (the initial pages hold 0x11, 0x22, 0x33). */
export const FC_BYTE = { parent: 0xaa, child: 0xcc } as const;
const PAGE = 4096;

export type FcWho = "parent" | "child";
/** One user action, replayable in Node and in the browser. */
export type FcAction = { op: "fork" } | { op: "exit" } | { op: "write" | "read"; who: FcWho; page: number };

/** One task's view of one page. */
export interface FcSide {
  /** the PTE is present */
  present: boolean;
  pfn: number;
  /** the PTE maps the shared zero page */
  zero: boolean;
  /** the PTE's RW and D bits */
  rw: boolean;
  dirty: boolean;
  /** page_count and page_mapcount of the frame (0 for the zero page, which is not counted) */
  refcount: number;
  mapcount: number;
  /** the first byte of the frame, two hex digits ("" when not present) */
  byte: string;
}

export interface FcRow {
  /** the page's user address, 0x-prefixed */
  addr: string;
  parent: FcSide;
  /** null before the fork and after the child exited */
  child: FcSide | null;
}

export interface FcView {
  forked: boolean;
  childAlive: boolean;
  rows: FcRow[];
  /** Rss and Pss of the buffer's VMA in each task ("4 kB"); child "" when it is not alive */
  rss: { parent: string; pss: string; child: string; childPss: string };
  /** /proc/vmstat pgfault and pgreuse */
  pgfault: number;
  pgreuse: number;
  /** what the last action's fault did, in kernel terms */
  outcome: string;
  log: StepLine[];
}

function side(s: VmSession, who: FcWho, va: number): FcSide {
  const p: PteRead | null = s.pte(who, va);
  if (p === null) return { present: false, pfn: -1, zero: false, rw: false, dirty: false, refcount: 0, mapcount: 0, byte: "" };
  const zero = p.pfn === s.v.vmm.zeroPfn;
  const c = zero ? { refcount: 0, mapcount: 0 } : s.pageCounts(p.pfn);
  return {
    present: true, pfn: p.pfn, zero, rw: (p.lo & _PAGE_RW) !== 0, dirty: (p.lo & _PAGE_DIRTY) !== 0, ...c,
    byte: s.k.hw.ram.readU8(p.pfn * PAGE).toString(16).padStart(2, "0"),
  };
}

/** The demo: "parent" maps 16 KiB read-write, private, anonymous, and writes 0x11, 0x22, 0x33 to its first three pages. */
export class ForkCowDemo {
  readonly s = new VmSession();
  readonly buf: number;
  private forked = false;
  private childAlive = false;
  private outcome = "";

  constructor() {
    this.s.step("spawn", { name: "parent" });
    const r = this.s.step("mmap", { task: "parent", length: FC_PAGES * PAGE, prot: ["read", "write"], flags: ["private", "anonymous"] });
    const m = r ? /^= 0x([0-9a-f]+)/.exec(r.output) : null;
    if (!m) throw new Error("ForkCowDemo: mmap failed");
    this.buf = parseInt(m[1]!, 16);
    for (let i = 0; i < FC_WRITTEN; i++) this.s.step("store", { task: "parent", addr: this.buf + i * PAGE, length: PAGE, byte: 0x11 * (i + 1) });
  }

  apply(a: FcAction): void {
    if (a.op === "fork") {
      if (this.forked) return;
      this.s.step("fork", { task: "parent", name: "child" });
      this.forked = this.childAlive = true;
      this.outcome = "fork";
      return;
    }
    if (a.op === "exit") {
      if (!this.childAlive) return;
      this.s.step("exit", { task: "child" });
      this.childAlive = false;
      this.outcome = "exit";
      return;
    }
    if (a.who === "child" && !this.childAlive) return;
    const va = this.buf + a.page * PAGE;
    const before = side(this.s, a.who, va);
    const f0 = this.s.vmstat("pgfault");
    if (a.op === "write") this.s.step("store", { task: a.who, addr: va, length: 8, byte: FC_BYTE[a.who] });
    else this.s.step("load", { task: a.who, addr: va, length: 8 });
    const after = side(this.s, a.who, va);
    const faulted = this.s.vmstat("pgfault") > f0;
    this.outcome = classify(a.op, before, after, faulted);
  }

  view(): FcView {
    const rows: FcRow[] = [];
    for (let i = 0; i < FC_PAGES; i++) {
      const va = this.buf + i * PAGE;
      rows.push({ addr: "0x" + va.toString(16), parent: side(this.s, "parent", va), child: this.childAlive ? side(this.s, "child", va) : null });
    }
    const rssOf = (who: FcWho) => {
      const v = this.s.smaps(who).find((x) => x.start <= this.buf && this.buf < x.end);
      return v ? [`${v.rssKb} kB`, `${v.pssKb} kB`] : ["", ""];
    };
    const [pr, pp] = rssOf("parent");
    const [cr, cp] = this.childAlive ? rssOf("child") : ["", ""];
    return {
      forked: this.forked, childAlive: this.childAlive, rows,
      rss: { parent: pr!, pss: pp!, child: cr!, childPss: cp! },
      pgfault: this.s.vmstat("pgfault"), pgreuse: this.s.vmstat("pgreuse"),
      outcome: this.outcome, log: [...this.s.log],
    };
  }
}

/**
 * What handle_mm_fault did, told from the PTE before and after the access: the outcome codes
 * the page translates ("anon-new", "zero-page", "cow-copy", "cow-reuse", "no-fault", "cow-zero").
 */
function classify(op: "read" | "write", before: FcSide, after: FcSide, faulted: boolean): string {
  if (!faulted) return "no-fault";
  if (!before.present) return op === "read" ? (after.zero ? "zero-page" : "anon-new") : "anon-new";
  if (before.zero) return "cow-zero";
  return after.pfn === before.pfn ? "cow-reuse" : "cow-copy";
}

/** Runs `actions` on a fresh demo and returns the final view (the Node reference of the e2e). */
export function runForkCow(actions: readonly FcAction[]): FcView {
  const d = new ForkCowDemo();
  for (const a of actions) d.apply(a);
  return d.view();
}
