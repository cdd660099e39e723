// `mmsim fault` and the docs' page-fault page: one user access of a task, narrated from the
// MMU's #PF to the new PTE. The narration observes the real code, it does not re-implement it:
// the access goes through the hardware MMU, the fault through do_user_addr_fault and
// handle_mm_fault of @mmsim/virtual, and the story is read off what changed (the page-table
// entries along the walk, the PTE, the page's refcount and mapcount, the counters).
//
//   CPU walk fails ─► #PF(error code, CR2) ─► do_user_addr_fault ─► find_vma ─► access_error?
//        ▲                                                              │ no VMA / bad access
//        │ retry                                                        ▼
//        └──── PTE set ◄── handle_pte_fault ◄── __handle_mm_fault      SIGSEGV (MAPERR/ACCERR)
//                          (anonymous / zero page / do_wp_page)   (allocates pud, pmd, pte)
import { BUG, InputError, PAGE_SIZE, formatVa, parseVa } from "@mmsim/base";
import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_USER, ACCESS_WRITE, WalkResult, X86_PF_INSTR, X86_PF_PROT, X86_PF_WRITE, decodeEntry,
  describeErrorCode, entryAddr, levelName, type PagingLevels, type WalkStep,
} from "@mmsim/hardware";
import {
  MM_ANONPAGES, SEGV_ACCERR, SEGV_MAPERR, VM_ACCESS_FLAGS, VM_GROWSDOWN, VM_WRITE, doUserAddrFault, levelShiftOf, PAE_PTRS_PER_PGD, showMapVma, siCodeName,
  switchMm, type MmStruct, type VirtualMemory,
} from "@mmsim/virtual";
import type { Kernel } from "./kernel";
import { SIGNALS, type Task } from "./task";
import { virtualOf } from "./virtual-kernel";
import { parseVa32 } from "./walk-explain";

/** The kind of access: a load, a store or an instruction fetch, all from user mode (CPL 3). */
export type FaultAccess = "read" | "write" | "exec";

/** One entry on the path from CR3 to the PTE, as it was before and after a fault. */
export interface FaultLevel {
  /** 5..1 (PGD..PTE) */
  level: number;
  /** PGD, P4D, PUD, PMD, PTE */
  name: string;
  /** index of the entry in its table (9 bits of the address; 10 with i386's 2-level paging, 2 in PAE's PGD) */
  index: number;
  /** physical address of the entry */
  entryPa: number;
  before: { lo: number; hi: number };
  after: { lo: number; hi: number };
  /** the entry was empty and the fault allocated the table it now points to (pfn), else -1 */
  allocatedPfn: number;
  /** a leaf: a PTE, or a PMD/PUD with PS */
  leaf: boolean;
}

/** How handle_mm_fault resolved a fault (or why it was not resolved). */
export type FaultPath =
  | "anonymous" // do_anonymous_page: a new zeroed page (a write)
  | "zero-page" // do_anonymous_page: the shared zero page (a read)
  | "huge" // a PMD mapping (transparent huge page) appeared
  | "wp-reuse" // do_wp_page: the page was exclusive, made writable in place
  | "wp-copy" // do_wp_page -> wp_page_copy: a private copy of a shared page
  | "wp-copy-zero" // do_wp_page -> wp_page_copy of the zero page: a new zeroed page
  | "spurious" // the PTE allowed the access already: only Accessed/Dirty set
  | "maperr" // SIGSEGV, SEGV_MAPERR: no VMA there
  | "accerr" // SIGSEGV, SEGV_ACCERR: the VMA does not allow the access
  | "kernel-address" // do_kern_addr_fault: a user access above the user half
  | "sigbus"
  | "oom";

/** A page the fault touched: its pfn and its refcount and mapcount (Linux's page_mapcount) now. */
export interface FaultPage {
  pfn: number;
  refcount: number;
  mapcount: number;
}

