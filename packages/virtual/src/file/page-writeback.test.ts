// Dirty accounting, the flusher's periodic and background write-back, fsync, and the dirty
// limits of mm/page-writeback.c.
import { describe, expect, it } from "vitest";
import { totalReservePages } from "@mmsim/physical";
import { bootFs, counter, type FsMachine } from "./fs-testing";
import { O_CREAT, O_RDWR } from "./file-table";
import { sysClose, sysFsync, sysOpen, sysSync, sysWrite } from "./read-write";
import { domainDirtyLimits, dirtyFreerunCeiling, dirtyPollInterval, globalDirtyableMemory, ratelimitPages, runUntil, wakeupFlusherThreads } from "./page-writeback";
import { verifyFileSystem } from "./verify-file";

const S = 1e9;

function writeFile(m: FsMachine, name: string, bytes: number, byte = 0x11): number {
  const fd = sysOpen(m.fs, m.files, name, O_RDWR | O_CREAT);
  m.vmm.memset(m.mm, m.cpu, m.buf, byte, bytes);
  expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, bytes)).toBe(bytes);
  return fd;
}

/** Advances the clock to t seconds and lets I/O and the flusher run. */
function sleepTo(m: FsMachine, seconds: number): void {
  m.clock.ns = seconds * S;
  runUntil(m.fs, m.clock.ns);
}

const state = (m: FsMachine) => [counter(m, "nr_dirty"), counter(m, "nr_writeback"), counter(m, "nr_written")];

describe("dirty limits (mm/page-writeback.c domain_dirty_limits)", () => {
  it("the 6.18 reference machine: dirtyable 6107170 pages gives nr_dirty_threshold 1221135 and nr_dirty_background_threshold 609822", () => {
    // linux-facts.md §14 and reference/real-proc/vmstat: ratio 20 -> 819/4096, 10 -> 409/4096
    const m = bootFs();
    expect(domainDirtyLimits(m.fs, 6107170)).toEqual([1221135, 609822]);
  });

  it("dirty_bytes and dirty_background_bytes override the ratios (DIV_ROUND_UP to pages); bg >= thresh becomes thresh / 2", () => {
    const m = bootFs({ sysctls: { dirtyBytes: 65537, dirtyBackgroundBytes: 1 << 20 } });
    expect(domainDirtyLimits(m.fs, 1000)).toEqual([17, 8]);
  });

  it("global_dirtyable_memory is free pages above totalreserve plus the file LRU plus 1", () => {
    const m = bootFs({ fileLruPages: () => 100 });
    const free = m.vmm.phys.zones().reduce((n, z) => n + z.nrFreePages, 0);
    const reserve = totalReservePages(m.vmm.phys.nodes);
    expect(globalDirtyableMemory(m.fs)).toBe(free - Math.min(free, reserve) + 100 + 1);
  });

  it("dirty_freerun_ceiling and dirty_poll_interval", () => {
    expect(dirtyFreerunCeiling(1221135, 609822)).toBe(915478);
    // 1 << (ilog2(thresh - dirty) >> 1): ilog2(1000) = 9 -> 1 << 4
    expect([dirtyPollInterval(0, 1000), dirtyPollInterval(999, 1000), dirtyPollInterval(1000, 1000), dirtyPollInterval(5, 1)]).toEqual([16, 1, 1, 1]);
  });
});

