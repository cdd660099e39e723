// The model behind the live "x86-64 page walk" page: a fixed, small page-table tree built in a
// simulated Ram with @mmsim/hardware's mapPage, walked with its walkPageTable, and a TLB that
// caches the result. Everything here is plain data in, plain data out (a WalkView), so the same
// inputs give the same view in Node (the e2e test's reference) and in the browser.
// Models no kernel policy: the mappings are hand-picked to show each kind of leaf.
import { formatVa, hex } from "@mmsim/base";
import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, CostModel, Cpu, Mmu, PAGE_KERNEL, PAGE_KERNEL_ROX, PAGE_READONLY_EXEC,
  PAGE_SHARED, Ram, WalkResult, _PAGE_PRESENT, _PAGE_PSE, canonicalTail, decodeEntry, describeErrorCode,
  entryAddr, formatEntry, isUserHalf, levelName, mapPage, vaBits, x86Layout,
} from "@mmsim/hardware";
import type { PageSize, PagingLevels, PteFlags, X86Layout } from "@mmsim/hardware";

/** Size of the simulated physical address space: 4 GiB (sparse: only written frames cost memory). */
export const DEMO_RAM_BYTES = 4 * 1024 * 1024 * 1024;
/** Page-table pages are handed out upwards from this pfn (32 MiB), the root (CR3) first. */
export const DEMO_TABLE_PFN_BASE = 0x2000;

export type AccessKind = "read" | "write" | "exec";

/** One fixed mapping of the demo tree. */
export interface DemoMapping {
  /** its virtual address (a canonical tail) in a kernel layout */
  va: (layout: X86Layout) => number;
  pa: number;
  size: PageSize;
  flags: PteFlags;
  what: { en: string; zh: string };
}

const KiB4: PageSize = 4096;
const MiB2: PageSize = 2097152;
const GiB1: PageSize = 1073741824;

/**
 * The demo's mappings, in the order the page lists them: a process's text, data, a THP and its
 * stack (user half), the direct map's first 1 GiB page at PAGE_OFFSET and the kernel image's
 * first 2 MiB page at 0xffffffff81000000 (16 MiB physical), as Linux maps them.
 */
export const DEMO_MAPPINGS: readonly DemoMapping[] = [
  { va: () => 0x555555554000, pa: 0x7a3c1000, size: KiB4, flags: PAGE_READONLY_EXEC, what: { en: "program text", zh: "程序代码段" } },
  { va: () => 0x555555555000, pa: 0x7a3c2000, size: KiB4, flags: PAGE_SHARED, what: { en: "program data", zh: "程序数据段" } },
  { va: () => 0x7f0000200000, pa: 0x5e400000, size: MiB2, flags: PAGE_SHARED, what: { en: "anonymous huge page", zh: "匿名透明大页" } },
  { va: () => 0x7ffffffde000, pa: 0x5b0d6000, size: KiB4, flags: PAGE_SHARED, what: { en: "stack", zh: "栈" } },
  { va: (l) => l.PAGE_OFFSET, pa: 0, size: GiB1, flags: PAGE_KERNEL, what: { en: "direct map of the first GiB", zh: "前 1 GiB 的直接映射" } },
  { va: (l) => l.START_KERNEL, pa: 0x1000000, size: MiB2, flags: PAGE_KERNEL_ROX, what: { en: "kernel image", zh: "内核映像" } },
];

/** A demo mapping's address as the page prints it: 0x + 16 hex digits, sign-extended. */
export function demoVaText(m: DemoMapping, levels: PagingLevels): string {
  return "0x" + formatVa(m.va(x86Layout(levels)), vaBits(levels));
}

/** One level of the walk, ready to print. */
export interface StepView {
  /** PGD, P4D, PUD, PMD, PTE */
  name: string;
  /** "VA[47:39]" */
  bits: string;
  index: number;
  /** physical address of the entry, 0x-prefixed, 12 hex digits */
  entryPa: string;
  /** the 64-bit entry as read, 16 hex digits */
  entry: string;
  /** names of the set flag bits, in bit order */
  flags: string[];
  /** what the entry leads to: "table" (next table at `next`), "leaf" (a page at `next`), "none" (not present) */
  kind: "table" | "leaf" | "none";
  /** physical address of the next table or of the page, 0x-prefixed (empty when kind is "none") */
  next: string;
}