/** One #PF and what the kernel did about it. */
export interface FaultRound {
  /** the x86 page-fault error code (P/W/U/RSVD/I bits) */
  errorCode: number;
  /** the two lines Linux's show_fault_oops prints for this error code */
  errorText: [string, string];
  /** CR2: the faulting linear address */
  cr2: number;
  /** the CPU's walk that failed, entry by entry, ending at the entry that stopped it */
  hwWalk: WalkStep[];
  /** the maps line of the VMA find_vma returned: the first ending above the address (null: none) */
  vma: string | null;
  /** that VMA starts above the address (only a VM_GROWSDOWN stack may grow down to it) */
  vmaAbove: boolean;
  /** expand_downwards grew a VM_GROWSDOWN stack: its old and new start */
  stackGrown: { from: number; to: number } | null;
  /** access_error's reason when the VMA refused the access (SEGV_ACCERR), else null */
  accessError: string | null;
  /** anon_vma_prepare gave the VMA its anon_vma during this fault */
  anonVmaPrepared: boolean;
  path: FaultPath;
  /** the entries from the PGD to the leaf (or to the first empty one) before and after */
  levels: FaultLevel[];
  /** the page the new PTE maps, or null */
  page: FaultPage | null;
  /** the page the PTE mapped before a COW (now with one reference and one mapping fewer), or null */
  oldPage: FaultPage | null;
  /** the signal delivered, or null */
  signal: { signo: number; name: string; code: number; codeName: string; addr: number } | null;
}

/** A counter that moved: its /proc/vmstat name, before and after. */
export interface CounterMove {
  name: string;
  before: number;
  after: number;
}

/** Everything `mmsim fault` prints, as data (JSON-serialisable). */
export interface FaultExplanation {
  pid: number;
  comm: string;
  cpu: number;
  va: number;
  vaText: string;
  access: FaultAccess;
  /** the task's page tables: x86-64, or i386 (with `pae`: PAE paging) */
  arch: "x86_64" | "i386";
  pae: boolean;
  /** levels of those tables: 4 or 5 on x86-64, 2 on i386, 3 with PAE */
  levels: 2 | 3 | 4 | 5;
  /** the shared zero page's pfn (ZERO_PAGE(0)) */
  zeroPfn: number;
  /** each #PF the access took (none: the translation succeeded at once) */
  rounds: FaultRound[];
  /** the final translation: physical address and the leaf entry (null when a signal ended the access) */
  result: { pa: number; leafLo: number; leafHi: number; flags: string[] } | null;
  /** vmstat counters and the task's rss and page-table size, before and after */
  counters: CounterMove[];
  rssAnonKb: { before: number; after: number };
  pageTablesKb: { before: number; after: number };
}

/** The vmstat counters the narration reports (/proc/vmstat names). */
const COUNTERS = ["pgfault", "pgmajfault", "pgreuse", "nr_page_table_pages", "thp_fault_alloc"] as const;
/** Rounds after which a fault that keeps recurring is a bug (the simulator's MAX_FAULT_RETRIES is 4). */
const MAX_ROUNDS = 4;

/**
 * Parses a user's VADDR for a fault on `kernel`: a canonical virtual address in hex (on an i386
 * machine, a 32-bit one). InputError when it is not a number or not canonical for the machine's
 * paging mode (a non-canonical address raises #GP on x86, never #PF).
 */
export function parseFaultAddress(kernel: Kernel, text: string): number {
  if (kernel.config.arch === "i386") {
    const va = parseVa32(text);
    if (va === null) throw new InputError(`invalid virtual address "${text}": expected a 32-bit address in hex, like 0xb7f01000 (an i386 task's addresses are below 4 GiB)`);
    return va;
  }
  const bits = kernel.hw.levels === 5 ? 57 : 48;
  const va = /^\s*(0x)?[0-9a-f_]+\s*$/i.test(text) ? parseVa(text, bits) : null;
  if (va === null) {
    throw new InputError(
      `invalid virtual address "${text}": expected a canonical ${bits}-bit address in hex, like 0x555555558000 (bits ${bits - 1}..63 all equal; a non-canonical address raises #GP, not a page fault)`,
    );
  }
  return va;
}

/**
 * The index of va's entry in its table at `level` in vmm's page-table format: 9 bits a level on
 * x86-64 and under PAE (whose PGD, the PDPT, takes the top 2), 10 with i386's 2-level paging.
 */
function pathIndex(vmm: VirtualMemory, va: number, level: number): number {
  const shift = levelShiftOf(vmm.pmdShift, level);
  const entries = level === 1 ? vmm.pteIndexMask + 1 : level === 2 ? vmm.pmdIndexMask + 1 : vmm.pae ? PAE_PTRS_PER_PGD : 512;
  return Math.floor(va / 2 ** shift) % entries;
}

