// Small machines whose numbers are easy to know, shared by the tests.
import { MiB, GiB } from "@mmsim/base";
import { PhysicalMemory } from "../src/index";
import type { PhysicalConfig } from "../src/index";

/** 64 MiB at [0, 64M), one CPU, no kernel image: DMA 256..4095 free, DMA32 4096..15871 free. */
export function tiny(extra: Partial<PhysicalConfig> = {}): PhysicalMemory {
  return PhysicalMemory.boot({ memory: [{ base: 0, size: 64 * MiB, nid: 0 }], nrCpus: 1, kernelImage: null, ...extra });
}

/** An x86-64 PC with a PCI hole: usable [4K, 636K) + [1M, 3G) + [4G, 9G). */
export function pciHole(extra: Partial<PhysicalConfig> = {}): PhysicalMemory {
  return PhysicalMemory.boot({
    memory: [
      { base: 0x1000, size: 0x9f000 - 0x1000, nid: 0 },
      { base: 1 * MiB, size: 3 * GiB - 1 * MiB, nid: 0 },
      { base: 4 * GiB, size: 5 * GiB, nid: 0 },
    ],
    nrCpus: 2,
    ...extra,
  });
}

/** Two nodes of 512 MiB each (node 1 above 4 GiB), two CPUs, one per node. */
export function twoNodes(extra: Partial<PhysicalConfig> = {}): PhysicalMemory {
  return PhysicalMemory.boot({
    memory: [
      { base: 0, size: 512 * MiB, nid: 0 },
      { base: 4 * GiB, size: 512 * MiB, nid: 1 },
    ],
    nrCpus: 2,
    kernelImage: null,
    ...extra,
  });
}

/** Two nodes of 64 MiB (node 1 at 4 GiB), two CPUs: small enough to verify() after every step. */
export function twoSmallNodes(extra: Partial<PhysicalConfig> = {}): PhysicalMemory {
  return PhysicalMemory.boot({
    memory: [
      { base: 0, size: 64 * MiB, nid: 0 },
      { base: 4 * GiB, size: 64 * MiB, nid: 1 },
    ],
    nrCpus: 2,
    kernelImage: null,
    ...extra,
  });
}