/** The result of one access, ready to print. */
export interface AccessView {
  /** true when the TLB already held the translation (no walk) */
  tlbHit: boolean;
  ok: boolean;
  /** physical address, 0x-prefixed (when ok) */
  pa: string;
  /** page-table entries read by this access (0 on a TLB hit) */
  entriesRead: number;
}

/** One field of the virtual address, as the MMU splits it. */
export interface FieldView {
  /** "sign", "PGD", "P4D", "PUD", "PMD", "PTE" or "offset" */
  name: string;
  /** "63:48", "47:39", ... "11:0" */
  range: string;
  /** the field's bits, most significant first */
  binary: string;
  /** its value in decimal (table indices) or hex (sign extension, offset) */
  value: string;
}

/** Everything the page shows for one address. */
export interface WalkView {
  /** the address as parsed, sign-extended to 16 hex digits */
  va: string;
  /** the address split into sign extension, table indices and 4 KiB page offset */
  fields: FieldView[];
  levels: PagingLevels;
  access: AccessKind;
  /** "user" for the lower half, "supervisor" for the upper half */
  mode: "user" | "supervisor";
  /** CR3: physical address of the root table */
  cr3: string;
  steps: StepView[];
  /** "VA[11:0]", "VA[20:0]" or "VA[29:0]" and its value (when the walk reached a leaf) */
  offsetBits: string;
  offset: string;
  ok: boolean;
  pageSize: number;
  pa: string;
  /** the two #PF lines Linux would print, when the walk faulted */
  fault: [string, string] | null;
  /** the first and the second access to the same address */
  accesses: [AccessView, AccessView];
  /** the CPU's perf-style counters after the two accesses */
  counters: CounterView;
  /** the TLB's valid entries after the two accesses, one line each */
  tlbEntries: string[];
}

/** The CPU's event counts (dTLB for loads and stores, iTLB for instruction fetches). */
export interface CounterView {
  tlbHits: number;
  tlbMisses: number;
  pageWalks: number;
  pageFaults: number;
  cycles: number;
}

/** Parse failure of the address field. */
export interface ParseError {
  error: "not-hex" | "not-canonical";
}

function pa0x(pa: number): string {
  return "0x" + hex(pa, 12);
}

/**
 * A fresh demo machine: the tree of DEMO_MAPPINGS for `levels`-level paging in its own Ram,
 * with table pages allocated from DEMO_TABLE_PFN_BASE upwards.
 */
export class PageWalkDemo {
  readonly ram = new Ram({ bytes: DEMO_RAM_BYTES });
  readonly cr3: number;
  /** pfns of the table pages, in allocation order (the root first) */
  readonly tablePfns: number[] = [];
  private nextPfn = DEMO_TABLE_PFN_BASE;

  constructor(readonly levels: PagingLevels) {
    this.cr3 = this.allocTable() * KiB4;
    const layout = x86Layout(levels);
    for (const m of DEMO_MAPPINGS) {
      if (!mapPage(this.ram, this.cr3, m.va(layout), m.pa, m.size, m.flags, levels, () => this.allocTable())) {
        throw new Error(`PageWalkDemo: could not map ${demoVaText(m, levels)}`);
      }
    }
  }

  private allocTable(): number {
    const pfn = this.nextPfn++;
    this.tablePfns.push(pfn);
    return pfn;
  }

