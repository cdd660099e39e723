// Files and the page cache as a kernel module: the machine's mmfs on its first disk (a 4 GiB
// "vda" SSD when the machine config has none), the per-task descriptor tables, the write-back
// sysctls of mm/page-writeback.c with Linux's defaults (dirty_ratio 20, dirty_background_ratio
// 10, dirty_bytes and dirty_background_bytes 0, dirty_expire_centisecs 3000,
// dirty_writeback_centisecs 500) and vm.drop_caches, a tmpfs at /dev/shm (shmem: shm_open's
// files), the file scenario steps, and verify.
// The page-cache gauges (nr_file_pages, nr_dirty, nr_writeback: Cached, Dirty, Writeback in
// /proc/meminfo) and events (nr_dirtied, nr_written, pgpgin, pgpgout) are moved in the machine's
// Counters by the layer itself. The flusher and I/O completions run lazily, at the next file
// system call or sleep step. The I/O path's own counters (system calls, mode switches, CPU and
// DMA copies) are shown in /sys/kernel/debug/mmsim/io.
import { InputError } from "@mmsim/base";
import { BlockDevice } from "@mmsim/hardware";
import { FILE_COUNTERS, FileSystem, FilesStruct, dropPagecache, exitFiles, runUntil, verifyFileSystem, wakeupFlusherThreads, type WritebackSysctls } from "@mmsim/virtual";
import { DEV_SHM, DEV_SHM_DEV, mountTmpfs, shmemOf, tmpfsDefaults } from "@mmsim/virtual";
import type { Kernel } from "../kernel";
import { defineModule } from "../module";
import { parseIntInRange } from "../sysctl";
import type { Task } from "../task";
import { NET_COUNTERS } from "@mmsim/virtual";
import { FILE_STEPS } from "../scenario/steps-file";
import { totalramPages, virtualOf } from "../virtual-kernel";

/** The disk mmfs gets when the machine has none: 4 GiB (sparse: costs host memory only where written). */
export const DEFAULT_DISK_BYTES = 4 * 1024 * 1024 * 1024;
/** Where the I/O path's counters are shown ("name value" lines, as /proc/vmstat). */
export const IO_COUNTERS_FILE = "/sys/kernel/debug/mmsim/io";
/** The fault-around window of file read faults (mm/memory.c fault_around_bytes, debugfs). */
export const FAULT_AROUND_BYTES_FILE = "/sys/kernel/debug/fault_around_bytes";
/** INT_MAX: the bound of proc_dointvec knobs. */
const INT_MAX = 2147483647;
/** dirty_bytes_min (mm/page-writeback.c): 2 pages. */
const DIRTY_BYTES_MIN = 2 * 4096;

/** A knob over a WritebackSysctls field: bounds of its proc handler and what writing it clears. */
interface Knob {
  name: string;
  key: keyof WritebackSysctls;
  min: number;
  max: number;
  /** dirty_ratio_handler and friends: the ratio and the bytes form exclude each other */
  clears?: keyof WritebackSysctls;
  /** dirty_writeback_centisecs_handler: a new non-zero interval wakes the flusher at once */
  wakes?: boolean;
}

const KNOBS: readonly Knob[] = [
  // dirty_background_ratio_handler: proc_dointvec_minmax 0..100, then dirty_background_bytes = 0
  { name: "dirty_background_ratio", key: "dirtyBackgroundRatio", min: 0, max: 100, clears: "dirtyBackgroundBytes" },
  // dirty_background_bytes_handler: proc_doulongvec_minmax, extra1 = SYSCTL_LONG_ONE
  { name: "dirty_background_bytes", key: "dirtyBackgroundBytes", min: 1, max: Number.MAX_SAFE_INTEGER, clears: "dirtyBackgroundRatio" },
  // dirty_ratio_handler: 0..100, then vm_dirty_bytes = 0
  { name: "dirty_ratio", key: "dirtyRatio", min: 0, max: 100, clears: "dirtyBytes" },
  // dirty_bytes_handler: at least dirty_bytes_min, then vm_dirty_ratio = 0
  { name: "dirty_bytes", key: "dirtyBytes", min: DIRTY_BYTES_MIN, max: Number.MAX_SAFE_INTEGER, clears: "dirtyRatio" },
  // proc_dointvec_minmax, extra1 = SYSCTL_ZERO
  { name: "dirty_expire_centisecs", key: "dirtyExpireCentisecs", min: 0, max: INT_MAX },
  // dirty_writeback_centisecs_handler: proc_dointvec (mmsim refuses negatives), then
  // wakeup_flusher_threads when the interval changed to a non-zero value
  { name: "dirty_writeback_centisecs", key: "dirtyWritebackCentisecs", min: 0, max: INT_MAX, wakes: true },
];

