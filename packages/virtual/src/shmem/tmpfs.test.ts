// tmpfs at /dev/shm (mm/shmem.c with CONFIG_TMPFS): files opened under the mount are shmem
// inodes, read, written, truncated and mapped through the same system calls as mmfs files; two
// tasks share one through mmap and read(); the mount's size= gives ENOSPC; MAP_PRIVATE still
// copies on write; drop_caches and fsync leave shmem pages alone; unlink frees at the last close
// or unmap.
import { describe, expect, it } from "vitest";
import { bootFs, counter, type FsMachine } from "../file/fs-testing";
import { O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, FilesStruct } from "../file/file-table";
import { sysClose, sysFsync, sysFtruncate, sysOpen, sysPread64, sysPwrite64, sysRead, sysUnlink, sysWrite } from "../file/read-write";
import { dropPagecache } from "../file/truncate";
import { fileVmFile } from "../file/file-mmap";
import { verifyFileSystem } from "../file/verify-file";
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from "../mm-flags";
import { sysMmap, sysMunmap } from "../syscalls";
import { MM_ANONPAGES, MM_SHMEMPAGES } from "../memory";
import { SIGBUS } from "../fault";
import { verifyVirtual } from "../verify";
import { showMapVma } from "../task-mmu";
import type { MmStruct } from "../mm-types";
import { DEV_SHM, DEV_SHM_DEV, mountTmpfs, tmpfsDefaults } from "./tmpfs";

const RW = PROT_READ | PROT_WRITE;
const ENOENT = 2;
const ENOSPC = 28;

function tmpfsMachine(maxBlocks = 0, maxInodes = 0): FsMachine {
  const m = bootFs();
  mountTmpfs(m.fs, DEV_SHM, DEV_SHM_DEV, { maxBlocks, maxInodes });
  return m;
}

function fill(m: FsMachine, mm: MmStruct, addr: number, byte: number, len: number): void {
  expect(m.vmm.memset(mm, m.cpu, addr, byte, len)).toBeNull();
}

function bytes(m: FsMachine, mm: MmStruct, addr: number, len: number): number[] {
  const out = new Uint8Array(len);
  expect(m.vmm.load(mm, m.cpu, addr, out)).toBeNull();
  return [...out];
}

function check(m: FsMachine, mms: MmStruct[]): void {
  verifyFileSystem(m.fs);
  verifyVirtual(m.vmm, mms);
}

