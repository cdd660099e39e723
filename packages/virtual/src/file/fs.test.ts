// The file system calls on mmfs: results and errnos as Linux returns them, the page cache's
// hits and misses, truncation, unlink of an open file, and the I/O path's counters.
import { describe, expect, it } from "vitest";
import { bootFs, counter, type FsMachine } from "./fs-testing";
import { O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from "./file-table";
import {
  SEEK_CUR, SEEK_END, SEEK_SET, sysClose, sysCreat, sysFsync, sysFtruncate, sysLseek, sysOpen, sysPread64, sysPwrite64, sysRead, sysTruncate,
  sysUnlink, sysWrite,
} from "./read-write";
import { dropPagecache } from "./truncate";
import { verifyFileSystem } from "./verify-file";

/** Stores `bytes` at the task's buffer + off. */
function put(m: FsMachine, off: number, bytes: number[] | Uint8Array): void {
  expect(m.vmm.store(m.mm, m.cpu, m.buf + off, Uint8Array.from(bytes))).toBeNull();
}

/** Loads n bytes at the task's buffer + off. */
function get(m: FsMachine, off: number, n: number): number[] {
  const b = new Uint8Array(n);
  expect(m.vmm.load(m.mm, m.cpu, m.buf + off, b)).toBeNull();
  return [...b];
}

const io = (m: FsMachine) => ["mmsim_syscalls", "mmsim_mode_switches", "mmsim_cpu_copies", "mmsim_dma_copies"].map((n) => counter(m, n));

describe("open, close and their errnos", () => {
  it("descriptors start at 3 (0-2 are the standard streams) and reuse the lowest free one", () => {
    const m = bootFs();
    expect(sysOpen(m.fs, m.files, "a", O_RDWR | O_CREAT)).toBe(3);
    expect(sysCreat(m.fs, m.files, "b")).toBe(4);
    expect(sysClose(m.fs, m.files, 3)).toBe(0);
    expect(sysOpen(m.fs, m.files, "b", O_RDONLY)).toBe(3);
    expect(sysClose(m.fs, m.files, 3)).toBe(0);
    expect(sysClose(m.fs, m.files, 3)).toBe(-9); // EBADF
    expect(sysClose(m.fs, m.files, 1)).toBe(-9);
  });

  it("ENOENT without O_CREAT, EEXIST with O_CREAT|O_EXCL, EINVAL for unknown flags, EBADF for the wrong access mode", () => {
    const m = bootFs();
    expect(sysOpen(m.fs, m.files, "nope", O_RDONLY)).toBe(-2);
    expect(sysOpen(m.fs, m.files, "", O_RDWR | O_CREAT)).toBe(-2);
    expect(sysOpen(m.fs, m.files, "x".repeat(256), O_RDWR | O_CREAT)).toBe(-36);
    const w = sysOpen(m.fs, m.files, "f", O_WRONLY | O_CREAT | O_EXCL);
    expect(sysOpen(m.fs, m.files, "f", O_WRONLY | O_CREAT | O_EXCL)).toBe(-17);
    expect(sysOpen(m.fs, m.files, "f", O_RDWR | 0o4000000)).toBe(-22);
    expect(sysRead(m.fs, m.files, w, m.mm, m.cpu, m.buf, 1)).toBe(-9);
    const r = sysOpen(m.fs, m.files, "f", O_RDONLY);
    expect(sysWrite(m.fs, m.files, r, m.mm, m.cpu, m.buf, 1)).toBe(-9);
    expect(sysFtruncate(m.fs, m.files, r, 0)).toBe(-22);
    const none = sysOpen(m.fs, m.files, "f", 3); // O_ACCMODE 3: neither FMODE_READ nor FMODE_WRITE
    expect(none).toBe(5); // 3 and 4 are open
    expect(sysRead(m.fs, m.files, none, m.mm, m.cpu, m.buf, 1)).toBe(-9);
    expect(sysWrite(m.fs, m.files, none, m.mm, m.cpu, m.buf, 1)).toBe(-9);
    expect(sysLseek(m.fs, m.files, r, -1, SEEK_SET)).toBe(-22);
    expect(sysLseek(m.fs, m.files, r, 0, 3)).toBe(-22);
  });
});

describe("read and write through the page cache", () => {
  it("bytes written read back from the cache, then from the disk after the cache is dropped", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "f", O_RDWR | O_CREAT);
    put(m, 0, [1, 2, 3, 4, 5]);
    expect(sysPwrite64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 5, 4094)).toBe(5); // straddles pages 0 and 1
    expect(m.fs.names.get("f")!.size).toBe(4099);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 8192, 10, 4092)).toBe(7);
    expect(get(m, 8192, 7)).toEqual([0, 0, 1, 2, 3, 4, 5]);
    expect(counter(m, "pgpgin")).toBe(0);
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect(dropPagecache(m.fs)).toBe(2);
    expect(counter(m, "nr_file_pages")).toBe(0);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 8192, 10, 4092)).toBe(7);
    expect(get(m, 8192, 7)).toEqual([0, 0, 1, 2, 3, 4, 5]);
    expect(counter(m, "pgpgin")).toBe(8);
    verifyFileSystem(m.fs);
  });

  it("a cache hit moves no data from the disk; a miss does, by DMA, and both copy to the user by CPU", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "f", O_RDWR | O_CREAT);
    m.vmm.memset(m.mm, m.cpu, m.buf, 7, 16384);
    sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 16384);
    sysFsync(m.fs, m.files, fd);
    dropPagecache(m.fs);
    const a = io(m);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096, 0)).toBe(4096); // miss: 4 pages read ahead in one request
    const b = io(m);
    expect(b.map((v, i) => v - a[i]!)).toEqual([1, 2, 1, 1]);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096, 8192)).toBe(4096); // hit
    expect(io(m).map((v, i) => v - b[i]!)).toEqual([1, 2, 1, 0]);
  });

  it("copying a file with read()+write() costs 4 mode switches and 2 CPU copies per chunk; the DMA copies are the disk read and the write-back (seed 001)", () => {
    const m = bootFs();
    const src = sysOpen(m.fs, m.files, "src", O_RDWR | O_CREAT);
    m.vmm.memset(m.mm, m.cpu, m.buf, 9, 65536);
    sysWrite(m.fs, m.files, src, m.mm, m.cpu, m.buf, 65536);
    sysFsync(m.fs, m.files, src);
    dropPagecache(m.fs);
    sysLseek(m.fs, m.files, src, 0, SEEK_SET);
    const dst = sysCreat(m.fs, m.files, "dst");
    const a = io(m);
    for (let i = 0; i < 16; i++) {
      expect(sysRead(m.fs, m.files, src, m.mm, m.cpu, m.buf, 4096)).toBe(4096);
      expect(sysWrite(m.fs, m.files, dst, m.mm, m.cpu, m.buf, 4096)).toBe(4096);
    }
    expect(sysFsync(m.fs, m.files, dst)).toBe(0);
    // 33 calls; 32 CPU copies; DMA: the read-ahead requests (windows 4, 8, 16 pages at 0, 4, 12:
    // 3, all contiguous on disk but submitted apart) and one write-back request of 16 blocks
    expect(io(m).map((v, i) => v - a[i]!)).toEqual([33, 66, 32, 4]);
    verifyFileSystem(m.fs);
  });

  it("a read into an untouched buffer faults its pages in; a bad buffer is EFAULT", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "f", O_RDWR | O_CREAT);
    put(m, 0, [42]);
    sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 1);
    const faults = counter(m, "pgfault");
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 1024 * 1024, 1, 0)).toBe(1);
    expect(counter(m, "pgfault") - faults).toBe(1);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, 0x1000, 1, 0)).toBe(-14);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, 0x1000, 1)).toBe(-14);
  });

  it("O_APPEND writes at the end; lseek SEEK_CUR/SEEK_END; reads at EOF return 0", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "log", O_RDWR | O_CREAT | O_APPEND);
    put(m, 0, [1, 2, 3]);
    sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 3);
    expect(sysLseek(m.fs, m.files, fd, 0, SEEK_SET)).toBe(0);
    sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 3);
    expect(m.fs.names.get("log")!.size).toBe(6);
    expect(sysLseek(m.fs, m.files, fd, -2, SEEK_END)).toBe(4);
    expect(sysLseek(m.fs, m.files, fd, 1, SEEK_CUR)).toBe(5);
    expect(sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 100, 10)).toBe(1);
    expect(get(m, 100, 1)).toEqual([3]);
    expect(sysRead(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 100, 10)).toBe(0);
  });

  it("a hole reads as zeros without I/O", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "sparse", O_RDWR | O_CREAT);
    put(m, 0, [0xff]);
    sysPwrite64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 1, 1 << 20);
    sysFsync(m.fs, m.files, fd);
    dropPagecache(m.fs);
    const before = counter(m, "pgpgin");
    put(m, 0, [9, 9, 9, 9]);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4, 40960)).toBe(4);
    expect(get(m, 0, 4)).toEqual([0, 0, 0, 0]);
    expect(counter(m, "pgpgin")).toBe(before);
    expect(m.fs.blockUsed.reduce((n, b) => n + b, 0)).toBe(2); // the superblock and one data block
  });

  it("a full disk: writes stop short at the last free block, then ENOSPC", () => {
    const m = bootFs({}, 64, 1); // 256 blocks, one for the superblock
    const fd = sysOpen(m.fs, m.files, "big", O_RDWR | O_CREAT);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 2 << 20)).toBe(255 * 4096);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 1)).toBe(-28);
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect([m.fs.nrFreeBlocks, m.fs.nrReservedBlocks]).toEqual([0, 0]);
    verifyFileSystem(m.fs);
  });
});

