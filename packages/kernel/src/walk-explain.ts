// `mmsim walk` and the demo's page-walk act: map one page at a virtual address in a fresh
// page-table tree (tables and the page come from the buddy allocator, as in Linux), point CPU 0
// at it, then access the address twice. The first access misses the TLB and walks
// PGD → (P4D) → PUD → PMD → PTE reading one entry per level; the second hits the TLB.
//
//   VA 0x00007f1234567abc (48-bit)
//   ┌────────┬────────┬────────┬────────┬────────────┐
//   │ 47..39 │ 38..30 │ 29..21 │ 20..12 │   11..0    │
//   │  PGD   │  PUD   │  PMD   │  PTE   │   offset   │
//   └────────┴────────┴────────┴────────┴────────────┘
//
// With arch "i386" the page is mapped in 32-bit tables instead (hardware's walk-i386.ts) and
// CPU 0's i386 MMU walks them: PGD[31:22] → PTE[21:12], or with PAE PGD[31:30] (the PDPT) →
// PMD[29:21] → PTE[20:12]. Only the walk is 32-bit: no task runs in a 32-bit address space.
import { InputError, formatVa, hex, parseVa, PAGE_SIZE } from "@mmsim/base";
import {
  ACCESS_READ, PAGE_KERNEL, PAGE_SHARED, WalkResult, decodeEntry, formatEntry, isUserHalf, mapPage, mapPageI386, type Cpu, type WalkStep,
} from "@mmsim/hardware";
import type { Kernel } from "./kernel";

/** i386's PAGE_OFFSET with the default 3G/1G split (arch/x86/Kconfig, VMSPLIT_3G): kernel above. */
const I386_PAGE_OFFSET = 0xc0000000;
const TWO_32 = 4294967296;

/**
 * A 32-bit virtual address as a user types it: hex with or without 0x, `_` separators and
 * leading zeros allowed, at most 8 significant digits. null when it is not one.
 */
export function parseVa32(text: string): number | null {
  const m = /^\s*(?:0x)?([0-9a-f_]+)\s*$/i.exec(text);
  const digits = m === null ? "" : m[1]!.replace(/_/g, "").replace(/^0+(?=.)/, "");
  return digits.length === 0 || digits.length > 8 ? null : parseInt(digits, 16);
}

/** The page-table format a walk explanation uses. */
export type WalkArch = "x86_64" | "i386";

export interface WalkExplanation {
  arch: WalkArch;
  /** i386 with PAE (3 levels of 8-byte entries) */
  pae: boolean;
  va: number;
  vaText: string;
  levels: 2 | 3 | 4 | 5;
  cr3: number;
  steps: WalkStep[];
  pa: number;
  pageSize: number;
  first: { tlbHit: boolean; cycles: number; entriesRead: number };
  second: { tlbHit: boolean; cycles: number; entriesRead: number };
  tlb: { hits: number; misses: number };
}

/**
 * Parses `vaText`, maps its page (user pages PAGE_SHARED, kernel-half pages PAGE_KERNEL) in a
 * new page-table tree of `kernel`, and accesses it twice on CPU 0. InputError when the address
 * is not a canonical virtual address of the machine's paging mode, or memory runs out. With
 * arch "i386" (and `pae`), the tree and the walk are 32-bit (explainWalkI386).
 */
