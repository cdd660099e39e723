// Simulated time (ARCHITECTURE §2). Nothing in mmsim reads the host clock: costs are charged
// in CPU cycles and the Clock turns them into nanoseconds at the machine's frequency. kswapd,
// kcompactd and device latencies all run on this clock, so a run is reproducible.

/** Default simulated core frequency: 3 GHz, a typical x86-64 server core. */
export const DEFAULT_CPU_HZ = 3_000_000_000;

export class Clock {
  /** nanoseconds since boot (a double: exact to 2^53 ns ≈ 104 days) */
  ns = 0;

  constructor(readonly cpuHz: number = DEFAULT_CPU_HZ) {}

  /** Advances the clock by `ns` nanoseconds. */
  advanceNs(ns: number): void {
    this.ns += ns;
  }

  /** Advances the clock by `cycles` CPU cycles at this clock's frequency. */
  advanceCycles(cycles: number): void {
    this.ns += (cycles * 1e9) / this.cpuHz;
  }

  /** Seconds since boot, as printed in dmesg timestamps and trace lines. */
  get seconds(): number {
    return this.ns / 1e9;
  }

  /** Linux's jiffies at HZ=250 (CONFIG_HZ_250, the x86-64 defconfig). */
  get jiffies(): number {
    return Math.floor(this.ns / 4_000_000);
  }
}
