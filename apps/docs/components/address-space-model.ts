// The model behind the live "Address space map" page: one task of a booted @mmsim/kernel machine,
// changed by mmap/munmap/mprotect/brk and stores run as scenario steps, and read back from
// /proc/<pid>/maps, smaps and status and from its page tables. The view draws the 64-bit space in
// segments whose heights grow with log2 of their size, so 4 KiB and 16 EiB fit on one screen.
import { VmSession, type SmapsVma, type StepLine, type TableCount } from "./vm-session";

const KiB = 1024;
/** TASK_SIZE_MAX with 4-level paging: 2^47 - PAGE_SIZE (arch/x86/include/asm/page_64_types.h). */
export const TASK_SIZE_MAX = 2 ** 47 - 4096;
/** The demo task's name (/proc/app/maps). */
export const AS_TASK = "app";

/** One user action of the page, replayable in Node and in the browser. */
export type AsAction =
  | { op: "mmap"; lengthKb: number; prot: string[] }
  | { op: "munmap"; addr: number; lengthKb: number }
  | { op: "mprotect"; addr: number; lengthKb: number; prot: string[] }
  | { op: "brk"; deltaKb: number }
  | { op: "store"; addr: number; lengthKb: number };

/** A row of the drawing: a VMA, a gap, the canonical hole or the kernel half, high addresses first. */
export interface Segment {
  kind: "kernel" | "hole" | "guard" | "gap" | "vma";
  /** first and last byte, 16 hex digits (the hole's and the kernel's are above 2^53: written as text) */
  first: string;
  last: string;
  size: string;
  /** the VMA's perms and name for "vma" rows */
  label: string;
  /** pixels: 18 + 4 * log2(bytes / 4 KiB) */
  height: number;
  /** index into AsView.vmas for "vma" rows, else -1 */
  vma: number;
}

/** Everything the page shows. */
export interface AsView {
  log: StepLine[];
  maps: string;
  vmas: SmapsVma[];
  segments: Segment[];
  tables: TableCount;
  /** VmPTE, VmRSS and VmSize lines' values from /proc/app/status */
  vmPte: string;
  vmRss: string;
  vmSize: string;
  /** the last action's effect on the VMA count ("VMAs: 2 → 3"), or "" */
  change: string;
  /** the task was killed (the next action starts a fresh machine) */
  killed: boolean;
  /** indices into vmas of the VMAs the last action created or changed (range or perms) */
  changed: number[];
}

/** "4 KiB", "1.5 MiB", "128 TiB": the largest binary unit that keeps the value >= 1. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let u = 0;
  let v = bytes;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(2).replace(/\.?0+$/, "")} ${units[u]}`;
}

function heightOf(log2Bytes: number): number {
  return Math.round(18 + 4 * Math.max(0, log2Bytes - 12));
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, "0");
}

/**
 * The two fixed rows above the user half (Documentation/arch/x86/x86_64/mm.rst, 4-level): the
 * kernel half from 0xffff800000000000 (128 TiB) and the non-canonical hole between the halves
 * (2^64 - 2^48 bytes), then the guard page at TASK_SIZE_MAX that no user mapping may reach.
 */
const FIXED_TOP: readonly Segment[] = [
  { kind: "kernel", first: "ffff800000000000", last: "ffffffffffffffff", size: "128 TiB", label: "", height: heightOf(47), vma: -1 },
  { kind: "hole", first: "0000800000000000", last: "ffff7fffffffffff", size: "16 EiB − 256 TiB", label: "", height: heightOf(64), vma: -1 },
  { kind: "guard", first: hex16(TASK_SIZE_MAX), last: "00007fffffffffff", size: "4 KiB", label: "", height: heightOf(12), vma: -1 },
];

/** The user half as segments from TASK_SIZE_MAX down to 0: VMAs and the gaps between them. */
function userSegments(vmas: SmapsVma[]): Segment[] {
  const out: Segment[] = [];
  let top = TASK_SIZE_MAX;
  const gap = (lo: number, hi: number) => {
    if (hi > lo) out.push({ kind: "gap", first: hex16(lo), last: hex16(hi - 1), size: formatSize(hi - lo), label: "", height: heightOf(Math.log2(hi - lo)), vma: -1 });
  };
  for (let i = vmas.length - 1; i >= 0; i--) {
    const v = vmas[i]!;
    gap(v.end, top);
    const label = `${v.perms}${v.name ? " " + v.name : ""}`;
    out.push({ kind: "vma", first: hex16(v.start), last: hex16(v.end - 1), size: formatSize(v.end - v.start), label, height: heightOf(Math.log2(v.end - v.start)), vma: i });
    top = v.start;
  }
  gap(0, top);
  return out;
}

