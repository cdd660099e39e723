// Dirty pages and their write-back (mm/page-writeback.c, fs/fs-writeback.c): the accounting of
// a folio becoming dirty, the dirty limits, balance_dirty_pages throttling a heavy writer, the
// flusher (wb_workfn) that wakes every dirty_writeback_centisecs and writes inodes dirtied more
// than dirty_expire_centisecs ago or, above the background threshold, the oldest inodes until
// under it, and fsync's write-and-wait.
//
//   dirty+writeback ─┬─ <= freerun = (thresh + bg_thresh) / 2 : the writer runs free
//                    ├─ >  freerun : the flusher is kicked; the writer is paused to run at
//                    │               dirty_ratelimit x pos_ratio (dirty-pause.ts)
//                    └─ >= thresh  : pos_ratio 0: max_pause sleeps until under the limit
//
// Simplified (docs/design/virtual.md): one bdi_writeback, no memcg domains, no bandwidth
// estimation (write bandwidth and dirty_ratelimit stay INIT_BW), the hard limit is thresh itself
// (no dirty_limit smoothing), the wb's share of thresh is all of it once it has completed a
// write-back; expiry is per inode (dirtied_when), as in Linux; a background pass writes
// MIN_WRITEBACK_PAGES per inode turn.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { PG_dirty, PG_writeback, totalReservePages } from "@mmsim/physical";
import { BLOCK_DELALLOC, BLOCK_HOLE, IO_WRITE } from "./fs";
import type { FileSystem, Inode } from "./fs";
import { EIO, completeOneIo, folioFlags, folioWait } from "./filemap";
import { folioMkclean } from "../rmap";
import { HZ, INIT_BW, RATELIMIT_CALC_SHIFT, wbMaxPause, wbMinPause, wbPositionRatio, wbStatError } from "./dirty-pause";

const DIRTY = 1 << PG_dirty;
const WRITEBACK = 1 << PG_writeback;
/** MIN_WRITEBACK_PAGES (fs/fs-writeback.c): 4096 >> (PAGE_SHIFT - 10) pages, 4 MiB. */
export const MIN_WRITEBACK_PAGES = 4096 >> (12 - 10);
/** The floor of ratelimit_pages (writeback_set_ratelimit). */
const RATELIMIT_PAGES_MIN = 16;
/** The first nr_dirtied_pause of a task: 128 >> (PAGE_SHIFT - 10) = 32 pages (kernel/fork.c). */
export const INITIAL_DIRTIED_PAUSE = 128 >> (12 - 10);
/** The ratelimit while dirty_exceeded: 32 >> (PAGE_SHIFT - 10) = 8 pages (balance_dirty_pages_ratelimited_flags). */
const DIRTY_EXCEEDED_RATELIMIT = 32 >> (12 - 10);
/** The largest page index of a file (mmfs's s_maxbytes is 2^32 pages). */
const MAX_INDEX = 2 ** 32 - 1;
/** A jiffy at HZ=250 (CONFIG_HZ_250, as base's Clock.jiffies): dirtied_when and the flusher's timer count jiffies. */
const NS_PER_JIFFY = 4_000_000;

/** msecs_to_jiffies at HZ=250: rounded up. */
function centisecsToJiffies(cs: number): number {
  return Math.ceil((cs * 10) / 4);
}

function jiffiesOf(ns: number): number {
  return Math.floor(ns / NS_PER_JIFFY);
}

/** A writer's throttling state (task_struct's nr_dirtied and nr_dirtied_pause). */
export interface DirtyThrottle {
  nrDirtied: number;
  nrDirtiedPause: number;
  /** jiffies when its last pause ended (0: none yet) */
  dirtyPausedWhen: number;
}

/**
 * global_dirtyable_memory: free pages above the reserves (free - min(free, totalreserve_pages))
 * plus the file LRU, plus 1 so it is never 0. Highmem is not subtracted (x86-64 has none).
 */
export function globalDirtyableMemory(fs: FileSystem): number {
  let free = 0;
  for (const z of fs.vmm.phys.zones()) free += z.nrFreePages;
  const reserve = totalReservePages(fs.vmm.phys.nodes);
  return free - Math.min(free, reserve) + fs.fileLruPages() + 1;
}