/** The entries from the top table towards va, stopping at a leaf or an empty entry (reads RAM only). */
function readPath(vmm: VirtualMemory, mm: MmStruct, va: number): { level: number; pa: number; lo: number; hi: number }[] {
  const out: { level: number; pa: number; lo: number; hi: number }[] = [];
  if (mm.pgd < 0) return out;
  let table = mm.pgd;
  const wide = vmm.entryShift === 3; // i386 without PAE has 4-byte entries
  for (let level: number = vmm.pgtLevels; level >= 1; level--) {
    const pa = table + pathIndex(vmm, va, level) * (1 << vmm.entryShift);
    const lo = vmm.ram.readU32(pa);
    const hi = wide ? vmm.ram.readU32(pa + 4) : 0;
    out.push({ level, pa, lo, hi });
    if ((lo & 1) === 0 || level === 1 || (lo & 0x80) !== 0) break;
    table = entryAddr(lo, hi);
  }
  return out;
}

function pageOf(vmm: VirtualMemory, pfn: number): FaultPage {
  const i = vmm.pages.idx(pfn);
  // PageArray keeps _mapcount (-1: not mapped); page_mapcount adds one
  return { pfn, refcount: vmm.pages.refcount[i]!, mapcount: vmm.pages.mapcount[i]! + 1 };
}

function leafPfn(e: { lo: number; hi: number }): number {
  return entryAddr(e.lo, e.hi) / PAGE_SIZE;
}

/** access_error's reason, in words, for a fault the VMA does not allow. */
function accessWhy(errorCode: number, vmFlags: number): string | null {
  if (errorCode & X86_PF_WRITE) return (vmFlags & VM_WRITE) === 0 ? "a write to a VMA without VM_WRITE" : null;
  if (errorCode & X86_PF_PROT) return errorCode & X86_PF_INSTR ? "an instruction fetch from a present no-execute page" : "a protection fault on a present page";
  return (vmFlags & VM_ACCESS_FLAGS) === 0 ? "an access to a PROT_NONE VMA" : null;
}

/**
 * Runs one user-mode access of `task` at `va` on the CPU it runs on, through the MMU, and
 * narrates every page fault it takes: the error code, the VMA, the table pages the walk
 * allocated, the handler's branch, the new PTE, the pages' refcounts and mapcounts, and the
 * counters. A fault that ends in a signal delivers it (the task is killed: no handlers exist).
 * The task must be alive; the access changes the machine as the real access would.
 */
export function explainFault(kernel: Kernel, task: Task, va: number, access: FaultAccess): FaultExplanation {
  if (!task.alive || task.mm === null) BUG("explainFault", `task ${task.pid} is not alive`);
  const v = virtualOf(kernel);
  const vmm = v.vmm;
  const mm = task.mm;
  const cpu = kernel.hw.cpus[task.cpu]!;
  const counters = kernel.counters;
  const names = COUNTERS.filter((n) => counters.has(n));
  const before = names.map((n) => counters.get(n));
  const rss0 = mm.rssStat[MM_ANONPAGES]!;
  const pt0 = counters.get("nr_page_table_pages");
  if (cpu.cr3 !== mm.pgd) switchMm(mm, cpu);
  cpu.mode = "user";
  const bits = access === "write" ? ACCESS_WRITE : access === "exec" ? ACCESS_EXEC : ACCESS_READ;
  const w = new WalkResult();
  const rounds: FaultRound[] = [];
  let result: FaultExplanation["result"] = null;
  for (;;) {
    w.record = true;
    if (kernel.hw.mmu.translate(cpu, va, bits | ACCESS_USER, w)) {
      result = { pa: w.pa, leafLo: w.leafLo, leafHi: w.leafHi, flags: decodeEntry(w.leafLo, w.leafHi, w.level) };
      break;
    }
    if (rounds.length === MAX_ROUNDS) BUG("explainFault", `the fault at ${formatVa(va)} does not resolve`);
    const round = faultRound(kernel, task, va, w);
    rounds.push(round);
    if (round.signal !== null) break;
  }
  const rss1 = task.mm?.rssStat[MM_ANONPAGES] ?? 0;
  const i386 = kernel.config.arch === "i386";
  return {
    pid: task.pid, comm: task.comm, cpu: task.cpu, va, vaText: i386 ? va.toString(16).padStart(8, "0") : formatVa(va, kernel.hw.levels === 5 ? 57 : 48), access,
    arch: kernel.config.arch, pae: vmm.pae, levels: vmm.pgtLevels as FaultExplanation["levels"], zeroPfn: vmm.zeroPfn, rounds, result,
    counters: names.map((name, i) => ({ name, before: before[i]!, after: counters.get(name) })).filter((c) => c.before !== c.after),
    rssAnonKb: { before: rss0 * 4, after: task.alive ? rss1 * 4 : 0 },
    pageTablesKb: { before: pt0 * 4, after: counters.get("nr_page_table_pages") * 4 },
  };
}

