// filemap_fault: mmap read-around and asynchronous read-ahead on PG_readahead, major and minor
// faults, SIGBUS past EOF (mm/filemap.c); the same through the fault path of a mapping, with
// madvise(MADV_SEQUENTIAL / MADV_RANDOM), filemap_map_pages' read-ahead hits and MMAP_LOTSAMISS.
import { describe, expect, it } from "vitest";
import { PG_readahead } from "@mmsim/physical";
import { bootFs, type FsMachine } from "./fs-testing";
import { O_CREAT, O_RDONLY, O_RDWR } from "./file-table";
import { sysClose, sysFsync, sysFtruncate, sysOpen, sysWrite } from "./read-write";
import { runUntil } from "./page-writeback";
import { dropPagecache } from "./truncate";
import { filemapFault } from "./filemap-fault";
import { VM_FAULT_MAJOR, VM_FAULT_SIGBUS } from "../memory";
import { MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MAP_SHARED, PROT_READ, VM_RAND_READ, VM_READ } from "../mm-flags";
import { fileVmFile } from "./file-mmap";
import { sysMmap } from "../syscalls";
import { doMadvise } from "../madvise";
import { counter } from "./fs-testing";
import { verifyVirtual } from "../verify";
import { verifyFileSystem } from "./verify-file";

function fileOnDisk(m: FsMachine, pages: number): number {
  const fd = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
  m.vmm.memset(m.mm, m.cpu, m.buf, 0x5a, pages * 4096);
  sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, pages * 4096);
  sysFsync(m.fs, m.files, fd);
  sysClose(m.fs, m.files, fd);
  dropPagecache(m.fs);
  return sysOpen(m.fs, m.files, "data", O_RDONLY);
}

function cached(m: FsMachine): { first: number; last: number; count: number; marked: number[] } {
  const e = m.fs.names.get("data")!.pages.entries();
  const marked = e.filter(([, pfn]) => (m.vmm.pages.flags[m.vmm.pages.idx(pfn)]! & (1 << PG_readahead)) !== 0).map(([i]) => i);
  return { first: e[0]![0], last: e[e.length - 1]![0], count: e.length, marked };
}

describe("filemap_fault", () => {
  it("a miss reads around the fault (ra_pages centred, async ra_pages / 4) and is major; a hit is minor", () => {
    const m = bootFs();
    const file = m.files.get(fileOnDisk(m, 256))!;
    expect(filemapFault(m.fs, file, 100, VM_READ)).toBe(VM_FAULT_MAJOR);
    // start = 100 - 16, size 32, async 8: pages 84..115, PG_readahead on 84 + 32 - 8
    expect([file.ra.start, file.ra.size, file.ra.asyncSize]).toEqual([84, 32, 8]);
    expect(cached(m)).toEqual({ first: 84, last: 115, count: 32, marked: [108] });
    const pfn = m.fs.faultPfn;
    expect(m.vmm.pages.refcount[m.vmm.pages.idx(pfn)]).toBe(2); // the cache's and the mapping's
    expect(filemapFault(m.fs, file, 101, VM_READ)).toBe(0);
    // the marked page: the window moves on (do_async_mmap_readahead -> page_cache_async_ra)
    expect(filemapFault(m.fs, file, 108, VM_READ)).toBe(0);
    expect([file.ra.start, file.ra.size, file.ra.asyncSize]).toEqual([116, 32, 32]);
    expect(cached(m)).toEqual({ first: 84, last: 147, count: 64, marked: [116] });
    expect(file.ra.mmapMiss).toBe(0);
  });

  it("VM_RAND_READ reads only the faulting page; past EOF is SIGBUS", () => {
    const m = bootFs();
    const file = m.files.get(fileOnDisk(m, 8))!;
    expect(filemapFault(m.fs, file, 5, VM_READ | VM_RAND_READ)).toBe(VM_FAULT_MAJOR);
    expect(cached(m)).toEqual({ first: 5, last: 5, count: 1, marked: [] });
    expect(filemapFault(m.fs, file, 8, VM_READ)).toBe(VM_FAULT_SIGBUS);
    expect(m.fs.faultPfn).toBe(-1);
  });
});

/** The file of `pages` pages on disk, mapped shared read-only at HINT (2 MiB aligned: PTE index = page). */
function mapFile(m: FsMachine, pages: number): number {
  const fd = fileOnDisk(m, pages);
  expect(sysMmap(m.vmm, m.mm, HINT, pages * 4096, PROT_READ, MAP_SHARED, fileVmFile(m.fs, m.files.get(fd)!), 0)).toBe(HINT);
  return fd;
}
const HINT = 0x40000000;

function touch(m: FsMachine, page: number): void {
  expect(m.vmm.load(m.mm, m.cpu, HINT + page * 4096, new Uint8Array(1))).toBeNull();
}