/**
 * domain_dirty_limits for the global domain: [thresh, bg_thresh] in pages. A ratio becomes
 * ratio * PAGE_SIZE / 100 (1/4096ths), applied as ratio * available / PAGE_SIZE; dirty_bytes and
 * dirty_background_bytes override the ratios (DIV_ROUND_UP to pages); bg_thresh >= thresh
 * becomes thresh / 2. No rt/dl-task boost (no such tasks).
 */
export function domainDirtyLimits(fs: FileSystem, available = globalDirtyableMemory(fs)): [number, number] {
  const s = fs.sysctl;
  const ratio = Math.floor((s.dirtyRatio * PAGE_SIZE) / 100);
  const bgRatio = Math.floor((s.dirtyBackgroundRatio * PAGE_SIZE) / 100);
  const thresh = s.dirtyBytes ? Math.ceil(s.dirtyBytes / PAGE_SIZE) : Math.floor((ratio * available) / PAGE_SIZE);
  let bg = s.dirtyBackgroundBytes ? Math.ceil(s.dirtyBackgroundBytes / PAGE_SIZE) : Math.floor((bgRatio * available) / PAGE_SIZE);
  if (bg >= thresh) bg = Math.floor(thresh / 2);
  return [thresh, bg];
}

/** dirty_freerun_ceiling: (thresh + bg_thresh) / 2. */
export function dirtyFreerunCeiling(thresh: number, bg: number): number {
  return Math.floor((thresh + bg) / 2);
}

/** dirty_poll_interval: 1 << (ilog2(thresh - dirty) >> 1) below thresh, else 1. */
export function dirtyPollInterval(dirty: number, thresh: number): number {
  if (thresh > dirty) return 2 ** (Math.floor(Math.log2(thresh - dirty)) >> 1);
  return 1;
}

/** Global dirty pages: NR_FILE_DIRTY (+ NR_WRITEBACK when `withWriteback`). */
function globalDirty(fs: FileSystem, withWriteback: boolean): number {
  const c = fs.vmm.phys.counters.values;
  return c[fs.slot.nr_dirty]! + (withWriteback ? c[fs.slot.nr_writeback]! : 0);
}

/**
 * folio_mark_dirty for a page-cache folio: the first time, PG_dirty and folio_account_dirtied
 * (NR_FILE_DIRTY + 1, NR_DIRTIED + 1, the writer's nr_dirtied + 1 and its CPU's bdp_ratelimits + 1) and __mark_inode_dirty
 * (I_DIRTY_PAGES: dirtied_when = now, onto b_dirty; the first dirty inode arms the flusher).
 * Returns whether the folio was clean.
 */
export function folioMarkDirty(fs: FileSystem, inode: Inode, pfn: number, w: DirtyThrottle | null, cpu = -1): boolean {
  const p = fs.vmm.pages;
  const i = p.idx(pfn);
  if ((p.flags[i]! & DIRTY) !== 0) return false;
  p.flags[i] = p.flags[i]! | DIRTY;
  inode.nrDirty++;
  fs.count("nr_dirty");
  fs.count("nr_dirtied");
  if (w !== null) w.nrDirtied++;
  if (cpu >= 0) fs.bdpRatelimits[cpu] = (fs.bdpRatelimits[cpu] ?? 0) + 1;
  if (!inode.dirty) {
    inode.dirty = true;
    const now = jiffiesOf(fs.clock.ns);
    inode.dirtiedWhen = now;
    fs.bDirty.push(inode);
    const interval = centisecsToJiffies(fs.sysctl.dirtyWritebackCentisecs);
    if (fs.nextWakeNs < 0 && interval > 0) fs.nextWakeNs = (now + interval) * NS_PER_JIFFY;
  }
  return true;
}

/** Takes a clean inode off b_dirty. */
export function inodeClean(fs: FileSystem, inode: Inode): void {
  if (!inode.dirty) return;
  inode.dirty = false;
  const k = fs.bDirty.indexOf(inode);
  if (k >= 0) fs.bDirty.splice(k, 1);
}

/**
 * write_cache_pages for inode over page indices [first, last] (wbc->range_start/range_end; the
 * whole file by default): each dirty folio not under write-back (sync: waits for write-back
 * first) is cleaned for I/O (NR_FILE_DIRTY - 1), gets its block if it was a delalloc
 * reservation, starts write-back (PG_writeback, NR_WRITEBACK + 1) and is written by DMA at
 * `now`; pgpgout counts KiB. Stops after maxPages. Returns the pages submitted.
 */
