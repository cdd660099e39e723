// The model behind the live "read/write vs mmap" page: seed 001's comparison run by
// @mmsim/kernel's compareCopyMethods on the docs' small machine (256 MiB, one CPU), one fresh
// kernel per method: a file sent to a TCP socket with read()+write(), mmap()+write() and
// sendfile(). The view is the counters of each run and the seed's six steps, each with who did
// it (CPU, DMA, nobody) and how many times, as the run's counters say.
import { COPY_METHODS, Kernel, compareCopyMethods, formatCopyTime } from "@mmsim/kernel";
import type { CopyMethod, CopyOptions, CopyRun } from "@mmsim/kernel";
import { VM_DEMO_CONFIG, VM_DEMO_SEED } from "./vm-session";

const KiB = 1024;
/** The file sizes and chunks the page offers. */
export const RWM_SIZES = [16 * KiB, 64 * KiB, 256 * KiB, 1024 * KiB] as const;
export const RWM_CHUNKS = [4 * KiB, 16 * KiB, 64 * KiB] as const;
/** What the page runs first: seed 001's arithmetic, 16 chunks of 4 KiB, cold. */
export const RWM_DEFAULT: CopyOptions = { size: 64 * KiB, chunk: 4 * KiB, warm: false };

/** One method's row of the counters table. */
export interface RwmRow {
  method: CopyMethod;
  title: string;
  syscalls: number;
  modeSwitches: number;
  cpuCopies: number;
  cpuCopyBytes: number;
  diskDma: number;
  nicDma: number;
  pageFaults: number;
  program: string;
  lastByte: string;
  wire: boolean;
}

/** What a method does at one of the seed's six steps (the page words it per locale). */
export type RwmStepKind =
  | "read-enter" | "mmap-faults" | "sendfile-enter" | "disk-dma" | "copy-to-buf" | "no-copy-mapped" | "no-copy-pipe"
  | "write-enter" | "no-second-call" | "copy-buf-to-skb" | "copy-map-to-skb" | "no-copy-splice" | "skb-dma" | "pagecache-dma";

/** One of the seed's six steps in one method: who does it ("CPU", "DMA", "-": nobody), what, how often, how many bytes. */
export interface RwmCell {
  who: "CPU" | "DMA" | "-";
  kind: RwmStepKind;
  n: number;
  bytes: number;
}

export interface RwmView {
  options: CopyOptions;
  rows: RwmRow[];
  /** six rows (the seed's steps), a cell per method in COPY_METHODS order */
  steps: RwmCell[][];
}

const cell = (who: RwmCell["who"], kind: RwmStepKind, n = 0, bytes = 0): RwmCell => ({ who, kind, n, bytes });

/** The seed's six steps as each method does them, with the run's counts. */
function stepCells(r: CopyRun, chunks: number): RwmCell[] {
  const disk = cell("DMA", "disk-dma", r.dmaCopies - r.netDmaCopies);
  if (r.method === "read-write") {
    return [
      cell("-", "read-enter", chunks), disk, cell("CPU", "copy-to-buf", chunks, r.cpuCopyBytes / 2),
      cell("-", "write-enter", chunks), cell("CPU", "copy-buf-to-skb", r.cpuCopies - chunks, r.cpuCopyBytes / 2), cell("DMA", "skb-dma", r.netDmaCopies),
    ];
  }
  if (r.method === "mmap-write") {
    return [
      cell("-", "mmap-faults", r.pageFaults), disk, cell("-", "no-copy-mapped"),
      cell("-", "write-enter", chunks), cell("CPU", "copy-map-to-skb", r.cpuCopies, r.cpuCopyBytes), cell("DMA", "skb-dma", r.netDmaCopies),
    ];
  }
  return [
    cell("-", "sendfile-enter", chunks), disk, cell("-", "no-copy-pipe"),
    cell("-", "no-second-call"), cell("-", "no-copy-splice"), cell("DMA", "pagecache-dma", r.netDmaCopies),
  ];
}

/** Runs the three methods for `o` and returns what the page shows. */
export function runReadWriteMmap(o: CopyOptions): RwmView {
  const runs = compareCopyMethods(() => Kernel.boot(VM_DEMO_CONFIG, { seed: VM_DEMO_SEED }), o);
  const chunks = Math.ceil(o.size / o.chunk);
  const rows = runs.map((r) => ({
    method: r.method, title: r.title, syscalls: r.syscalls, modeSwitches: r.modeSwitches, cpuCopies: r.cpuCopies, cpuCopyBytes: r.cpuCopyBytes,
    diskDma: r.dmaCopies - r.netDmaCopies, nicDma: r.netDmaCopies, pageFaults: r.pageFaults,
    program: formatCopyTime(r.programNs), lastByte: formatCopyTime(r.timeNs), wire: r.wireMatches,
  }));
  const cells = runs.map((r) => stepCells(r, chunks));
  const steps = [0, 1, 2, 3, 4, 5].map((s) => COPY_METHODS.map((_, m) => cells[m]![s]!));
  return { options: { ...o }, rows, steps };
}
