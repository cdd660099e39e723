// mmap of mmfs files: do_read_fault with fault-around, do_cow_fault, do_shared_fault and
// wp_page_shared (mm/memory.c), filemap_map_pages (mm/filemap.c), the counters (Mapped,
// RssFile), truncate's unmap_mapping_range, SIGBUS past EOF, munmap dropping the mappings.
import { describe, expect, it } from "vitest";
import { PG_dirty } from "@mmsim/physical";
import { bootFs, counter, type FsMachine } from "./fs-testing";
import { O_CREAT, O_RDONLY, O_RDWR } from "./file-table";
import { sysClose, sysFsync, sysFtruncate, sysOpen, sysPread64 as sysPread, sysWrite } from "./read-write";
import { dropPagecache } from "./truncate";
import { fileVmFile } from "./file-mmap";
import { verifyFileSystem } from "./verify-file";
import { MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from "../mm-flags";
import { sysMmap, sysMunmap } from "../syscalls";
import { doMprotect } from "../mprotect";
import { MM_ANONPAGES, MM_FILEPAGES } from "../memory";
import { SIGBUS } from "../fault";
import { rmapWalkFile } from "../rmap";
import { verifyVirtual } from "../verify";

/** A file "data" of `pages` pages, page k filled with byte k + 1, written back; open with flags. */
function makeFile(m: FsMachine, pages: number, flags: number, drop = false): number {
  const fd = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
  for (let k = 0; k < pages; k++) m.vmm.memset(m.mm, m.cpu, m.buf + k * 4096, k + 1, 4096);
  expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, pages * 4096)).toBe(pages * 4096);
  sysFsync(m.fs, m.files, fd);
  sysClose(m.fs, m.files, fd);
  if (drop) dropPagecache(m.fs);
  return sysOpen(m.fs, m.files, "data", flags);
}

/** The mapping at the hint HINT (the fault-around window is aligned on virtual addresses). */
function mmapFd(m: FsMachine, fd: number, len: number, prot: number, flags: number, off = 0): number {
  const a = sysMmap(m.vmm, m.mm, HINT, len, prot, flags, fileVmFile(m.fs, m.files.get(fd)!), off);
  expect(a).toBe(HINT);
  return a;
}
const HINT = 0x10000000;

function byteAt(m: FsMachine, addr: number): number {
  const b = new Uint8Array(1);
  expect(m.vmm.load(m.mm, m.cpu, addr, b)).toBeNull();
  return b[0]!;
}

function check(m: FsMachine): void {
  verifyFileSystem(m.fs);
  verifyVirtual(m.vmm, [m.mm]);
}

