// /proc/<pid>/maps, status's Vm* lines and statm (fs/proc/task_mmu.c show_map_vma, task_mem,
// task_statm) against the real files of a Linux 6.18 process (reference/real-proc/
// self-maps.txt and self-status.txt): the same VMAs and counters print the same bytes.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { allocAndLinkVma, bootVirtual, newMm } from "../test/boot";
import { VM_EXEC, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_READ, VM_SHARED, VM_WRITE } from "../src/mm-flags";
import { VmFile } from "../src/mm-types";
import { MM_RSS_NONE, PM_FILE, PM_MMAP_EXCLUSIVE, PM_PRESENT, mmRss, pagemapRead, showMapVma, showMaps, showSmaps, showSmapsRollup, taskMem, taskStatm, thpEligible, vmaName } from "../src/task-mmu";
import { sysMmap } from "../src/syscalls";
import { userStore } from "../src/user-access";
import { dupMm } from "../src/fork";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, VM_HUGEPAGE } from "../src/mm-flags";

const REAL = new URL("../../../reference/real-proc/", import.meta.url);
const realMaps = readFileSync(new URL("self-maps.txt", REAL), "utf8");
const realStatus = readFileSync(new URL("self-status.txt", REAL), "utf8");
const realSmaps = readFileSync(new URL("self-smaps.txt", REAL), "utf8");

/** The special mappings mmsim does not have (vDSO, vvar, vsyscall: vm_ops->name / arch_vma_name). */
const SPECIAL = /\[(vvar|vvar_vclock|vdso|vsyscall)\]$/;

function flagsOf(perms: string): number {
  let f = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (perms[0] === "r") f |= VM_READ;
  if (perms[1] === "w") f |= VM_WRITE;
  if (perms[2] === "x") f |= VM_EXEC;
  if (perms[3] === "s") f |= VM_SHARED | VM_MAYSHARE;
  return f;
}

describe("/proc/<pid>/maps (show_map_vma)", () => {
  test("the real process's VMAs print its maps byte for byte (path column padded to 73, bare anon lines end in a space)", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const files = new Map<string, VmFile>();
    const lines = realMaps.split("\n").filter((l) => l !== "" && !SPECIAL.test(l));
    for (const line of lines) {
      const [range, perms, off, dev, ino, ...rest] = line.split(/\s+/);
      const [start, end] = range!.split("-").map((h) => parseInt(h, 16));
      const path = rest.join(" ");
      const vma = allocAndLinkVma(vmm, mm, start!, end!, parseInt(off!, 16) / 4096, flagsOf(perms!));
      if (path === "[heap]") {
        mm.startBrk = start!;
        mm.brk = end!;
      } else if (path === "[stack]") {
        mm.startStack = end! - 0x1000;
      } else if (ino !== "0") {
        const [major, minor] = dev!.split(":").map((h) => parseInt(h, 16));
        if (!files.has(path)) files.set(path, new VmFile(path, { dev: [major!, minor!], ino: Number(ino) }));
        vma.vmFile = files.get(path)!;
      }
    }
    expect(lines.length).toBe(34);
    expect(showMaps(mm)).toBe(lines.join("\n") + "\n");
  });

  test("the path starts at column 74 (seq_setwidth 25 + 6 * sizeof(void *) - 1, then seq_pad's space)", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const vma = allocAndLinkVma(vmm, mm, 0x1000, 0x2000, 0, flagsOf("r-xp"));
    vma.vmFile = new VmFile("/bin/x", { dev: [8, 1], ino: 12 });
    const line = showMapVma(vma);
    expect(line).toBe("00001000-00002000 r-xp 00000000 08:01 12" + " ".repeat(32) + " /bin/x\n");
    expect(line.indexOf("/bin/x")).toBe(73);
  });

  test("[heap] is a VMA overlapping (start_brk, brk) strictly, [stack] the one holding start_stack, then [anon:name]", () => {
    // vma_is_initial_heap (include/linux/mm.h, strict since 6.11): vm_start < brk && vm_end > start_brk,
    // so the anonymous bss VMA that ends at start_brk is not the heap
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    mm.startBrk = 0x555555554000;
    mm.brk = 0x555555575000;
    const bss = allocAndLinkVma(vmm, mm, 0x555555550000, 0x555555554000, 0, flagsOf("rw-p"));
    const heap = allocAndLinkVma(vmm, mm, 0x555555554000, 0x555555575000, 0, flagsOf("rw-p"));
    const named = allocAndLinkVma(vmm, mm, 0x7f0000000000, 0x7f0000001000, 0, flagsOf("rw-p"));
    named.anonName = "buf";
    const plain = allocAndLinkVma(vmm, mm, 0x7f0000002000, 0x7f0000003000, 0, flagsOf("rw-p"));
    expect([vmaName(bss), vmaName(heap), vmaName(named), vmaName(plain)]).toEqual([null, "[heap]", "[anon:buf]", null]);
  });
});

