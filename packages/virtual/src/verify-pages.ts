// verify() of the page level (CONFIG_DEBUG_VM's checks, and what mm/debug_vm_pgtable.c and
// check_mm at exit look for): every user page table is a PGTY_table page charged to its mm;
// every PTE lies in a VMA; a present PTE maps the zero page (special, read-only) or an allocated
// anonymous page whose refcount and _mapcount equal the PTEs mapping it across all mms; a
// writable PTE maps an exclusive page of a writable VMA; rmap_walk_anon finds exactly the
// mappers; the rss counters, AnonPages and PageTables equal the recount. A huge PMD lies wholly
// in its VMA, has a deposited table (empty, PGTY_table, charged) and maps the huge zero folio
// (read-only, held by its mm) or the head of an order-9 anonymous folio whose refcount,
// entire mapcount, per-page mapcounts and _nr_pages_mapped equal the mappings found. The tables
// are read in the VirtualMemory's format (x86-64, i386, PAE); a PAE pgd entry carries P only (its
// other low bits are reserved).
import { BUG } from "@mmsim/base";
import { PGTY_table, PG_anon_exclusive, PG_head, PG_swapcache } from "@mmsim/physical";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";
import { PTE_P, PTE_PSE, PTE_RW, PTE_SPECIAL, entryPfn, ptePresent } from "./pte";
import { MM_ANONPAGES, MM_SWAPENTS } from "./memory";
import { indexDelta, rmapWalkAnon, rmapWalkFile } from "./rmap";
import { largeHead, pageIndex } from "./rmap-folio";
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, HPAGE_PMD_SIZE } from "./huge-mm";
import { VM_SHARED, VM_WRITE } from "./mm-flags";
import { mmCounterFile } from "./shmem/mm-counter";
import { PAE_PTRS_PER_PGD, levelShiftOf } from "./pgtable-types";

const TWO_32 = 4294967296;

interface PageTally {
  /** pfn → PTEs mapping it, across all mms */
  maps: Map<number, number>;
  /** head pfn → huge PMDs mapping the folio */
  pmdMaps: Map<number, number>;
  tables: number;
  /** mms holding the huge zero folio through a PMD */
  zeroHolders: Set<MmStruct>;
  /** page-cache pfn → [PTEs mapping it across all mms, one VMA mapping it] */
  fileMaps: Map<number, [number, VmAreaStruct]>;
}

function vmaAt(mm: MmStruct, addr: number): VmAreaStruct | null {
  const v = mm.mmMt.findVma(addr);
  return v !== null && v.vmStart <= addr ? v : null;
}

function checkTablePage(vmm: VirtualMemory, table: number, what: string): void {
  const pfnT = table / 4096;
  if (vmm.pages.getType(pfnT) !== PGTY_table) BUG("verifyPageTables", `${what} ${pfnT} is not PGTY_table`);
}

/** A huge PMD at addr (lo/hi its words, ea its address) of mm. */
function checkHugePmd(vmm: VirtualMemory, mm: MmStruct, ea: number, addr: number, lo: number, hi: number, t: PageTally, rss: number[]): void {
  const at = `huge PMD at 0x${addr.toString(16)}`;
  const vma = vmaAt(mm, addr);
  if (vma === null || vma.vmEnd < addr + HPAGE_PMD_SIZE) BUG("verifyPageTables", `${at} not inside one VMA`);
  const dep = mm.pmdHugePte.get(ea);
  if (dep === undefined) BUG("verifyPageTables", `${at} has no deposited table`);
  checkTablePage(vmm, dep, "deposited table");
  for (let off = 0; off < 4096; off += 4) if (vmm.ram.readU32(dep + off) !== 0) BUG("verifyPageTables", `${at}: deposited table not empty`);
  t.tables++;
  const pfn = entryPfn(lo, hi);
  if (pfn === vmm.thpState.hugeZeroPfn) {
    if (lo & PTE_RW) BUG("verifyPageTables", `${at}: huge zero folio mapped writable`);
    if (!mm.hugeZeroFolio) BUG("verifyPageTables", `${at}: maps the huge zero folio without holding it`);
    t.zeroHolders.add(mm);
    return;
  }
  const pages = vmm.pages;
  const h = pages.idx(pfn);
  if (h < 0 || (pages.flags[h] & (1 << PG_head)) === 0 || pages.index[h + 1] !== HPAGE_PMD_ORDER) BUG("verifyPageTables", `${at}: pfn ${pfn} is not the head of an order-9 folio`);
  if ((pages.mapping[h] & 1) === 0) BUG("verifyPageTables", `${at}: pfn ${pfn} is not anonymous`);
  if (indexDelta(pages.index[h], vma.vmPgoff) !== (addr - vma.vmStart) / 4096) BUG("verifyPageTables", `${at}: folio index ${pages.index[h]} does not match`);
  if (lo & PTE_RW) {
    if ((vma.vmFlags & VM_WRITE) === 0) BUG("verifyPageTables", `${at}: writable in a read-only VMA`);
    if ((pages.flags[h] & (1 << PG_anon_exclusive)) === 0) BUG("verifyPageTables", `${at}: writable but not exclusive`);
  }
  rss[MM_ANONPAGES] += HPAGE_PMD_NR;
  t.pmdMaps.set(pfn, (t.pmdMaps.get(pfn) ?? 0) + 1);
}

