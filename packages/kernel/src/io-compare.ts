// Seed 001's comparison, run on the simulated machine: a file of `size` bytes sent to a TCP
// socket three ways, each on a freshly booted kernel of the same config, with the I/O path's
// counters, the page faults and the simulated time of each run:
//
//   read()+write()   open; per chunk read(fd, buf) then write(sock, buf); close
//   mmap()+write()   open; mmap(file, PROT_READ, MAP_PRIVATE); per chunk write(sock, map + off); munmap; close
//   sendfile()       open; per chunk sendfile(sock, fd, NULL, chunk); close
//
// Before each run the file is written, fsync'd and (unless warm) dropped from the page cache,
// the socket is open and read()+write()'s buffer mapped; the run ends when the NIC has sent the
// last byte. mmap and munmap are counted as the system calls they are (they enter through the
// same accounting as the file calls). Every byte on the wire is checked against the file.
import { InputError } from "@mmsim/base";
import { fnv1a } from "@mmsim/hardware";
import {
  MAP_ANONYMOUS, MAP_PRIVATE, O_CREAT, O_RDONLY, O_WRONLY, PROT_READ, PROT_WRITE, dropPagecache, fileSocket, fileVmFile, sockDrain, syscallEnter,
  sysClose, sysFsync, sysMmap, sysMunmap, sysOpen, sysRead, sysSendfile, sysSocket, sysWrite,
} from "@mmsim/virtual";
import type { Kernel } from "./kernel";
import { fileKernelOf } from "./scenario/steps-file";
import { netKernelOf } from "./modules/net";
import { virtualOf } from "./virtual-kernel";

export const COPY_METHODS = ["read-write", "mmap-write", "sendfile"] as const;
export type CopyMethod = (typeof COPY_METHODS)[number];
export const COPY_METHOD_TITLES: Readonly<Record<CopyMethod, string>> = { "read-write": "read()+write()", "mmap-write": "mmap()+write()", sendfile: "sendfile()" };
/** The largest file: every byte is written, read, copied and hashed by the simulation (~15 MiB/s of host time a method). */
export const COPY_MAX_SIZE = 256 * 1024 * 1024;
/** The largest chunk (read()+write()'s buffer). */
export const COPY_MAX_CHUNK = 64 * 1024 * 1024;
/** The file the runs send. */
export const COPY_FILE = "/data/seed-001";
/** The setup writes the file through a buffer of at most this many bytes. */
const SETUP_BUFFER = 1024 * 1024;

export interface CopyOptions {
  /** file size in bytes */
  size: number;
  /** bytes per read/write/sendfile call */
  chunk: number;
  /** keep the file in the page cache before the run (default: dropped, so the run reads the disk) */
  warm?: boolean;
}

/** One method's run, counted. */
export interface CopyRun {
  method: CopyMethod;
  title: string;
  syscalls: number;
  modeSwitches: number;
  cpuCopies: number;
  cpuCopyBytes: number;
  /** every DMA copy: the disk's reads into the page cache and the NIC's reads of skbs */
  dmaCopies: number;
  dmaCopyBytes: number;
  /** the NIC's share of dmaCopies */
  netDmaCopies: number;
  pageFaults: number;
  /** simulated ns from the first call until the program's last call returned */
  programNs: number;
  /** simulated ns from the first call until the NIC has sent the last byte */
  timeNs: number;
  /** payload bytes the NIC sent */
  wireBytes: number;
  /** the wire's bytes hash as the file's do */
  wireMatches: boolean;
}

/** Byte i of the test file: (7i + i / 4096) mod 256, so no two pages are alike. */
export function copyFileByte(i: number): number {
  return (i * 7 + Math.floor(i / 4096)) % 256;
}

function fileBytes(from: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = copyFileByte(from + i);
  return b;
}

/** Checks size and chunk; an InputError names the field (size or chunk) and the bound. */
export function checkCopyOptions(o: CopyOptions): void {
  if (!Number.isSafeInteger(o.size) || o.size < 1 || o.size > COPY_MAX_SIZE) throw new InputError(`expected a file size from 1 byte to 256MiB, got ${o.size}`, { field: "size" });
  if (!Number.isSafeInteger(o.chunk) || o.chunk < 1 || o.chunk > COPY_MAX_CHUNK) throw new InputError(`expected a chunk from 1 byte to 64MiB, got ${o.chunk}`, { field: "chunk" });
}

/** A call that failed where the setup or the program cannot go on: the machine is too small. */
function must(r: number, what: string): number {
  if (r < 0) throw new InputError(`${what} failed with errno ${-r}: the machine is too small for this file (try a larger --ram or a smaller --size)`, { field: "size" });
  return r;
}

const COUNTERS = ["mmsim_syscalls", "mmsim_mode_switches", "mmsim_cpu_copies", "mmsim_cpu_copy_bytes", "mmsim_dma_copies", "mmsim_dma_copy_bytes", "mmsim_net_dma_copies", "pgfault"];

