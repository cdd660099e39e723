// /proc/<pid>/maps, status's Vm* lines and statm (fs/proc/task_mmu.c show_map_vma, task_mem,
// task_statm) against the real files of a Linux 6.18 process (reference/real-proc/
// self-maps.txt and self-status.txt): the same VMAs and counters print the same bytes.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { allocAndLinkVma, bootVirtual, newMm } from "../test/boot";
import { VM_EXEC, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE, VM_READ, VM_SHARED, VM_WRITE } from "../src/mm-flags";
import { VmFile } from "../src/mm-types";
import { MM_RSS_NONE, showMapVma, showMaps, taskMem, taskStatm, vmaName } from "../src/task-mmu";

const REAL = new URL("../../../reference/real-proc/", import.meta.url);
const realMaps = readFileSync(new URL("self-maps.txt", REAL), "utf8");
const realStatus = readFileSync(new URL("self-status.txt", REAL), "utf8");

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

  test("[heap] is any VMA overlapping [start_brk, brk], [stack] the one holding start_stack, then [anon:name]", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    mm.startBrk = mm.brk = 0x555555554000;
    const heap = allocAndLinkVma(vmm, mm, 0x555555554000, 0x555555575000, 0, flagsOf("rw-p"));
    const named = allocAndLinkVma(vmm, mm, 0x7f0000000000, 0x7f0000001000, 0, flagsOf("rw-p"));
    named.anonName = "buf";
    const plain = allocAndLinkVma(vmm, mm, 0x7f0000002000, 0x7f0000003000, 0, flagsOf("rw-p"));
    expect([vmaName(heap), vmaName(named), vmaName(plain)]).toEqual(["[heap]", "[anon:buf]", null]);
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