export function writebackInode(fs: FileSystem, inode: Inode, maxPages: number, sync: boolean, now: number, first = 0, last = MAX_INDEX): number {
  const todo: number[] = [];
  inode.pages.forEach(first, last, (index, pfn) => {
    if ((folioFlags(fs, pfn) & DIRTY) === 0) return true;
    todo.push(index, pfn);
    return todo.length < 2 * maxPages;
  });
  let written = 0;
  let prevBlock = -2;
  for (let k = 0; k < todo.length; k += 2) {
    const index = todo[k]!;
    const pfn = todo[k + 1]!;
    if ((folioFlags(fs, pfn) & WRITEBACK) !== 0) {
      if (!sync) continue;
      folioWait(fs, pfn, WRITEBACK);
      now = Math.max(now, fs.clock.ns);
    }
    if ((folioFlags(fs, pfn) & DIRTY) === 0) continue;
    let b = inode.block(index);
    if (b === BLOCK_HOLE) BUG("writeback", `dirty folio at ${index} of inode ${inode.ino} has no block or reservation`);
    if (b === BLOCK_DELALLOC) {
      b = fs.allocReservedBlock();
      inode.setBlock(index, b);
    }
    // folio_clear_dirty_for_io: the mappings go read-only and clean first (a dirty PTE found
    // there redirties the folio, already dirty here), so a later store faults and redirties it
    if (folioMkclean(fs.vmm, inode.iMmap, index, pfn) > 0) folioMarkDirty(fs, inode, pfn, null);
    const p = fs.vmm.pages;
    const i = p.idx(pfn);
    p.flags[i] = (p.flags[i]! & ~DIRTY) | WRITEBACK;
    inode.nrDirty--;
    inode.nrWriteback++;
    fs.count("nr_dirty", -1);
    fs.count("nr_writeback");
    const r = fs.dma.ramToDevice(fs.dev, fs.sectorOf(b), pfn * PAGE_SIZE, PAGE_SIZE, now);
    if (b !== prevBlock + 1) fs.count("mmsim_dma_copies");
    prevBlock = b;
    fs.count("mmsim_dma_copy_bytes", PAGE_SIZE);
    fs.count("pgpgout", PAGE_SIZE / 1024);
    fs.queueIo(pfn, r.ok ? IO_WRITE : -1 - IO_WRITE, r.completeNs);
    written++;
  }
  if (inode.nrDirty === 0) inodeClean(fs, inode);
  return written;
}

/** wb_over_bg_thresh for the global domain: NR_FILE_DIRTY above bg_thresh. */
export function wbOverBgThresh(fs: FileSystem): boolean {
  return globalDirty(fs, false) > domainDirtyLimits(fs)[1];
}

/**
 * wb_workfn at `now`: wb_check_old_data_flush (when dirty_writeback_centisecs passed since the
 * last one: every inode dirtied at least dirty_expire_centisecs ago, whole), then
 * wb_check_background_flush (the oldest inodes, MIN_WRITEBACK_PAGES at a time, while over the
 * background threshold); re-arms itself while dirty inodes remain (wb_wakeup_delayed).
 */
export function wbWorkfn(fs: FileSystem, now: number): void {
  const s = fs.sysctl;
  const j = jiffiesOf(now);
  const interval = centisecsToJiffies(s.dirtyWritebackCentisecs);
  if (interval > 0 && j >= fs.lastOldFlush + interval) {
    fs.lastOldFlush = j;
    // move_expired_inodes: an inode dirtied after dirtied_before is not expired yet
    const dirtiedBefore = j - centisecsToJiffies(s.dirtyExpireCentisecs);
    for (const inode of fs.bDirty.filter((x) => x.dirtiedWhen <= dirtiedBefore)) writebackInode(fs, inode, Infinity, false, now);
  }
  wbBackgroundFlush(fs, now);
  fs.nextWakeNs = fs.bDirty.length > 0 && interval > 0 ? (j + interval) * NS_PER_JIFFY : -1;
}

/** wb_check_background_flush: writes the oldest dirty inodes, a chunk at a time, while over the background threshold. */
export function wbBackgroundFlush(fs: FileSystem, now: number): void {
  for (const inode of [...fs.bDirty]) {
    while (wbOverBgThresh(fs)) if (writebackInode(fs, inode, MIN_WRITEBACK_PAGES, false, now) === 0) break;
    if (!wbOverBgThresh(fs)) return;
  }
}

