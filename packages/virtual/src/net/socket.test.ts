// The socket sink and sendfile: bytes on the wire equal what was written or sent, the copies
// and DMA transfers counted as seed 001 counts them, skbs cut at size_goal, fragment pages
// freed when their skbs are sent, and the errnos of the calls a socket does not support.
import { describe, expect, it } from "vitest";
import { Nic } from "@mmsim/hardware";
import { bootFs, counter, type FsMachine } from "../file/fs-testing";
import { O_CREAT, O_RDONLY, O_RDWR } from "../file/file-table";
import { SEEK_SET, sysClose, sysFsync, sysFtruncate, sysLseek, sysOpen, sysPread64, sysPwrite64, sysRead, sysWrite } from "../file/read-write";
import { dropPagecache } from "../file/truncate";
import { verifyFileSystem } from "../file/verify-file";
import { fileVmFile } from "../file/file-mmap";
import { sysSendfile } from "../file/splice";
import { sysMmap } from "../syscalls";
import { MAP_SHARED, PROT_READ } from "../mm-flags";
import { NetStack, netRunUntil, sockDrain, verifyNet } from "./socket";
import { fileSocket, sysSocket } from "./socket-file";

const KiB = 1024;
/** tcp_xmit_size_goal at MSS 1448: 45 segments (65535 - 320 = 65215 bytes, whole MSS). */
const SIZE_GOAL = 45 * 1448;
const IO = ["mmsim_syscalls", "mmsim_mode_switches", "mmsim_cpu_copies", "mmsim_cpu_copy_bytes", "mmsim_dma_copies", "mmsim_net_dma_copies", "mmsim_net_tx_packets"];

function machine(): { m: FsMachine; net: NetStack; sock: number } {
  const m = bootFs();
  const net = new NetStack(m.fs, new Nic(m.vmm.ram, { captureLimit: 1 << 20 }));
  const sock = sysSocket(m.fs, m.files, net);
  return { m, net, sock };
}

/** Free pages once the per-CPU lists are drained (order-3 pages are freed to them). */
function freePages(m: FsMachine): number {
  m.vmm.phys.drainAllPages();
  return m.vmm.phys.zones().reduce((n, z) => n + z.nrFreePages, 0);
}
const snap = (m: FsMachine) => IO.map((n) => counter(m, n));
const delta = (m: FsMachine, a: number[]) => snap(m).map((v, i) => v - a[i]!);

/** A pattern no two 4 KiB pages share: byte i of the file is (i * 7 + (i >> 12)) & 255. */
function pattern(len: number, from = 0): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = ((from + i) * 7 + Math.floor((from + i) / 4096)) & 255;
  return b;
}

/** Writes a file of `len` pattern bytes, syncs it and drops it from the cache; returns an O_RDONLY descriptor. */
function coldFile(m: FsMachine, len: number): number {
  const w = sysOpen(m.fs, m.files, "data", O_RDWR | O_CREAT);
  expect(m.vmm.store(m.mm, m.cpu, m.buf, pattern(len))).toBeNull();
  expect(sysWrite(m.fs, m.files, w, m.mm, m.cpu, m.buf, len)).toBe(len);
  expect(sysFsync(m.fs, m.files, w)).toBe(0);
  sysClose(m.fs, m.files, w);
  dropPagecache(m.fs);
  return sysOpen(m.fs, m.files, "data", O_RDONLY);
}