describe("truncate and unlink", () => {
  it("shrinking zeroes the tail of the last page and frees the rest; growing again reads zeros", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "t", O_RDWR | O_CREAT);
    m.vmm.memset(m.mm, m.cpu, m.buf, 0xee, 12288);
    sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 12288);
    sysFsync(m.fs, m.files, fd);
    dropPagecache(m.fs);
    expect(sysTruncate(m.fs, "t", 4100)).toBe(0);
    expect([counter(m, "nr_file_pages"), counter(m, "nr_dirty")]).toEqual([1, 1]); // page 1 read, zeroed past 4100, redirtied
    expect(m.fs.blockUsed.reduce((n, b) => n + b, 0)).toBe(3);
    expect(sysFtruncate(m.fs, m.files, fd, 12288)).toBe(0);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 8, 4096)).toBe(8);
    expect(get(m, 0, 8)).toEqual([0xee, 0xee, 0xee, 0xee, 0, 0, 0, 0]);
    verifyFileSystem(m.fs);
    expect(sysTruncate(m.fs, "nope", 0)).toBe(-2);
    expect(sysTruncate(m.fs, "t", -1)).toBe(-22);
  });

  it("O_TRUNC empties the file; unlink of an open file keeps it readable until the last close", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "u", O_RDWR | O_CREAT);
    m.vmm.memset(m.mm, m.cpu, m.buf, 5, 8192);
    sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 8192);
    expect(sysUnlink(m.fs, "u")).toBe(0);
    expect(sysUnlink(m.fs, "u")).toBe(-2);
    expect(sysOpen(m.fs, m.files, "u", O_RDONLY)).toBe(-2);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 16384, 2, 8190)).toBe(2);
    expect(counter(m, "nr_file_pages")).toBe(2);
    expect(sysClose(m.fs, m.files, fd)).toBe(0);
    expect([counter(m, "nr_file_pages"), counter(m, "nr_dirty")]).toEqual([0, 0]);
    expect(m.fs.inodeByMapping.filter((x) => x !== null)).toEqual([]);
    const t = sysOpen(m.fs, m.files, "v", O_RDWR | O_CREAT);
    sysWrite(m.fs, m.files, t, m.mm, m.cpu, m.buf, 8192);
    sysClose(m.fs, m.files, t);
    expect(sysOpen(m.fs, m.files, "v", O_RDONLY | O_TRUNC)).toBe(3);
    expect(m.fs.names.get("v")!.size).toBe(0);
    verifyFileSystem(m.fs);
  });
});

