// verify() for vmalloc: recounts the vmalloc space and the kernel page table from scratch.
//
// Invariants:
//   - busy areas, lazily freed ranges and free ranges are page-aligned, lie in
//     [VMALLOC_START, VMALLOC_END), never overlap, and together cover the whole range;
//   - free ranges are sorted and merged (no two touch); busy areas are sorted by address;
//   - every page of a busy area is mapped by a present PTE to its pfn, and its guard page
//     (unless VM_NO_GUARD) is not mapped;
//   - nrVmallocPages equals the pages of VM_ALLOC areas; lazyPages equals the lazy ranges' pages.
// Vmalloc.verify() also checks the kernel page table's own invariant (vmalloc-pgtable.ts).
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { _PAGE_PRESENT, lookupPte, newPteRef, PMD_SIZE } from "@mmsim/hardware";
import type { Ram, X86Layout } from "@mmsim/hardware";
import type { LazyArea, VmStruct } from "./vmalloc";
import { VM_ALLOC, VM_NO_GUARD } from "./vmalloc";

export interface VmallocState {
  readonly busy: readonly VmStruct[];
  readonly lazy: readonly LazyArea[];
  readonly pgd: number;
  readonly levels: 4 | 5;
  readonly nrVmallocPages: number;
  readonly lazyPages: number;
  freeRanges(): [number, number][];
}

export function verifyVmalloc(v: VmallocState, ram: Ram, layout: X86Layout): void {
  const fn = "vmalloc.verify";
  const free = v.freeRanges();
  for (let i = 1; i < free.length; i++) if (free[i - 1][1] >= free[i][0]) BUG(fn, `free ranges ${i - 1} and ${i} overlap or touch`);
  for (let i = 1; i < v.busy.length; i++) if (v.busy[i - 1].addr >= v.busy[i].addr) BUG(fn, "busy areas out of order");
  const spans: [number, number][] = [...free, ...v.busy.map((b): [number, number] => [b.addr, b.addr + b.size]), ...v.lazy.map((l): [number, number] => [l.start, l.end])];
  spans.sort((a, b) => a[0] - b[0]);
  let at = layout.VMALLOC_START;
  for (const [s, e] of spans) {
    if (s % PAGE_SIZE || e % PAGE_SIZE || e <= s) BUG(fn, `range 0x${s.toString(16)}-0x${e.toString(16)} is not page-aligned`);
    if (s !== at) BUG(fn, s < at ? `ranges overlap at 0x${s.toString(16)}` : `0x${at.toString(16)}-0x${s.toString(16)} is in no list`);
    at = e;
  }
  if (at !== layout.VMALLOC_END) BUG(fn, `vmalloc space ends at 0x${at.toString(16)}, not VMALLOC_END`);
  let pages = 0;
  const ref = newPteRef();
  // imported bindings are module-object reads under a bundler or test runner: read them once
  const pageSize = PAGE_SIZE;
  const pmdSize = PMD_SIZE;
  const present = _PAGE_PRESENT;
  const vmAlloc = VM_ALLOC;
  const noGuard = VM_NO_GUARD;
  // One walk per PTE table (2 MiB region), kept across areas: then PTEs are read straight from it.
  let table = NO_TABLE;
  let region = -1;
  for (const vm of v.busy) {
    if (vm.flags & vmAlloc) pages += vm.pages.length;
    const guard = vm.flags & noGuard ? 0 : 1;
    for (let i = 0; i < vm.pages.length + guard; i++) {
      const va = vm.addr + i * pageSize;
      const r2m = Math.floor(va / pmdSize);
      if (r2m !== region) {
        table = pteTable(lookupPte(ram, v.pgd, va, v.levels, ref), va, pmdSize, pageSize, present);
        region = r2m;
      }
      const ea = table + ((va % pmdSize) / pageSize) * 8;
      const lo = table < 0 ? 0 : ram.readU32(ea);
      if (i === vm.pages.length) {
        // the guard page, the last page of vm.size (unless VM_NO_GUARD)
        if (table === HUGE_LEAF || lo & present) BUG(fn, `guard page of area 0x${vm.addr.toString(16)} is mapped`);
        break;
      }
      const hi = table < 0 ? 0 : ram.readU32(ea + 4);
      if (!(lo & present) || Math.floor(lo / pageSize) + (hi & 0xfffff) * 1048576 !== vm.pages[i]) BUG(fn, `page ${i} of area 0x${vm.addr.toString(16)} is not mapped to pfn ${vm.pages[i]}`);
    }
  }
  if (pages !== v.nrVmallocPages) BUG(fn, `VmallocUsed ${v.nrVmallocPages} pages but ${pages} counted`);
  const lazy = v.lazy.reduce((t, l) => t + (l.end - l.start) / PAGE_SIZE, 0);
  if (lazy !== v.lazyPages) BUG(fn, `vmap_lazy_nr ${v.lazyPages} but ${lazy} pages queued`);
}

/** pteTable(): no PTE table maps the region. */
const NO_TABLE = -1;
/** pteTable(): a present huge leaf above the PTE level maps the region. */
const HUGE_LEAF = -2;

/** Address of the PTE table of the 2 MiB region holding va, from lookupPte's answer for va. */
function pteTable(r: { level: number; entryPa: number; lo: number } | null, va: number, pmdSize: number, pageSize: number, present: number): number {
  if (r === null) return NO_TABLE;
  if (r.level !== 1) return r.lo & present ? HUGE_LEAF : NO_TABLE;
  return r.entryPa - ((va % pmdSize) / pageSize) * 8;
}