describe("tmpfs at /dev/shm", () => {
  it("shm_open's file: write, read back, Shmem and Cached count it, fsync and drop_caches leave it", () => {
    const m = tmpfsMachine();
    const fd = sysOpen(m.fs, m.files, "/dev/shm/seg", O_RDWR | O_CREAT | O_EXCL);
    expect(fd).toBe(3);
    fill(m, m.mm, m.buf, 0xab, 3 * 4096 + 100);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 3 * 4096 + 100)).toBe(3 * 4096 + 100);
    expect(counter(m, "nr_shmem")).toBe(4);
    expect(counter(m, "nr_file_pages")).toBe(4);
    // noop_dirty_folio: PG_dirty but no Dirty: accounting, and nothing for the flusher
    expect(counter(m, "nr_dirty")).toBe(0);
    expect(sysFsync(m.fs, m.files, fd)).toBe(0);
    expect(counter(m, "nr_written")).toBe(0);
    expect(dropPagecache(m.fs)).toBe(0);
    expect(counter(m, "nr_shmem")).toBe(4);
    // a hole reads as zeros without allocating (SGP_READ)
    expect(sysPwrite64(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 1, 10 * 4096)).toBe(1);
    expect(counter(m, "nr_shmem")).toBe(5);
    fill(m, m.mm, m.buf + 65536, 0xee, 4096);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 65536, 4096, 6 * 4096)).toBe(4096);
    expect(bytes(m, m.mm, m.buf + 65536, 2)).toEqual([0, 0]);
    expect(counter(m, "nr_shmem")).toBe(5);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 65536, 8, 3 * 4096 + 96)).toBe(8);
    expect(bytes(m, m.mm, m.buf + 65536, 8)).toEqual([0xab, 0xab, 0xab, 0xab, 0, 0, 0, 0]);
    check(m, [m.mm]);
    // ftruncate to 4096 + 1: the tail of page 1 is zeroed, pages 2.. go
    expect(sysFtruncate(m.fs, m.files, fd, 4097)).toBe(0);
    expect(counter(m, "nr_shmem")).toBe(2);
    expect(sysPread64(m.fs, m.files, fd, m.mm, m.cpu, m.buf + 65536, 8192, 0)).toBe(4097);
    expect(sysClose(m.fs, m.files, fd)).toBe(0);
    // the name keeps the file: reopening finds its bytes
    const again = sysOpen(m.fs, m.files, "/dev/shm/seg", O_RDONLY);
    expect(sysRead(m.fs, m.files, again, m.mm, m.cpu, m.buf + 65536, 2)).toBe(2);
    expect(bytes(m, m.mm, m.buf + 65536, 2)).toEqual([0xab, 0xab]);
    expect(sysUnlink(m.fs, "/dev/shm/seg")).toBe(0);
    expect(counter(m, "nr_shmem")).toBe(2);
    expect(sysClose(m.fs, m.files, again)).toBe(0);
    expect(counter(m, "nr_shmem")).toBe(0);
    expect(counter(m, "nr_file_pages")).toBe(0);
    // shmem_acct_blocks gave back each page: only the 4 MiB private buffer stays charged
    expect(m.vmm.committedAs).toBe(1024);
    check(m, [m.mm]);
  });

  it("two tasks share a /dev/shm file through MAP_SHARED and read(); RssShmem; MAP_PRIVATE copies on write", () => {
    const m = tmpfsMachine();
    const mmB = m.vmm.mmAlloc()!;
    mmB.mmapBase = 0x7ffff7fff000;
    const filesB = new FilesStruct();
    // B's own 64 KiB buffer (charged to Committed_AS, never touched)
    expect(sysMmap(m.vmm, mmB, 0, 65536, RW, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBeGreaterThan(0);
    const fdA = sysOpen(m.fs, m.files, "/dev/shm/ring", O_RDWR | O_CREAT);
    expect(sysFtruncate(m.fs, m.files, fdA, 8 * 4096)).toBe(0);
    const a = sysMmap(m.vmm, m.mm, 0x20000000, 8 * 4096, RW, MAP_SHARED, fileVmFile(m.fs, m.files.get(fdA)!), 0);
    expect(a).toBe(0x20000000);
    expect(showMapVma(m.mm.mmMt.findVma(a)!)).toBe("20000000-20008000 rw-s 00000000 00:19 2                                  /dev/shm/ring\n");
    fill(m, m.mm, a + 4096, 0x11, 4096);
    expect(m.mm.rssStat[MM_SHMEMPAGES]).toBe(1);
    const fdB = sysOpen(m.fs, filesB, "/dev/shm/ring", O_RDWR);
    const b = sysMmap(m.vmm, mmB, 0x30000000, 8 * 4096, RW, MAP_SHARED, fileVmFile(m.fs, filesB.get(fdB)!), 0);
    expect(bytes(m, mmB, b + 4096, 2)).toEqual([0x11, 0x11]);
    fill(m, mmB, b + 7 * 4096, 0x77, 16);
    // B's store through its mapping is A's read()
    expect(sysPread64(m.fs, m.files, fdA, m.mm, m.cpu, m.buf, 16, 7 * 4096)).toBe(16);
    expect(bytes(m, m.mm, m.buf, 2)).toEqual([0x77, 0x77]);
    // A's write() is B's load
    fill(m, m.mm, m.buf, 0x5a, 4);
    expect(sysPwrite64(m.fs, m.files, fdA, m.mm, m.cpu, m.buf, 4, 2 * 4096)).toBe(4);
    expect(bytes(m, mmB, b + 2 * 4096, 4)).toEqual([0x5a, 0x5a, 0x5a, 0x5a]);
    expect(counter(m, "nr_shmem")).toBe(3);
    // a private mapping reads the file's page, and its write is its own (do_cow_fault)
    const p = sysMmap(m.vmm, mmB, 0x40000000, 8 * 4096, RW, MAP_PRIVATE, fileVmFile(m.fs, filesB.get(fdB)!), 0);
    expect(bytes(m, mmB, p + 4096, 1)).toEqual([0x11]);
    fill(m, mmB, p + 4096, 0x99, 1);
    expect(bytes(m, m.mm, a + 4096, 1)).toEqual([0x11]);
    expect(mmB.rssStat[MM_ANONPAGES]).toBe(1); // the COW copy
    check(m, [m.mm, mmB]);
    // unlinked and closed while mapped: the mappings keep the file until their munmap
    expect(sysUnlink(m.fs, "/dev/shm/ring")).toBe(0);
    expect(showMapVma(m.mm.mmMt.findVma(a)!)).toBe("20000000-20008000 rw-s 00000000 00:19 2                                  /dev/shm/ring (deleted)\n");
    expect(sysClose(m.fs, m.files, fdA)).toBe(0);
    expect(sysClose(m.fs, filesB, fdB)).toBe(0);
    expect(counter(m, "nr_shmem")).toBe(3);
    check(m, [m.mm, mmB]);
    expect(sysMunmap(m.vmm, m.mm, a, 8 * 4096)).toBe(0);
    expect(sysMunmap(m.vmm, mmB, b, 8 * 4096)).toBe(0);
    expect(counter(m, "nr_shmem")).toBe(3);
    expect(sysMunmap(m.vmm, mmB, p, 8 * 4096)).toBe(0);
    expect(counter(m, "nr_shmem")).toBe(0);
    expect(m.vmm.committedAs).toBe(1024 + 16); // the two private buffers' charges remain
    check(m, [m.mm, mmB]);
    m.vmm.exitMm(mmB);
  });

  it("size= gives ENOSPC to write() and SIGBUS to a fault; nr_inodes gives ENOSPC to open(O_CREAT)", () => {
    const m = tmpfsMachine(3, 2);
    const fd = sysOpen(m.fs, m.files, "/dev/shm/big", O_RDWR | O_CREAT);
    fill(m, m.mm, m.buf, 1, 5 * 4096);
    // three pages fit; the fourth is refused and the write stops short
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 5 * 4096)).toBe(3 * 4096);
    expect(sysWrite(m.fs, m.files, fd, m.mm, m.cpu, m.buf, 4096)).toBe(-ENOSPC);
    expect(counter(m, "nr_shmem")).toBe(3);
    expect(sysFtruncate(m.fs, m.files, fd, 6 * 4096)).toBe(0);
    const a = sysMmap(m.vmm, m.mm, 0x20000000, 6 * 4096, RW, MAP_SHARED, fileVmFile(m.fs, m.files.get(fd)!), 0);
    const out = new Uint8Array(1);
    expect(m.vmm.load(m.mm, m.cpu, a + 4 * 4096, out)?.signo).toBe(SIGBUS);
    expect(bytes(m, m.mm, a + 2 * 4096, 1)).toEqual([1]);
    // O_TRUNC frees the blocks: the mount has room again
    expect(sysOpen(m.fs, m.files, "/dev/shm/big", O_RDWR | O_TRUNC)).toBe(4);
    expect(counter(m, "nr_shmem")).toBe(0);
    expect(sysOpen(m.fs, m.files, "/dev/shm/second", O_RDWR | O_CREAT)).toBe(5);
    expect(sysOpen(m.fs, m.files, "/dev/shm/third", O_RDWR | O_CREAT)).toBe(-ENOSPC);
    expect(sysOpen(m.fs, m.files, "/dev/shm/dir/x", O_RDWR | O_CREAT)).toBe(-ENOENT);
    check(m, [m.mm]);
  });

  it("the default size is half the RAM pages (shmem_default_max_blocks), nr_inodes min(lowmem, RAM/2)", () => {
    // the 6.18 reference machine: MemTotal 24684096 kB = 6171024 pages
    expect(tmpfsDefaults(6171024)).toEqual({ maxBlocks: 3085512, maxInodes: 3085512 });
  });
});