/** One #PF: what the MMU reported, then do_user_addr_fault's verdict read off the machine. */
function faultRound(kernel: Kernel, task: Task, va: number, w: WalkResult): FaultRound {
  const v = virtualOf(kernel);
  const vmm = v.vmm;
  const mm = task.mm!;
  const errorCode = w.errorCode;
  const base = {
    errorCode, errorText: describeErrorCode(errorCode), cr2: va, hwWalk: w.steps.slice(),
    stackGrown: null, anonVmaPrepared: false, page: null, oldPage: null, accessError: null as string | null, vmaAbove: false,
  };
  const path0 = readPath(vmm, mm, va);
  const levelsOf = (after: ReturnType<typeof readPath>): FaultLevel[] => {
    const len = Math.max(path0.length, after.length);
    const out: FaultLevel[] = [];
    for (let i = 0; i < len; i++) {
      const b = path0[i];
      const a = after[i] ?? b!;
      const leaf = a.level === 1 || (a.lo & 0x80) !== 0;
      const wasEmpty = b === undefined || (b.lo === 0 && b.hi === 0);
      out.push({
        level: a.level, name: levelName(a.level, vmm.pgtLevels as PagingLevels), index: pathIndex(vmm, va, a.level), entryPa: a.pa,
        before: { lo: b?.lo ?? 0, hi: b?.hi ?? 0 }, after: { lo: a.lo, hi: a.hi },
        allocatedPfn: wasEmpty && !leaf && (a.lo & 1) !== 0 ? leafPfn(a) : -1, leaf,
      });
    }
    return out;
  };
  const deliver = (path: FaultPath, signo: number, code: number, vma: string | null): FaultRound => {
    const codeName = siCodeName(signo, code);
    const levels = levelsOf(readPath(vmm, mm, va));
    v.kill(task, signo);
    return { ...base, vma, path, levels, signal: { signo, name: SIGNALS[signo]!, code, codeName, addr: va } };
  };
  // fault_in_kernel_space: above the user half, do_kern_addr_fault sends SIGSEGV to a user access
  if (va >= mm.taskSize) return deliver("kernel-address", 11, SEGV_MAPERR, null);
  let vma = mm.mmMt.findVma(va);
  const vmaLine = vma === null ? null : showMapVma(vma).trimEnd();
  const start0 = vma?.vmStart ?? 0;
  base.vmaAbove = vma !== null && start0 > va;
  const hadAnonVma = vma?.anonVma != null;
  base.accessError = vma === null ? null : accessWhy(errorCode, vma.vmFlags);
  const sig = doUserAddrFault(vmm, mm, errorCode, va);
  vma = mm.mmMt.findVma(va);
  if (sig !== null) {
    if (sig.oom) return deliver("oom", sig.signo, sig.code, vmaLine);
    const path: FaultPath = sig.signo === 7 ? "sigbus" : sig.code === SEGV_ACCERR ? "accerr" : "maperr";
    return deliver(path, sig.signo, sig.code, vmaLine);
  }
  if (vma === null || vma.vmStart > va) BUG("explainFault", "do_user_addr_fault resolved a fault outside every VMA");
  const after = readPath(vmm, mm, va);
  const levels = levelsOf(after);
  const leaf = levels[levels.length - 1]!;
  const stackGrown = start0 > va && (vma.vmFlags & VM_GROWSDOWN) !== 0 ? { from: start0, to: vma.vmStart } : null;
  const newPfn = leafPfn(leaf.after);
  const wasPresent = (leaf.before.lo & 1) !== 0;
  let path: FaultPath;
  let oldPage: FaultPage | null = null;
  if (!leaf.leaf) BUG("explainFault", "a resolved fault left no leaf entry");
  if (leaf.level > 1) path = "huge";
  else if (!wasPresent) path = newPfn === vmm.zeroPfn ? "zero-page" : "anonymous";
  else if (leafPfn(leaf.before) === newPfn) path = errorCode & X86_PF_WRITE && (leaf.before.lo & 2) === 0 ? "wp-reuse" : "spurious";
  else if (leafPfn(leaf.before) === vmm.zeroPfn) path = "wp-copy-zero";
  else {
    path = "wp-copy";
    oldPage = pageOf(vmm, leafPfn(leaf.before));
  }
  const page = newPfn === vmm.zeroPfn || leaf.level > 1 ? null : pageOf(vmm, newPfn);
  return { ...base, vma: vmaLine, stackGrown, anonVmaPrepared: !hadAnonVma && vma.anonVma !== null, path, levels, page, oldPage, signal: null };
}