describe("I/O errors", () => {
  it("a failed write-back is reported by the next fsync, once; a failed read is EIO and the page stays to be read again", async () => {
    const { BlockDevice } = await import("@mmsim/hardware");
    // the first data block is block 1 (block 0 stands for the superblock): sectors 8-15
    const m = bootFs({ dev: new BlockDevice({ name: "vda", bytes: 1 << 20, badSectors: [9] }) });
    const fd = sysOpen(m.fs, m.files, "f", O_RDWR | O_CREAT);
    m.vmm.memset(m.mm, m.cpu, m.buf, 3, 8192);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 8192)).toBe(8192);
    expect(sysFsync(m.fs, m.files, fd)).toBe(-5);
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect([counter(m, "nr_dirty"), counter(m, "nr_writeback"), counter(m, "nr_written")]).toEqual([0, 0, 2]);
    verifyFileSystem(m.fs);
    expect(dropPagecache(m.fs)).toBe(2);
    // page 0 lives on the bad block: read-ahead fails, the synchronous retry fails, EIO
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096, 0)).toBe(-5);
    // page 1 reads fine
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096, 4096)).toBe(4096);
    expect(get(m, 0, 2)).toEqual([3, 3]);
    verifyFileSystem(m.fs);
    expect(m.fs.dev.errors).toBe(3);
  });
});
