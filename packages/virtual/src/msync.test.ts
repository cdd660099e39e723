// msync(2) (mm/msync.c): the errnos in Linux's order, MS_SYNC writing a shared file mapping's
// dirty pages, MS_ASYNC leaving them to the flusher, ENOMEM over a hole, EBUSY on a locked VMA.
import { describe, expect, it } from "vitest";
import { bootFs, counter } from "./file/fs-testing";
import { O_CREAT, O_RDWR } from "./file/file-table";
import { sysOpen, sysWrite } from "./file/read-write";
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
    expect(sysMsync(m.mm, a, 1, MS_SYNC)).toBe(0);
    expect([counter(m, "nr_dirty"), counter(m, "nr_writeback"), counter(m, "nr_written")]).toEqual([0, 0, 3]);
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
