// verify() of the page level (CONFIG_DEBUG_VM's checks, and what mm/debug_vm_pgtable.c and
// check_mm at exit look for): every user page table is a PGTY_table page charged to its mm;
// every PTE lies in a VMA; a present PTE maps the zero page (special, read-only) or an allocated
// anonymous page whose refcount and _mapcount equal the PTEs mapping it across all mms; a
// writable PTE maps an exclusive page of a writable VMA; rmap_walk_anon finds exactly the
// mappers; the rss counters, AnonPages and PageTables equal the recount.
import { BUG } from "@mmsim/base";
import { PGTY_table, PG_anon_exclusive, PG_swapcache } from "@mmsim/physical";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { PTE_P, PTE_PSE, PTE_RW, PTE_SPECIAL, entryPfn, ptePresent } from "./pte";
import { MM_ANONPAGES, MM_SWAPENTS } from "./memory";
import { indexDelta, rmapWalkAnon } from "./rmap";
import { VM_WRITE } from "./mm-flags";

const TWO_32 = 4294967296;

interface PageTally {
  /** pfn → PTEs mapping it, across all mms */
  maps: Map<number, number>;
  tables: number;
}

function vmaAt(mm: MmStruct, addr: number): VmAreaStruct | null {
  const v = mm.mmMt.findVma(addr);
  return v !== null && v.vmStart <= addr ? v : null;
}

function walkTable(vmm: VirtualMemory, mm: MmStruct, table: number, level: number, base: number, t: PageTally, rss: number[]): void {
  const ram = vmm.ram;
  const pfnT = table / 4096;
  if (vmm.pages.getType(pfnT) !== PGTY_table) BUG("verifyPageTables", `table page ${pfnT} of level ${level} is not PGTY_table`);
  t.tables++;
  const span = 2 ** (12 + 9 * (level - 1));
  for (let i = 0; i < 512; i++) {
    const lo = ram.readU32(table + i * 8);
    const hi = ram.readU32(table + i * 8 + 4);
    if (lo === 0 && hi === 0) continue;
    const addr = base + i * span;
    if (level > 1) {
      if ((lo & PTE_P) === 0 || (lo & PTE_PSE) !== 0) BUG("verifyPageTables", `level ${level} entry at 0x${addr.toString(16)} is not a table`);
      walkTable(vmm, mm, (hi & 0xfffff) * TWO_32 + ((lo & 0xfffff000) >>> 0), level - 1, addr, t, rss);
      continue;
    }
    const vma = vmaAt(mm, addr);
    if (vma === null) BUG("verifyPageTables", `PTE at 0x${addr.toString(16)} outside every VMA`);
    if (!ptePresent(lo)) {
      rss[MM_SWAPENTS]++;
      continue;
    }
    const pfn = entryPfn(lo, hi);
    if (lo & PTE_SPECIAL) {
      if (pfn !== vmm.zeroPfn) BUG("verifyPageTables", `special PTE at 0x${addr.toString(16)} maps ${pfn}, not the zero page`);
      if (lo & PTE_RW) BUG("verifyPageTables", `zero page mapped writable at 0x${addr.toString(16)}`);
      continue;
    }
    const pages = vmm.pages;
    const idx = pages.idx(pfn);
    if (idx < 0 || pages.refcount[idx] <= 0 || pages.getType(pfn) !== 0) BUG("verifyPageTables", `PTE at 0x${addr.toString(16)} maps pfn ${pfn}, which is not an allocated page`);
    if ((pages.mapping[idx] & 1) === 0) BUG("verifyPageTables", `pfn ${pfn} mapped at 0x${addr.toString(16)} is not anonymous`);
    if (indexDelta(pages.index[idx], vma.vmPgoff) !== (addr - vma.vmStart) / 4096) BUG("verifyPageTables", `pfn ${pfn} has index ${pages.index[idx]} but is mapped at 0x${addr.toString(16)}`);
    if (lo & PTE_RW) {
      if ((vma.vmFlags & VM_WRITE) === 0) BUG("verifyPageTables", `writable PTE in a read-only VMA at 0x${addr.toString(16)}`);
      if ((pages.flags[idx] & (1 << PG_anon_exclusive)) === 0) BUG("verifyPageTables", `writable PTE of a shared page at 0x${addr.toString(16)}`);
    }
    rss[MM_ANONPAGES]++;
    t.maps.set(pfn, (t.maps.get(pfn) ?? 0) + 1);
  }
}

/** The page-level invariants over every mm of the machine (throws Bug on the first broken one). */
export function verifyPageTables(vmm: VirtualMemory, mms: readonly MmStruct[]): void {
  const t: PageTally = { maps: new Map(), tables: 0 };
  const top = vmm.levels;
  for (let k = 0; k < mms.length; k++) {
    const mm = mms[k];
    const before = t.tables;
    const rss = [0, 0, 0, 0];
    walkTable(vmm, mm, mm.pgd, top, 0, t, rss);
    if ((t.tables - before) * 4096 !== mm.pgtablesBytes) BUG("verifyPageTables", `mm ${k}: pgtables_bytes ${mm.pgtablesBytes} but ${t.tables - before} table pages`);
    for (let i = 0; i < 4; i++) if (rss[i] !== mm.rssStat[i]) BUG("verifyPageTables", `mm ${k}: rss_stat[${i}] ${mm.rssStat[i]} but ${rss[i]} PTEs`);
  }
  if (t.tables !== vmm.nrPgtablePages) BUG("verifyPageTables", `${vmm.nrPgtablePages} user table pages charged, ${t.tables} reachable`);
  if (t.maps.size !== vmm.nrAnonPages) BUG("verifyPageTables", `AnonPages ${vmm.nrAnonPages} but ${t.maps.size} mapped anonymous pages`);
  const pages = vmm.pages;
  const inSet = new Set(mms);
  for (const [pfn, n] of t.maps) {
    const idx = pages.idx(pfn);
    if (pages.mapcount[idx] + 1 !== n) BUG("verifyPageTables", `pfn ${pfn}: _mapcount ${pages.mapcount[idx]} but ${n} PTEs map it`);
    const swapcache = (pages.flags[idx] & (1 << PG_swapcache)) !== 0 ? 1 : 0;
    if (pages.refcount[idx] !== n + swapcache) BUG("verifyPageTables", `pfn ${pfn}: refcount ${pages.refcount[idx]} but ${n} PTEs map it`);
    // the walk reports only places whose PTE maps pfn, each VMA once: finding n of them in
    // verified mms is finding exactly the n mappings the tables hold
    let outside = 0;
    const found = rmapWalkAnon(vmm, pfn, (vma) => {
      if (!inSet.has(vma.vmMm)) outside++;
    });
    if (found !== n || outside !== 0) BUG("rmap_walk_anon", `pfn ${pfn}: the walk finds ${found} mappers (${outside} outside the mms), the tables hold ${n}`);
  }
}
