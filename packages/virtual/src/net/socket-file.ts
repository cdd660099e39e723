// socket(2) (net/socket.c __sys_socket, sock_alloc_file): a TCP socket as a struct file in the
// task's descriptor table, on a sockfs inode whose operations are the socket's (socket_file_ops):
// write() is sock_write_iter -> tcp_sendmsg, read() finds nothing (the far end sends nothing and
// has shut its sending half: 0, end of file), ftruncate and fsync are EINVAL, mmap is ENODEV
// (tcp_mmap, the zerocopy receive mapping, is not modelled), the last close releases the socket.
import type { Cpu } from "@mmsim/hardware";
import type { MmStruct } from "../mm-types";
import { VmFile } from "../mm-types";
import { Inode } from "../file/fs";
import type { FileSystem, InodeOps } from "../file/fs";
import { File, O_RDWR } from "../file/file-table";
import type { FilesStruct } from "../file/file-table";
import { syscallEnter } from "../file/read-write";
import type { NetStack, Socket } from "./socket";
import { sockAlloc, sockRelease, tcpSendmsg } from "./socket";

const EINVAL = 22;
const EMFILE = 24;

/** The sockfs inode operations of one socket (socket_file_ops, seen through the file layer's InodeOps). */
export class SockInodeOps implements InodeOps {
  private vmFile: VmFile | null = null;

  constructor(readonly sock: Socket) {}

  readIter(): number {
    return 0;
  }

  writeIter(_file: File, mm: MmStruct, cpu: Cpu, buf: number, count: number): number {
    return tcpSendmsg(this.sock, mm, cpu, buf, count);
  }

  setSize(): number {
    return -EINVAL;
  }

  evict(): void {
    sockRelease(this.sock);
  }

  fsync(): number {
    return -EINVAL;
  }

  mmap(): VmFile {
    this.vmFile ??= new VmFile(`socket:[${this.sock.ino}]`, { ino: this.sock.ino, readable: true, writable: true, mmap: false });
    return this.vmFile;
  }
}

/** The socket behind an open file, or null for a file that is not one. */
export function fileSocket(file: File): Socket | null {
  const ops = file.inode.ops;
  return ops instanceof SockInodeOps ? ops.sock : null;
}

/**
 * socket(AF_INET, SOCK_STREAM, 0) already connected to the wire's far end (connect and the
 * handshake are not modelled: one system call): the new descriptor, or -EMFILE.
 */
export function sysSocket(fs: FileSystem, files: FilesStruct, net: NetStack): number {
  syscallEnter(fs);
  if (!files.hasFreeFd()) return -EMFILE;
  const sock = sockAlloc(net);
  const inode = new Inode(sock.ino, 0, `socket:[${sock.ino}]`);
  inode.nlink = 0;
  inode.ops = new SockInodeOps(sock);
  inode.openCount++;
  return files.install(new File(inode, O_RDWR, fs.raPages));
}