/**
 * Lets simulated time reach `t`: completes in order every I/O and runs every flusher wake-up due
 * by then, each at its own time. The clock itself is the caller's.
 */
export function runUntil(fs: FileSystem, t: number): void {
  for (;;) {
    const io = fs.ioHead < fs.ioPfn.length ? fs.ioDone[fs.ioHead]! : Infinity;
    const wake = fs.nextWakeNs >= 0 ? fs.nextWakeNs : Infinity;
    const e = Math.min(io, wake);
    if (e > t) return;
    if (io <= wake) completeOneIo(fs);
    else {
      fs.nextWakeNs = -1;
      wbWorkfn(fs, e);
    }
  }
}

/** Sleeps the calling task until `t`; the I/O and flusher work due by then run. */
function pauseUntil(fs: FileSystem, t: number): void {
  if (t > fs.clock.ns) fs.clock.ns = t;
  runUntil(fs, fs.clock.ns);
}

/**
 * __wb_calc_thresh for the one wb: its share of thresh is its fraction of the domain's write-back
 * completions (fprop), which is all of them once it has completed one, none before.
 */
function wbCalcThresh(fs: FileSystem, thresh: number): number {
  return fs.vmm.phys.counters.values[fs.slot.nr_written]! > 0 ? thresh : 0;
}

/**
 * balance_dirty_pages for a writer that dirtied w.nrDirtied pages since its last pause: in the
 * free run (dirty + writeback at most (thresh + bg_thresh) / 2) it polls again after
 * dirty_poll_interval(dirty, thresh) pages; above it, the flusher is kicked and the writer's rate
 * is dirty_ratelimit x pos_ratio (dirty-pause.ts): it sleeps HZ x pages_dirtied / task_ratelimit
 * jiffies less the time since its last pause (dirty_paused_when), at most max_pause, and not at
 * all below min_pause (that time is credited to the next period). At or above the limit
 * pos_ratio is 0: it sleeps max_pause and tries again until under the limit (or the wb's pages
 * are within wb_stat_error). Each sleep counts mmsim_dirty_throttled.
 */
export function balanceDirtyPages(fs: FileSystem, w: DirtyThrottle): void {
  const pagesDirtied = w.nrDirtied;
  let dirtyExceeded = false;
  let nrDirty = 0;
  let bg = 0;
  for (;;) {
    let now = jiffiesOf(fs.clock.ns);
    nrDirty = globalDirty(fs, false);
    const dirty = globalDirty(fs, true);
    const limits = domainDirtyLimits(fs);
    const thresh = limits[0];
    bg = limits[1];
    if (nrDirty > bg) wbBackgroundFlush(fs, fs.clock.ns); // wb_start_background_writeback
    if (dirty <= dirtyFreerunCeiling(thresh, bg)) {
      w.dirtyPausedWhen = now;
      w.nrDirtied = 0;
      w.nrDirtiedPause = dirtyPollInterval(dirty, thresh);
      break;
    }
    // one wb owns the domain: wb_dirty is dirty; hard_dirty_limit is thresh (dom->dirty_limit
    // follows thresh through writeback_set_ratelimit; no bandwidth updates move it)
    const dtc = { dirty, thresh, bgThresh: bg, limit: thresh, wbDirty: dirty, wbThresh: wbCalcThresh(fs, thresh) };
    dirtyExceeded = dtc.wbDirty > dtc.wbThresh && dirty > thresh;
    fs.dirtyExceeded = dirtyExceeded;
    const dirtyRatelimit = INIT_BW;
    const taskRatelimit = Math.floor((dirtyRatelimit * wbPositionRatio(dtc, INIT_BW)) / 2 ** RATELIMIT_CALC_SHIFT);
    const maxPause = wbMaxPause(INIT_BW, dtc.wbDirty);
    const [minPause, nrDirtiedPause] = wbMinPause(INIT_BW, maxPause, taskRatelimit, dirtyRatelimit);
    let pause = maxPause;
    if (taskRatelimit > 0) {
      const period = Math.floor((HZ * pagesDirtied) / taskRatelimit);
      pause = period;
      if (w.dirtyPausedWhen !== 0) pause -= now - w.dirtyPausedWhen;
      if (pause < minPause) {
        // think time of less than a second is credited to the next period; more is a reset
        if (pause < -HZ) {
          w.dirtyPausedWhen = now;
          w.nrDirtied = 0;
        } else if (period > 0) {
          w.dirtyPausedWhen += period;
          w.nrDirtied = 0;
        } else if (w.nrDirtiedPause <= pagesDirtied) w.nrDirtiedPause += pagesDirtied;
        break;
      }
      if (pause > maxPause) {
        now += Math.min(pause - maxPause, maxPause);
        pause = maxPause;
      }
    }
    // io_schedule_timeout(pause)
    fs.count("mmsim_dirty_throttled");
    pauseUntil(fs, fs.clock.ns + pause * NS_PER_JIFFY);
    w.dirtyPausedWhen = now + pause;
    w.nrDirtied = 0;
    w.nrDirtiedPause = nrDirtiedPause;
    if (taskRatelimit > 0) break;
    if (dtc.wbDirty <= wbStatError(fs.vmm.cpus.length)) break;
  }
  if (!dirtyExceeded && fs.dirtyExceeded) fs.dirtyExceeded = false;
  if (nrDirty > bg) wbBackgroundFlush(fs, fs.clock.ns);
}

