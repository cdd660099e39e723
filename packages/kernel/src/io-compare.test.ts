// Seed 001's comparison on the simulated machine: each method's counters derived from the
// arithmetic of its program (64 KiB in 4 KiB chunks), cold and warm, and the option checks.
import { describe, expect, it } from "vitest";
import { Kernel } from "./kernel";
import { COPY_METHODS, checkCopyOptions, compareCopyMethods, formatCopyTable, runCopyMethod, type CopyRun } from "./io-compare";

const KiB = 1024;
const boot = () => Kernel.boot({ ram: 1024 * 1024 * 1024 });
/** The counted columns of a run, in the table's order. */
const counts = (r: CopyRun) => [r.syscalls, r.modeSwitches, r.cpuCopies, r.cpuCopyBytes, r.dmaCopies - r.netDmaCopies, r.netDmaCopies, r.pageFaults];

describe("seed 001: a 64 KiB file sent to a socket in 4 KiB chunks", () => {
  it("cold cache: the counters of each method, from the arithmetic of its program", () => {
    const [rw, mm, sf] = compareCopyMethods(boot, { size: 64 * KiB, chunk: 4 * KiB });
    // read()+write(): open + 16 reads + 16 writes + close = 34 calls, 2 switches each; 2 CPU
    // copies a chunk (page cache -> buffer, buffer -> socket); DMA: the disk's 3 read-ahead
    // requests (windows of 4, 8 and 16 pages: mm/readahead.c) and one skb a write (4096 bytes
    // < size_goal 65160); one fault: the buffer's first touch by read()'s copy_to_user
    expect(counts(rw!)).toEqual([34, 68, 32, 128 * KiB, 3, 16, 1]);
    // mmap()+write(): open, mmap, 16 writes, munmap, close = 20 calls; one CPU copy a chunk
    // (mapping -> socket); DMA: filemap_fault's read-around asks for the whole file at once (one
    // request of 16 pages); 16 faults: the SSD completes a page every 70 µs in order, so each
    // page is still being read when the copy reaches it and fault-around finds it locked
    expect(counts(mm!)).toEqual([20, 40, 16, 64 * KiB, 1, 16, 16]);
    // sendfile(): open + 16 sendfiles + close = 18 calls; no CPU copy (MSG_SPLICE_PAGES on a
    // scatter-gather NIC); the same read-ahead as read(); no fault: no user memory is touched
    expect(counts(sf!)).toEqual([18, 36, 0, 0, 3, 16, 0]);
    for (const r of [rw!, mm!, sf!]) {
      expect(r.wireBytes).toBe(64 * KiB);
      expect(r.wireMatches).toBe(true);
      // the disk dominates: 16 pages at 70 µs each, one after the other
      expect(r.programNs).toBeGreaterThan(16 * 70_000);
    }
  });

  it("warm cache: no disk DMA; mmap faults once (fault-around maps the 16 cached pages); the program's time is its CPU work", () => {
    const [rw, mm, sf] = compareCopyMethods(boot, { size: 64 * KiB, chunk: 4 * KiB, warm: true });
    expect(counts(rw!)).toEqual([34, 68, 32, 128 * KiB, 0, 16, 1]);
    expect(counts(mm!)).toEqual([20, 40, 16, 64 * KiB, 0, 16, 1]);
    expect(counts(sf!)).toEqual([18, 36, 0, 0, 0, 16, 0]);
    // sendfile: 18 system calls of 250 cycles (SYSCALL_ENTRY_EXIT_CYCLES) at 3 GHz, nothing else
    expect(sf!.programNs).toBeCloseTo((18 * 250) / 3, 6);
    // read()+write(): 34 calls and 128 KiB copied at 4 bytes a cycle, plus one fault
    expect(rw!.programNs).toBeGreaterThan((34 * 250 + (128 * KiB) / 4) / 3);
    expect(mm!.programNs).toBeGreaterThan((20 * 250 + (64 * KiB) / 4) / 3);
    expect(mm!.programNs).toBeLessThan(rw!.programNs);
    // the 10 Gbit/s link is the bottleneck: 16 skbs of 3 frames, 1 µs a request, (4096 + 3 * 90) * 8 / 10 ns on the wire
    for (const r of [rw!, mm!, sf!]) expect(r.timeNs).toBeGreaterThanOrEqual(16 * (1000 + ((4096 + 3 * 90) * 8) / 10));
  });

  it("a chunk larger than size_goal is cut into skbs of 65160 bytes; a size not a multiple of the chunk ends short", () => {
    const r = runCopyMethod(boot(), "sendfile", { size: 200 * KiB + 5, chunk: 128 * KiB, warm: true });
    // two calls: 131072 bytes = 65160 + 65160 + 752 (3 skbs), then 73733 = 65160 + 8573 (2 skbs)
    expect([r.syscalls, r.netDmaCopies, r.wireBytes, r.wireMatches]).toEqual([4, 5, 200 * KiB + 5, true]);
  });

  it("the table has one row per method", () => {
    const text = formatCopyTable(compareCopyMethods(boot, { size: 8 * KiB, chunk: 4 * KiB, warm: true }));
    expect(text.split("\n")[0]).toMatch(/^method\s+syscalls\s+mode switches\s+CPU copies\s+CPU bytes\s+DMA copies \(disk\+NIC\)\s+page faults\s+program time\s+last byte sent\s+wire = file$/);
    expect(text.split("\n").slice(1, 4).map((l) => l.split(/\s{2,}/).slice(0, 7))).toEqual([
      ["read()+write()", "6", "12", "4", "16384", "2 (0+2)", "1"],
      ["mmap()+write()", "6", "12", "2", "8192", "2 (0+2)", "1"],
      ["sendfile()", "4", "8", "0", "0", "2 (0+2)", "0"],
    ]);
    expect(COPY_METHODS).toEqual(["read-write", "mmap-write", "sendfile"]);
  });

  it("size and chunk are checked, naming the field", () => {
    expect(() => checkCopyOptions({ size: 0, chunk: 4096 })).toThrow(/^size: expected a file size from 1 byte to 256MiB, got 0$/);
    expect(() => checkCopyOptions({ size: 256 * 1024 * 1024 + 1, chunk: 4096 })).toThrow(/256MiB/);
    expect(() => checkCopyOptions({ size: 4096, chunk: 0.5 })).toThrow(/^chunk: /);
    expect(() => checkCopyOptions({ size: 4096, chunk: 128 * 1024 * 1024 })).toThrow(/64MiB/);
  });

  it("a file larger than the machine can cache is an input error, not a crash", () => {
    expect(() => runCopyMethod(Kernel.boot({ ram: 64 * 1024 * 1024 }), "read-write", { size: 64 * 1024 * 1024, chunk: 64 * KiB })).toThrow(/too small/);
  }, 60_000);

});
