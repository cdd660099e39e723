// Act: the page cache and write-back (seed 000's delayed writes). write() only dirties cached
// pages; the flusher writes an inode back once it has been dirty for dirty_expire_centisecs; a
// re-read hits the cache; after drop_caches a sequential read pulls the file in through a
// read-ahead window that grows (file_ra_state of mm/readahead.c).
import { fileKernelOf } from "@mmsim/kernel";
import { indent, type Act } from "./act";
import { Stepper } from "./stepper";

const SCENARIO = `machine: { ram: 1GiB }
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 256KiB, prot: [read, write], flags: [private, anonymous], as: buf }
  - memset: { task: app, addr: buf, length: 256KiB, byte: 0x61 }
  - open: { task: app, path: /data/log, flags: [rdwr, creat, trunc], as: log }
  - write: { task: app, fd: log, addr: buf, length: 256KiB }
  - sleep: 29s
  - sleep: 1s
  - sleep: 10ms
  - lseek: { task: app, fd: log, offset: 0, whence: set }
  - read: { task: app, fd: log, addr: buf, length: 256KiB }
  - sysctl: { vm.drop_caches: 1 }
  - lseek: { task: app, fd: log, offset: 0, whence: set }
  - read: { task: app, fd: log, addr: buf, length: 16KiB }
  - read: { task: app, fd: log, addr: buf, length: 16KiB }
  - read: { task: app, fd: log, addr: buf, length: 16KiB }
`;

export const pageCacheAct: Act = {
  title: "The page cache and write-back",
  tryNext: ["mmsim run examples/scenarios/page-cache.yaml", "mmsim run examples/scenarios/page-cache-throttle.yaml"],
  run() {
    const m = new Stepper(SCENARIO);
    const mem = (what: string) =>
      `  → ${what}: Cached ${m.field("/proc/meminfo", "Cached")}, Dirty ${m.field("/proc/meminfo", "Dirty")}, Writeback ${m.field("/proc/meminfo", "Writeback")}, pgpgin ${m.field("/proc/vmstat", "pgpgin")}, pgpgout ${m.field("/proc/vmstat", "pgpgout")}\n`;
    const ra = () => {
      const d = m.ctx.lookup("log", "file descriptor")!;
      const r = fileKernelOf(m.kernel).filesOf(d.task).get(d.fd)!.ra;
      return `  → read-ahead window: start ${r.start}, size ${r.size} pages, async_size ${r.asyncSize}; pgpgin ${m.field("/proc/vmstat", "pgpgin")} kB\n`;
    };
    let s = "A process writes 256 KiB to a file. write() copies the bytes into page-cache pages, marks\n";
    s += "them dirty and returns: nothing has reached the disk yet (pgpgout counts KiB written out).\n\n";
    s += indent(m.run(5)) + mem("after write") + "\n";
    s += "The flusher wakes every dirty_writeback_centisecs (5 s) and writes an inode back once it\n";
    s += "has been dirty for dirty_expire_centisecs (30 s). At 29 s the pages are still dirty; at\n";
    s += "30 s they are under write-back; when the disk has written them they are clean cache:\n\n";
    s += indent(m.run(1)) + mem("at 29 s");
    s += indent(m.run(1)) + mem("at 30 s");
    s += indent(m.run(1)) + mem("10 ms later") + "\n";
    s += "Reading the file back is served from the cache: no disk read (pgpgin stays 0). Writing\n";
    s += "1 to vm.drop_caches drops the clean cache:\n\n";
    s += indent(m.run(2)) + mem("re-read");
    s += indent(m.run(1)) + mem("dropped") + "\n";
    s += "Now 16 KiB reads from the start. The first misses: page_cache_sync_ra opens a window of\n";
    s += "get_init_ra_size(4 pages) = 8 pages. Reaching the page marked PG_readahead starts the next\n";
    s += "window early (page_cache_async_ra), twice as large each time, up to ra_pages (128 KiB):\n\n";
    s += indent(m.run(2)) + ra();
    s += indent(m.run(1)) + ra();
    s += indent(m.run(1)) + ra();
    return s;
  },
};
