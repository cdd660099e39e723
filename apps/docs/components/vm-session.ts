// The kernel behind the virtual-memory live pages (address space, page fault, fork and COW): a
// small booted @mmsim/kernel machine driven by the scenario steps themselves (spawn, mmap, store,
// fork...), run one at a time with the line `mmsim run` would echo, plus read-only views of what
// /proc and the page tables hold. Plain TS: the same calls give the same output in Node and in
// the browser (the e2e's determinism check).
import { InputError } from "@mmsim/base";
import { Kernel, RunContext, STEPS, Scope, virtualOf } from "@mmsim/kernel";
import type { BindingKind, Bindings, Task, VirtualKernel } from "@mmsim/kernel";
import { entryAddr, entryPresent, lookupPte, newPteRef, _PAGE_PSE } from "@mmsim/hardware";

const MiB = 1024 * 1024;
/** The demo machine: 256 MiB, one CPU, 4-level paging (small enough to boot in ~50 ms in a browser). */
export const VM_DEMO_CONFIG = { ram: 256 * MiB, cpus: 1 } as const;
/** The seed every demo boots with (same seed, same output). */
export const VM_DEMO_SEED = 1;
/** Entries per x86-64 page table (4 KiB / 8 bytes). */
const PTRS_PER_TABLE = 512;
/** The user half of a 4-level table tree is PGD entries 0..255 (arch/x86/include/asm/pgtable_64_types.h: USER_PTRS_PER_PGD would be 256 of 512). */
const USER_PGD_ENTRIES = 256;

/** One step as it ran: the command line and the kernel's output (strace-like), or the input error. */
export interface StepLine {
  command: string;
  output: string;
}

/** One VMA as /proc/<pid>/smaps shows it. */
export interface SmapsVma {
  /** vm_start and vm_end (end exclusive) */
  start: number;
  end: number;
  /** "rw-p" */
  perms: string;
  /** the maps line's name column ("[heap]", "" for plain anonymous memory) */
  name: string;
  /** Size, Rss, Pss in kB */
  sizeKb: number;
  rssKb: number;
  pssKb: number;
  /** the VmFlags line's mnemonics */
  vmFlags: string;
}

/** One page-table page of a task: its level, its frame, and the user addresses it maps. */
export interface TablePage {
  /** PGD, PUD, PMD, PTE */
  level: string;
  pfn: number;
  /** first and last byte of the virtual range its 512 entries cover */
  first: number;
  last: number;
}

/** A task's page-table pages, by level, as the walk from its pgd finds them. */
export interface TableCount {
  pgd: number;
  pud: number;
  pmd: number;
  pte: number;
  /** every table page, in walk order (the PGD first, then depth first by address) */
  pages: TablePage[];
}

/** Bytes one entry maps at each level (4 PGD .. 1 PTE): 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
const ENTRY_SPAN = [0, 2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39];
const LEVEL_NAME = ["", "PTE", "PMD", "PUD", "PGD"];

/** A leaf PTE read from a task's tables. */
export interface PteRead {
  lo: number;
  hi: number;
  /** physical frame number the entry maps */
  pfn: number;
}

/** A booted demo machine and the scenario steps run on it so far. */
export class VmSession {
  readonly k: Kernel;
  readonly v: VirtualKernel;
  private readonly scope = new Scope();
  private readonly ctx: RunContext;
  private n = 0;
  /** every step run, in order */
  readonly log: StepLine[] = [];

  constructor() {
    this.k = Kernel.boot(VM_DEMO_CONFIG, { seed: VM_DEMO_SEED });
    this.v = virtualOf(this.k);
    this.ctx = new RunContext(this.k);
  }

  /**
   * Runs scenario step `name` with `value` (what its YAML would hold) and logs it. A bad value
   * (InputError: e.g. an address the user typed wrong) is logged as "error: ..." and returned
   * as null; the kernel's own answers (errnos, signals) are output.
   */
  step(name: string, value: unknown): StepLine | null {
    const def = STEPS.get(name);
    if (!def) throw new Error(`VmSession: no step ${name}`);
    let line: StepLine;
    try {
      const args = def.parse(value, ["steps", this.n++, name], this.scope);
      line = { command: def.describe(args), output: def.run(args, this.ctx) };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      this.log.push({ command: `${name}: ${JSON.stringify(value)}`, output: `error: ${e.problem}\n` });
      return null;
    }
    this.log.push(line);
    return line;
  }

  /** What a step bound with `as:` (an address, a file descriptor...), or undefined when unbound. */
  binding<K extends BindingKind>(name: string, kind: K): Bindings[K] | undefined {
    return this.ctx.lookup(name, kind);
  }

  /** The task spawned or forked as `name` (alive or not). */
  task(name: string): Task {
    const t = this.v.byTaskName(name);
    if (t === null) throw new Error(`VmSession: no task ${name}`);
    return t;
  }

