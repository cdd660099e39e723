// Open files (struct file, fs/file_table.c) and a task's descriptor table (struct files_struct,
// fs/file.c): the open flags of include/uapi/asm-generic/fcntl.h, the file position, the
// read-ahead state, and the writer's dirty-throttling counters (task_struct's nr_dirtied and
// nr_dirtied_pause, kept here as the only per-task file state). Descriptors 0-2 stand for the
// standard streams a process inherits: mmsim tasks have none, so they are reserved (EBADF) and
// the first open returns 3, as in a real program. Not modelled: dup, fork sharing, O_CLOEXEC.
import type { Inode } from "./fs";
import type { VmFile } from "../mm-types";
import { FileRaState } from "./readahead";
import { INITIAL_DIRTIED_PAUSE } from "./page-writeback";
import type { DirtyThrottle } from "./page-writeback";

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
/** The open flags mmsim accepts (others are EINVAL here). */
export const O_VALID = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND;
/** RLIMIT_NOFILE's default soft limit (INR_OPEN_CUR, include/uapi/linux/fs.h): 1024 descriptors. */
export const INR_OPEN_CUR = 1024;
/** Descriptors of the standard streams (stdin, stdout, stderr). */
export const NR_STD_FDS = 3;

/** struct file. */
export class File {
  /** f_pos */
  fPos = 0;
  readonly ra: FileRaState;
  /** the VmFile mmap(2) maps for this open file (file-mmap.ts), made at the first mmap */
  vmFile: VmFile | null = null;

  constructor(
    readonly inode: Inode,
    /** open flags (O_ACCMODE | O_APPEND ...) */
    readonly flags: number,
    raPages: number,
  ) {
    this.ra = new FileRaState(raPages);
  }

  /** FMODE_READ (OPEN_FMODE: access mode 3 gives neither, as on Linux: an ioctl-only open) */
  get readable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return acc === O_RDONLY || acc === O_RDWR;
  }

  /** FMODE_WRITE */
  get writable(): boolean {
    const acc = this.flags & O_ACCMODE;
    return acc === O_WRONLY || acc === O_RDWR;
  }
}

/** struct files_struct of one task, with the task's dirty-throttling state. */
export class FilesStruct implements DirtyThrottle {
  /** fd -> file (null: free; 0-2 reserved) */
  readonly fds: (File | null)[] = [];
  nrDirtied = 0;
  nrDirtiedPause = INITIAL_DIRTIED_PAUSE;
  dirtyPausedWhen = 0;

  /** The open file of fd, or null (EBADF). */
  get(fd: number): File | null {
    return Number.isInteger(fd) && fd >= NR_STD_FDS ? (this.fds[fd] ?? null) : null;
  }

  /** get_unused_fd_flags + fd_install: the lowest free descriptor, or -1 at RLIMIT_NOFILE. */
  install(file: File): number {
    for (let fd = NR_STD_FDS; fd < INR_OPEN_CUR; fd++) {
      if ((this.fds[fd] ?? null) === null) {
        this.fds[fd] = file;
        return fd;
      }
    }
    return -1;
  }

  /** Whether a descriptor is free below the limit. */
  hasFreeFd(): boolean {
    for (let fd = NR_STD_FDS; fd < INR_OPEN_CUR; fd++) if ((this.fds[fd] ?? null) === null) return true;
    return false;
  }

  /** The open files, as [fd, file]. */
  open(): [number, File][] {
    const out: [number, File][] = [];
    this.fds.forEach((f, fd) => {
      if (f) out.push([fd, f]);
    });
    return out;
  }
}
