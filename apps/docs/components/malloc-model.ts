// The model behind the live part of the malloc page: seed 004's test program in a task of a
// booted @mmsim/kernel machine. It starts as the seed's program does (printf's and getchar's
// 1 KiB stdio buffers from the heap), then the user mallocs the seed's sizes, writes a block's
// first and last bytes or memsets it, and frees it, each as the scenario step `mmsim run` runs.
// The view reads the task's VMAs with Size and Rss from /proc/<pid>/smaps after every action.
import { VmSession, type SmapsVma, type StepLine } from "./vm-session";

/** The sizes the page offers: seed 004's two runs, and one block just above the mmap threshold. */
export const MALLOC_SIZES = [4096, 8192, 200000, 1575936, 8388999] as const;
const TASK = "test";

/** One user action, replayable in Node and in the browser; `block` indexes the blocks in malloc order. */
export type MlAction = { op: "malloc"; size: number } | { op: "touch" | "memset" | "free"; block: number };

/** A block the user allocated. */
export interface MlBlock {
  /** the name its malloc step bound ("p0") */
  name: string;
  size: number;
  /** the pointer malloc returned, 0x-prefixed */
  ptr: string;
  freed: boolean;
  /** the maps name of the VMA holding it ("[heap]", "" for an anonymous mapping; "—" when freed and unmapped) */
  vma: string;
}

export interface MlView {
  blocks: MlBlock[];
  /** the task's VMAs, lowest address first */
  vmas: SmapsVma[];
  /** RssAnon of /proc/test/status */
  rssAnon: string;
  log: StepLine[];
}

/** Seed 004's program after its printf and getchar: task "test" with two 1 KiB stdio buffers on [heap]. */
export class MallocDemo {
  readonly s = new VmSession();
  private readonly blocks: { name: string; size: number; ptr: number; freed: boolean }[] = [];

  constructor() {
    const s = this.s;
    s.step("spawn", { name: TASK });
    s.step("malloc", { task: TASK, size: 1024, as: "stdout_buf" });
    s.step("store", { task: TASK, addr: "stdout_buf", length: 14 });
    s.step("malloc", { task: TASK, size: 1024, as: "stdin_buf" });
    s.step("store", { task: TASK, addr: "stdin_buf", length: 1, byte: 10 });
  }

  apply(a: MlAction): void {
    if (a.op === "malloc") {
      if (!(MALLOC_SIZES as readonly number[]).includes(a.size)) return;
      const name = `p${this.blocks.length}`;
      const r = this.s.step("malloc", { task: TASK, size: a.size, as: name });
      const m = r ? /^= 0x([0-9a-f]+)/.exec(r.output) : null;
      if (!m) throw new Error("MallocDemo: malloc failed");
      this.blocks.push({ name, size: a.size, ptr: parseInt(m[1]!, 16), freed: false });
      return;
    }
    const b = this.blocks[a.block];
    if (b === undefined || b.freed) return;
    if (a.op === "touch") {
      this.s.step("store", { task: TASK, addr: b.name, length: 1, byte: 12 });
      this.s.step("store", { task: TASK, addr: `${b.name}+${b.size - 1}`, length: 1, byte: 34 });
    } else if (a.op === "memset") {
      this.s.step("memset", { task: TASK, addr: b.name, length: b.size, byte: 0 });
    } else {
      this.s.step("free", { task: TASK, ptr: b.name });
      b.freed = true;
    }
  }

  view(): MlView {
    const vmas = this.s.smaps(TASK);
    const where = (ptr: number) => {
      const v = vmas.find((x) => x.start <= ptr && ptr < x.end);
      return v ? v.name : "—";
    };
    return {
      blocks: this.blocks.map((b) => ({ name: b.name, size: b.size, ptr: "0x" + b.ptr.toString(16), freed: b.freed, vma: where(b.ptr) })),
      vmas,
      rssAnon: this.s.field(`/proc/${TASK}/status`, "RssAnon"),
      log: [...this.s.log],
    };
  }
}

/** Runs `actions` on a fresh demo and returns the final view (the Node reference of the e2e). */
export function runMalloc(actions: readonly MlAction[]): MlView {
  const d = new MallocDemo();
  for (const a of actions) d.apply(a);
  return d.view();
}