describe("write-back", () => {
  it("write() dirties pages; the flusher writes an inode at the first 5 s wake-up at which it has been dirty for dirty_expire_centisecs", () => {
    const m = bootFs();
    writeFile(m, "a", 8192);
    expect(state(m)).toEqual([2, 0, 0]);
    expect(counter(m, "nr_dirtied")).toBe(2);
    expect(counter(m, "nr_file_pages")).toBe(2);
    // dirtied_when is jiffy 0 (the write ran 250 cycles after boot); the flusher wakes every
    // 1250 jiffies (5 s at HZ=250); the wake-up at 30 s finds dirtied_when not after
    // now - 7500 jiffies (move_expired_inodes), so the inode is expired then
    sleepTo(m, 29.999);
    expect(state(m)).toEqual([2, 0, 0]);
    sleepTo(m, 30);
    expect(state(m)).toEqual([0, 2, 0]);
    sleepTo(m, 30.0001);
    expect(state(m)).toEqual([0, 0, 2]);
    expect(counter(m, "pgpgout")).toBe(8);
    expect(m.fs.nextWakeNs).toBe(-1); // nothing dirty: the flusher is not re-armed
    verifyFileSystem(m.fs);
  });

  it("pages under write-back show in nr_writeback until the device completes them", () => {
    const m = bootFs();
    writeFile(m, "a", 4096 * 4);
    const t = 30.0001 * S;
    m.clock.ns = t;
    // stop right after the wake-up that writes: the writes are in flight (20 µs + transfer each on the SSD model)
    let wakes = 0;
    while (counter(m, "nr_writeback") === 0) {
      runUntil(m.fs, m.fs.nextWakeNs);
      wakes++;
    }
    expect(wakes).toBe(6);
    expect(state(m)).toEqual([0, 4, 0]);
    verifyFileSystem(m.fs);
    runUntil(m.fs, t);
    expect(state(m)).toEqual([0, 0, 4]);
  });

  it("fsync writes the file's dirty pages and waits for them; the clock moves by the device time", () => {
    const m = bootFs();
    const fd = writeFile(m, "a", 3 * 4096);
    writeFile(m, "b", 4096);
    const before = m.clock.ns;
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect(state(m)).toEqual([1, 0, 3]); // "b" is still dirty
    // three 4 KiB writes in a row on the SSD model: 3 x (20 µs + 4096 B / 3.4 GB/s)
    expect(m.clock.ns - before).toBeCloseTo(250 / 3 + 3 * (20000 + 4096 / 3.4), 0);
    verifyFileSystem(m.fs);
  });

  it("balance_dirty_pages: the CPU's ratelimit_pages (16) brings the first check; at the limit the writer sleeps max_pause", () => {
    // dirty_bytes 64 KiB (16 pages) and dirty_background_bytes 32 KiB (8 pages): freerun 12
    const m = bootFs({ sysctls: { dirtyBytes: 65536, dirtyBackgroundBytes: 32768 } });
    // ratelimit_pages = max(16 / (2 CPUs * 32), 16); nr_dirtied_pause starts at 32
    expect(ratelimitPages(m.fs)).toBe(16);
    const fd = sysOpen(m.fs, m.files, "big", O_RDWR | O_CREAT);
    m.vmm.memset(m.mm, m.cpu, m.buf, 1, 4096);
    let peak = 0;
    const pausedAt: number[] = [];
    for (let i = 0; i < 64; i++) {
      const paused = counter(m, "mmsim_dirty_throttled");
      expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096)).toBe(4096);
      if (counter(m, "mmsim_dirty_throttled") > paused) pausedAt.push(i);
      peak = Math.max(peak, counter(m, "nr_dirty") + counter(m, "nr_writeback"));
      verifyFileSystem(m.fs);
    }
    // page 16 fills the CPU's bdp_ratelimits: the flusher takes all 16 dirty pages (over bg 8), and
    // dirty + writeback = 16 is the limit: pos_ratio 0, so one max_pause = 16 / 801 + 1 = 1 jiffy
    // (nothing had completed yet: wb_thresh 0). The task ratelimit was 0, so nr_dirtied_pause
    // becomes 0 and every later page is checked: dirty_poll_interval(dirty, 16) pages in the free
    // run. The 35th and 54th pages find 10 dirty + 9 under write-back: above the limit again
    expect(pausedAt).toEqual([15, 34, 53]);
    expect(peak).toBe(18);
    expect(Math.floor(m.clock.ns / 4e6)).toBe(3); // three sleeps of one 4 ms jiffy
    expect([counter(m, "nr_dirty"), counter(m, "nr_writeback")]).toEqual([1, 9]);
    expect(m.files.nrDirtiedPause).toBe(2); // the last check: dirty_poll_interval(9, 16) = 1 << (ilog2(7) >> 1)
    expect(m.fs.dirtyExceeded).toBe(false);
    expect(counter(m, "nr_dirtied")).toBe(64);
    sysClose(m.fs, m.files, fd);
  });

  it("sync writes and waits for every file; waking the flusher writes everything without waiting", () => {
    const m = bootFs();
    writeFile(m, "a", 8192);
    writeFile(m, "b", 4096);
    expect(sysSync(m.fs)).toBe(0);
    expect(state(m)).toEqual([0, 0, 3]);
    expect(m.fs.nextWakeNs).toBe(-1);
    writeFile(m, "c", 4096);
    wakeupFlusherThreads(m.fs);
    expect(state(m)).toEqual([0, 1, 3]);
    verifyFileSystem(m.fs);
  });
});

