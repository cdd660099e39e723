// What a CPU copy of the I/O path costs: the cycles copy_to_user, copy_from_user and the socket's
// copy into its buffers charge on the simulated clock, and the counters every such copy moves
// (mmsim_cpu_copies, mmsim_cpu_copy_bytes). One count per system call that copied bytes, as
// seed 001 counts copies. Does not model caches: every byte costs the same.
import type { FileSystem } from "./fs";

/**
 * Bytes a core copies per cycle: 4 (12 GB/s at 3 GHz). rep movsb (ERMSB, the kernel's
 * copy_user on Skylake) moves 16-32 bytes a cycle while source and destination are in L1/L2, but
 * the page cache's data has just come by DMA into memory, so the copy runs at one core's memory
 * bandwidth, ~10-14 GB/s (Intel 64 and IA-32 Optimization Reference Manual, "Enhanced REP MOVSB
 * and STOSB operation"; single-thread STREAM Copy on Skylake servers).
 */
export const COPY_BYTES_PER_CYCLE = 4;

/** Counts one CPU copy of `bytes` (> 0) and charges its cycles on the clock. */
export function accountCpuCopy(fs: FileSystem, bytes: number): void {
  fs.count("mmsim_cpu_copies");
  fs.count("mmsim_cpu_copy_bytes", bytes);
  fs.clock.advanceCycles(bytes / COPY_BYTES_PER_CYCLE);
}