/**
 * ratelimit_pages (writeback_set_ratelimit): a CPU's writers balance at least every
 * dirty_thresh / (CPUs x 32) pages it dirtied, and at least every 16.
 */
export function ratelimitPages(fs: FileSystem): number {
  return Math.max(Math.floor(domainDirtyLimits(fs)[0] / (fs.vmm.cpus.length * 32)), RATELIMIT_PAGES_MIN);
}

/**
 * balance_dirty_pages_ratelimited for a writer on `cpu`: balance once it dirtied nr_dirtied_pause
 * pages (8 while dirty_exceeded), or once its CPU's bdp_ratelimits reached ratelimit_pages.
 */
export function balanceDirtyPagesRatelimited(fs: FileSystem, w: DirtyThrottle, cpu: number): void {
  let ratelimit = w.nrDirtiedPause;
  if (fs.dirtyExceeded) ratelimit = Math.min(ratelimit, DIRTY_EXCEEDED_RATELIMIT);
  const p = fs.bdpRatelimits;
  if (w.nrDirtied >= ratelimit) p[cpu] = 0;
  else if ((p[cpu] ?? 0) >= ratelimitPages(fs)) {
    p[cpu] = 0;
    ratelimit = 0;
  }
  if (w.nrDirtied >= ratelimit) balanceDirtyPages(fs, w);
}

/**
 * file_write_and_wait_range over bytes [lstart, lend] of the file (the whole file by default:
 * fsync and fdatasync, which are the same for mmfs, having no on-disk metadata; msync(MS_SYNC)
 * passes the range a VMA maps): writes every dirty folio there (WB_SYNC_ALL), waits for the
 * range's write-back, and reports a write-back error once. 0 or -EIO.
 */
export function filemapWriteAndWait(fs: FileSystem, inode: Inode, lstart = 0, lend = Infinity): number {
  if (inode.ops !== null) return inode.ops.fsync(inode); // tmpfs: noop_fsync
  const first = Math.floor(lstart / PAGE_SIZE);
  const last = Math.min(MAX_INDEX, Math.floor(lend / PAGE_SIZE));
  if (first <= last) writebackInode(fs, inode, Infinity, true, fs.clock.ns, first, last);
  inode.pages.forEach(first, last, (_i, pfn) => {
    if ((folioFlags(fs, pfn) & WRITEBACK) !== 0) folioWait(fs, pfn, WRITEBACK);
  });
  if (inode.wbErr) {
    inode.wbErr = false;
    return -EIO;
  }
  return 0;
}

/**
 * wakeup_flusher_threads: the flusher writes every dirty page now (wb_check_start_all,
 * WB_SYNC_NONE), then runs its periodic and background checks and re-arms. What writing a new
 * non-zero vm.dirty_writeback_centisecs does (dirty_writeback_centisecs_handler), and sync's first half.
 */
export function wakeupFlusherThreads(fs: FileSystem): void {
  const now = fs.clock.ns;
  runUntil(fs, now);
  for (const inode of [...fs.bDirty]) writebackInode(fs, inode, Infinity, false, now);
  wbWorkfn(fs, now);
}

/** ksys_sync for the one filesystem: start write-back of everything, then write and wait on every inode (sync_inodes_sb). */
export function ksysSync(fs: FileSystem): void {
  wakeupFlusherThreads(fs);
  for (const inode of fs.inodeByMapping) if (inode) filemapWriteAndWait(fs, inode);
}