/** Runs one method on `k` (a freshly booted kernel): the setup, then the counted program. */
export function runCopyMethod(k: Kernel, method: CopyMethod, o: CopyOptions): CopyRun {
  checkCopyOptions(o);
  const v = virtualOf(k);
  const fk = fileKernelOf(k);
  const nk = netKernelOf(k);
  const fs = fk.fs;
  const t = v.spawn("copy");
  if (typeof t === "number") throw new InputError(`spawn failed with errno ${-t}`);
  const mm = t.mm!;
  const cpu = k.hw.cpus[t.cpu]!;
  const files = fk.filesOf(t);
  // setup: the file on disk (written, synced, dropped unless warm), the socket, the buffer
  const setupLen = Math.min(o.size, SETUP_BUFFER);
  const setup = must(sysMmap(v.vmm, mm, 0, setupLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0), "mmap");
  const w = must(sysOpen(fs, files, COPY_FILE, O_WRONLY | O_CREAT), "open");
  for (let off = 0; off < o.size; off += setupLen) {
    const len = Math.min(setupLen, o.size - off);
    if (v.vmm.store(mm, cpu, setup, fileBytes(off, len)) !== null) throw new InputError("the setup buffer faulted: the machine is too small", { field: "size" });
    if (must(sysWrite(fs, files, w, mm, cpu, setup, len), "write") !== len) must(-28, "write");
  }
  must(sysFsync(fs, files, w), "fsync");
  sysClose(fs, files, w);
  must(sysMunmap(v.vmm, mm, setup, setupLen), "munmap");
  if (!o.warm) {
    fk.sleepUntil(k.clock.ns);
    dropPagecache(fs);
  }
  const sock = must(sysSocket(fs, files, nk.net), "socket");
  const buf = method === "read-write" ? must(sysMmap(v.vmm, mm, 0, o.chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0), "mmap") : 0;
  const before = COUNTERS.map((n) => k.counters.get(n));
  const t0 = k.clock.ns;
  const tx0 = nk.nic.txBytes;
  const hash0 = nk.nic.wireHash;
  // the program
  const fd = must(sysOpen(fs, files, COPY_FILE, O_RDONLY), "open");
  if (method === "read-write") {
    for (let off = 0; off < o.size; ) {
      const n = must(sysRead(fs, files, fd, mm, cpu, buf, Math.min(o.chunk, o.size - off)), "read");
      must(sysWrite(fs, files, sock, mm, cpu, buf, n), "write");
      off += n;
    }
  } else if (method === "mmap-write") {
    syscallEnter(fs);
    const map = must(sysMmap(v.vmm, mm, 0, o.size, PROT_READ, MAP_PRIVATE, fileVmFile(fs, files.get(fd)!), 0), "mmap");
    for (let off = 0; off < o.size; ) off += must(sysWrite(fs, files, sock, mm, cpu, map + off, Math.min(o.chunk, o.size - off)), "write");
    syscallEnter(fs);
    must(sysMunmap(v.vmm, mm, map, o.size), "munmap");
  } else {
    for (let off = 0; off < o.size; ) off += must(sysSendfile(fs, files, sock, fd, null, Math.min(o.chunk, o.size - off)), "sendfile");
  }
  sysClose(fs, files, fd);
  const programNs = k.clock.ns - t0;
  sockDrain(fileSocket(files.get(sock)!)!);
  const d = COUNTERS.map((n, i) => k.counters.get(n) - before[i]!);
  let h = hash0;
  for (let off = 0; off < o.size; off += SETUP_BUFFER) h = fnv1a(fileBytes(off, Math.min(SETUP_BUFFER, o.size - off)), h);
  const wireBytes = nk.nic.txBytes - tx0;
  return {
    method, title: COPY_METHOD_TITLES[method],
    syscalls: d[0]!, modeSwitches: d[1]!, cpuCopies: d[2]!, cpuCopyBytes: d[3]!, dmaCopies: d[4]!, dmaCopyBytes: d[5]!, netDmaCopies: d[6]!, pageFaults: d[7]!,
    programNs, timeNs: k.clock.ns - t0, wireBytes, wireMatches: wireBytes === o.size && nk.nic.wireHash === h,
  };
}

/** The three methods, each on a kernel from `boot()`. */
export function compareCopyMethods(boot: () => Kernel, o: CopyOptions): CopyRun[] {
  checkCopyOptions(o);
  return COPY_METHODS.map((m) => runCopyMethod(boot(), m, o));
}

/** Simulated ns as "123.456 µs" or "12.345 ms". */
export function formatCopyTime(ns: number): string {
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(3)} ms` : `${(ns / 1e3).toFixed(3)} µs`;
}

/** The runs as a table, one row per method. */
export function formatCopyTable(runs: readonly CopyRun[]): string {
  const head = ["method", "syscalls", "mode switches", "CPU copies", "CPU bytes", "DMA copies (disk+NIC)", "page faults", "program time", "last byte sent", "wire = file"];
  const rows = runs.map((r) => [
    r.title, String(r.syscalls), String(r.modeSwitches), String(r.cpuCopies), String(r.cpuCopyBytes),
    `${r.dmaCopies} (${r.dmaCopies - r.netDmaCopies}+${r.netDmaCopies})`, String(r.pageFaults), formatCopyTime(r.programNs), formatCopyTime(r.timeNs), r.wireMatches ? "yes" : "NO",
  ]);
  const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === 0 ? s.padEnd(width[c]!) : s.padStart(width[c]!))).join("  ").trimEnd() + "\n";
  return line(head) + rows.map(line).join("");
}
