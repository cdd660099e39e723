// The memory files of /proc/<pid> as fs/proc/task_mmu.c renders them (Linux 6.18): maps
// (show_map_vma), smaps and smaps_rollup (a walk of the VMA's PTEs), the Vm* lines of status
// (task_mem) and statm (task_statm). The rss counters come in as MmRss (mmRss(mm) reads them).
import { PG_dirty, PG_referenced, PG_swapbacked } from "@mmsim/physical";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import { VM_EXEC, VM_LOCKED, VM_MAYSHARE, VM_READ, VM_SOFTDIRTY, VM_WRITE, formatVmFlags } from "./mm-flags";
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, MM_SWAPENTS } from "./memory";
import { PTE_A, PTE_D, PTE_PSE, PTE_SPECIAL, entryPfn, pmdOffset, pteHi, pteOffset, ptePresent } from "./pte";
import { largeHead } from "./rmap-folio";
import { HPAGE_PMD_NR, HPAGE_PMD_ORDER, thpVmaAllowable } from "./huge-mm";
import type { ThpSettings } from "./huge-mm";
import type { VirtualMemory } from "./virtual-memory";

/** PAGE_SHIFT - 10: pages to kB. */
const PAGE_KB_SHIFT = 2;
const PAGE_SIZE = 4096;

/**
 * The mm's counters that live with its page tables (mm->rss_stat, hiwater_rss, pgtables_bytes,
 * the swap entries), all in pages except pgtablesBytes.
 */
export interface MmRss {
  anon: number;
  file: number;
  shmem: number;
  swap: number;
  /** hiwater_rss: the resident high-water mark before the current rss */
  hiwaterRss: number;
  /** mm_pgtables_bytes: bytes of PTE, PMD and PUD tables */
  pgtablesBytes: number;
}

/** The counters of an mm that has no page tables: nothing is resident or swapped. */
export const MM_RSS_NONE: Readonly<MmRss> = Object.freeze({ anon: 0, file: 0, shmem: 0, swap: 0, hiwaterRss: 0, pgtablesBytes: 0 });

/** seq_setwidth(m, 25 + sizeof(void *) * 6 - 1): the maps path column starts after 72 columns and a space. */
const MAPS_PAD = 25 + 8 * 6 - 1;
/** The same on an i386 kernel (sizeof(void *) 4): after 48 columns and a space. */
const MAPS_PAD_32 = 25 + 4 * 6 - 1;

