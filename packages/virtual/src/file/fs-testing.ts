// A machine for the file layer's tests: the virtual layer's test machine, a 64 MiB SSD, its DMA
// engine, a clock, one task (mm, CPU 0, descriptor table) with an anonymous buffer to read into
// and write from. Not part of the package's API (tests only).
import { Clock } from "@mmsim/base";
import { BlockDevice, DmaEngine } from "@mmsim/hardware";
import { bootVirtual, newMm } from "../../test/boot";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "../mm-flags";
import { sysMmap } from "../syscalls";
import type { MmStruct } from "../mm-types";
import type { VirtualMemory } from "../virtual-memory";
import type { Cpu } from "@mmsim/hardware";
import { FileSystem } from "./fs";
import type { FileSystemConfig } from "./fs";
import { FilesStruct } from "./file-table";

export interface FsMachine {
  vmm: VirtualMemory;
  fs: FileSystem;
  mm: MmStruct;
  cpu: Cpu;
  files: FilesStruct;
  /** a 4 MiB read/write buffer in mm */
  buf: number;
  clock: Clock;
}

/** Boots the machine (RAM in MiB, disk in MiB). */
export function bootFs(cfg: Partial<FileSystemConfig> = {}, ramMib = 64, diskMib = 64): FsMachine {
  const vmm = bootVirtual({}, ramMib);
  const clock = new Clock();
  const dev = new BlockDevice({ name: "vda", bytes: diskMib * 1024 * 1024 });
  const fs = new FileSystem({ vmm, dev, dma: new DmaEngine(vmm.ram), clock, syscallCycles: 250, ...cfg });
  const mm = newMm(vmm);
  const buf = sysMmap(vmm, mm, 0, 4 * 1024 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
  return { vmm, fs, mm, cpu: vmm.cpus[0]!, files: new FilesStruct(), buf, clock };
}

/** The counter `name` of the machine. */
export function counter(m: FsMachine, name: string): number {
  return m.vmm.phys.counters.get(name);
}
