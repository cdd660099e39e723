// Boots kernel-alloc on a fresh test machine.
import { KernelAlloc } from "../src/kernel-alloc";
import type { KernelAllocConfig } from "../src/kernel-alloc-config";
import { testMachine } from "./machine";
import type { TestMachine } from "./machine";

export function bootKa(cfg: Partial<KernelAllocConfig> = {}, mib = 64): { ka: KernelAlloc; m: TestMachine } {
  const m = testMachine(mib, cfg.nrCpus ?? 2);
  const ka = KernelAlloc.boot({ phys: m.phys, ram: m.ram, rng: m.rng, clock: m.clock, trace: m.trace, kernelCaches: false, ...cfg });
  return { ka, m };
}

/** n bytes at pa as "xx xx ..." */
export function bytesAt(m: TestMachine, pa: number, n: number): string {
  return [...m.ram.read(pa, n)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}