/** The maps name column of mm's kernel: an mm below 4 GiB (TASK_SIZE 0xc0000000) runs on an i386 one. */
function mapsPad(mm: MmStruct): number {
  return mm.taskSize <= 0xffffffff ? MAPS_PAD_32 : MAPS_PAD;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** vma_is_initial_heap / vma_is_initial_stack (include/linux/mm.h), the file path, or null (get_vma_name). */
export function vmaName(vma: VmAreaStruct): string | null {
  if (vma.vmFile) return vma.vmFile.path;
  const opsName = vma.vmOps?.getName?.(vma) ?? null;
  if (opsName !== null) return opsName;
  const mm = vma.vmMm;
  // strict since 6.11 (an anonymous bss VMA ending at start_brk is not the heap)
  if (vma.vmStart < mm.brk && vma.vmEnd > mm.startBrk) return "[heap]";
  if (vma.vmStart <= mm.startStack && vma.vmEnd >= mm.startStack) return "[stack]";
  if (vma.anonName !== null) return `[anon:${vma.anonName}]`;
  return null;
}

/**
 * One line of /proc/<pid>/maps (show_map_vma): "start-end perms offset dev inode", then the name
 * padded to column 74, or a bare trailing space for an anonymous VMA without a name.
 */
export function showMapVma(vma: VmAreaStruct): string {
  const f = vma.vmFlags;
  const file = vma.vmFile;
  const pgoff = file ? vma.vmPgoff * PAGE_SIZE : 0;
  let s = `${hex(vma.vmStart, 8)}-${hex(vma.vmEnd, 8)} `;
  s += (f & VM_READ ? "r" : "-") + (f & VM_WRITE ? "w" : "-") + (f & VM_EXEC ? "x" : "-") + (f & VM_MAYSHARE ? "s" : "p");
  s += ` ${hex(pgoff, 8)} ${hex(file ? file.dev[0] : 0, 2)}:${hex(file ? file.dev[1] : 0, 2)} ${file ? file.ino : 0} `;
  const name = vmaName(vma);
  if (name !== null) s = s.padEnd(mapsPad(vma.vmMm), " ") + " " + name;
  return s + "\n";
}

/**
 * The gate area's maps line (arch/x86/entry/vsyscall/vsyscall_64.c gate_vma): the legacy vsyscall
 * page at VSYSCALL_ADDR 0xffffffffff600000, VM_EXEC only in the default vsyscall=xonly mode. It is
 * no VMA: m_next shows it after the last one when get_gate_vma(mm) has it (MM_CONTEXT_HAS_VSYSCALL).
 */
const GATE_VMA_LINE = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 ".padEnd(MAPS_PAD, " ") + " [vsyscall]\n";

/** /proc/<pid>/maps: every VMA in address order, then the gate area of a 64-bit exec'd mm. */
export function showMaps(mm: MmStruct): string {
  let s = "";
  for (const vma of mm.mmMt.vmas) s += showMapVma(vma);
  return mm.hasVsyscall ? s + GATE_VMA_LINE : s;
}

/** One task_mem line: the label, a tab, the value in kB right-aligned in 8 columns (seq_put_decimal_ull_width). */
function kbLine(label: string, kb: number): string {
  return `${label}:\t${String(kb).padStart(8)} kB\n`;
}

/** The text (VmExe) size in bytes: PAGE_ALIGN(end_code) - (start_code & PAGE_MASK), at most exec_vm. */
function textBytes(mm: MmStruct): number {
  const text = Math.ceil(mm.endCode / PAGE_SIZE) * PAGE_SIZE - Math.floor(mm.startCode / PAGE_SIZE) * PAGE_SIZE;
  return Math.min(text, mm.execVm * PAGE_SIZE);
}

/**
 * task_mem (fs/proc/task_mmu.c): the VmPeak .. VmSwap lines of /proc/<pid>/status, in order,
 * ending with HugetlbPages (hugetlb_report_usage; hugetlb is not modelled, so 0).
 */
export function taskMem(mm: MmStruct, rss: MmRss): string {
  const anon = rss.anon, file = rss.file, shmem = rss.shmem;
  const totalRss = anon + file + shmem;
  const hiwaterVm = Math.max(mm.hiwaterVm, mm.totalVm);
  const hiwaterRss = Math.max(rss.hiwaterRss, totalRss);
  const text = textBytes(mm);
  const lib = mm.execVm * PAGE_SIZE - text;
  let s = "";
  s += kbLine("VmPeak", hiwaterVm << PAGE_KB_SHIFT);
  s += kbLine("VmSize", mm.totalVm << PAGE_KB_SHIFT);
  s += kbLine("VmLck", mm.lockedVm << PAGE_KB_SHIFT);
  s += kbLine("VmPin", mm.pinnedVm << PAGE_KB_SHIFT);
  s += kbLine("VmHWM", hiwaterRss << PAGE_KB_SHIFT);
  s += kbLine("VmRSS", totalRss << PAGE_KB_SHIFT);
  s += kbLine("RssAnon", anon << PAGE_KB_SHIFT);
  s += kbLine("RssFile", file << PAGE_KB_SHIFT);
  s += kbLine("RssShmem", shmem << PAGE_KB_SHIFT);
  s += kbLine("VmData", mm.dataVm << PAGE_KB_SHIFT);
  s += kbLine("VmStk", mm.stackVm << PAGE_KB_SHIFT);
  s += kbLine("VmExe", text / 1024);
  s += kbLine("VmLib", lib / 1024);
  s += kbLine("VmPTE", Math.floor(rss.pgtablesBytes / 1024));
  s += kbLine("VmSwap", rss.swap << PAGE_KB_SHIFT);
  s += kbLine("HugetlbPages", 0);
  return s;
}

/**
 * /proc/<pid>/statm (task_statm): size resident shared text lib data dt, in pages; lib and dt
 * are always 0 since Linux 2.6.
 */
export function taskStatm(mm: MmStruct, rss: MmRss): string {
  const shared = rss.file + rss.shmem;
  const resident = shared + rss.anon;
  const text = (Math.ceil(mm.endCode / PAGE_SIZE) * PAGE_SIZE - Math.floor(mm.startCode / PAGE_SIZE) * PAGE_SIZE) / PAGE_SIZE;
  const data = mm.dataVm + mm.stackVm;
  return `${mm.totalVm} ${resident} ${shared} ${text} 0 ${data} 0\n`;
}

/** PSS_SHIFT (fs/proc/task_mmu.c): Pss is accumulated in 1/4096ths of a byte. */
const PSS_SHIFT = 12;
const PAGE_MAPPING_ANON_BIT = 1;
const PMD_SIZE = 2 * 1024 * 1024;

/** struct mem_size_stats: what smaps adds up over a VMA's pages (bytes; pss* in bytes << PSS_SHIFT). */
export class MemSizeStats {
  resident = 0;
  sharedClean = 0;
  sharedDirty = 0;
  privateClean = 0;
  privateDirty = 0;
  referenced = 0;
  anonymous = 0;
  lazyfree = 0;
  /** AnonHugePages: anonymous folios mapped by a PMD */
  anonymousThp = 0;
  swap = 0;
  pss = 0;
  pssAnon = 0;
  pssFile = 0;
  pssShmem = 0;
  pssDirty = 0;
  pssLocked = 0;
  swapPss = 0;
}

/** smaps_page_accumulate: one page (or a folio) into the sums, as private or shared, clean or dirty. */
function accumulate(mss: MemSizeStats, anon: boolean, swapbacked: boolean, size: number, pss: number, dirty: boolean, locked: boolean, priv: boolean): void {
  mss.pss += pss;
  if (anon) mss.pssAnon += pss;
  else if (swapbacked) mss.pssShmem += pss;
  else mss.pssFile += pss;
  if (locked) mss.pssLocked += pss;
  if (dirty) {
    mss.pssDirty += pss;
    if (priv) mss.privateDirty += size;
    else mss.sharedDirty += size;
  } else if (priv) mss.privateClean += size;
  else mss.sharedClean += size;
}

/**
 * smaps_account for `nr` pages from page index i (a whole folio mapped by a PMD when nr is 512):
 * Anonymous and LazyFree, Rss, Referenced, and the Pss split: a folio with one reference is
 * private and whole; otherwise each page's precise mapcount (its PTEs plus the folio's PMD
 * mappings) divides its share.
 */
function smapsAccount(vmm: VirtualMemory, mss: MemSizeStats, i: number, nr: number, young: boolean, ptDirty: boolean, locked: boolean): void {
  const pages = vmm.pages;
  const head = largeHead(vmm, i);
  const f = head >= 0 ? head : i;
  const flags = pages.flags[f]!;
  const anon = (pages.mapping[i]! & PAGE_MAPPING_ANON_BIT) !== 0;
  const swapbacked = (flags & (1 << PG_swapbacked)) !== 0;
  const dirty = ptDirty || (flags & (1 << PG_dirty)) !== 0;
  const size = nr * PAGE_SIZE;
  if (anon) {
    mss.anonymous += size;
    if (!swapbacked && !dirty) mss.lazyfree += size;
  }
  mss.resident += size;
  if (young || (flags & (1 << PG_referenced)) !== 0) mss.referenced += size;
  if (pages.refcount[f] === 1) {
    accumulate(mss, anon, swapbacked, size, size * 2 ** PSS_SHIFT, dirty, locked, true);
    return;
  }
  const entire = head >= 0 ? vmm.thpState.entireMapcount[head >>> HPAGE_PMD_ORDER]! + 1 : 0;
  for (let k = 0; k < nr; k++) {
    const mapcount = pages.mapcount[i + k]! + 1 + entire;
    const pss = mapcount >= 2 ? Math.floor((PAGE_SIZE * 2 ** PSS_SHIFT) / mapcount) : PAGE_SIZE * 2 ** PSS_SHIFT;
    accumulate(mss, anon, swapbacked, PAGE_SIZE, pss, dirty, locked, mapcount < 2);
  }
}

/**
 * smaps_pmd_entry for the PMD of addr when it is huge: the huge zero folio counts nowhere
 * (vm_normal_page_pmd gives nothing), an anonymous folio adds 2 MiB to AnonHugePages and is
 * accounted whole. Returns false when the PMD is not huge.
 */
function smapsPmdEntry(vmm: VirtualMemory, vma: VmAreaStruct, addr: number, mss: MemSizeStats, locked: boolean): boolean {
  const pmd = pmdOffset(vmm, vma.vmMm, addr);
  if (pmd < 0) return false;
  const lo = vmm.ram.readU32(pmd);
  if ((lo & PTE_PSE) === 0 || !ptePresent(lo)) return false;
  const pfn = entryPfn(lo, pteHi(vmm, pmd));
  if (pfn === vmm.thpState.hugeZeroPfn) return true;
  mss.anonymousThp += HPAGE_PMD_NR * PAGE_SIZE;
  smapsAccount(vmm, mss, vmm.pages.idx(pfn), HPAGE_PMD_NR, (lo & PTE_A) !== 0, (lo & PTE_D) !== 0, locked);
  return true;
}

/**
 * smap_gather_stats over one VMA: smaps_pmd_entry for a huge PMD, else smaps_pte_entry for each
 * present PTE of a normal page (the shared zero page is pte_special: vm_normal_page() gives
 * nothing, so it counts nowhere), each through smaps_account. Swap entries belong to the reclaim
 * layer; none exist yet, so Swap and SwapPss stay 0.
 */
export function smapGatherStats(vmm: VirtualMemory, vma: VmAreaStruct, mss: MemSizeStats): void {
  const mm = vma.vmMm;
  if (mm.pgd < 0) return;
  const ram = vmm.ram;
  const locked = (vma.vmFlags & VM_LOCKED) !== 0;
  for (let addr = vma.vmStart; addr < vma.vmEnd; ) {
    const ea = pteOffset(vmm, mm, addr);
    if (ea < 0) {
      if (mm.pmdHugePte.size !== 0 && addr % PMD_SIZE === 0) smapsPmdEntry(vmm, vma, addr, mss, locked);
      // no page table here: nothing is mapped up to the next PMD boundary
      addr = (Math.floor(addr / PMD_SIZE) + 1) * PMD_SIZE;
      continue;
    }
    const lo = ram.readU32(ea);
    addr += PAGE_SIZE;
    if (!ptePresent(lo) || (lo & PTE_SPECIAL) !== 0) continue;
    smapsAccount(vmm, mss, vmm.pages.idx(entryPfn(lo, pteHi(vmm, ea))), 1, (lo & PTE_A) !== 0, (lo & PTE_D) !== 0, locked);
  }
}

/** A smaps line: the label padded to 16 columns, the value in kB right-aligned in 8, " kB". */
function smapLine(label: string, bytes: number): string {
  return `${(label + ":").padEnd(16)}${String(Math.floor(bytes / 1024)).padStart(8)} kB\n`;
}

/** __show_smap: the sums in smaps order; the rollup adds Pss_Anon, Pss_File and Pss_Shmem after Pss_Dirty. */
function showSmapSums(mss: MemSizeStats, rollup: boolean): string {
  const pss = (v: number) => Math.floor(v / 2 ** PSS_SHIFT);
  let s = smapLine("Rss", mss.resident) + smapLine("Pss", pss(mss.pss)) + smapLine("Pss_Dirty", pss(mss.pssDirty));
  if (rollup) s += smapLine("Pss_Anon", pss(mss.pssAnon)) + smapLine("Pss_File", pss(mss.pssFile)) + smapLine("Pss_Shmem", pss(mss.pssShmem));
  s += smapLine("Shared_Clean", mss.sharedClean) + smapLine("Shared_Dirty", mss.sharedDirty);
  s += smapLine("Private_Clean", mss.privateClean) + smapLine("Private_Dirty", mss.privateDirty);
  s += smapLine("Referenced", mss.referenced) + smapLine("Anonymous", mss.anonymous) + smapLine("KSM", 0) + smapLine("LazyFree", mss.lazyfree);
  // shmem and file THPs and hugetlb are not modelled
  s += smapLine("AnonHugePages", mss.anonymousThp) + smapLine("ShmemPmdMapped", 0) + smapLine("FilePmdMapped", 0);
  s += smapLine("Shared_Hugetlb", 0) + smapLine("Private_Hugetlb", 0);
  s += smapLine("Swap", mss.swap) + smapLine("SwapPss", pss(mss.swapPss)) + smapLine("Locked", pss(mss.pssLocked));
  return s;
}

/** The THP mode of the machine (/sys/kernel/mm/transparent_hugepage/enabled), or null without THP. */
export type ThpMode = "always" | "madvise" | "never" | null;

/**
 * THPeligible (thp_vma_allowable_orders for smaps): an anonymous VMA that the mode allows
 * (always, or madvise with VM_HUGEPAGE; never with VM_NOHUGEPAGE) and that can hold a
 * PMD-aligned 2 MiB range. File and shmem VMAs are not eligible here (no page cache yet).
 */
export function thpEligible(vma: VmAreaStruct, mode: ThpMode): boolean {
  if (mode === null) return false;
  const settings: ThpSettings = { enabled: mode, defrag: "madvise", useZeroPage: true };
  if (!thpVmaAllowable(settings, vma)) return false;
  return Math.ceil(vma.vmStart / PMD_SIZE) * PMD_SIZE + PMD_SIZE <= vma.vmEnd;
}

/** /proc/<pid>/smaps (show_smap): each VMA's maps line, then its sizes, THPeligible and VmFlags. */
export function showSmaps(vmm: VirtualMemory, mm: MmStruct, thp: ThpMode): string {
  let s = "";
  for (const vma of mm.mmMt.vmas) {
    const mss = new MemSizeStats();
    smapGatherStats(vmm, vma, mss);
    s += showMapVma(vma);
    s += smapLine("Size", vma.vmEnd - vma.vmStart) + smapLine("KernelPageSize", PAGE_SIZE) + smapLine("MMUPageSize", PAGE_SIZE);
    s += showSmapSums(mss, false);
    s += `THPeligible:    ${String(thpEligible(vma, thp) ? 1 : 0).padStart(8)}\n`;
    s += `VmFlags: ${formatVmFlags(vma.vmFlags)}\n`;
  }
  if (mm.hasVsyscall) {
    // the gate area: one page, nothing resident in the process's tables (the page is the kernel's)
    s += GATE_VMA_LINE + smapLine("Size", PAGE_SIZE) + smapLine("KernelPageSize", PAGE_SIZE) + smapLine("MMUPageSize", PAGE_SIZE);
    s += showSmapSums(new MemSizeStats(), false) + `THPeligible:    ${String(0).padStart(8)}\nVmFlags: ${formatVmFlags(VM_EXEC)}\n`;
  }
  return s;
}

/**
 * /proc/<pid>/smaps_rollup (show_smaps_rollup): one header from the first VMA's start to the
 * last one's end, "---p" and "[rollup]", then every VMA's sums together. An mm without VMAs
 * prints nothing.
 */
export function showSmapsRollup(vmm: VirtualMemory, mm: MmStruct): string {
  const vmas = mm.mmMt.vmas;
  if (vmas.length === 0) return "";
  const mss = new MemSizeStats();
  for (const vma of vmas) smapGatherStats(vmm, vma, mss);
  const head = `${hex(vmas[0]!.vmStart, 8)}-${hex(vmas[vmas.length - 1]!.vmEnd, 8)} ---p 00000000 00:00 0 `;
  return head.padEnd(mapsPad(mm), " ") + " [rollup]\n" + showSmapSums(mss, true);
}

/**
 * The rss counters of an mm (get_mm_counter for each type), its resident high-water mark and
 * mm_pgtables_bytes. Linux counts only the PUD, PMD and PTE tables there (mm_inc_nr_puds/pmds/
 * ptes; pgd_alloc charges nothing), while MmStruct.pgtablesBytes includes the pgd page: it is
 * left out here. (With 5-level paging Linux does not count P4D tables either; mmsim does.)
 */
export function mmRss(mm: MmStruct): MmRss {
  const r = mm.rssStat;
  const pgtablesBytes = mm.pgtablesBytes - (mm.pgd >= 0 ? PAGE_SIZE : 0);
  return { file: r[MM_FILEPAGES]!, anon: r[MM_ANONPAGES]!, swap: r[MM_SWAPENTS]!, shmem: r[MM_SHMEMPAGES]!, hiwaterRss: mm.hiwaterRss, pgtablesBytes };
}

/** pagemap entry bits (fs/proc/task_mmu.c): PFN in bits 0-54, then soft-dirty, exclusive, uffd-wp, guard, file, swap, present. */
export const PM_SOFT_DIRTY = 1n << 55n;
export const PM_MMAP_EXCLUSIVE = 1n << 56n;
export const PM_FILE = 1n << 61n;
export const PM_SWAP = 1n << 62n;
export const PM_PRESENT = 1n << 63n;
/** _PAGE_SOFT_DIRTY (_PAGE_SOFTW3, bit 11). */
const PTE_SOFT_DIRTY = 0x800;

/**
 * pagemap_read for `count` pages from `vaddr`: one 64-bit entry per page (pte_to_pagemap_entry,
 * pagemap_pte_hole), with the PFN shown (the reader has CAP_SYS_ADMIN). A present page gets
 * PM_PRESENT and its pfn (the shared zero page's too), PM_FILE unless anonymous, and
 * PM_MMAP_EXCLUSIVE when mapped once; VM_SOFTDIRTY VMAs mark every entry soft-dirty. Swap
 * entries (PM_SWAP) come with the reclaim layer.
 */
export function pagemapRead(vmm: VirtualMemory, mm: MmStruct, vaddr: number, count: number): bigint[] {
  const out: bigint[] = [];
  const ram = vmm.ram;
  const pages = vmm.pages;
  for (let n = 0; n < count; n++) {
    const addr = Math.floor(vaddr / PAGE_SIZE) * PAGE_SIZE + n * PAGE_SIZE;
    const vma = mm.mmMt.findVma(addr);
    let e = 0n;
    if (vma !== null && vma.vmStart <= addr) {
      if ((vma.vmFlags & VM_SOFTDIRTY) !== 0) e |= PM_SOFT_DIRTY;
      const ea = mm.pgd < 0 ? -1 : pteOffset(vmm, mm, addr);
      const lo = ea < 0 ? 0 : ram.readU32(ea);
      if (ea < 0 && mm.pmdHugePte.size !== 0) e |= pagemapPmdEntry(vmm, mm, addr);
      else if (ea >= 0 && ptePresent(lo)) {
        const pfn = entryPfn(lo, pteHi(vmm, ea)); // i386: a 4-byte PTE has no high word
        e |= PM_PRESENT | BigInt(pfn);
        if (vmm.softDirty && (lo & PTE_SOFT_DIRTY) !== 0) e |= PM_SOFT_DIRTY;
        if ((lo & PTE_SPECIAL) === 0) {
          const i = pages.idx(pfn);
          if ((pages.mapping[i]! & PAGE_MAPPING_ANON_BIT) === 0) e |= PM_FILE;
          if (preciseMapcount(vmm, i) === 1) e |= PM_MMAP_EXCLUSIVE;
        }
      }
    }
    out.push(e);
  }
  return out;
}

/** folio_precise_page_mapcount: the page's PTE mappings plus its large folio's PMD mappings. */
function preciseMapcount(vmm: VirtualMemory, i: number): number {
  const head = largeHead(vmm, i);
  const entire = head >= 0 ? vmm.thpState.entireMapcount[head >>> HPAGE_PMD_ORDER]! + 1 : 0;
  return vmm.pages.mapcount[i]! + 1 + entire;
}

/**
 * pagemap_pmd_range's entry for the page at addr under a huge PMD (0n when the PMD is not huge):
 * present with the page's pfn inside the folio; exclusive when the page is mapped once; the huge
 * zero folio has no struct page to ask (vm_normal_page_pmd), so it is only present.
 */
function pagemapPmdEntry(vmm: VirtualMemory, mm: MmStruct, addr: number): bigint {
  const pmd = pmdOffset(vmm, mm, addr);
  if (pmd < 0) return 0n;
  const lo = vmm.ram.readU32(pmd);
  if ((lo & PTE_PSE) === 0 || !ptePresent(lo)) return 0n;
  const head = entryPfn(lo, pteHi(vmm, pmd));
  const pfn = head + (Math.floor(addr / PAGE_SIZE) % HPAGE_PMD_NR);
  let e = PM_PRESENT | BigInt(pfn);
  if (vmm.softDirty && (lo & PTE_SOFT_DIRTY) !== 0) e |= PM_SOFT_DIRTY;
  if (head !== vmm.thpState.hugeZeroPfn && preciseMapcount(vmm, vmm.pages.idx(pfn)) === 1) e |= PM_MMAP_EXCLUSIVE;
  return e;
}
