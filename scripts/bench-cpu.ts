// CPU-time figures for the benchmarks: on a loaded machine wall-clock rates fall with the load,
// while operations per CPU-second (process.cpuUsage) stay comparable between runs.

/**
 * Operations per CPU-second of `fn` (`ops` operations a call), over `rounds` calls after one
 * warm-up call. With `before`/`after`, each call is wrapped in them and only `fn` is timed.
 */
export function perCpuSecond(fn: () => void, ops: number, rounds: number, before?: () => void, after?: () => void): number {
  const proc = (globalThis as unknown as { process: { cpuUsage(prev?: { user: number; system: number }): { user: number; system: number } } }).process;
  before?.();
  fn();
  after?.();
  if (before === undefined && after === undefined) {
    const t = proc.cpuUsage();
    for (let i = 0; i < rounds; i++) fn();
    const d = proc.cpuUsage(t);
    return Math.round((ops * rounds) / ((d.user + d.system) / 1e6));
  }
  let us = 0;
  for (let i = 0; i < rounds; i++) {
    before?.();
    const t = proc.cpuUsage();
    fn();
    const d = proc.cpuUsage(t);
    us += d.user + d.system;
    after?.();
  }
  return Math.round((ops * rounds) / (us / 1e6));
}
