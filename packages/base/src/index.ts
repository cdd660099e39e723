/**
 * @mmsim/base: what every layer of mmsim shares and nothing that simulates: size units and
 * 64-bit-safe address helpers, the simulated Clock, a seeded Rng, counters with Linux's vmstat
 * names, tracepoints with Linux's names, the error types and the verify() convention.
 */
export { KiB, MiB, GiB, TiB, PAGE_SHIFT, PAGE_SIZE } from "./units";
export { parseSize, formatSize, formatSizeApprox } from "./units";
export { TWO_32, lo32, hi32, fromHiLo, bits, testBit, and64, or64, andNot64 } from "./addr";
export { alignDown, alignUp, isAligned, physToPfn, pfnToPhys } from "./addr";
export { hex, hex0x, formatVa, parseVa } from "./addr";
export { Clock, DEFAULT_CPU_HZ } from "./clock";
export { Rng } from "./rng";
export { Counters, VMSTAT_ITEMS } from "./counters";
export type { VmstatItem } from "./counters";
export { TraceBus, collect, formatTraceLine } from "./trace";
export type { TraceEvent, TraceFields, TraceSink } from "./trace";
export { MmsimError, Bug, BUG, BUG_ON, InputError, KernelBug, Errno, ok, err } from "./errors";
export type { InputLocation, ErrnoName, Result } from "./errors";
export { verifyAll } from "./verify";
export type { Verifiable } from "./verify";
