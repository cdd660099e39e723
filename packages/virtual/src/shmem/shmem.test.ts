// Shared anonymous memory (mm/shmem.c shmem_zero_setup, shmem_fault; mm/mmap.c): a parent and a
// child see each other's writes through one MAP_SHARED|MAP_ANONYMOUS mapping, the counters
// (nr_shmem, nr_file_pages, MM_SHMEMPAGES, Committed_AS) move as on Linux, /proc/<pid>/maps and
// smaps show the "/dev/zero (deleted)" file, and everything goes when the last mapping does.
import { describe, expect, it } from "vitest";
import { bootVirtual, freePagesNow, newMm } from "../../test/boot";
import { sysMmap, sysMunmap } from "../syscalls";
import { MAP_ANONYMOUS, MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from "../mm-flags";
import { MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES } from "../memory";
import { verifyVirtual } from "../verify";
import { PM_FILE, PM_MMAP_EXCLUSIVE, PM_PRESENT, mmRss, pagemapRead, showMapVma, showSmaps, showSmapsRollup, taskMem, taskStatm } from "../task-mmu";
import { doMremap } from "../mremap";
import { doMprotect } from "../mprotect";
import { doMadvise } from "../madvise";
import { MADV_DONTNEED } from "../mm-flags";
import { SIGBUS } from "../fault";
import type { MmStruct } from "../mm-types";
import type { VirtualMemory } from "../virtual-memory";

const RW = PROT_READ | PROT_WRITE;
const SHARED_ANON = MAP_SHARED | MAP_ANONYMOUS;

function read(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number, cpu = 0): number[] {
  const out = new Uint8Array(len);
  expect(vmm.load(mm, vmm.cpus[cpu]!, addr, out)).toBeNull();
  return [...out];
}

function write(vmm: VirtualMemory, mm: MmStruct, addr: number, bytes: number[], cpu = 0): void {
  expect(vmm.store(mm, vmm.cpus[cpu]!, addr, new Uint8Array(bytes))).toBeNull();
}

const g = (vmm: VirtualMemory, n: string) => vmm.phys.counters.get(n);

describe("MAP_SHARED|MAP_ANONYMOUS (shmem_zero_setup)", () => {
  it("parent writes, child reads, child writes, parent reads: one set of pages, no COW", () => {
    const vmm = bootVirtual();
    const free0 = freePagesNow(vmm);
    const parent = newMm(vmm);
    const a = sysMmap(vmm, parent, 0, 16 * 4096, RW, SHARED_ANON, null, 0);
    // shmem_acct_size: the whole object is charged at mmap, not the pages touched
    expect(vmm.committedAs).toBe(16);
    write(vmm, parent, a, [1, 2, 3]);
    write(vmm, parent, a + 5 * 4096, [5]);
    write(vmm, parent, a + 9 * 4096 + 4095, [9]);
    expect(g(vmm, "nr_shmem")).toBe(3);
    expect(g(vmm, "nr_file_pages")).toBe(3);
    expect(g(vmm, "nr_mapped")).toBe(3);
    expect(parent.rssStat[MM_SHMEMPAGES]).toBe(3);
    expect(parent.rssStat[MM_FILEPAGES] + parent.rssStat[MM_ANONPAGES]).toBe(0);
    const child = vmm.fork(parent)!;
    // dup_mmap copies no PTE of a shared VMA without an anon_vma: the child faults them in
    expect(child.rssStat[MM_SHMEMPAGES]).toBe(0);
    const faults = g(vmm, "pgfault");
    expect(read(vmm, child, a, 3, 1)).toEqual([1, 2, 3]);
    // one fault, and fault-around (16 PTEs, filemap_map_pages) mapped the 3 cached pages
    expect(g(vmm, "pgfault") - faults).toBe(1);
    expect(child.rssStat[MM_SHMEMPAGES]).toBe(3);
    expect(read(vmm, child, a + 9 * 4096 + 4095, 1, 1)).toEqual([9]);
    write(vmm, child, a + 5 * 4096 + 1, [55], 1);
    expect(read(vmm, parent, a + 5 * 4096, 2)).toEqual([5, 55]);
    // a page the child touches first is the parent's too
    write(vmm, child, a + 12 * 4096, [12], 1);
    expect(read(vmm, parent, a + 12 * 4096, 1)).toEqual([12]);
    expect(g(vmm, "nr_shmem")).toBe(4);
    expect(g(vmm, "nr_anon_pages")).toBe(0);
    verifyVirtual(vmm, [parent, child]);
    vmm.exitMm(parent);
    // the child's mapping keeps the file and its pages
    expect(g(vmm, "nr_shmem")).toBe(4);
    expect(read(vmm, child, a + 12 * 4096, 1, 1)).toEqual([12]);
    verifyVirtual(vmm, [child]);
    vmm.exitMm(child);
    expect(g(vmm, "nr_shmem")).toBe(0);
    expect(g(vmm, "nr_file_pages")).toBe(0);
    expect(g(vmm, "nr_mapped")).toBe(0);
    expect(vmm.committedAs).toBe(0);
    expect(vmm.shmem!.inodes.filter((i) => i !== null)).toEqual([]);
    verifyVirtual(vmm, []);
    expect(freePagesNow(vmm)).toBe(free0); // every page back, tables and pgds too
  });

  it("a read fault maps the zeroed page writable (no write-notify for shmem); Rss and Shmem count it", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 4 * 4096, RW, SHARED_ANON, null, 0);
    expect(read(vmm, mm, a + 4096, 4)).toEqual([0, 0, 0, 0]);
    const faults = g(vmm, "pgfault");
    write(vmm, mm, a + 4096, [7]);
    expect(g(vmm, "pgfault") - faults).toBe(0);
    expect(g(vmm, "nr_shmem")).toBe(1);
    expect(mm.rssStat[MM_SHMEMPAGES]).toBe(1);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
  });

  it("maps shows /dev/zero (deleted) on 00:01 with its inode; smaps and status count RssShmem and Pss_Shmem", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 4 * 4096, RW, SHARED_ANON, null, 0);
    const b = sysMmap(vmm, mm, 0, 2 * 4096, RW, SHARED_ANON, null, 0);
    expect(a.toString(16)).toBe("7ffff7ffb000");
    // show_map_vma: the name at column 73; a second mapping is a second file (inode 2), never merged
    expect(showMapVma(mm.mmMt.findVma(a)!)).toBe("7ffff7ffb000-7ffff7fff000 rw-s 00000000 00:01 1                          /dev/zero (deleted)\n");
    expect(showMapVma(mm.mmMt.findVma(b)!)).toBe("7ffff7ff9000-7ffff7ffb000 rw-s 00000000 00:01 2                          /dev/zero (deleted)\n");
    write(vmm, mm, a, [1]);
    write(vmm, mm, a + 4096, [1]);
    const child = vmm.fork(mm)!;
    expect(read(vmm, child, a, 1, 1)).toEqual([1]);
    const smaps = showSmaps(vmm, mm, null).split("\n");
    const at = smaps.indexOf(showMapVma(mm.mmMt.findVma(a)!).trimEnd());
    expect(smaps.slice(at + 1, at + 13)).toEqual([
      "Size:                 16 kB",
      "KernelPageSize:        4 kB",
      "MMUPageSize:           4 kB",
      "Rss:                   8 kB",
      "Pss:                   4 kB",
      "Pss_Dirty:             4 kB",
      "Shared_Clean:          0 kB",
      "Shared_Dirty:          8 kB",
      "Private_Clean:         0 kB",
      "Private_Dirty:         0 kB",
      "Referenced:            8 kB",
      "Anonymous:             0 kB",
    ]);
    expect(showSmapsRollup(vmm, mm)).toContain("Pss_Anon:              0 kB\nPss_File:              0 kB\nPss_Shmem:             4 kB\n");
    const status = taskMem(mm, mmRss(mm));
    expect(status).toContain("VmRSS:\t       8 kB\nRssAnon:\t       0 kB\nRssFile:\t       0 kB\nRssShmem:\t       8 kB\n");
    // pagemap: present, a file page (not anonymous), mapped twice (not exclusive); the untouched page is a hole
    const pm = pagemapRead(vmm, mm, a, 3);
    expect(pm.map((e) => [(e & PM_PRESENT) !== 0n, (e & PM_FILE) !== 0n, (e & PM_MMAP_EXCLUSIVE) !== 0n])).toEqual([[true, true, false], [true, true, false], [false, false, false]]);
    // statm: size resident shared text lib data dt
    expect(taskStatm(mm, mmRss(mm))).toBe("6 2 2 0 0 0 0\n");
    verifyVirtual(vmm, [mm, child]);
    vmm.exitMm(child);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
  });

  it("munmap of part of the mapping keeps the file; the last VMA's munmap frees it and gives back Committed_AS", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 8 * 4096, RW, SHARED_ANON, null, 0);
    for (let k = 0; k < 8; k++) write(vmm, mm, a + k * 4096, [k + 1]);
    expect(sysMunmap(vmm, mm, a + 2 * 4096, 2 * 4096)).toBe(0);
    // two VMAs of one file: the pages of the hole stay in the file
    expect(g(vmm, "nr_shmem")).toBe(8);
    expect(mm.rssStat[MM_SHMEMPAGES]).toBe(6);
    expect(vmm.committedAs).toBe(8);
    verifyVirtual(vmm, [mm]);
    expect(sysMunmap(vmm, mm, a, 2 * 4096)).toBe(0);
    expect(g(vmm, "nr_shmem")).toBe(8);
    expect(sysMunmap(vmm, mm, a + 4 * 4096, 4 * 4096)).toBe(0);
    expect(g(vmm, "nr_shmem")).toBe(0);
    expect(vmm.committedAs).toBe(0);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
  });

  it("MAP_NORESERVE charges Committed_AS per page touched (shmem_acct_blocks); mremap past the object is SIGBUS", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 4 * 4096, RW, SHARED_ANON | MAP_NORESERVE, null, 0);
    expect(vmm.committedAs).toBe(0);
    write(vmm, mm, a, [1]);
    write(vmm, mm, a + 3 * 4096, [1]);
    expect(vmm.committedAs).toBe(2);
    verifyVirtual(vmm, [mm]);
    // the object keeps its size: a fault beyond it (after growing the VMA) is SIGBUS
    const b = doMremap(vmm, mm, a, 4 * 4096, 8 * 4096, 1, 0);
    expect(b).toBeGreaterThan(0);
    const out = new Uint8Array(1);
    expect(vmm.load(mm, vmm.cpus[0]!, b + 5 * 4096, out)?.signo).toBe(SIGBUS);
    expect(read(vmm, mm, b + 3 * 4096, 1)).toEqual([1]);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    expect(vmm.committedAs).toBe(0);
    verifyVirtual(vmm, []);
  });

  it("mprotect back to writable maps shmem pages writable at once (no write-notify); MADV_DONTNEED drops the PTEs, not the data", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 2 * 4096, RW, SHARED_ANON, null, 0);
    write(vmm, mm, a, [3]);
    expect(read(vmm, mm, a + 4096, 1)).toEqual([0]);
    expect(doMprotect(vmm, mm, a, 2 * 4096, PROT_READ)).toBe(0);
    expect(doMprotect(vmm, mm, a, 2 * 4096, RW)).toBe(0);
    const faults = g(vmm, "pgfault");
    // change_pte_range gives both PTEs vm_page_prot's write bit back: neither store faults
    write(vmm, mm, a, [4]);
    write(vmm, mm, a + 4096, [5]);
    expect(g(vmm, "pgfault") - faults).toBe(0);
    expect(doMadvise(vmm, mm, a, 2 * 4096, MADV_DONTNEED)).toBe(0);
    expect(mm.rssStat[MM_SHMEMPAGES]).toBe(0);
    expect(g(vmm, "nr_shmem")).toBe(2);
    expect(read(vmm, mm, a, 1)).toEqual([4]);
    expect(read(vmm, mm, a + 4096, 1)).toEqual([5]);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
  });

  it("a MAP_PRIVATE anonymous mapping stays anonymous (no shmem file)", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 4096, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    write(vmm, mm, a, [1]);
    expect(mm.mmMt.findVma(a)!.vmFile).toBeNull();
    expect(g(vmm, "nr_shmem")).toBe(0);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(1);
    vmm.exitMm(mm);
  });
});