const hex = (n: number) => "0x" + n.toString(16);
/** An entry in hex: 16 digits, or 8 for the 4-byte entries of i386's 2-level paging (`narrow`). */
const entryHex = (e: { lo: number; hi: number }, narrow: boolean) =>
  "0x" + (narrow ? "" : (e.hi >>> 0).toString(16).padStart(8, "0")) + (e.lo >>> 0).toString(16).padStart(8, "0");

/** The paging mode in words, as `mmsim walk` names it. */
function pagingText(e: FaultExplanation): string {
  if (e.arch !== "i386") return `${e.levels}-level paging`;
  return e.pae ? "i386 PAE paging, 3 levels" : "i386 32-bit paging, 2 levels";
}

/** The error code's bits by name, as the SDM and arch/x86/include/asm/trap_pf.h name them. */
function errorBits(code: number): string {
  const bit = (b: number, name: string) => `${name}=${code & b ? 1 : 0}`;
  return [bit(1, "P"), bit(X86_PF_WRITE, "W"), bit(4, "U"), bit(8, "RSVD"), bit(X86_PF_INSTR, "I")].join(" ");
}

function pageText(p: FaultPage): string {
  return `pfn ${p.pfn} (refcount ${p.refcount}, mapcount ${p.mapcount})`;
}

/** What the handler did, in one or two sentences naming Linux's functions. */
function handlerText(r: FaultRound, zeroPfn: number): string {
  const pfn = (l: FaultLevel) => entryAddr(l.after.lo, l.after.hi) / PAGE_SIZE;
  const leaf = r.levels[r.levels.length - 1]!;
  switch (r.path) {
    case "anonymous":
      return `do_anonymous_page: a write to an empty PTE: a new zeroed page, ${pageText(r.page!)}, added to the anon rmap (folio_add_new_anon_rmap) and an LRU list`;
    case "zero-page":
      return `do_anonymous_page: a read of an empty PTE: the shared zero page (pfn ${zeroPfn}) is mapped read-only and special: no refcount, no mapcount, no Rss; a write will fault again (do_wp_page)`;
    case "huge":
      return `do_huge_pmd_anonymous_page: the ${leaf.name} entry maps a 2 MiB page at pfn ${pfn(leaf)} (a transparent huge page)`;
    case "wp-reuse":
      return `do_wp_page: a write to a read-only PTE of an anonymous page this mapping holds alone (wp_can_reuse_anon_folio): wp_page_reuse makes the PTE writable in place, ${pageText(r.page!)}`;
    case "wp-copy":
      return `do_wp_page: a write to a read-only PTE of a shared page: wp_page_copy copies pfn ${r.oldPage!.pfn} into a new page, ${pageText(r.page!)}, and points the PTE at the copy (ptep_clear_flush); the old page keeps refcount ${r.oldPage!.refcount}, mapcount ${r.oldPage!.mapcount}`;
    case "wp-copy-zero":
      return `do_wp_page: a write to the zero page: wp_page_copy maps a new zeroed page instead, ${pageText(r.page!)}`;
    case "spurious":
      return "handle_pte_fault: the PTE already allows the access (a spurious fault): it is only marked young (and dirty on a write)";
    default:
      return "";
  }
}

function signalText(r: FaultRound): string {
  const s = r.signal!;
  if (r.path === "oom") return "VM_FAULT_OOM: out of memory; the OOM killer ends the task\n";
  return `--- ${s.name} {si_signo=${s.name}, si_code=${s.codeName}, si_addr=${hex(s.addr)}} ---\n+++ killed by ${s.name} +++\n` +
    "(no handler: the task exits, and exit_mmap frees its pages and page tables)\n";
}

