/**
 * @mmsim/base: what every layer of mmsim shares and nothing that simulates: size units and
 * 64-bit-safe address helpers, the simulated Clock, a seeded Rng, counters with Linux's vmstat
 * names, tracepoints with Linux's names, the error types and the verify() convention.
 */
export { KiB } from "./units";
export { MiB } from "./units";
export { GiB } from "./units";
export { TiB } from "./units";
export { PAGE_SHIFT } from "./units";
export { PAGE_SIZE } from "./units";
export { parseSize } from "./units";
export { formatSize } from "./units";
export { formatSizeApprox } from "./units";
export { TWO_32 } from "./addr";
export { lo32 } from "./addr";
export { hi32 } from "./addr";
export { fromHiLo } from "./addr";
export { bits } from "./addr";
export { testBit } from "./addr";
export { and64 } from "./addr";
export { or64 } from "./addr";
export { andNot64 } from "./addr";
export { alignDown } from "./addr";
export { alignUp } from "./addr";
export { isAligned } from "./addr";
export { physToPfn } from "./addr";
export { pfnToPhys } from "./addr";
export { hex } from "./addr";
export { hex0x } from "./addr";
export { formatVa } from "./addr";
export { parseVa } from "./addr";
export { Clock } from "./clock";
export { DEFAULT_CPU_HZ } from "./clock";
export { Rng } from "./rng";
export { Counters } from "./counters";
export { VMSTAT_ITEMS } from "./counters";
export type { VmstatItem } from "./counters";
export { TraceBus } from "./trace";
export { collect } from "./trace";
export { formatTraceLine } from "./trace";
export type { TraceEvent } from "./trace";
export type { TraceFields } from "./trace";
export type { TraceSink } from "./trace";
export { MmsimError } from "./errors";
export { Bug } from "./errors";
export { BUG } from "./errors";
export { BUG_ON } from "./errors";
export { InputError } from "./errors";
export { KernelBug } from "./errors";
export { Errno } from "./errors";
export { ok } from "./errors";
export { err } from "./errors";
export type { InputLocation } from "./errors";
export type { ErrnoName } from "./errors";
export type { Result } from "./errors";
export { verifyAll } from "./verify";
export type { Verifiable } from "./verify";