describe("file mappings", () => {
  it("a read fault maps the cached 64 KiB fault-around window (16 PTEs, Mapped 16, RssFile 16), one pgfault", () => {
    const m = bootFs();
    const fd = makeFile(m, 64, O_RDONLY);
    const a = mmapFd(m, fd, 64 * 4096, PROT_READ, MAP_SHARED);
    const faults = counter(m, "pgfault");
    // page 21: the window is PTEs 16..31 of the table (fault_around_bytes 65536 = 16 pages, aligned)
    expect(byteAt(m, a + 21 * 4096 + 7)).toBe(22);
    expect(counter(m, "pgfault") - faults).toBe(1);
    expect(counter(m, "nr_mapped")).toBe(16);
    expect(m.mm.rssStat[MM_FILEPAGES]).toBe(16);
    expect(byteAt(m, a + 16 * 4096)).toBe(17);
    expect(byteAt(m, a + 31 * 4096)).toBe(32);
    expect(counter(m, "pgfault") - faults).toBe(1);
    // the file rmap finds the one VMA mapping page 20
    const pfn = m.fs.names.get("data")!.pages.load(20);
    const seen: number[] = [];
    expect(rmapWalkFile(m.vmm, m.fs.names.get("data")!.iMmap, 20, pfn, (_v, addr) => seen.push(addr))).toBe(1);
    expect(seen).toEqual([a + 20 * 4096]);
    expect(m.vmm.pages.refcount[m.vmm.pages.idx(pfn)]).toBe(2);
    check(m);
    expect(sysMunmap(m.vmm, m.mm, a, 64 * 4096)).toBe(0);
    expect(counter(m, "nr_mapped")).toBe(0);
    expect(m.mm.rssStat[MM_FILEPAGES]).toBe(0);
    expect(m.vmm.pages.refcount[m.vmm.pages.idx(pfn)]).toBe(1);
    check(m);
  });

  it("fault_around_bytes 4096 maps one page; a miss is a major fault that reads from disk", () => {
    const m = bootFs();
    m.fs.faultAroundBytes = 4096;
    const fd = makeFile(m, 8, O_RDONLY, true);
    const a = mmapFd(m, fd, 8 * 4096, PROT_READ, MAP_PRIVATE);
    const maj = counter(m, "pgmajfault");
    expect(byteAt(m, a + 3 * 4096)).toBe(4);
    expect(counter(m, "pgmajfault") - maj).toBe(1);
    expect(counter(m, "nr_mapped")).toBe(1);
    check(m);
  });

  it("MAP_PRIVATE: a write copies the page into an anonymous page; the file and the cache stay as they were", () => {
    const m = bootFs();
    const fd = makeFile(m, 4, O_RDONLY);
    const a = mmapFd(m, fd, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    const anon = m.mm.rssStat[MM_ANONPAGES];
    // a read first (file PTE, read-only), then a write (wp_page_copy of a page-cache page)
    expect(byteAt(m, a + 4096)).toBe(2);
    expect(m.vmm.memset(m.mm, m.cpu, a + 4096, 0xee, 1)).toBeNull();
    // a write to a page never read (do_cow_fault)
    expect(m.vmm.memset(m.mm, m.cpu, a + 2 * 4096 + 5, 0xdd, 1)).toBeNull();
    expect(byteAt(m, a + 4096)).toBe(0xee);
    expect(byteAt(m, a + 4096 + 1)).toBe(2);
    expect(byteAt(m, a + 2 * 4096 + 5)).toBe(0xdd);
    expect(byteAt(m, a + 2 * 4096 + 6)).toBe(3);
    expect(m.mm.rssStat[MM_ANONPAGES] - anon).toBe(2); // the two copies
    expect(m.mm.rssStat[MM_FILEPAGES]).toBe(2); // pages 0 and 3 of the fault-around window
    expect(counter(m, "nr_mapped")).toBe(2);
    expect(counter(m, "nr_dirty")).toBe(0);
    const rd = sysOpen(m.fs, m.files, "data", O_RDONLY);
    expect(sysPread(m.fs, m.files, rd, m.mm, m.cpu, m.buf, 4096 * 4, 0)).toBe(4096 * 4);
    expect(byteAt(m, m.buf + 4096)).toBe(2);
    expect(byteAt(m, m.buf + 2 * 4096 + 5)).toBe(3);
    check(m);
  });

  it("MAP_SHARED: a write dirties the page-cache page and read() sees it; write() is seen through the mapping", () => {
    const m = bootFs();
    const fd = makeFile(m, 4, O_RDWR);
    const a = mmapFd(m, fd, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
    expect(byteAt(m, a)).toBe(1); // read fault: mapped clean and read-only (write notify)
    expect(counter(m, "nr_dirty")).toBe(0);
    expect(m.vmm.memset(m.mm, m.cpu, a + 10, 0x77, 1)).toBeNull(); // wp_page_shared
    const inode = m.fs.names.get("data")!;
    const pfn0 = inode.pages.load(0);
    expect(m.vmm.pages.flags[m.vmm.pages.idx(pfn0)]! & (1 << PG_dirty)).not.toBe(0);
    expect(counter(m, "nr_dirty")).toBe(1);
    expect(m.vmm.memset(m.mm, m.cpu, a + 2 * 4096, 0x66, 1)).toBeNull(); // already mapped by fault-around
    expect(counter(m, "nr_dirty")).toBe(2);
    const rd = sysOpen(m.fs, m.files, "data", O_RDONLY);
    expect(sysPread(m.fs, m.files, rd, m.mm, m.cpu, m.buf, 3 * 4096, 0)).toBe(3 * 4096);
    expect(byteAt(m, m.buf + 10)).toBe(0x77);
    expect(byteAt(m, m.buf + 2 * 4096)).toBe(0x66);
    m.vmm.memset(m.mm, m.cpu, m.buf, 0x55, 1);
    const wr = sysOpen(m.fs, m.files, "data", O_RDWR);
    expect(sysWrite(m.fs, m.files, wr, m.mm, m.cpu, m.buf, 1)).toBe(1);
    expect(byteAt(m, a)).toBe(0x55);
    // after fsync the data is on disk: dropped from the cache once unmapped, it reads back
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect(sysMunmap(m.vmm, m.mm, a, 4 * 4096)).toBe(0);
    dropPagecache(m.fs);
    expect(inode.pages.size).toBe(0);
    expect(sysPread(m.fs, m.files, rd, m.mm, m.cpu, m.buf, 4096, 0)).toBe(4096);
    expect(byteAt(m, m.buf + 10)).toBe(0x77);
    check(m);
  });

  it("drop_caches keeps mapped pages; truncate unmaps them first; an access past EOF is SIGBUS", () => {
    const m = bootFs();
    const fd = makeFile(m, 8, O_RDWR);
    const a = mmapFd(m, fd, 8 * 4096, PROT_READ, MAP_SHARED);
    expect(byteAt(m, a + 5 * 4096)).toBe(6);
    dropPagecache(m.fs);
    const inode = m.fs.names.get("data")!;
    expect(inode.pages.size).toBe(8); // all eight were mapped by fault-around
    expect(sysFtruncate(m.fs, m.files, fd, 2 * 4096)).toBe(0);
    expect(counter(m, "nr_mapped")).toBe(2);
    expect(m.mm.rssStat[MM_FILEPAGES]).toBe(2);
    expect(byteAt(m, a + 4096)).toBe(2);
    const b = new Uint8Array(1);
    const sig = m.vmm.load(m.mm, m.cpu, a + 5 * 4096, b);
    expect(sig?.signo).toBe(SIGBUS);
    check(m);
  });

  it("the file offset: mmap at pgoff 3 maps page 3 at the start", () => {
    const m = bootFs();
    const fd = makeFile(m, 8, O_RDONLY);
    const a = mmapFd(m, fd, 2 * 4096, PROT_READ, MAP_SHARED, 3 * 4096);
    expect(byteAt(m, a)).toBe(4);
    expect(byteAt(m, a + 4096)).toBe(5);
    expect(counter(m, "nr_mapped")).toBe(2); // the window clamped to the VMA
    check(m);
  });

  it("fork: the child sees the shared mapping's writes and its parent's private copy; exit drops every mapping", () => {
    const m = bootFs();
    const fd = makeFile(m, 4, O_RDWR);
    const sh = mmapFd(m, fd, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
    const pr = sysMmap(m.vmm, m.mm, 0x20000000, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fileVmFile(m.fs, m.files.get(fd)!), 0);
    expect(byteAt(m, pr)).toBe(1); // file PTEs in the private VMA
    expect(m.vmm.memset(m.mm, m.cpu, pr + 4096, 0x42, 1)).toBeNull(); // a private copy (the VMA gets an anon_vma)
    const child = m.vmm.fork(m.mm)!;
    verifyVirtual(m.vmm, [m.mm, child]);
    // copy_page_range copied the private VMA's PTEs: its file pages are mapped twice now
    const inode = m.fs.names.get("data")!;
    const p0 = inode.pages.load(0);
    expect(m.vmm.pages.mapcount[m.vmm.pages.idx(p0)]! + 1).toBe(2);
    expect(child.rssStat[MM_FILEPAGES]).toBe(3);
    expect(m.vmm.memset(m.mm, m.cpu, sh + 8, 0x99, 1)).toBeNull();
    const b = new Uint8Array(1);
    expect(m.vmm.load(child, m.cpu, sh + 8, b)).toBeNull();
    expect(b[0]).toBe(0x99);
    expect(m.vmm.load(child, m.cpu, pr + 4096, b)).toBeNull();
    expect(b[0]).toBe(0x42);
    verifyVirtual(m.vmm, [m.mm, child]);
    m.vmm.exitMm(child);
    verifyVirtual(m.vmm, [m.mm]);
    expect(counter(m, "nr_mapped")).toBe(3); // pages 0, 2, 3 (private, fault-around) and 0 (shared write, no fault-around)
    check(m);
  });

  it("mprotect to writable keeps a shared file mapping's clean PTEs read-only (write notify): the next write still dirties", () => {
    const m = bootFs();
    const fd = makeFile(m, 2, O_RDWR);
    const a = mmapFd(m, fd, 2 * 4096, PROT_READ, MAP_SHARED);
    expect(byteAt(m, a)).toBe(1);
    expect(doMprotect(m.vmm, m.mm, a, 2 * 4096, PROT_READ | PROT_WRITE)).toBe(0);
    expect(counter(m, "nr_dirty")).toBe(0);
    expect(m.vmm.memset(m.mm, m.cpu, a + 4096, 0x31, 1)).toBeNull();
    expect(counter(m, "nr_dirty")).toBe(1);
    check(m);
  });
});