/** The lines of a status text from `first` to `last`, inclusive. */
function linesBetween(text: string, first: string, last: string): string {
  const l = text.split("\n");
  const a = l.findIndex((x) => x.startsWith(first + ":"));
  const b = l.findIndex((x) => x.startsWith(last + ":"));
  return l.slice(a, b + 1).join("\n") + "\n";
}

describe("status (task_mem) and statm (task_statm)", () => {
  // The reference cat's counters, in pages: total_vm 765 (3060 kB), data_vm 90, stack_vm 33,
  // exec_vm 387 (20 kB of text + 1528 kB of libraries), rss 29 anon + 399 file, 48 kB of tables.
  function catMm() {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    mm.totalVm = 765;
    mm.hiwaterVm = 765;
    mm.dataVm = 90;
    mm.stackVm = 33;
    mm.execVm = 387;
    mm.startCode = 0x557560189000;
    mm.endCode = 0x55756018d4f1;
    return mm;
  }
  const rss = { anon: 29, file: 399, shmem: 0, swap: 0, hiwaterRss: 0, pgtablesBytes: 48 * 1024 };

  test("VmPeak .. HugetlbPages match the real status lines (8-column kB values, VmExe/VmLib from end_code)", () => {
    expect(taskMem(catMm(), rss)).toBe(linesBetween(realStatus, "VmPeak", "HugetlbPages"));
  });

  test("VmPeak and VmHWM are the high-water marks or the current values, whichever is larger", () => {
    const mm = catMm();
    mm.hiwaterVm = 1000;
    const text = taskMem(mm, { ...rss, hiwaterRss: 500 });
    expect(text).toContain("VmPeak:\t    4000 kB\n");
    expect(text).toContain("VmHWM:\t    2000 kB\n");
    expect(taskMem(mm, MM_RSS_NONE)).toContain("VmHWM:\t       0 kB\nVmRSS:\t       0 kB\n");
  });

  test("statm: size resident shared text lib data dt in pages, lib and dt 0", () => {
    // text = PAGE_ALIGN(end_code) - start_code = 5 pages; data = data_vm + stack_vm
    expect(taskStatm(catMm(), rss)).toBe("765 428 399 5 0 123 0\n");
  });
});

/** The first VMA block of a smaps text: its maps line and the field lines up to the next VMA. */
function firstBlock(text: string): string[] {
  const lines = text.split("\n");
  const next = lines.findIndex((l, i) => i > 0 && /^[0-9a-f]+-[0-9a-f]+ /.test(l));
  return lines.slice(0, next);
}

