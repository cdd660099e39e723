// Read-ahead windows as mm/readahead.c sizes them, with the 128 KiB default (ra_pages 32).
import { describe, expect, it } from "vitest";
import { PG_readahead } from "@mmsim/physical";
import { bootFs, counter, type FsMachine } from "./fs-testing";
import { O_CREAT, O_RDONLY, O_RDWR } from "./file-table";
import { SEEK_SET, sysClose, sysFsync, sysLseek, sysOpen, sysPread64, sysPwrite64, sysRead, sysWrite } from "./read-write";
import { dropPagecache } from "./truncate";
import { getInitRaSize, getNextRaSize } from "./readahead";
import { VM_READAHEAD_PAGES } from "./fs";

/** A file of `pages` pages on disk (written, fsynced, then dropped from the cache); returns an O_RDONLY fd. */
function fileOnDisk(m: FsMachine, pages: number): number {
  const fd = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
  m.vmm.memset(m.mm, m.cpu, m.buf, 0x5a, pages * 4096);
  expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, pages * 4096)).toBe(pages * 4096);
  expect(sysFsync(m.fs, m.files, fd)).toBe(0);
  sysClose(m.fs, m.files, fd);
  dropPagecache(m.fs);
  return sysOpen(m.fs, m.files, "data", O_RDONLY);
}

/** The cached page indices of the file and the one marked PG_readahead. */
function cacheState(m: FsMachine) {
  const inode = m.fs.names.get("data")!;
  const idx = inode.pages.entries().map(([i]) => i);
  const marked = inode.pages.entries().filter(([, pfn]) => (m.vmm.pages.flags[m.vmm.pages.idx(pfn)]! & (1 << PG_readahead)) !== 0).map(([i]) => i);
  return { count: idx.length, first: idx[0], last: idx[idx.length - 1], marked };
}