/**
 * A PTE mapping a page-cache page: a file VMA, the page's index the PTE's file offset, writable
 * only in a shared writable VMA; tallied in t.fileMaps.
 */
function checkFilePte(vmm: VirtualMemory, vma: VmAreaStruct, addr: number, lo: number, pfn: number, idx: number, t: PageTally): void {
  const pages = vmm.pages;
  const at = `0x${addr.toString(16)}`;
  if (vma.vmFile === null || pages.mapping[idx] === 0) BUG("verifyPageTables", `pfn ${pfn} mapped at ${at} is neither anonymous nor in a file VMA's page cache`);
  if (pages.index[idx] !== vma.vmPgoff + (addr - vma.vmStart) / 4096) BUG("verifyPageTables", `page-cache pfn ${pfn} has index ${pages.index[idx]} but is mapped at ${at}`);
  if ((lo & PTE_RW) !== 0 && (vma.vmFlags & (VM_WRITE | VM_SHARED)) !== (VM_WRITE | VM_SHARED)) BUG("verifyPageTables", `page-cache pfn ${pfn} writable at ${at} outside a shared writable VMA`);
  const e = t.fileMaps.get(pfn);
  if (e === undefined) t.fileMaps.set(pfn, [1, vma]);
  else e[0]++;
}

