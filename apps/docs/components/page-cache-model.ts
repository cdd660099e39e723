// The model behind the live "page cache" page: a task of a booted @mmsim/kernel machine with a
// 512 KiB file on the simulated disk, written, synced and dropped from the cache at start; then
// 16 KiB sequential reads (read-ahead), writes that dirty pages, simulated time passing (the
// flusher), fsync, drop_caches and a low dirty limit. The view reads each page of the file's
// address_space (present, PG_uptodate, PG_dirty, PG_writeback, PG_readahead, PG_locked), the
// reader's file_ra_state, meminfo's Cached/Dirty/Writeback and the counters, after every action.
import { PG_dirty, PG_locked, PG_readahead, PG_uptodate, PG_writeback } from "@mmsim/physical";
import { fileKernelOf } from "@mmsim/kernel";
import { VmSession, type StepLine } from "./vm-session";

const KiB = 1024;
/** Pages in the demo file (512 KiB): room for the read-ahead window to ramp to its 32-page maximum. */
export const PC_FILE_PAGES = 128;
/** Bytes one read click reads (4 pages: get_init_ra_size turns it into an 8-page first window). */
export const PC_READ_BYTES = 16 * KiB;
/** Bytes the small and the heavy write buttons write. */
export const PC_WRITE_BYTES = { small: 64 * KiB, heavy: 512 * KiB } as const;
/** The low limit the "limit" button sets: vm.dirty_bytes 256 KiB, vm.dirty_background_bytes 128 KiB. */
export const PC_LIMIT = { dirtyBytes: 256 * KiB, backgroundBytes: 128 * KiB } as const;
const FILE_BYTES = PC_FILE_PAGES * 4096;

/** One user action, replayable in Node and in the browser. */
export type PcAction =
  | { op: "read" }
  | { op: "write"; size: "small" | "heavy" }
  | { op: "sleep"; seconds: number }
  | { op: "fsync" }
  | { op: "drop" }
  | { op: "limit" };

/** A page of the file: "-" not cached, "u" clean and up to date, "d" dirty, "w" under write-back, "l" locked for a read. */
export type PcPageState = "-" | "u" | "d" | "w" | "l";

export interface PcPage {
  state: PcPageState;
  /** PG_readahead: reaching it starts the next window (page_cache_async_ra) */
  mark: boolean;
}

export interface PcView {
  /** the file's pages, index 0 first */
  pages: PcPage[];
  /** the reader's file_ra_state and f_pos (bytes) */
  ra: { start: number; size: number; asyncSize: number; pos: number };
  /** /proc/meminfo lines, as printed ("256 kB") */
  meminfo: { cached: string; dirty: string; writeback: string };
  /** /proc/vmstat counters (pgpgin/pgpgout in KiB, thresholds in pages) */
  vmstat: { pgpgin: number; pgpgout: number; nrDirtied: number; nrWritten: number; dirtyThreshold: number; backgroundThreshold: number };
  /** mmsim_dirty_throttled of /sys/kernel/debug/mmsim/io: balance_dirty_pages pauses */
  throttled: number;
  /** simulated time since boot, in ms (three decimals) */
  timeMs: string;
  /** the limit button was pressed */
  limited: boolean;
  log: StepLine[];
}

/** The demo: task "app" with a 1 MiB buffer of 0x61 and /data/file (512 KiB) on disk, not cached; "w" writes it from 0, "r" reads it from 0. */
export class PageCacheDemo {
  readonly s = new VmSession();
  private limited = false;

  constructor() {
    const s = this.s;
    s.step("spawn", { name: "app" });
    s.step("mmap", { task: "app", length: 1024 * KiB, prot: ["read", "write"], flags: ["private", "anonymous"], as: "buf" });
    s.step("memset", { task: "app", addr: "buf", length: 1024 * KiB, byte: 0x61 });
    s.step("open", { task: "app", path: "/data/file", flags: ["rdwr", "creat"], as: "w" });
    s.step("write", { task: "app", fd: "w", addr: "buf", length: FILE_BYTES });
    s.step("fsync", { task: "app", fd: "w" });
    s.step("lseek", { task: "app", fd: "w", offset: 0, whence: "set" });
    s.step("sysctl", { "vm.drop_caches": 1 });
    s.step("open", { task: "app", path: "/data/file", flags: ["rdonly"], as: "r" });
  }

