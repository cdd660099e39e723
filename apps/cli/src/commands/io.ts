// mmsim io: seed 001's comparison of read()+write(), mmap()+write() and sendfile() sending a file
// to a TCP socket, one row per method with its system calls, mode switches, CPU and DMA copies,
// page faults and simulated time (the runs are @mmsim/kernel's compareCopyMethods; this file
// parses the flags and prints).
import type { Command } from "commander";
import { InputError, parseSize } from "@mmsim/base";
import { COPY_MAX_CHUNK, COPY_MAX_SIZE, compareCopyMethods, formatCopyTable, type CopyOptions } from "@mmsim/kernel";
import type { CliIo } from "../io";
import { addMachineFlags, bootMachine, type MachineFlags } from "./machine-flags";

/** Defaults: a 1 MiB file in 4 KiB chunks. */
const DEFAULT_SIZE = 1024 * 1024;
const DEFAULT_CHUNK = 4096;

function sizeFlag(name: string, max: number) {
  return (text: string): number => {
    let v: number;
    try {
      v = parseSize(text);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`${name}: ${e.problem}`);
      throw e;
    }
    if (!(v >= 1 && v <= max)) throw new InputError(`${name}: expected a size from 1 byte to ${max / (1024 * 1024)}MiB, got ${text}`);
    return v;
  };
}

const HELP = `
Seed 001 says a read() then write() of a file to a socket costs 4 user/kernel mode switches and
4 copies, two of them by DMA:
  1. read() enters the kernel                       (user -> kernel)
  2. the disk's DMA copies the file into the page cache
  3. the CPU copies it into the user's buffer; read() returns   (kernel -> user)
  4. write() enters the kernel                      (user -> kernel)
  5. the CPU copies the buffer into the socket's buffers (skbs)
  6. the NIC's DMA copies them to the card; write() returns      (kernel -> user)
and that mmap() saves the CPU copy into the user buffer (step 3). mmsim runs the three ways on
one simulated machine each (booted from the same flags) and counts what happened:
  read()+write()   open; per chunk read(fd, buf) then write(sock, buf); close
  mmap()+write()   open; mmap(fd, PROT_READ, MAP_PRIVATE); per chunk write(sock, map+off); munmap; close
  sendfile()       open; per chunk sendfile(sock, fd, NULL, chunk); close
What the seed leaves out, and the table shows: the page cache stays (a second run reads no disk:
--warm); the disk DMA is per read-ahead request, not per read; mmap pays page faults instead of
the copy; sendfile has no CPU copy at all (Linux 6.18 attaches the page-cache pages to the skbs
when the NIC does scatter-gather, MSG_SPLICE_PAGES) and 2 switches a call. The NIC is a 10 Gbit/s
Ethernet card with TSO; each write's data leaves as one skb of at most 45 segments of 1448 bytes.

Columns: system calls (mmap and munmap included), mode switches (2 a call), CPU copies (one a
call that copied) and their bytes, DMA copies (disk requests + skbs the NIC read), page faults,
the program's simulated time (until its last call returned) and the time the last byte left
the NIC, and whether the bytes on the wire equal the file.

Examples:
  mmsim io                               a 1 MiB file in 4 KiB chunks, cold page cache
  mmsim io --size 64KiB --chunk 4KiB     seed 001's arithmetic: 16 chunks
  mmsim io --warm                        the file already cached: the CPU's work alone
  mmsim io --size 8MiB --chunk 1MiB --json`;

export function registerIo(program: Command, io: CliIo): void {
  const cmd = program
    .command("io")
    .description("send a file to a socket with read()+write(), mmap()+write() and sendfile(): copies, mode switches, faults and time (seed 001)");
  addMachineFlags(cmd)
    .option("--size <bytes>", "file size (default 1MiB, at most 256MiB)", sizeFlag("--size", COPY_MAX_SIZE))
    .option("--chunk <bytes>", "bytes per read/write/sendfile call (default 4KiB, at most 64MiB)", sizeFlag("--chunk", COPY_MAX_CHUNK))
    .option("--warm", "leave the file in the page cache before each run (default: dropped, so each run reads the disk)")
    .option("--json", "print the runs as JSON")
    .addHelpText("after", HELP)
    .action((opts: MachineFlags & { size?: number; chunk?: number; warm?: boolean; json?: boolean }) => {
      const o: CopyOptions = { size: opts.size ?? DEFAULT_SIZE, chunk: opts.chunk ?? DEFAULT_CHUNK, warm: opts.warm ?? false };
      let runs;
      try {
        runs = compareCopyMethods(() => bootMachine(io, opts), o);
      } catch (e) {
        // the kernel names size or chunk; the user wrote --size or --chunk
        if (e instanceof InputError && (e.where.field === "size" || e.where.field === "chunk")) throw new InputError(`--${e.where.field}: ${e.problem}`);
        throw e;
      }
      if (opts.json) {
        io.out(JSON.stringify({ size: o.size, chunk: o.chunk, warm: o.warm, runs }, null, 2) + "\n");
        return;
      }
      io.out(`A ${o.size}-byte file sent to a TCP socket in ${o.chunk}-byte chunks, page cache ${o.warm ? "warm" : "cold"}:\n\n`);
      io.out(formatCopyTable(runs));
    });
}