/**
 * The demo: task "app" spawned with an empty address space, a 132 KiB heap from brk with its
 * first page written, and a 40 KiB read-write anonymous mapping with its first 8 KiB written.
 */
export class AddressSpaceDemo {
  s = new VmSession();
  private lastChange = "";
  /** "start-end perms" of every VMA before the last action ([] before any action: nothing is marked) */
  private previous: string[] | null = null;

  constructor() {
    this.boot();
  }

  private boot(): void {
    this.s = new VmSession();
    this.lastChange = "";
    this.previous = null;
    this.s.step("spawn", { name: AS_TASK });
    this.s.step("brk", { task: AS_TASK, increment: 132 * KiB });
    this.s.step("store", { task: AS_TASK, addr: this.heapStart(), length: 4 * KiB });
    const buf = this.mmap(40, ["read", "write"]);
    if (buf !== null) this.s.step("store", { task: AS_TASK, addr: buf, length: 8 * KiB });
  }

  /** Where the heap starts (mm->start_brk). */
  heapStart(): number {
    return this.s.task(AS_TASK).mm!.startBrk;
  }

  /** mmap(NULL, len, prot, MAP_PRIVATE|MAP_ANONYMOUS): the address, or null on an error. */
  private mmap(lengthKb: number, prot: string[]): number | null {
    const r = this.s.step("mmap", { task: AS_TASK, length: lengthKb * KiB, prot, flags: ["private", "anonymous"] });
    const m = r ? /^= (0x[0-9a-f]+)/.exec(r.output) : null;
    return m ? parseInt(m[1]!.slice(2), 16) : null;
  }

  /** Whether the task still lives (a store outside its VMAs kills it with SIGSEGV). */
  alive(): boolean {
    return this.s.task(AS_TASK).alive;
  }

  /** Runs one action as the scenario step it stands for; after the task was killed, on a fresh machine. */
  apply(a: AsAction): void {
    if (!this.alive()) this.boot();
    const prev = this.s.smaps(AS_TASK);
    const before = prev.length;
    this.previous = prev.map(vmaKey);
    const len = a.op === "brk" ? 0 : a.lengthKb * KiB;
    switch (a.op) {
      case "mmap":
        this.mmap(a.lengthKb, a.prot);
        break;
      case "munmap":
        this.s.step("munmap", { task: AS_TASK, addr: a.addr, length: len });
        break;
      case "mprotect":
        this.s.step("mprotect", { task: AS_TASK, addr: a.addr, length: len, prot: a.prot });
        break;
      case "brk": {
        const mm = this.s.task(AS_TASK).mm!;
        if (a.deltaKb >= 0) this.s.step("brk", { task: AS_TASK, increment: a.deltaKb * KiB });
        else this.s.step("brk", { task: AS_TASK, addr: Math.max(0, mm.brk + a.deltaKb * KiB) });
        break;
      }
      case "store":
        this.s.step("store", { task: AS_TASK, addr: a.addr, length: len });
        break;
    }
    const after = this.alive() ? this.s.smaps(AS_TASK).length : 0;
    this.lastChange = `VMAs: ${before} → ${after}`;
  }

  view(): AsView {
    const alive = this.alive();
    const vmas = alive ? this.s.smaps(AS_TASK) : [];
    const status = `/proc/${AS_TASK}/status`;
    return {
      log: [...this.s.log],
      maps: alive ? this.s.cat(`/proc/${AS_TASK}/maps`) : "",
      vmas,
      segments: [...FIXED_TOP, ...userSegments(vmas)],
      tables: this.s.tables(AS_TASK),
      vmPte: alive ? this.s.field(status, "VmPTE") : "",
      vmRss: alive ? this.s.field(status, "VmRSS") : "",
      vmSize: alive ? this.s.field(status, "VmSize") : "",
      change: this.lastChange,
      killed: !alive,
      changed: this.previous === null ? [] : vmas.flatMap((v, i) => (this.previous!.includes(vmaKey(v)) ? [] : [i])),
    };
  }
}

function vmaKey(v: SmapsVma): string {
  return `${v.start}-${v.end} ${v.perms}`;
}

/** Runs `actions` on a fresh demo and returns the final view (the Node reference of the e2e). */
export function runAddressSpace(actions: readonly AsAction[]): AsView {
  const d = new AddressSpaceDemo();
  for (const a of actions) d.apply(a);
  return d.view();
}