/** The file layer of one machine: its filesystem and each task's descriptor table. */
export class FileKernel {
  readonly fs: FileSystem;
  private readonly tables = new Map<Task, FilesStruct>();
  /** the last value written to vm.drop_caches (what reading it returns) */
  dropCaches = 0;

  constructor(private readonly k: Kernel) {
    const disk = k.hw.devices.find((d) => !k.hw.swapDevices.includes(d)) ?? new BlockDevice({ name: "vda", bytes: DEFAULT_DISK_BYTES });
    const counters = k.counters;
    this.fs = new FileSystem({
      vmm: virtualOf(k).vmm,
      dev: disk,
      dma: k.hw.dma,
      clock: k.clock,
      syscallCycles: k.hw.cost.syscallEntryExit,
      copyBytesPerCycle: k.hw.cost.copyBytesPerCycle,
      // the file LRU as the reclaim layer counts it (0 until there is one)
      fileLruPages: () => counters.get("nr_active_file") + counters.get("nr_inactive_file"),
    });
    // systemd's tmpfs at /dev/shm (shm_open's files), with tmpfs's default size= and nr_inodes
    mountTmpfs(this.fs, DEV_SHM, DEV_SHM_DEV, tmpfsDefaults(totalramPages(k)));
    shmemOf(this.fs.vmm).faultAroundBytes = this.fs.faultAroundBytes;
  }

  /** The descriptor table of a live task (made on first use); a dead task's files were closed. */
  filesOf(t: Task): FilesStruct {
    this.reapExited();
    let f = this.tables.get(t);
    if (f === undefined) {
      if (!t.alive) throw new InputError(`task ${t.comm} (pid ${t.pid}) has exited`);
      f = new FilesStruct();
      this.tables.set(t, f);
    }
    return f;
  }

  /** exit_files for the tasks that exited or were killed since the last look. */
  reapExited(): void {
    for (const [t, f] of this.tables) {
      if (t.alive) continue;
      exitFiles(this.fs, f);
      this.tables.delete(t);
    }
  }

  /** Lets simulated time pass to `ns`: I/O completes and the flusher runs on the way. */
  sleepUntil(ns: number): void {
    if (ns > this.k.clock.ns) this.k.clock.ns = ns;
    runUntil(this.fs, this.k.clock.ns);
  }
}

export const fileModule = defineModule<FileKernel>({
  name: "file",
  init(k) {
    const fk = new FileKernel(k);
    const s = fk.fs.sysctl;
    for (const knob of KNOBS) {
      k.sysctl.register({
        name: `vm.${knob.name}`,
        get: () => String(s[knob.key]),
        set: (text) => {
          const old = s[knob.key];
          s[knob.key] = parseIntInRange(text, knob.min, knob.max);
          if (knob.clears) s[knob.clears] = 0;
          if (knob.wakes && s[knob.key] !== 0 && s[knob.key] !== old) wakeupFlusherThreads(fk.fs);
        },
      });
    }
    // drop_caches_sysctl_handler: 1 drops the clean page cache, 2 slab objects (not modelled: no
    // dentry or inode caches), 4 silences the message; proc_dointvec_minmax 1..4
    k.sysctl.register({
      name: "vm.drop_caches",
      get: () => String(fk.dropCaches),
      set: (text) => {
        const v = parseIntInRange(text, 1, 4);
        fk.dropCaches = v;
        if (v & 1) {
          fk.sleepUntil(k.clock.ns);
          dropPagecache(fk.fs);
        }
      },
    });
    // the I/O path's counters (mmsim's own: Linux has none), as /proc/vmstat prints its items
    // mm/memory.c's debugfs attribute (format "%llu\n"); read-only here
    k.procfs.register(FAULT_AROUND_BYTES_FILE, () => `${fk.fs.faultAroundBytes}\n`);
    k.procfs.register(IO_COUNTERS_FILE, () => [...FILE_COUNTERS, ...NET_COUNTERS].filter((n) => n.startsWith("mmsim_")).map((n) => `${n} ${k.counters.get(n)}\n`).join(""));
    return fk;
  },
  verify(fk) {
    verifyFileSystem(fk.fs);
  },
  steps: FILE_STEPS,
});

