// The memory files of /proc/<pid> as fs/proc/task_mmu.c renders them (Linux 6.18): maps
// (show_map_vma), the Vm* lines of status (task_mem) and statm (task_statm). They read the
// mm_struct and its VMAs; the resident-set counters (rss_stat) and page-table bytes are passed
// in as MmRss, because they belong to the page tables, which this layer does not have yet.
import type { MmStruct, VmAreaStruct } from "./mm-types";
import { VM_EXEC, VM_MAYSHARE, VM_READ, VM_WRITE } from "./mm-flags";

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

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** vma_is_initial_heap / vma_is_initial_stack (include/linux/mm.h), the file path, or null (get_vma_name). */
export function vmaName(vma: VmAreaStruct): string | null {
  if (vma.vmFile) return vma.vmFile.path;
  const mm = vma.vmMm;
  if (vma.vmStart <= mm.brk && vma.vmEnd >= mm.startBrk) return "[heap]";
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
  if (name !== null) s = s.padEnd(MAPS_PAD, " ") + " " + name;
  return s + "\n";
}

/** /proc/<pid>/maps: every VMA in address order. */
export function showMaps(mm: MmStruct): string {
  let s = "";
  for (const vma of mm.mmMt.vmas) s += showMapVma(vma);
  return s;
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
