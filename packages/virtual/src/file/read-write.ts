// The file system calls (fs/open.c, fs/read_write.c, fs/namei.c's unlink, fs/sync.c): each
// enters the kernel (two user/kernel mode switches, the entry/exit cycles on the clock, and
// the I/O and flusher wake-ups that came due), checks its arguments in Linux's order, and
// returns what Linux returns: a count, a descriptor, 0, or a negative errno. read() and write()
// count one CPU copy per call that moved bytes (between the user buffer and the page cache).
import type { Cpu } from "@mmsim/hardware";
import type { MmStruct } from "../mm-types";
import { MMFS_MAX_BYTES } from "./fs";
import type { FileSystem } from "./fs";
import { EINVAL, filemapRead, genericPerformWrite } from "./filemap";
import { File, O_APPEND, O_CREAT, O_EXCL, O_TRUNC, O_VALID, O_WRONLY } from "./file-table";
import type { FilesStruct } from "./file-table";
import { filemapWriteAndWait, ksysSync, runUntil } from "./page-writeback";
import { evictInode, truncateSetsize } from "./truncate";
import { accountCpuCopy } from "./copy-cost";
import { fileSocket } from "../net/socket-file";

/** Errnos (include/uapi/asm-generic/errno-base.h). */
export const ENOENT = 2;
export const EBADF = 9;
export const EEXIST = 17;
export const EMFILE = 24;
export const ENAMETOOLONG = 36;
/** ESPIPE: a stream (a socket) has no position to seek to or read at (no_llseek, FMODE_PREAD unset). */
export const ESPIPE = 29;
/** NAME_MAX (include/uapi/linux/limits.h). */
export const NAME_MAX = 255;
/** lseek whence (include/uapi/linux/fs.h). */
export const SEEK_SET = 0;
export const SEEK_CUR = 1;
export const SEEK_END = 2;

/** The kernel entry of a system call: mode switches, entry/exit cost, the I/O that came due. */
function enter(fs: FileSystem): void {
  fs.clock.advanceCycles(fs.syscallCycles);
  fs.count("mmsim_syscalls");
  fs.count("mmsim_mode_switches", 2);
  runUntil(fs, fs.clock.ns);
}
/** enter() for the other system calls of the I/O path (socket, sendfile; mmsim io's mmap and munmap). */
export const syscallEnter = enter;

/** A read or write that moved n bytes made one CPU copy (copy-cost.ts: counted and charged). */
function copied(fs: FileSystem, n: number): number {
  if (n > 0) accountCpuCopy(fs, n);
  return n;
}

/**
 * open(2) of `path` with `flags` (O_RDONLY/O_WRONLY/O_RDWR | O_CREAT | O_EXCL | O_TRUNC |
 * O_APPEND; access mode 3 opens for neither reading nor writing, as Linux's OPEN_FMODE): the
 * new descriptor, or -EINVAL (flags mmsim does not model), -ENOENT (empty name, or missing
 * without O_CREAT), -ENAMETOOLONG, -EMFILE (no free descriptor: checked first, as
 * get_unused_fd_flags runs before the lookup), -EEXIST (O_CREAT|O_EXCL on an existing file).
 * O_TRUNC truncates whatever the access mode, as Linux does.
 */
export function sysOpen(fs: FileSystem, files: FilesStruct, path: string, flags: number): number {
  enter(fs);
  if ((flags & ~O_VALID) !== 0) return -EINVAL;
  if (!files.hasFreeFd()) return -EMFILE;
  if (path.length === 0) return -ENOENT;
  if (path.length > NAME_MAX) return -ENAMETOOLONG;
  let inode = fs.names.get(path) ?? null;
  if (inode === null) {
    if ((flags & O_CREAT) === 0) return -ENOENT;
    const made = fs.createInode(path);
    if (typeof made === "number") return made;
    inode = made;
  } else if ((flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -EEXIST;
  if ((flags & O_TRUNC) !== 0 && inode.size > 0) {
    const r = truncateSetsize(fs, inode, 0);
    if (r < 0) return r;
  }
  inode.openCount++;
  return files.install(new File(inode, flags, fs.raPages));
}

/** creat(2): open(path, O_CREAT | O_WRONLY | O_TRUNC). */
export function sysCreat(fs: FileSystem, files: FilesStruct, path: string): number {
  return sysOpen(fs, files, path, O_CREAT | O_WRONLY | O_TRUNC);
}

/** The last reference to a file: an unlinked inode with no opener left is evicted. */
function fput(fs: FileSystem, file: File): void {
  const inode = file.inode;
  inode.openCount--;
  // a mapped inode stays (the VMAs' file references); see docs/design/virtual.md "File mappings"
  if (inode.openCount === 0 && inode.nlink === 0 && inode.iMmap.iMmap.length === 0) evictInode(fs, inode);
}

/** close(2): 0 or -EBADF. */
export function sysClose(fs: FileSystem, files: FilesStruct, fd: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null) return -EBADF;
  files.fds[fd] = null;
  fput(fs, file);
  return 0;
}

/** Closes every descriptor of an exiting task (exit_files), without system-call accounting. */
export function exitFiles(fs: FileSystem, files: FilesStruct): void {
  for (const [fd, file] of files.open()) {
    files.fds[fd] = null;
    fput(fs, file);
  }
}

/** read(2) into mm's buf: the bytes read (0 at EOF), or -EBADF, -EINVAL, -EFAULT, -ENOMEM, -EIO. */
export function sysRead(fs: FileSystem, files: FilesStruct, fd: number, mm: MmStruct, cpu: Cpu, buf: number, count: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null || !file.readable) return -EBADF;
  if (count < 0) return -EINVAL;
  const r = filemapRead(fs, file, mm, cpu, buf, count, file.fPos);
  if (r > 0) file.fPos += r;
  return copied(fs, r);
}