  /** cat of a /proc file ("/proc/app/maps" works: a task's name stands for its pid). */
  cat(path: string): string {
    return this.k.cat(path);
  }

  /** The VMAs of task `name` with their smaps numbers, lowest address first. */
  smaps(name: string): SmapsVma[] {
    const out: SmapsVma[] = [];
    let cur: SmapsVma | null = null;
    for (const line of this.cat(`/proc/${name}/smaps`).split("\n")) {
      const h = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+ ?(.*)$/.exec(line);
      if (h) {
        cur = { start: parseInt(h[1]!, 16), end: parseInt(h[2]!, 16), perms: h[3]!, name: h[4]!.trim(), sizeKb: 0, rssKb: 0, pssKb: 0, vmFlags: "" };
        out.push(cur);
        continue;
      }
      const f = /^(\w+):\s+(.*?)\s*$/.exec(line);
      if (!f || !cur) continue;
      if (f[1] === "Size") cur.sizeKb = parseInt(f[2]!, 10);
      else if (f[1] === "Rss") cur.rssKb = parseInt(f[2]!, 10);
      else if (f[1] === "Pss") cur.pssKb = parseInt(f[2]!, 10);
      else if (f[1] === "VmFlags") cur.vmFlags = f[2]!;
    }
    return out;
  }

  /** A "Name:  value" line's value of a /proc file ("VmPTE" of /proc/app/status → "28 kB"). */
  field(path: string, name: string): string {
    const m = new RegExp(`^${name}:\\s+(.*?)\\s*$`, "m").exec(this.cat(path));
    return m ? m[1]! : "";
  }

  /** A counter of /proc/vmstat (pgfault, thp_fault_alloc...). */
  vmstat(name: string): number {
    const m = new RegExp(`^${name} (\\d+)$`, "m").exec(this.cat("/proc/vmstat"));
    return m ? Number(m[1]) : 0;
  }

  /** The leaf PTE mapping `va` in task `name`'s tables, or null when no table or no present entry maps it. */
  pte(name: string, va: number): PteRead | null {
    const mm = this.task(name).mm;
    if (mm === null || mm.pgd < 0) return null;
    const ref = lookupPte(this.k.hw.ram, mm.pgd, va - (va % 4096), this.k.config.pagingLevels, newPteRef());
    if (ref === null || !entryPresent(ref.lo)) return null;
    return { lo: ref.lo, hi: ref.hi, pfn: Math.floor(entryAddr(ref.lo, ref.hi) / 4096) };
  }

  /** Page refcount (page_count) and _mapcount + 1 (page_mapcount) of frame pfn. */
  pageCounts(pfn: number): { refcount: number; mapcount: number } {
    const pages = this.v.vmm.pages;
    const i = pages.idx(pfn);
    return { refcount: pages.refcount[i]!, mapcount: pages.mapcount[i]! + 1 };
  }

  /**
   * The page-table pages of task `name`'s user half, found level by level from its pgd, with
   * the range each maps (a PMD leaf, a transparent huge page, has no PTE table below it).
   */
  tables(name: string): TableCount {
    const mm = this.task(name).mm;
    const c: TableCount = { pgd: 0, pud: 0, pmd: 0, pte: 0, pages: [] };
    if (mm === null || mm.pgd < 0) return c;
    const ram = this.k.hw.ram;
    c.pgd = 1;
    c.pages.push({ level: "PGD", pfn: mm.pgd / 4096, first: 0, last: USER_PGD_ENTRIES * ENTRY_SPAN[4]! - 1 });
    const below = (table: number, level: number, entries: number, base: number): void => {
      for (let i = 0; i < entries; i++) {
        const lo = ram.readU32(table + i * 8);
        if ((lo & 1) === 0) continue;
        if (level > 1 && level < 4 && (lo & _PAGE_PSE) !== 0) continue;
        if (level === 1) continue;
        const next = entryAddr(lo, ram.readU32(table + i * 8 + 4));
        const first = base + i * ENTRY_SPAN[level]!;
        if (level === 4) c.pud++;
        else if (level === 3) c.pmd++;
        else c.pte++;
        c.pages.push({ level: LEVEL_NAME[level - 1]!, pfn: next / 4096, first, last: first + ENTRY_SPAN[level]! - 1 });
        if (level > 2) below(next, level - 1, PTRS_PER_TABLE, first);
      }
    };
    below(mm.pgd, 4, USER_PGD_ENTRIES, 0);
    return c;
  }
}

/** Parses a hex address typed by the user ("7f00...", "0x7f00..."); null when it is not one. */
export function parseHexAddr(text: string): number | null {
  const s = text.trim().toLowerCase().replace(/_/g, "");
  if (!/^(0x)?[0-9a-f]{1,12}$/.test(s)) return null;
  return parseInt(s.startsWith("0x") ? s.slice(2) : s, 16);
}