export function explainWalk(kernel: Kernel, vaText: string, arch: WalkArch = "x86_64", pae = false): WalkExplanation {
  if (arch === "i386") return explainWalkI386(kernel, vaText, pae);
  const hw = kernel.hw;
  const levels = hw.levels;
  const vaBits = levels === 5 ? 57 : 48;
  const va = parseVa(vaText, vaBits);
  if (va === null) {
    throw new InputError(
      `invalid virtual address "${vaText}": expected a canonical ${vaBits}-bit address in hex, like 0x7f1234567abc or ffff888000001000 (bits ${vaBits - 1}..63 all equal)`,
    );
  }
  if (levels === 5 && va >= 2 ** 53 && va % 16 !== 0) {
    throw new InputError(`invalid virtual address "${vaText}": with 5-level paging, upper-half addresses must be 16-byte aligned in mmsim (see docs/design)`);
  }
  const root = kernel.allocPgtable();
  const page = kernel.allocUserPage();
  if (root < 0 || page < 0) throw new InputError("walk: out of memory building the page tables");
  const pageVa = va - (va % PAGE_SIZE);
  const user = isUserHalf(va, levels);
  const ok = mapPage(hw.ram, root * PAGE_SIZE, pageVa, page * PAGE_SIZE, PAGE_SIZE, user ? PAGE_SHARED : PAGE_KERNEL, levels, () => kernel.allocPgtable());
  if (!ok) throw new InputError("walk: out of memory building the page tables");
  const cpu = hw.cpus[0]!;
  const walks = translateTwice(cpu, root * PAGE_SIZE, user, (out) => hw.mmu.translate(cpu, va, ACCESS_READ, out));
  return { arch: "x86_64", pae: false, va, vaText: formatVa(va, vaBits), levels, cr3: root * PAGE_SIZE, ...walks };
}

/**
 * Loads cr3 on cpu (PCID 1) in user or kernel mode and translates twice with `translate`: the
 * first walk recorded step by step, the second a TLB hit. The steps, the result and both costs.
 */
function translateTwice(
  cpu: Cpu, cr3: number, user: boolean, translate: (out: WalkResult) => void,
): Pick<WalkExplanation, "steps" | "pa" | "pageSize" | "first" | "second" | "tlb"> {
  cpu.writeCr3(cr3, 1);
  cpu.mode = user ? "user" : "kernel";
  const out = new WalkResult();
  out.record = true;
  const before = cpu.cycles;
  const hit0 = cpu.tlb.hits;
  const miss0 = cpu.tlb.misses;
  translate(out);
  const first = { tlbHit: out.tlbHit, cycles: cpu.cycles - before, entriesRead: out.entriesRead };
  const steps = out.steps;
  const pa = out.pa;
  const pageSize = out.pageSize;
  out.record = false;
  const mid = cpu.cycles;
  translate(out);
  const second = { tlbHit: out.tlbHit, cycles: cpu.cycles - mid, entriesRead: out.tlbHit ? 0 : out.entriesRead };
  return { steps, pa, pageSize, first, second, tlb: { hits: cpu.tlb.hits - hit0, misses: cpu.tlb.misses - miss0 } };
}

/**
 * explainWalk for a 32-bit address in i386 page tables: 2-level 32-bit paging, or PAE. User
 * pages (below PAGE_OFFSET, 0xc0000000) get PAGE_SHARED, kernel pages PAGE_KERNEL (without
 * NX when there is no PAE). InputError for an address that is not 32-bit hex, when memory runs
 * out, or when a frame lies above 4 GiB where 32-bit paging (or PAE's CR3) cannot reach it.
 */
