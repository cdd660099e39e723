// A small real machine for tests: hardware Ram + the physical layer's buddy allocator.
import { Clock, Rng, TraceBus } from "@mmsim/base";
import { Ram } from "@mmsim/hardware";
import { PhysicalMemory } from "@mmsim/physical";

export interface TestMachine {
  ram: Ram;
  phys: PhysicalMemory;
  clock: Clock;
  rng: Rng;
  trace: TraceBus;
}

export function testMachine(mib = 64, nrCpus = 2): TestMachine {
  const bytes = mib * 1024 * 1024;
  const ram = new Ram({ bytes });
  const clock = new Clock();
  const trace = new TraceBus(clock);
  const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus, ram, clock, trace, kernelImage: null });
  return { ram, phys, clock, rng: new Rng(42), trace };
}

/** Free pages per order summed over zones (a buddyinfo fingerprint). */
export function freeByOrder(phys: PhysicalMemory): number[] {
  const out = new Array(11).fill(0);
  for (const z of phys.zones()) for (let o = 0; o < 11; o++) out[o] += z.freeArea[o].nrFree;
  return out;
}