describe("smaps and smaps_rollup (show_smap, show_smaps_rollup)", () => {
  function touched() {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const buf = sysMmap(vmm, mm, 0, 40 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    expect(userStore(vmm, mm, vmm.cpus[0]!, buf, new Uint8Array(8192).fill(7))).toBeNull();
    return { vmm, mm, buf };
  }

  test("a VMA's block has the real file's fields in its order and layout (16-column label, 8-column kB)", () => {
    const { vmm, mm } = touched();
    const ours = firstBlock(showSmaps(vmm, mm, "madvise"));
    const real = firstBlock(realSmaps);
    const label = (l: string) => l.slice(0, l.indexOf(":") + 1);
    expect(ours.slice(1).map(label)).toEqual(real.slice(1).map(label));
    for (const [i, l] of ours.slice(1, -1).entries()) expect(l.length).toBe(real[i + 1]!.length);
    expect(ours.slice(1)).toEqual([
      "Size:                 40 kB", "KernelPageSize:        4 kB", "MMUPageSize:           4 kB", "Rss:                   8 kB",
      "Pss:                   8 kB", "Pss_Dirty:             8 kB", "Shared_Clean:          0 kB", "Shared_Dirty:          0 kB",
      "Private_Clean:         0 kB", "Private_Dirty:         8 kB", "Referenced:            8 kB", "Anonymous:             8 kB",
      "KSM:                   0 kB", "LazyFree:              0 kB", "AnonHugePages:         0 kB", "ShmemPmdMapped:        0 kB",
      "FilePmdMapped:         0 kB", "Shared_Hugetlb:        0 kB", "Private_Hugetlb:       0 kB", "Swap:                  0 kB",
      "SwapPss:               0 kB", "Locked:                0 kB", "THPeligible:           0", "VmFlags: rd wr mr mw me ac ",
    ]);
  });

  test("after fork the pages are shared: Shared_Dirty, Pss divided by the mapcount, the child's PTEs old", () => {
    const { vmm, mm } = touched();
    const child = dupMm(vmm, mm)!;
    const field = (t: string, f: string) => new RegExp(`^${f}:\\s+(\\d+) kB$`, "m").exec(t)![1];
    const p = showSmaps(vmm, mm, "madvise");
    const c = showSmaps(vmm, child, "madvise");
    expect(["Rss", "Pss", "Shared_Dirty", "Private_Dirty", "Referenced"].map((f) => field(p, f))).toEqual(["8", "4", "8", "0", "8"]);
    expect(["Rss", "Pss", "Shared_Dirty", "Referenced"].map((f) => field(c, f))).toEqual(["8", "4", "8", "0"]);
    expect(mmRss(child)).toEqual({ file: 0, anon: 2, swap: 0, shmem: 0, hiwaterRss: 0, pgtablesBytes: 3 * 4096 });
  });

  test("smaps_rollup: one [rollup] header from the first VMA to the last, Pss_Anon/File/Shmem after Pss_Dirty", () => {
    const { vmm, mm, buf } = touched();
    sysMmap(vmm, mm, buf - 0x100000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    const text = showSmapsRollup(vmm, mm);
    const lines = text.split("\n");
    expect(lines[0]).toBe("7ffff7ef5000-7ffff7fff000 ---p 00000000 00:00 0" + " ".repeat(26) + "[rollup]");
    expect(lines.slice(1, 7)).toEqual(["Rss:                   8 kB", "Pss:                   8 kB", "Pss_Dirty:             8 kB",
      "Pss_Anon:              8 kB", "Pss_File:              0 kB", "Pss_Shmem:             0 kB"]);
    expect(lines.length).toBe(1 + 22 + 1);
  });

  test("THPeligible: anonymous, allowed by the mode (madvise needs VM_HUGEPAGE), and room for an aligned 2 MiB page", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const big = allocAndLinkVma(vmm, mm, 0x7f0000000000, 0x7f0000400000, 0, flagsOf("rw-p"));
    const small = allocAndLinkVma(vmm, mm, 0x7f0000500000, 0x7f0000600000, 0, flagsOf("rw-p"));
    expect([thpEligible(big, "always"), thpEligible(big, "madvise"), thpEligible(small, "always"), thpEligible(big, "never")]).toEqual([true, false, false, false]);
    big.vmFlags |= VM_HUGEPAGE;
    expect(thpEligible(big, "madvise")).toBe(true);
  });
});

describe("pagemap (pagemap_read)", () => {
  test("present pages carry PM_PRESENT and their pfn, PM_MMAP_EXCLUSIVE while mapped once; holes and unfaulted pages are 0", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const buf = sysMmap(vmm, mm, 0, 16 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    expect(userStore(vmm, mm, vmm.cpus[0]!, buf, new Uint8Array(1).fill(1))).toBeNull();
    const e = pagemapRead(vmm, mm, buf - 4096, 3);
    expect(e[0]).toBe(0n); // no VMA
    expect(e[2]).toBe(0n); // not faulted in
    const pfn = Number(e[1]! & ((1n << 55n) - 1n));
    expect(e[1]).toBe(PM_PRESENT | PM_MMAP_EXCLUSIVE | BigInt(pfn));
    expect(pfn).toBeGreaterThan(0);
    const child = dupMm(vmm, mm)!;
    // shared after fork: no longer exclusive, in both; anonymous pages are never PM_FILE
    for (const m of [mm, child]) expect(pagemapRead(vmm, m, buf, 1)[0]).toBe(PM_PRESENT | BigInt(pfn));
    expect(pagemapRead(vmm, mm, buf, 1)[0]! & PM_FILE).toBe(0n);
  });
});
