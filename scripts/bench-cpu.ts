// CPU-time figures for the benchmarks: on a loaded machine wall-clock rates fall with the load,
// while operations per CPU-second (process.cpuUsage) stay comparable between runs.

/** Operations per CPU-second of `fn` (`ops` operations a call), over `rounds` calls after one warm-up call. */
export function perCpuSecond(fn: () => void, ops: number, rounds: number): number {
  const proc = (globalThis as unknown as { process: { cpuUsage(prev?: { user: number; system: number }): { user: number; system: number } } }).process;
  fn();
  const t = proc.cpuUsage();
  for (let i = 0; i < rounds; i++) fn();
  const d = proc.cpuUsage(t);
  return Math.round((ops * rounds) / ((d.user + d.system) / 1e6));
}