  apply(a: PcAction): void {
    const s = this.s;
    switch (a.op) {
      case "read":
        s.step("read", { task: "app", fd: "r", addr: "buf", length: PC_READ_BYTES });
        return;
      case "write": {
        const w = this.file("w");
        const len = Math.min(PC_WRITE_BYTES[a.size], FILE_BYTES - (w.fPos % FILE_BYTES));
        if (w.fPos >= FILE_BYTES) s.step("lseek", { task: "app", fd: "w", offset: 0, whence: "set" });
        s.step("write", { task: "app", fd: "w", addr: "buf", length: len });
        return;
      }
      case "sleep":
        s.step("sleep", `${a.seconds}s`);
        return;
      case "fsync":
        s.step("fsync", { task: "app", fd: "w" });
        return;
      case "drop":
        s.step("sysctl", { "vm.drop_caches": 1 });
        return;
      case "limit":
        if (this.limited) return;
        s.step("sysctl", { "vm.dirty_bytes": PC_LIMIT.dirtyBytes, "vm.dirty_background_bytes": PC_LIMIT.backgroundBytes });
        this.limited = true;
        return;
    }
  }

  /** The struct file behind a descriptor name ("r", "w"). */
  private file(name: string) {
    const fk = fileKernelOf(this.s.k);
    const d = this.s.binding(name, "file descriptor");
    const f = d ? fk.filesOf(d.task).get(d.fd) : null;
    if (!f) throw new Error(`PageCacheDemo: no open file ${name}`);
    return f;
  }

  view(): PcView {
    const s = this.s;
    const r = this.file("r");
    const pagesArr = s.v.vmm.pages;
    const pages: PcPage[] = [];
    for (let i = 0; i < PC_FILE_PAGES; i++) {
      const pfn = r.inode.pages.load(i);
      if (pfn < 0) {
        pages.push({ state: "-", mark: false });
        continue;
      }
      const f = pagesArr.flags[pagesArr.idx(pfn)]!;
      const has = (bit: number) => (f & (1 << bit)) !== 0;
      const state: PcPageState = has(PG_writeback) ? "w" : has(PG_dirty) ? "d" : has(PG_locked) || !has(PG_uptodate) ? "l" : "u";
      pages.push({ state, mark: has(PG_readahead) });
    }
    const mem = (n: string) => s.field("/proc/meminfo", n);
    const io = /^mmsim_dirty_throttled (\d+)$/m.exec(s.cat("/sys/kernel/debug/mmsim/io"));
    return {
      pages,
      ra: { start: r.ra.start, size: r.ra.size, asyncSize: r.ra.asyncSize, pos: r.fPos },
      meminfo: { cached: mem("Cached"), dirty: mem("Dirty"), writeback: mem("Writeback") },
      vmstat: {
        pgpgin: s.vmstat("pgpgin"), pgpgout: s.vmstat("pgpgout"), nrDirtied: s.vmstat("nr_dirtied"), nrWritten: s.vmstat("nr_written"),
        dirtyThreshold: s.vmstat("nr_dirty_threshold"), backgroundThreshold: s.vmstat("nr_dirty_background_threshold"),
      },
      throttled: io ? Number(io[1]) : 0,
      timeMs: (s.k.clock.ns / 1e6).toFixed(3),
      limited: this.limited,
      log: [...s.log],
    };
  }
}

/** Runs `actions` on a fresh demo and returns the final view (the Node reference of the e2e). */
export function runPageCache(actions: readonly PcAction[]): PcView {
  const d = new PageCacheDemo();
  for (const a of actions) d.apply(a);
  return d.view();
}