describe("read-ahead window sizes (mm/readahead.c)", () => {
  it("get_init_ra_size with max 32: 1-2 pages -> 4, 3-4 -> 8, 5-8 -> 16, more -> 32", () => {
    // readahead.c's comment on get_init_ra_size: "for 128k (32 page) max ra
    // 1-2 page = 16k, 3-4 page 32k, 5-8 page = 64k, > 8 page = 128k initial"
    expect([1, 2, 3, 4, 5, 8, 9, 32, 64].map((n) => getInitRaSize(n, VM_READAHEAD_PAGES))).toEqual([4, 4, 8, 8, 16, 16, 32, 32, 32]);
  });

  it("get_next_ra_size with max 32: x4 below 2, x2 up to 16, then 32", () => {
    expect([1, 2, 4, 8, 16, 17, 32].map((n) => getNextRaSize(n, VM_READAHEAD_PAGES))).toEqual([4, 4, 8, 16, 32, 32, 32]);
  });

  it("a sequential 4 KiB reader: windows (start,size,async) 0/4/3, 4/8/8, 12/16/16, 28/32/32, 60/32/32", () => {
    const m = bootFs();
    const fd = fileOnDisk(m, 256);
    const file = m.files.get(fd)!;
    const seen: string[] = [];
    let last = "";
    for (let i = 0; i < 64; i++) {
      expect(sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096)).toBe(4096);
      const w = `${file.ra.start}/${file.ra.size}/${file.ra.asyncSize}`;
      if (w !== last) seen.push(`read ${i}: ${w}`);
      last = w;
    }
    // read 0 misses (sync: 4 pages, PG_readahead on page 1); read 1 hits the marker (async:
    // 4 + 8 pages); the marker then sits on the first page of each new window
    expect(seen).toEqual(["read 0: 0/4/3", "read 1: 4/8/8", "read 4: 12/16/16", "read 12: 28/32/32", "read 28: 60/32/32", "read 60: 92/32/32"]);
    expect(cacheState(m)).toEqual({ count: 124, first: 0, last: 123, marked: [92] });
    // every page came in by DMA: 124 pages = 496 KiB of pgpgin
    expect(counter(m, "pgpgin")).toBe(496);
  });

  it("small random reads read just the page asked for and leave the window alone", () => {
    const m = bootFs();
    const fd = fileOnDisk(m, 256);
    const file = m.files.get(fd)!;
    const before = counter(m, "pgpgin");
    for (const page of [100, 50, 200, 7]) {
      expect(sysLseek(m.fs, m.files, fd, page * 4096, SEEK_SET)).toBe(page * 4096);
      expect(sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096)).toBe(4096);
    }
    expect(cacheState(m)).toEqual({ count: 4, first: 7, last: 200, marked: [] });
    expect([file.ra.start, file.ra.size, file.ra.asyncSize]).toEqual([0, 0, 0]);
    expect(counter(m, "pgpgin") - before).toBe(16);
  });

  it("a miss right after the previous read's page is sequential: a 16 KiB read at page 10 after one at page 9 opens an 8-page window", () => {
    const m = bootFs();
    const fd = fileOnDisk(m, 256);
    const file = m.files.get(fd)!;
    sysLseek(m.fs, m.files, fd, 9 * 4096, SEEK_SET);
    sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096); // random: page 9 alone, prev_pos = 40960
    expect(sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 16384)).toBe(16384);
    // index 10 - prev index 10 (prev_pos 40960 >> 12) = 0: get_init_ra_size(4, 32) = 8, async 8 - 4
    expect([file.ra.start, file.ra.size, file.ra.asyncSize]).toEqual([10, 8, 4]);
    expect(cacheState(m).marked).toEqual([14]);
  });

  it("reads stop at EOF: a 3-page file gets a 3-page window read", () => {
    const m = bootFs();
    const fd = fileOnDisk(m, 3);
    expect(sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 65536)).toBe(3 * 4096);
    expect(sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 65536)).toBe(0);
    expect(cacheState(m).count).toBe(3);
  });

  it("a miss after a file cached from its start: the history counts double (miss == ULONG_MAX), async_size 1", () => {
    const m = bootFs();
    const w = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
    m.vmm.memset(m.mm, m.cpu, m.buf, 1, 10 * 4096);
    sysWrite(m.fs, m.files, w, m.mm, m.cpu, m.buf, 10 * 4096); // pages 0-9 cached
    sysPwrite64(m.fs, m.files, w, m.mm, m.cpu, m.buf, 4096, 255 * 4096); // a 256-page file, holes between
    const fd = sysOpen(m.fs, m.files, "data", O_RDONLY);
    const file = m.files.get(fd)!;
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096, 10 * 4096)).toBe(4096);
    // page_cache_prev_miss(9, 32) walks 9..0 and wraps: contig 10, doubled to 20; size min(20 + 1, 32)
    expect([file.ra.start, file.ra.size, file.ra.asyncSize]).toEqual([10, 21, 1]);
    expect(cacheState(m)).toEqual({ count: 32, first: 0, last: 255, marked: [30] });
  });

  it("interleaved streams: a marked folio without matching state sizes the window from the cached run after it", () => {
    const m = bootFs();
    const a = fileOnDisk(m, 256);
    sysRead(m.fs, m.files, a, m.mm, m.cpu, m.buf, 4096);
    sysRead(m.fs, m.files, a, m.mm, m.cpu, m.buf, 4096); // A's windows: 0/4/3 then 4/8/8, marker on 4
    const b = sysOpen(m.fs, m.files, "data", O_RDONLY);
    const rb = m.files.get(b)!.ra;
    expect(sysPread64(m.fs, m.files, b, m.mm, m.cpu, m.buf, 4096, 4 * 4096)).toBe(4096);
    // next miss after 4 is 12: size get_next_ra_size(12 - 4 + 1) = 18, end 30 rounded down to 4 -> 28
    expect([rb.start, rb.size, rb.asyncSize]).toEqual([12, 16, 16]);
    expect(cacheState(m)).toEqual({ count: 28, first: 0, last: 27, marked: [12] });
  });
});

