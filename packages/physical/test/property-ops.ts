// How many random operations a property test of this package runs. In CI each test runs its
// own default (together >= 10^5 for the package, as issue 15 asks); MMSIM_PROPERTY_OPS=N asks
// for N operations in total, which each test shares according to its `share` (the shares of
// the package's property tests add up to 1).

/** The MMSIM_PROPERTY_OPS total, or null when unset or not a positive number. */
export function propertyOpsTotal(): number | null {
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
  const n = Number(env?.MMSIM_PROPERTY_OPS);
  return env?.MMSIM_PROPERTY_OPS !== undefined && n > 0 ? n : null;
}

/** Operations this test runs: `ciOps`, or its `share` of MMSIM_PROPERTY_OPS when set. */
export function propertyOps(ciOps: number, share: number): number {
  const total = propertyOpsTotal();
  return total === null ? ciOps : Math.max(1, Math.round(total * share));
}

/** fast-check runs needed for `ops` operations when one run averages `opsPerRun` of them. */
export function propertyRuns(ops: number, opsPerRun: number): number {
  return Math.max(1, Math.ceil(ops / opsPerRun));
}
