// filemap_fault: mmap read-around and asynchronous read-ahead on PG_readahead, major and minor
// faults, SIGBUS past EOF (mm/filemap.c).
import { describe, expect, it } from "vitest";
import { PG_readahead } from "@mmsim/physical";
import { bootFs, type FsMachine } from "./fs-testing";
import { O_CREAT, O_RDONLY, O_RDWR } from "./file-table";
import { sysClose, sysFsync, sysOpen, sysWrite } from "./read-write";
import { dropPagecache } from "./truncate";
import { filemapFault } from "./filemap-fault";
import { VM_FAULT_MAJOR, VM_FAULT_SIGBUS } from "../memory";
import { VM_RAND_READ, VM_READ } from "../mm-flags";

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
