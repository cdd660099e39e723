// What a CPU copy of the I/O path costs: the cycles copy_to_user, copy_from_user and the socket's
// copy into its buffers charge on the simulated clock, and the counters every such copy moves
// (mmsim_cpu_copies, mmsim_cpu_copy_bytes). One count per system call that copied bytes, as
// seed 001 counts copies. Does not model caches: every byte costs the same.
import type { FileSystem } from "./fs";

/**
 * Counts one CPU copy of `bytes` (> 0) and charges its cycles on the clock, at the file
 * system's copyBytesPerCycle (hardware's cost model: COPY_BYTES_PER_CYCLE by default).
 */
export function accountCpuCopy(fs: FileSystem, bytes: number): void {
  fs.count("mmsim_cpu_copies");
  fs.count("mmsim_cpu_copy_bytes", bytes);
  fs.clock.advanceCycles(bytes / fs.copyBytesPerCycle);
}