describe("read-ahead on mmap faults (do_sync_mmap_readahead, do_async_mmap_readahead)", () => {
  it("a miss reads around the fault; the next fault maps the cached window and counts its pages as hits (mmap_miss 1 -> 0)", () => {
    const m = bootFs();
    const file = m.files.get(mapFile(m, 256))!;
    const maj = counter(m, "pgmajfault");
    touch(m, 100);
    expect(counter(m, "pgmajfault") - maj).toBe(1);
    // read-around: ra_pages 32 from 100 - 16, async_size 8: PG_readahead on 84 + 32 - 8 = 108
    expect([file.ra.start, file.ra.size, file.ra.asyncSize, file.ra.mmapMiss]).toEqual([84, 32, 8, 1]);
    expect(cached(m)).toEqual({ first: 84, last: 115, count: 32, marked: [108] });
    expect(counter(m, "nr_mapped")).toBe(1); // fault-around found nothing cached before the read
    // the fault waited for pages 84..100 (the disk is FIFO); let the rest of the window arrive
    m.clock.ns += 1e9;
    runUntil(m.fs, m.clock.ns);
    // page 101: fault-around over PTEs 96..111 maps every cached page but the marker (108);
    // 15 pages pass next_uptodate_folio (100 is mapped already, and counts): mmap_miss 1 - 15 -> 0
    touch(m, 101);
    expect(counter(m, "nr_mapped")).toBe(15);
    expect(file.ra.mmapMiss).toBe(0);
    expect(counter(m, "pgmajfault") - maj).toBe(1);
    // the marker faults (fault-around skipped it): do_async_mmap_readahead moves the window on
    touch(m, 108);
    expect([file.ra.start, file.ra.size, file.ra.asyncSize]).toEqual([116, 32, 32]);
    expect(cached(m)).toEqual({ first: 84, last: 147, count: 64, marked: [116] });
    verifyFileSystem(m.fs);
    verifyVirtual(m.vmm, [m.mm]);
  });

  it("MMAP_LOTSAMISS: after 100 misses more than hits, a miss reads only its page", () => {
    const m = bootFs({}, 64);
    m.fs.faultAroundBytes = 4096; // no fault-around: no hits from filemap_map_pages
    // a sparse file: holes read as zeros without I/O, through the same read-ahead
    const fd = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
    expect(sysFtruncate(m.fs, m.files, fd, 102 * 64 * 4096)).toBe(0);
    expect(sysMmap(m.vmm, m.mm, HINT, 102 * 64 * 4096, PROT_READ, MAP_SHARED, fileVmFile(m.fs, m.files.get(fd)!), 0)).toBe(HINT);
    const file = m.files.get(fd)!;
    // 101 faults 64 pages apart: each misses; read-around windows [64k + 16, 64k + 48) do not meet
    for (let k = 0; k <= 100; k++) touch(m, 64 * k + 32);
    expect(file.ra.mmapMiss).toBe(101);
    // the first 100 read around (32 pages each); the 101st (mmap_miss 101 > 100) only its page
    expect(cached(m).count).toBe(100 * 32 + 1);
    expect(m.fs.names.get("data")!.pages.load(64 * 100 + 31)).toBe(-1);
    // a hit (the page is cached, its PTE empty) takes one miss back (do_async_mmap_readahead)
    touch(m, 33);
    expect(file.ra.mmapMiss).toBe(100);
    // mmap_miss 100 is not above MMAP_LOTSAMISS, but the miss raises it to 101 first: its page only
    touch(m, 64 * 101 + 32);
    expect(file.ra.mmapMiss).toBe(101);
    expect(cached(m).count).toBe(100 * 32 + 2);
  });

  it("MADV_SEQUENTIAL: a miss is page_cache_sync_ra of ra_pages (a standalone read of 32 pages, no marker, mmap_miss untouched)", () => {
    const m = bootFs();
    const file = m.files.get(mapFile(m, 256))!;
    expect(doMadvise(m.vmm, m.mm, HINT, 256 * 4096, MADV_SEQUENTIAL)).toBe(0);
    touch(m, 100);
    expect(cached(m)).toEqual({ first: 100, last: 131, count: 32, marked: [] });
    expect([file.ra.start, file.ra.size, file.ra.mmapMiss]).toEqual([0, 0, 0]);
    // at the start of the file the window opens at get_init_ra_size(32, 32) = 32 with async 16
    touch(m, 0);
    expect([file.ra.start, file.ra.size, file.ra.asyncSize]).toEqual([0, 32, 16]);
    expect(cached(m).marked).toEqual([16]);
  });

  it("MADV_WILLNEED: force_page_cache_readahead of the range, at most max(io_pages, ra_pages) = 32 pages, nothing mapped", () => {
    const m = bootFs();
    mapFile(m, 256);
    const maj = counter(m, "pgmajfault");
    // the whole 1 MiB mapping: only its first 32 pages are read (force_page_cache_ra's cap), no marker
    expect(doMadvise(m.vmm, m.mm, HINT, 256 * 4096, MADV_WILLNEED)).toBe(0);
    expect(cached(m)).toEqual({ first: 0, last: 31, count: 32, marked: [] });
    // 8 pages from page 100 (file offset 100 << 12): exactly those
    expect(doMadvise(m.vmm, m.mm, HINT + 100 * 4096, 8 * 4096, MADV_WILLNEED)).toBe(0);
    expect(cached(m)).toEqual({ first: 0, last: 107, count: 40, marked: [] });
    expect(m.fs.names.get("data")!.pages.load(99)).toBe(-1);
    expect([counter(m, "nr_mapped"), counter(m, "pgmajfault") - maj]).toEqual([0, 0]);
    // the pages arrive in the background; a fault there is then minor
    m.clock.ns += 1e9;
    runUntil(m.fs, m.clock.ns);
    touch(m, 104);
    expect(counter(m, "pgmajfault") - maj).toBe(0);
    verifyFileSystem(m.fs);
  });

  it("MADV_RANDOM: a miss reads only the faulting page, and hits leave mmap_miss alone", () => {
    const m = bootFs();
    const file = m.files.get(mapFile(m, 256))!;
    expect(doMadvise(m.vmm, m.mm, HINT, 256 * 4096, MADV_RANDOM)).toBe(0);
    touch(m, 100);
    touch(m, 7);
    expect(cached(m)).toEqual({ first: 7, last: 100, count: 2, marked: [] });
    expect(file.ra.mmapMiss).toBe(0);
  });
});