/** The text `mmsim fault` prints for an explanation (the docs page shows the same data its own way). */
export function formatFault(e: FaultExplanation): string {
  const what = e.access === "exec" ? "instruction fetch" : e.access;
  const narrow = e.arch === "i386" && !e.pae;
  const entry = (x: { lo: number; hi: number }) => entryHex(x, narrow);
  const iw = narrow ? 4 : 3; // index column: up to 1023 with 2-level paging
  let s = `Page fault of ${e.comm} (pid ${e.pid}, CPU ${e.cpu}): user ${what} at ${e.vaText} (${pagingText(e)})\n`;
  if (e.rounds.length === 0) s += "\nNo page fault: the page is present and allows the access.\n";
  e.rounds.forEach((r, i) => {
    s += `\n#PF ${i + 1}: the MMU's walk stopped at the ${r.hwWalk[r.hwWalk.length - 1]?.name ?? "top"} entry\n`;
    for (const st of r.hwWalk) s += `  ${st.name.padEnd(3)} index ${String(st.index).padStart(iw)}: entry at ${hex(st.entryPa)} = ${entry(st)}  [${decodeEntry(st.lo, st.hi, st.level).join(" ")}]\n`;
    s += `  error code ${hex(r.errorCode)}: ${errorBits(r.errorCode)}  (${r.errorText[0].slice(5)}, ${r.errorText[1].replace(/^.* - /, "")})\n`;
    s += `  CR2 = ${hex(r.cr2)}\n`;
    if (r.path === "kernel-address") {
      s += "do_kern_addr_fault: the address is in the kernel half (fault_in_kernel_space); a user access there is bad_area_nosemaphore\n";
      s += "  (mmsim's user page tables do not map the kernel half; Linux maps it supervisor-only, and its error code has P=1)\n";
      s += signalText(r);
      return;
    }
    s += `do_user_addr_fault: find_vma → ${r.vma ?? "none"}${r.vmaAbove ? "  (above the address)" : ""}\n`;
    if (r.stackGrown) s += `  expand_downwards: the VM_GROWSDOWN stack grows from ${hex(r.stackGrown.from)} down to ${hex(r.stackGrown.to)}\n`;
    if (r.path === "maperr") {
      const why = r.vma === null ? "no VMA ends above the address" : "the VMA starts above the address and is not a stack that may grow down to it";
      s += `  ${why}: bad_area → SIGSEGV with SEGV_MAPERR\n` + signalText(r);
      return;
    }
    if (r.path === "accerr") {
      s += `  access_error: ${r.accessError ?? "the VMA refuses the access"} → bad_area_access_error: SIGSEGV with SEGV_ACCERR\n` + signalText(r);
      return;
    }
    s += `  access_error: no, the VMA allows ${e.access === "exec" ? "an" : "a"} ${e.access}\n`;
    s += "handle_mm_fault (pgfault += 1) → __handle_mm_fault walks the tables, allocating what is missing:\n";
    for (const l of r.levels) {
      const next = l.level > 1 ? levelName(l.level - 1, e.levels as PagingLevels) : "";
      if (l.allocatedPfn >= 0) s += `  ${l.name.padEnd(3)} index ${String(l.index).padStart(iw)}: was empty → ${next.toLowerCase()}_alloc: a new ${next} table at pfn ${l.allocatedPfn}, entry ${entry(l.after)}  [${decodeEntry(l.after.lo, l.after.hi, l.level).join(" ")}]\n`;
      else if (!l.leaf) s += `  ${l.name.padEnd(3)} index ${String(l.index).padStart(iw)}: present → the ${next} table at pfn ${entryAddr(l.after.lo, l.after.hi) / PAGE_SIZE}\n`;
      else s += `  ${l.name.padEnd(3)} index ${String(l.index).padStart(iw)}: ${entry(l.before)} → ${entry(l.after)}  [${decodeEntry(l.after.lo, l.after.hi, l.level).join(" ")}] pfn ${entryAddr(l.after.lo, l.after.hi) / PAGE_SIZE}\n`;
    }
    if (r.anonVmaPrepared) s += "  anon_vma_prepare: the VMA's first anonymous page gives it an anon_vma (the rmap's root)\n";
    s += handlerText(r, e.zeroPfn) + "\n";
    if (r.signal) s += signalText(r);
  });
  if (e.result) {
    const pa = e.result.pa;
    s += `\nThe access ${e.rounds.length ? "is retried and " : ""}translates: physical address ${hex(pa)} (pfn ${Math.floor(pa / PAGE_SIZE)}), leaf [${e.result.flags.join(" ")}]\n`;
  }
  s += "\n";
  for (const c of e.counters) s += `${c.name}: ${c.before} → ${c.after} (${c.after - c.before >= 0 ? "+" : ""}${c.after - c.before})\n`;
  s += `PageTables: ${e.pageTablesKb.before} kB → ${e.pageTablesKb.after} kB\n`;
  s += `${e.comm} RssAnon: ${e.rssAnonKb.before} kB → ${e.rssAnonKb.after} kB\n`;
  return s;
}