function explainWalkI386(kernel: Kernel, vaText: string, pae: boolean): WalkExplanation {
  const hw = kernel.hw;
  const va = parseVa32(vaText);
  if (va === null) throw new InputError(`invalid virtual address "${vaText}": expected a 32-bit address in hex, like 0x08048123 or c0100000`);
  const root = kernel.allocPgtable();
  const page = kernel.allocUserPage();
  if (root < 0 || page < 0) throw new InputError("walk: out of memory building the page tables");
  let tooHigh = root * PAGE_SIZE >= TWO_32 || (!pae && page * PAGE_SIZE >= TWO_32);
  const allocTable = () => {
    const pfn = kernel.allocPgtable();
    if (!pae && pfn * PAGE_SIZE >= TWO_32) tooHigh = true;
    return tooHigh ? -1 : pfn;
  };
  const user = va < I386_PAGE_OFFSET;
  const prot = user ? PAGE_SHARED : PAGE_KERNEL;
  const ok = !tooHigh && mapPageI386(hw.ram, root * PAGE_SIZE, va - (va % PAGE_SIZE), page * PAGE_SIZE, prot.lo, pae ? prot.hi : 0, pae, allocTable);
  if (tooHigh) throw new InputError("walk: a page-table frame lies above 4 GiB, out of 32-bit paging's reach; boot with less RAM");
  if (!ok) throw new InputError("walk: out of memory building the page tables");
  const cpu = hw.cpus[0]!;
  const walks = translateTwice(cpu, root * PAGE_SIZE, user, (out) => hw.mmu.translateI386(cpu, va, ACCESS_READ, pae, out));
  return { arch: "i386", pae, va, vaText: hex(va, 8), levels: pae ? 3 : 2, cr3: root * PAGE_SIZE, ...walks };
}

/** The text `mmsim walk` prints. */
export function formatWalk(w: WalkExplanation): string {
  const i386 = w.arch === "i386";
  const vaBits = i386 ? 32 : w.levels === 5 ? 57 : 48;
  const mode = !i386 ? `${w.levels}-level paging` : w.pae ? "i386 PAE paging, 3 levels" : "i386 32-bit paging, 2 levels";
  let s = `Page walk of ${w.vaText} (${mode}, ${vaBits}-bit virtual addresses)\n\n`;
  const cols = w.steps.map((st) => ({ head: `VA[${st.vaHi}:${st.vaLo}]`, name: st.name, index: String(st.index) }));
  cols.push({ head: "VA[11:0]", name: "offset", index: "0x" + hex(w.va % PAGE_SIZE, 3) });
  const width = cols.map((c) => Math.max(c.head.length, c.name.length, c.index.length) + 2);
  const row = (f: (c: (typeof cols)[number]) => string) => "  " + cols.map((c, i) => f(c).padStart(width[i]!)).join("") + "\n";
  s += row((c) => c.head) + row((c) => c.name) + row((c) => c.index) + "\n";
  s += `CR3 = 0x${hex(w.cr3, i386 ? 8 : 16)}  (physical address of the ${w.steps[0]?.name ?? "top"} table${i386 && w.pae ? ", the PDPT" : ""})\n`;
  for (const st of w.steps) {
    const leaf = st === w.steps[w.steps.length - 1];
    const flags = decodeEntry(st.lo, st.hi, st.level).join(" ");
    const target = leaf ? "page" : "next table";
    const addr = (st.hi & 0xfffff) * 4294967296 + ((st.lo & 0xfffff000) >>> 0);
    const entry = i386 && !w.pae ? hex(st.lo >>> 0, 8) : formatEntry(st.lo, st.hi); // 4-byte entries without PAE
    s += `  ${st.name.padEnd(3)} index ${String(st.index).padStart(i386 && !w.pae ? 4 : 3)}: entry at 0x${hex(st.entryPa, 12)} = 0x${entry}  [${flags}] → ${target} 0x${hex(addr, 12)}\n`;
  }
  s += `\nphysical address = 0x${hex(w.pa - (w.pa % w.pageSize), 12)} + offset 0x${hex(w.pa % w.pageSize, 3)} = 0x${hex(w.pa, 12)}\n\n`;
  s += `1st access: TLB ${w.first.tlbHit ? "hit" : "miss"}, page walk read ${w.first.entriesRead} entries (${plural(w.first.cycles, "cycle")}); the CPU set the Accessed bits and filled the TLB\n`;
  s += `2nd access: TLB ${w.second.tlbHit ? "hit" : "miss"}, no memory read for translation (${plural(w.second.cycles, "cycle")})\n`;
  s += `TLB counters: ${w.tlb.hits} hit, ${w.tlb.misses} miss\n`;
  return s;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