function walkTable(vmm: VirtualMemory, mm: MmStruct, table: number, level: number, base: number, t: PageTally, rss: number[]): void {
  const ram = vmm.ram;
  checkTablePage(vmm, table, `table page of level ${level}`);
  t.tables++;
  const span = 2 ** levelShiftOf(vmm.pmdShift, level);
  const shift = vmm.entryShift;
  const pdpt = vmm.pae && level === 3;
  const entries = level === 1 ? vmm.pteIndexMask + 1 : level === 2 ? vmm.pmdIndexMask + 1 : pdpt ? PAE_PTRS_PER_PGD : 512;
  for (let i = 0; i < entries; i++) {
    const ea = table + (i << shift);
    const lo = ram.readU32(ea);
    const hi = shift === 3 ? ram.readU32(ea + 4) : 0;
    if (pdpt && lo !== 0 && (lo & 0xfff) !== PTE_P) BUG("verifyPageTables", `PAE pgd entry ${i} has reserved bits 0x${(lo & 0xfff).toString(16)} (pud_populate sets P only)`);
    if (lo === 0 && hi === 0) continue;
    const addr = base + i * span;
    if (level > 1) {
      if (level === 2 && (lo & PTE_PSE) !== 0 && ptePresent(lo)) {
        checkHugePmd(vmm, mm, ea, addr, lo, hi, t, rss);
        continue;
      }
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
    const head = idx < 0 ? -1 : largeHead(vmm, idx);
    if (idx < 0 || pages.refcount[head >= 0 ? head : idx] <= 0 || pages.getType(pfn) !== 0) BUG("verifyPageTables", `PTE at 0x${addr.toString(16)} maps pfn ${pfn}, which is not an allocated page`);
    if ((pages.mapping[idx] & 1) === 0) {
      checkFilePte(vmm, vma, addr, lo, pfn, idx, t);
      rss[mmCounterFile(vmm, pfn)]++;
      continue;
    }
    if (indexDelta(pageIndex(vmm, idx), vma.vmPgoff) !== (addr - vma.vmStart) / 4096) BUG("verifyPageTables", `pfn ${pfn} has index ${pageIndex(vmm, idx)} but is mapped at 0x${addr.toString(16)}`);
    if (lo & PTE_RW) {
      if ((vma.vmFlags & VM_WRITE) === 0) BUG("verifyPageTables", `writable PTE in a read-only VMA at 0x${addr.toString(16)}`);
      if ((pages.flags[idx] & (1 << PG_anon_exclusive)) === 0) BUG("verifyPageTables", `writable PTE of a shared page at 0x${addr.toString(16)}`);
    }
    rss[MM_ANONPAGES]++;
    t.maps.set(pfn, (t.maps.get(pfn) ?? 0) + 1);
  }
}

/** The large folios' fields against the tally: refcount, entire mapcount, page mapcounts, _nr_pages_mapped. Returns the AnonPages they account for. */
function verifyLargeFolios(vmm: VirtualMemory, t: PageTally, heads: Set<number>): number {
  const pages = vmm.pages;
  const ts = vmm.thpState;
  let anon = 0;
  let thps = 0;
  for (const head of heads) {
    const h = pages.idx(head);
    const f = h >>> HPAGE_PMD_ORDER;
    const pmd = t.pmdMaps.get(head) ?? 0;
    let ptes = 0;
    let mapped = 0;
    for (let k = 0; k < HPAGE_PMD_NR; k++) {
      const n = t.maps.get(head + k) ?? 0;
      if (pages.mapcount[h + k] + 1 !== n) BUG("verifyPageTables", `pfn ${head + k}: _mapcount ${pages.mapcount[h + k]} but ${n} PTEs map it`);
      ptes += n;
      if (n > 0) mapped++;
    }
    if (ts.entireMapcount[f] + 1 !== pmd) BUG("verifyPageTables", `folio ${head}: entire mapcount ${ts.entireMapcount[f]} but ${pmd} PMDs map it`);
    if (ts.nrPagesMapped[f] !== mapped) BUG("verifyPageTables", `folio ${head}: _nr_pages_mapped ${ts.nrPagesMapped[f]} but ${mapped} subpages PTE-mapped`);
    const swapcache = (pages.flags[h] & (1 << PG_swapcache)) !== 0 ? HPAGE_PMD_NR : 0;
    if (pages.refcount[h] !== pmd + ptes + swapcache) BUG("verifyPageTables", `folio ${head}: refcount ${pages.refcount[h]} but ${pmd} PMD and ${ptes} PTE mappings`);
    anon += pmd > 0 ? HPAGE_PMD_NR : mapped;
    if (pmd > 0) thps++;
  }
  const c = vmm.phys.counters;
  if (c.get("nr_anon_transparent_hugepages") !== thps) BUG("verifyPageTables", `nr_anon_transparent_hugepages ${c.get("nr_anon_transparent_hugepages")} but ${thps} PMD-mapped folios`);
  return anon;
}

/** The page-level invariants over every mm of the machine (throws Bug on the first broken one). */
export function verifyPageTables(vmm: VirtualMemory, mms: readonly MmStruct[]): void {
  const t: PageTally = { maps: new Map(), pmdMaps: new Map(), tables: 0, zeroHolders: new Set(), fileMaps: new Map() };
  const top = vmm.pgtLevels;
  for (let k = 0; k < mms.length; k++) {
    const mm = mms[k];
    const before = t.tables;
    const rss = [0, 0, 0, 0];
    walkTable(vmm, mm, mm.pgd, top, 0, t, rss);
    if ((t.tables - before) * 4096 !== mm.pgtablesBytes) BUG("verifyPageTables", `mm ${k}: pgtables_bytes ${mm.pgtablesBytes} but ${t.tables - before} table pages`);
    for (let i = 0; i < 4; i++) if (rss[i] !== mm.rssStat[i]) BUG("verifyPageTables", `mm ${k}: rss_stat[${i}] ${mm.rssStat[i]} but ${rss[i]} PTEs`);
  }
  if (t.tables !== vmm.nrPgtablePages) BUG("verifyPageTables", `${vmm.nrPgtablePages} user table pages charged, ${t.tables} reachable`);
  const pages = vmm.pages;
  // small pages, and the heads of every large folio mapped anywhere
  const heads = new Set<number>(t.pmdMaps.keys());
  let small = 0;
  for (const pfn of t.maps.keys()) {
    const h = largeHead(vmm, pages.idx(pfn));
    if (h >= 0) heads.add(pages.pfn(h));
    else small++;
  }
  const anon = small + verifyLargeFolios(vmm, t, heads);
  if (anon !== vmm.nrAnonPages) BUG("verifyPageTables", `AnonPages ${vmm.nrAnonPages} but ${anon} mapped anonymous pages`);
  const inSet = new Set(mms);
  // a page's mappers: its PTEs, plus the huge PMDs mapping its folio
  const expect = new Map(t.maps);
  for (const head of t.pmdMaps.keys()) if (!expect.has(head)) expect.set(head, 0);
  for (const [pfn, ptes] of expect) {
    const idx = pages.idx(pfn);
    const h = largeHead(vmm, idx);
    const n = ptes + (h >= 0 ? t.pmdMaps.get(pages.pfn(h)) ?? 0 : 0);
    if (h < 0) {
      if (pages.mapcount[idx] + 1 !== n) BUG("verifyPageTables", `pfn ${pfn}: _mapcount ${pages.mapcount[idx]} but ${n} PTEs map it`);
      const swapcache = (pages.flags[idx] & (1 << PG_swapcache)) !== 0 ? 1 : 0;
      if (pages.refcount[idx] !== n + swapcache) BUG("verifyPageTables", `pfn ${pfn}: refcount ${pages.refcount[idx]} but ${n} PTEs map it`);
    }
    // the walk reports only places whose PTE or huge PMD maps pfn, each VMA once: finding n of
    // them in verified mms is finding exactly the n mappings the tables hold
    let outside = 0;
    const found = rmapWalkAnon(vmm, pfn, (vma) => {
      if (!inSet.has(vma.vmMm)) outside++;
    });
    if (found !== n || outside !== 0) BUG("rmap_walk_anon", `pfn ${pfn}: the walk finds ${found} mappers (${outside} outside the mms), the tables hold ${n}`);
  }
  verifyFileMaps(vmm, t, inSet);
  // every deposited table belongs to a huge PMD (checkHugePmd found the table of each one)
  for (const mm of mms) for (const ea of mm.pmdHugePte.keys()) if (!isHugePmd(vmm, ea)) BUG("verifyPageTables", `deposited table at PMD 0x${ea.toString(16)} without a huge PMD`);
  const ts = vmm.thpState;
  let zeroRefs = 0;
  for (const mm of mms) if (mm.hugeZeroFolio) zeroRefs++;
  if (ts.hugeZeroPfn >= 0 && ts.hugeZeroRefcount !== zeroRefs + 1) BUG("verifyPageTables", `huge_zero_refcount ${ts.hugeZeroRefcount} but ${zeroRefs} mms hold the folio`);
  if (ts.hugeZeroPfn < 0 && zeroRefs !== 0) BUG("verifyPageTables", `${zeroRefs} mms hold a huge zero folio that does not exist`);
}

/**
 * Page-cache pages mapped by PTEs: _mapcount + 1 and refcount - 1 (the page cache's own) equal the
 * PTEs; rmap_walk_file over the mapping's i_mmap finds them all in the verified mms; Mapped
 * (nr_mapped) counts the pages mapped at least once.
 */
function verifyFileMaps(vmm: VirtualMemory, t: PageTally, inSet: Set<MmStruct>): void {
  const pages = vmm.pages;
  for (const [pfn, [n, vma]] of t.fileMaps) {
    const idx = pages.idx(pfn);
    if (pages.mapcount[idx] + 1 !== n) BUG("verifyPageTables", `page-cache pfn ${pfn}: _mapcount ${pages.mapcount[idx]} but ${n} PTEs map it`);
    if (pages.refcount[idx] !== n + 1) BUG("verifyPageTables", `page-cache pfn ${pfn}: refcount ${pages.refcount[idx]} but ${n} PTEs and the cache hold it`);
    let outside = 0;
    const found = rmapWalkFile(vmm, vma.vmFile!.mapping, pages.index[idx], pfn, (v) => {
      if (!inSet.has(v.vmMm)) outside++;
    });
    if (found !== n || outside !== 0) BUG("rmap_walk_file", `pfn ${pfn}: the walk finds ${found} mappers (${outside} outside the mms), the tables hold ${n}`);
  }
  const mapped = vmm.phys.counters.get("nr_mapped");
  if (mapped !== t.fileMaps.size) BUG("verifyPageTables", `nr_mapped ${mapped} but ${t.fileMaps.size} page-cache pages mapped`);
}

function isHugePmd(vmm: VirtualMemory, ea: number): boolean {
  const lo = vmm.ram.readU32(ea);
  return (lo & PTE_PSE) !== 0 && ptePresent(lo);
}
