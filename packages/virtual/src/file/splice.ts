// sendfile(2) (fs/read_write.c do_sendfile) from a file to a socket through do_splice_direct
// (fs/splice.c): the kernel moves the file's page-cache folios into its internal pipe
// (filemap_splice_read: references, no copy; read-ahead as read() has it) and hands each pipe
// load to the socket (splice_to_socket -> tcp_sendmsg_locked with MSG_SPLICE_PAGES). Linux 6.18
// on a NIC with NETIF_F_SG (every virtio-net and Ethernet NIC of note) sets zc = MSG_SPLICE_PAGES
// and skb_splice_from_iter attaches the folios as skb fragments: no CPU copy at all; the NIC's
// DMA reads the page cache. One system call, two mode switches, per sendfile.
//
//   sendfile(sock, fd, NULL, n)
//     splice_direct_to_actor ── loop, 16 pages (PIPE_DEF_BUFFERS) at a time ──┐
//        filemap_splice_read: filemap_get_pages (read-ahead, waits for I/O)   │
//        splice_to_socket: the folios become skb fragments (MSG_SPLICE_PAGES) ┘
//     tcp_splice_eof: push the last skb
//
// Simplified: the skb takes no reference on the folios (the NIC reads them at submission, so a
// later write to the file cannot change what was sent, which on Linux it can); the output must
// be a socket (a regular file's iter_file_splice_write is not modelled: EINVAL).
import { PAGE_SIZE } from "@mmsim/base";
import { PG_referenced } from "@mmsim/physical";
import type { FileSystem } from "./fs";
import { MMFS_MAX_BYTES } from "./fs";
import type { File, FilesStruct } from "./file-table";
import { O_APPEND } from "./file-table";
import { filemapGetPages, folioSetFlags } from "./filemap";
import { syscallEnter } from "./read-write";
import { fileSocket } from "../net/socket-file";
import { netRunUntil, skbAppend, skbMakeRoom, tcpPush } from "../net/socket";
import type { Socket } from "../net/socket";

/** MAX_RW_COUNT (include/linux/fs.h): INT_MAX & PAGE_MASK, the most one call moves. */
export const MAX_RW_COUNT = 0x7ffff000;
/** PIPE_DEF_BUFFERS (include/linux/pipe_fs_i.h): the direct-splice pipe holds 16 pages. */
export const PIPE_DEF_BUFFERS = 16;
/** Errnos (include/uapi/asm-generic/errno-base.h, errno.h). */
const EBADF = 9;
const EINVAL = 22;
const ESPIPE = 29;
const EPIPE = 32;
const EOVERFLOW = 75;

/**
 * filemap_splice_read into the socket: up to PIPE_DEF_BUFFERS folios of `in` from pos (at most
 * len bytes, not past EOF) attached to the socket's skbs. Returns the bytes moved (0 at EOF) or
 * -errno when none were.
 */
function spliceReadToSocket(fs: FileSystem, file: File, sock: Socket, pos: number, len: number): number {
  const inode = file.inode;
  const pages = fs.vmm.pages;
  const batch = fs.readBatch;
  len = Math.min(len, PIPE_DEF_BUFFERS * PAGE_SIZE);
  let total = 0;
  let error = 0;
  let slots = PIPE_DEF_BUFFERS;
  while (len > 0 && slots > 0 && pos < inode.size) {
    error = filemapGetPages(fs, file, pos, len, batch);
    if (error < 0) break;
    const isize = inode.size;
    if (pos >= isize) break;
    const endOffset = Math.min(isize, pos + len);
    let k = 0;
    for (; k < batch.length && slots > 0; k++) {
      const pfn = batch[k]!;
      const fpos = pages.index[pages.idx(pfn)]! * PAGE_SIZE;
      if (fpos >= endOffset) break;
      folioSetFlags(fs, pfn, 1 << PG_referenced); // folio_mark_accessed, less the LRU activation
      const off = pos - fpos;
      const n = Math.min(len, isize - pos, PAGE_SIZE - off);
      // splice_to_socket: each pipe buffer becomes a fragment (skb_splice_from_iter), split
      // where an skb reaches size_goal
      for (let done = 0; done < n; ) {
        skbMakeRoom(sock, 1);
        const take = Math.min(n - done, sock.net.sizeGoal - sock.skbLen);
        skbAppend(sock, pfn, pfn * PAGE_SIZE + off + done, take);
        sock.wmemQueued += take;
        done += take;
      }
      len -= n;
      total += n;
      pos += n;
      file.ra.prevPos = pos;
      slots--;
    }
    batch.length = 0;
    if (k === 0) break;
  }
  batch.length = 0;
  return total > 0 ? total : error;
}

/**
 * sendfile(out_fd, in_fd, offset, count): moves up to count bytes of the file in_fd (from
 * `offset` when not null, f_pos untouched; else from f_pos, advanced) to the socket out_fd.
 * Returns the bytes sent, or -errno in do_sendfile's order: EBADF (in not open for reading),
 * ESPIPE (an offset on a file without pread), EINVAL (negative offset or count), EBADF (out not
 * open for writing), EOVERFLOW (offset at the size limit), EINVAL (out O_APPEND, in not a
 * regular file, out not a socket), EPIPE (socket closed).
 */
export function sysSendfile(fs: FileSystem, files: FilesStruct, outFd: number, inFd: number, offset: number | null, count: number): number {
  syscallEnter(fs);
  const inFile = files.get(inFd);
  if (inFile === null || !inFile.readable) return -EBADF;
  const inSock = fileSocket(inFile);
  if (offset !== null && inSock !== null) return -ESPIPE;
  let pos = offset ?? inFile.fPos;
  if (pos < 0 || count < 0) return -EINVAL;
  count = Math.min(count, MAX_RW_COUNT);
  const outFile = files.get(outFd);
  if (outFile === null || !outFile.writable) return -EBADF;
  if (pos + count > MMFS_MAX_BYTES) {
    if (pos >= MMFS_MAX_BYTES) return -EOVERFLOW;
    count = MMFS_MAX_BYTES - pos;
  }
  if ((outFile.flags & O_APPEND) !== 0) return -EINVAL;
  // splice_direct_to_actor: only a regular file (or block device) can be the source
  if (inSock !== null || inFile.inode.ops !== null) return -EINVAL;
  const sock = fileSocket(outFile);
  if (sock === null) return -EINVAL;
  netRunUntil(sock.net, fs.clock.ns);
  if (sock.closed) return -EPIPE;
  let sent = 0;
  let err = 0;
  while (sent < count) {
    const r = spliceReadToSocket(fs, inFile, sock, pos, count - sent);
    if (r <= 0) {
      err = r;
      break;
    }
    sent += r;
    pos += r;
  }
  tcpPush(sock); // tcp_splice_eof
  if (sent > 0 && offset === null) inFile.fPos = pos;
  return sent > 0 ? sent : err;
}