  /**
   * Accesses the address in `text` (hex, optionally sign-extended to 64 bits) twice through a
   * fresh TLB: in user mode for lower-half addresses, supervisor mode for upper-half ones. The
   * first access misses and walks the tables (recorded level by level), the second hits if the
   * first succeeded. Returns the view, or a ParseError when the text is not a canonical address.
   *
   * The walk uses the 4 KiB-aligned address and adds the byte offset afterwards, as the MMU
   * does: with LA57 an upper-half address is above 2^53 and only its aligned part is exact.
   */
  walk(text: string, access: AccessKind): WalkView | ParseError {
    const s = text.trim().toLowerCase().replace(/_/g, "");
    if (!/^(0x)?[0-9a-f]{1,16}$/.test(s)) return { error: "not-hex" };
    const v64 = BigInt(s.startsWith("0x") ? s : "0x" + s);
    const pageVa = canonicalTail(v64 - (v64 % 4096n), this.levels);
    if (pageVa === null) return { error: "not-canonical" };
    const byteOff = Number(v64 % 4096n);
    const user = isUserHalf(pageVa, this.levels);
    const acc = access === "write" ? ACCESS_WRITE : access === "exec" ? ACCESS_EXEC : ACCESS_READ;

    // A fresh CPU (empty TLB) on this tree, in the mode the address half implies.
    const cpu = new Cpu(0);
    cpu.writeCr3(this.cr3);
    cpu.mode = user ? "user" : "kernel";
    const mmu = new Mmu(this.ram, this.levels, new CostModel());
    const accesses: AccessView[] = [];
    const first = new WalkResult();
    first.record = true;
    for (let i = 0; i < 2; i++) {
      const r = i === 0 ? first : new WalkResult();
      const ok = mmu.translate(cpu, pageVa, acc, r);
      accesses.push({ tlbHit: r.tlbHit, ok, pa: ok ? pa0x(r.pa + byteOff) : "", entriesRead: r.tlbHit ? 0 : r.entriesRead });
    }
    const ok = first.ok;
    const fetch = access === "exec";
    const bitsN = vaBits(this.levels);
    const tlbEntries = cpu.tlb.entries().map((e) => {
      const size = e.pageSize === GiB1 ? "1 GiB" : e.pageSize === MiB2 ? "2 MiB" : "4 KiB";
      const attrs = [e.user ? "user" : "kernel", e.writable ? "rw" : "ro", e.nx ? "nx" : "x", e.global ? "global" : "", e.dirty ? "dirty" : ""];
      return `${size}: VA 0x${formatVa(e.vpn * e.pageSize, bitsN)} → PA ${pa0x(e.pa)} pcid ${e.pcid} ${attrs.filter(Boolean).join(" ")}`;
    });
    const counters: CounterView = {
      tlbHits: fetch ? cpu.itlbHits : cpu.dtlbHits,
      tlbMisses: fetch ? cpu.itlbMisses : cpu.dtlbMisses,
      pageWalks: cpu.pageWalks,
      pageFaults: cpu.pageFaults,
      cycles: cpu.cycles,
    };

    const steps: StepView[] = first.steps.map((st) => {
      const present = (st.lo & _PAGE_PRESENT) !== 0;
      const leaf = present && (st.level === 1 || (st.lo & _PAGE_PSE) !== 0);
      return {
        name: st.name,
        bits: `VA[${st.vaHi}:${st.vaLo}]`,
        index: st.index,
        entryPa: pa0x(st.entryPa),
        entry: formatEntry(st.lo, st.hi),
        flags: decodeEntry(st.lo, st.hi, st.level),
        kind: !present ? "none" : leaf ? "leaf" : "table",
        next: present ? pa0x(entryAddr(st.lo, st.hi)) : "",
      };
    });
    const offBits = ok ? Math.log2(first.pageSize) : 12;
    return {
      va: "0x" + formatVa(pageVa, vaBits(this.levels)).slice(0, 13) + hex(byteOff, 3),
      fields: splitFields(v64, this.levels),
      levels: this.levels,
      access,
      mode: user ? "user" : "supervisor",
      cr3: pa0x(this.cr3),
      steps,
      offsetBits: `VA[${offBits - 1}:0]`,
      offset: ok ? "0x" + hex((pageVa % first.pageSize) + byteOff) : "",
      ok,
      pageSize: ok ? first.pageSize : 0,
      pa: ok ? pa0x(first.pa + byteOff) : "",
      fault: ok ? null : describeErrorCode(first.errorCode),
      accesses: [accesses[0], accesses[1]],
      counters,
      tlbEntries,
    };
  }
}

/** Splits a 64-bit address into the fields the MMU uses (exact: BigInt, display only). */
function splitFields(va64: bigint, levels: PagingLevels): FieldView[] {
  const field = (name: string, hi: number, lo: number, radix: 10 | 16): FieldView => {
    const v = (va64 >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
    return {
      name,
      range: `${hi}:${lo}`,
      binary: v.toString(2).padStart(hi - lo + 1, "0"),
      value: radix === 10 ? v.toString(10) : "0x" + v.toString(16),
    };
  };
  const top = vaBits(levels);
  const out = [field("sign", 63, top, 16)];
  for (let level = levels; level >= 1; level--) {
    const lo = 12 + 9 * (level - 1);
    out.push(field(levelName(level, levels), lo + 8, lo, 10));
  }
  out.push(field("offset", 11, 0, 16));
  return out;
}