describe("write() to a socket", () => {
  it("socket() is a descriptor; a 4 KiB write is one call, one CPU copy, one skb and one DMA, 3 frames on the wire", () => {
    const { m, net, sock } = machine();
    expect(sock).toBe(3);
    expect(m.vmm.store(m.mm, m.cpu, m.buf, pattern(4 * KiB))).toBeNull();
    const a = snap(m);
    expect(sysWrite(m.fs, m.files, sock, m.mm, m.cpu, m.buf, 4 * KiB)).toBe(4 * KiB);
    // frames of 1448, 1448 and 1200 bytes
    expect(delta(m, a)).toEqual([1, 2, 1, 4 * KiB, 1, 1, 3]);
    expect(net.nic.wire()).toEqual(pattern(4 * KiB));
    verifyNet(net);
  });

  it("a 64 KiB write is two skbs: size_goal (45 MSS = 65160 bytes) and the 376 left", () => {
    const { m, net, sock } = machine();
    expect(m.vmm.store(m.mm, m.cpu, m.buf, pattern(64 * KiB))).toBeNull();
    const a = snap(m);
    expect(sysWrite(m.fs, m.files, sock, m.mm, m.cpu, m.buf, 64 * KiB)).toBe(64 * KiB);
    expect(delta(m, a)).toEqual([1, 2, 1, 64 * KiB, 2, 2, 45 + 1]);
    expect(net.nic.txRequests).toBe(2);
    expect(SIZE_GOAL).toBe(net.sizeGoal);
    expect(net.nic.wire()).toEqual(pattern(64 * KiB));
  });

  it("fragment pages (order 3) are held by the skbs until the NIC has sent them, then freed; close frees the last", () => {
    const { m, net, sock } = machine();
    expect(m.vmm.store(m.mm, m.cpu, m.buf, pattern(64 * KiB))).toBeNull();
    const free = freePages(m);
    sysWrite(m.fs, m.files, sock, m.mm, m.cpu, m.buf, 64 * KiB);
    // two 32 KiB fragment pages: A (held by skb 1) and B (the socket's sk_frag, skb 1 and skb 2)
    expect(free - freePages(m)).toBe(16);
    verifyNet(net);
    sockDrain(net.sockets[0]!);
    expect(free - freePages(m)).toBe(8);
    verifyNet(net);
    expect(sysClose(m.fs, m.files, sock)).toBe(0);
    expect(freePages(m)).toBe(free);
    expect(net.sockets).toEqual([]);
  });

  it("the writer sleeps while sk_wmem_queued reaches sk_sndbuf: the clock moves to the NIC's completions", () => {
    const { m, net, sock } = machine();
    const s = fileSocket(m.files.get(sock)!)!;
    s.sndbuf = 8 * KiB;
    const t0 = m.clock.ns;
    for (let i = 0; i < 16; i++) {
      expect(sysWrite(m.fs, m.files, sock, m.mm, m.cpu, m.buf + i * 4 * KiB, 4 * KiB)).toBe(4 * KiB);
      expect(s.wmemQueued).toBeLessThanOrEqual(8 * KiB + 4 * KiB);
      verifyNet(net);
    }
    // at most two skbs queued: the 16th write started after the 14th skb was on the wire
    expect(m.clock.ns - t0).toBeGreaterThan(13 * (1000 + ((4096 + 3 * 90) * 8) / 10));
    sockDrain(s);
    expect(net.nic.txBytes).toBe(64 * KiB);
  });

  it("read() is end of file, lseek/pread/pwrite are ESPIPE, ftruncate and fsync EINVAL, mmap ENODEV; a closed descriptor is EBADF", () => {
    const { m, sock } = machine();
    expect(sysRead(m.fs, m.files, sock, m.mm, m.cpu, m.buf, 4096)).toBe(0);
    expect(sysLseek(m.fs, m.files, sock, 0, SEEK_SET)).toBe(-29);
    expect(sysPread64(m.fs, m.files, sock, m.mm, m.cpu, m.buf, 1, 0)).toBe(-29);
    expect(sysPwrite64(m.fs, m.files, sock, m.mm, m.cpu, m.buf, 1, 0)).toBe(-29);
    expect(sysFtruncate(m.fs, m.files, sock, 0)).toBe(-22);
    expect(sysFsync(m.fs, m.files, sock)).toBe(-22);
    expect(sysMmap(m.vmm, m.mm, 0, 4096, PROT_READ, MAP_SHARED, fileVmFile(m.fs, m.files.get(sock)!), 0)).toBe(-19);
    expect(sysClose(m.fs, m.files, sock)).toBe(0);
    expect(sysWrite(m.fs, m.files, sock, m.mm, m.cpu, m.buf, 1)).toBe(-9);
  });
});

describe("sendfile() to a socket", () => {
  it("moves a cold 64 KiB file with no CPU copy: one read-ahead request and the NIC's 2 skbs; the wire equals the file", () => {
    const { m, net, sock } = machine();
    const fd = coldFile(m, 64 * KiB);
    const a = snap(m);
    expect(sysSendfile(m.fs, m.files, sock, fd, null, 64 * KiB)).toBe(64 * KiB);
    // one read-ahead window of the 16 pages asked for (get_init_ra_size(16, 32) = 32, clipped at
    // EOF): one DMA copy from the disk; then skbs of 65160 and 376 bytes
    expect(delta(m, a)).toEqual([1, 2, 0, 0, 1 + 2, 2, 46]);
    expect(net.nic.wire()).toEqual(pattern(64 * KiB));
    expect(m.files.get(fd)!.fPos).toBe(64 * KiB);
    expect(sysSendfile(m.fs, m.files, sock, fd, null, 4096)).toBe(0);
    verifyNet(net);
    verifyFileSystem(m.fs);
  });

  it("with an offset f_pos stays; count stops at EOF; 4 KiB chunks are one skb each", () => {
    const { m, net, sock } = machine();
    const fd = coldFile(m, 10 * KiB);
    expect(sysSendfile(m.fs, m.files, sock, fd, 6 * KiB, 64 * KiB)).toBe(4 * KiB);
    expect(m.files.get(fd)!.fPos).toBe(0);
    expect(sysSendfile(m.fs, m.files, sock, fd, null, 4 * KiB)).toBe(4 * KiB);
    expect(net.nic.txRequests).toBe(2);
    netRunUntil(net, Infinity);
    expect(net.nic.wire()).toEqual(Uint8Array.from([...pattern(4 * KiB, 6 * KiB), ...pattern(4 * KiB)]));
  });

  it("errnos in do_sendfile's order", () => {
    const { m, sock } = machine();
    const fd = coldFile(m, 4 * KiB);
    const other = sysOpen(m.fs, m.files, "other", O_RDWR | O_CREAT);
    expect(sysSendfile(m.fs, m.files, sock, 99, null, 1)).toBe(-9); // in not open
    expect(sysSendfile(m.fs, m.files, sock, fd, -1, 1)).toBe(-22); // negative offset
    expect(sysSendfile(m.fs, m.files, fd, fd, null, 1)).toBe(-9); // out not open for writing
    expect(sysSendfile(m.fs, m.files, other, fd, null, 1)).toBe(-22); // out is a regular file: not modelled
    expect(sysSendfile(m.fs, m.files, sock, sock, 0, 1)).toBe(-29); // an offset on a socket: ESPIPE
    expect(sysSendfile(m.fs, m.files, sock, sock, null, 1)).toBe(-22); // a socket is no splice source here
  });
});
