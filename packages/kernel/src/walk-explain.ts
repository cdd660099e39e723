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
import { InputError, formatVa, hex, parseVa, PAGE_SIZE } from "@mmsim/base";
import {
  ACCESS_READ, PAGE_KERNEL, PAGE_SHARED, WalkResult, decodeEntry, formatEntry, isUserHalf, mapPage, type WalkStep,
} from "@mmsim/hardware";
import type { Kernel } from "./kernel";

export interface WalkExplanation {
  va: number;
  vaText: string;
  levels: 4 | 5;
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
 * is not a canonical virtual address of the machine's paging mode, or memory runs out.
 */
export function explainWalk(kernel: Kernel, vaText: string): WalkExplanation {
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
  cpu.writeCr3(root * PAGE_SIZE, 1);
  cpu.mode = user ? "user" : "kernel";
  const out = new WalkResult();
  out.record = true;
  const before = cpu.cycles;
  const hit0 = cpu.tlb.hits;
  const miss0 = cpu.tlb.misses;
  hw.mmu.translate(cpu, va, ACCESS_READ, out);
  const first = { tlbHit: out.tlbHit, cycles: cpu.cycles - before, entriesRead: out.entriesRead };
  const steps = out.steps;
  const pa = out.pa;
  const pageSize = out.pageSize;
  out.record = false;
  const mid = cpu.cycles;
  hw.mmu.translate(cpu, va, ACCESS_READ, out);
  const second = { tlbHit: out.tlbHit, cycles: cpu.cycles - mid, entriesRead: out.tlbHit ? 0 : out.entriesRead };
  return {
    va, vaText: formatVa(va, vaBits), levels, cr3: root * PAGE_SIZE, steps, pa, pageSize, first, second,
    tlb: { hits: cpu.tlb.hits - hit0, misses: cpu.tlb.misses - miss0 },
  };
}

/** The text `mmsim walk` prints. */
export function formatWalk(w: WalkExplanation): string {
  const vaBits = w.levels === 5 ? 57 : 48;
  let s = `Page walk of ${w.vaText} (${w.levels}-level paging, ${vaBits}-bit virtual addresses)\n\n`;
  const cols = w.steps.map((st) => ({ head: `VA[${st.vaHi}:${st.vaLo}]`, name: st.name, index: String(st.index) }));
  cols.push({ head: "VA[11:0]", name: "offset", index: "0x" + hex(w.va % PAGE_SIZE, 3) });
  const width = cols.map((c) => Math.max(c.head.length, c.name.length, c.index.length) + 2);
  const row = (f: (c: (typeof cols)[number]) => string) => "  " + cols.map((c, i) => f(c).padStart(width[i]!)).join("") + "\n";
  s += row((c) => c.head) + row((c) => c.name) + row((c) => c.index) + "\n";
  s += `CR3 = 0x${hex(w.cr3, 16)}  (physical address of the ${w.steps[0]?.name ?? "top"} table)\n`;
  for (const st of w.steps) {
    const leaf = st === w.steps[w.steps.length - 1];
    const flags = decodeEntry(st.lo, st.hi, st.level).join(" ");
    const target = leaf ? "page" : "next table";
    const addr = (st.hi & 0xfffff) * 4294967296 + ((st.lo & 0xfffff000) >>> 0);
    s += `  ${st.name.padEnd(3)} index ${String(st.index).padStart(3)}: entry at 0x${hex(st.entryPa, 12)} = 0x${formatEntry(st.lo, st.hi)}  [${flags}] → ${target} 0x${hex(addr, 12)}\n`;
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
