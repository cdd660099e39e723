// msync(2) (mm/msync.c): the errnos in Linux's order, MS_SYNC writing the dirty pages of the
// file range a shared mapping maps (vfs_fsync_range), MS_ASYNC leaving them to the flusher,
// ENOMEM over a hole, EBUSY on a locked VMA.
import { describe, expect, it } from "vitest";
import { bootFs, counter } from "./file/fs-testing";
import { O_CREAT, O_RDWR } from "./file/file-table";
import { sysFsync, sysOpen, sysWrite } from "./file/read-write";
import { PG_dirty } from "@mmsim/physical";
import { fileVmFile } from "./file/file-mmap";
import { MAP_ANONYMOUS, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from "./mm-flags";
import { sysMmap } from "./syscalls";
import { MS_ASYNC, MS_INVALIDATE, MS_SYNC, sysMsync } from "./msync";

describe("msync", () => {
  it("MS_SYNC writes and waits for the dirty pages of a shared file mapping; MS_ASYNC leaves them dirty", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 3 * 4096)).toBe(3 * 4096);
    const a = sysMmap(m.vmm, m.mm, 0x10000000, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fileVmFile(m.fs, m.files.get(fd)!), 0);
    expect(m.vmm.memset(m.mm, m.cpu, a, 1, 3 * 4096)).toBeNull();
    expect(counter(m, "nr_dirty")).toBe(3);
    expect(sysMsync(m.mm, a, 3 * 4096, MS_ASYNC)).toBe(0);
    expect(counter(m, "nr_dirty")).toBe(3);
    // one byte rounds up to the first page: only file page 0 is written
    expect(sysMsync(m.mm, a, 1, MS_SYNC)).toBe(0);
    expect([counter(m, "nr_dirty"), counter(m, "nr_writeback"), counter(m, "nr_written")]).toEqual([2, 0, 1]);
    expect(sysMsync(m.mm, a, 3 * 4096, MS_SYNC)).toBe(0);
    expect([counter(m, "nr_dirty"), counter(m, "nr_writeback"), counter(m, "nr_written")]).toEqual([0, 0, 3]);
  });

  it("MS_SYNC writes exactly the file range the VMA maps in [start, end): pages outside it stay dirty", () => {
    const m = bootFs();
    const fd = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 8 * 4096)).toBe(8 * 4096);
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    const vf = fileVmFile(m.fs, m.files.get(fd)!);
    // file pages 2..7 mapped at A (pgoff 2); pages 0..1 at B
    //   A: |p2|p3|p4|p5|p6|p7|        B: |p0|p1|
    const A = 0x10000000;
    const B = 0x20000000;
    expect(sysMmap(m.vmm, m.mm, A, 6 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vf, 2 * 4096)).toBe(A);
    expect(sysMmap(m.vmm, m.mm, B, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vf, 0)).toBe(B);
    expect(m.vmm.memset(m.mm, m.cpu, A, 7, 6 * 4096)).toBeNull();
    expect(m.vmm.memset(m.mm, m.cpu, B, 9, 2 * 4096)).toBeNull();
    const inode = m.fs.names.get("data")!;
    const dirtyPages = () => inode.pages.entries().filter(([, pfn]) => (m.vmm.pages.flags[m.vmm.pages.idx(pfn)]! & (1 << PG_dirty)) !== 0).map(([i]) => i);
    expect(dirtyPages()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const written = counter(m, "nr_written");
    // [A + 4096 + 100, +5000) rounds to pages 1..2 of A: file pages 3 and 4 (vfs_fsync_range(3 << 12, 5 << 12 - 1))
    expect(sysMsync(m.mm, A + 4096, 5000, MS_SYNC)).toBe(0);
    expect(counter(m, "nr_written") - written).toBe(2);
    expect(dirtyPages()).toEqual([0, 1, 2, 5, 6, 7]);
    // MS_ASYNC starts no write-back
    expect(sysMsync(m.mm, A, 6 * 4096, MS_ASYNC)).toBe(0);
    expect(dirtyPages()).toEqual([0, 1, 2, 5, 6, 7]);
    // the last page of A and the first of B, across the hole between them: ENOMEM, both synced
    expect(sysMsync(m.mm, A + 5 * 4096, B + 4096 - (A + 5 * 4096), MS_SYNC)).toBe(-12);
    expect(dirtyPages()).toEqual([1, 2, 5, 6]);
    expect(counter(m, "nr_written") - written).toBe(4);
  });

  it("EINVAL for unknown flags, an unaligned start, MS_ASYNC|MS_SYNC; ENOMEM over unmapped parts; EBUSY on a locked VMA", () => {
    const m = bootFs();
    expect(sysMsync(m.mm, m.buf, 4096, 8)).toBe(-22);
    expect(sysMsync(m.mm, m.buf + 1, 4096, MS_SYNC)).toBe(-22);
    expect(sysMsync(m.mm, m.buf, 4096, MS_ASYNC | MS_SYNC)).toBe(-22);
    expect(sysMsync(m.mm, m.buf, 0, MS_SYNC)).toBe(0);
    expect(sysMsync(m.mm, 0x1000, 4096, MS_SYNC)).toBe(-12); // below every VMA: start < vm_start
    expect(sysMsync(m.mm, 0x1000, 4096, MS_ASYNC)).toBe(-12); // MS_ASYNC alone stops there, error still -ENOMEM
    // a hole then a VMA: the VMA is synced, the hole reported (unmapped_error)
    expect(sysMsync(m.mm, m.buf - 4096, 2 * 4096, MS_SYNC)).toBe(-12);
    expect(sysMsync(m.mm, 0x7fff_ffff_f000, 4096, MS_SYNC)).toBe(-12); // above every VMA
    const l = sysMmap(m.vmm, m.mm, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, null, 0);
    expect(sysMsync(m.mm, l, 4096, MS_INVALIDATE)).toBe(-16);
    expect(sysMsync(m.mm, l, 4096, MS_SYNC)).toBe(0);
  });
});