/** pread64(2): read at `pos` without moving f_pos; -EINVAL for a negative pos. */
export function sysPread64(fs: FileSystem, files: FilesStruct, fd: number, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null || !file.readable) return -EBADF;
  if (fileSocket(file) !== null) return -ESPIPE;
  if (pos < 0 || count < 0) return -EINVAL;
  return copied(fs, filemapRead(fs, file, mm, cpu, buf, count, pos));
}

/** write(2) from mm's buf (O_APPEND: at the end): the bytes written, or -EBADF, -EFBIG, -EFAULT, -ENOMEM, -ENOSPC, -EIO. */
export function sysWrite(fs: FileSystem, files: FilesStruct, fd: number, mm: MmStruct, cpu: Cpu, buf: number, count: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null || !file.writable) return -EBADF;
  if (count < 0) return -EINVAL;
  const pos = (file.flags & O_APPEND) !== 0 ? file.inode.size : file.fPos;
  const r = genericPerformWrite(fs, file, mm, cpu, buf, count, pos, files);
  if (r > 0) file.fPos = pos + r;
  return copied(fs, r);
}

/** pwrite64(2): write at `pos` without moving f_pos (O_APPEND still appends, as Linux does). */
export function sysPwrite64(fs: FileSystem, files: FilesStruct, fd: number, mm: MmStruct, cpu: Cpu, buf: number, count: number, pos: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null || !file.writable) return -EBADF;
  if (fileSocket(file) !== null) return -ESPIPE;
  if (pos < 0 || count < 0) return -EINVAL;
  const at = (file.flags & O_APPEND) !== 0 ? file.inode.size : pos;
  return copied(fs, genericPerformWrite(fs, file, mm, cpu, buf, count, at, files));
}

/** lseek(2) (generic_file_llseek): the new position, or -EBADF, -EINVAL (bad whence, negative or too large). */
export function sysLseek(fs: FileSystem, files: FilesStruct, fd: number, offset: number, whence: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null) return -EBADF;
  if (fileSocket(file) !== null) return -ESPIPE;
  let pos: number;
  if (whence === SEEK_SET) pos = offset;
  else if (whence === SEEK_CUR) pos = file.fPos + offset;
  else if (whence === SEEK_END) pos = file.inode.size + offset;
  else return -EINVAL;
  if (pos < 0 || pos > MMFS_MAX_BYTES) return -EINVAL;
  file.fPos = pos;
  return pos;
}

/** ftruncate(2): 0, or -EBADF, -EINVAL (not open for writing, negative length), -EFBIG. */
export function sysFtruncate(fs: FileSystem, files: FilesStruct, fd: number, length: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null) return -EBADF;
  if (length < 0 || !file.writable) return -EINVAL;
  return truncateSetsize(fs, file.inode, length);
}

/** truncate(2) of a path: 0, or -ENOENT, -EINVAL, -EFBIG. */
export function sysTruncate(fs: FileSystem, path: string, length: number): number {
  enter(fs);
  const inode = fs.names.get(path);
  if (inode === undefined) return -ENOENT;
  if (length < 0) return -EINVAL;
  return truncateSetsize(fs, inode, length);
}

/** unlink(2): 0 or -ENOENT. An open file lives on, nameless, until its last close. */
export function sysUnlink(fs: FileSystem, path: string): number {
  enter(fs);
  const inode = fs.names.get(path);
  if (inode === undefined) return -ENOENT;
  fs.names.delete(path);
  inode.nlink = 0;
  if (inode.openCount === 0 && inode.iMmap.iMmap.length === 0) evictInode(fs, inode);
  return 0;
}

/** fsync(2) / fdatasync(2) (the same here: no on-disk metadata): 0, or -EBADF, -EIO. */
export function sysFsync(fs: FileSystem, files: FilesStruct, fd: number): number {
  enter(fs);
  const file = files.get(fd);
  if (file === null) return -EBADF;
  return filemapWriteAndWait(fs, file.inode);
}
export const sysFdatasync = sysFsync;

/** sync(2): every dirty page of the filesystem written and waited for; always 0. */
export function sysSync(fs: FileSystem): number {
  enter(fs);
  ksysSync(fs);
  return 0;
}
