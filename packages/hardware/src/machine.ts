// createHardware: the whole simulated machine below the kernel — RAM sized from the e820 map,
// NUMA nodes, CPUs with TLBs, the MMU, block devices, a DMA engine and the cost model — ready
// for the kernel package to boot. Validation here is minimal (the kernel validates user input);
// impossible configs are Bugs. Does not boot anything: no page tables exist yet.
import { BUG, Clock, Rng } from "@mmsim/base";
import { Ram } from "./ram";
import type { E820Entry } from "./e820";
import { buildE820, e820End, e820Usable } from "./e820";
import type { NumaNode } from "./numa";
import { NumaDistance, splitNodes } from "./numa";
import type { TlbConfig } from "./tlb";
import { DEFAULT_TLB_CONFIG } from "./tlb";
import { Cpu } from "./cpu";
import { Mmu } from "./mmu";
import type { CostOptions } from "./cost";
import { CostModel } from "./cost";
import type { LatencyModel } from "./block-dev";
import { BlockDevice } from "./block-dev";
import { DmaEngine } from "./dma";
import type { PagingLevels } from "./pgtable";
import type { X86Layout } from "./x86-layout";
import { x86Layout } from "./x86-layout";

export interface DiskConfig {
  /** device name; default vda, vdb, ... in order (disks first, then swap devices) */
  name?: string;
  bytes: number;
  model?: LatencyModel;
  badSectors?: number[];
  errorRate?: number;
}

export interface HardwareConfig {
  ramBytes: number;
  cpus: number;
  /** NUMA nodes (default 1) */
  nodes?: number;
  /** custom SLIT; default 10 local / 20 remote */
  distance?: number[][];
  /** 4 (default) or 5 (LA57) */
  pagingLevels?: PagingLevels;
  tlb?: Partial<TlbConfig>;
  /** CR4.PCIDE (default true) */
  pcid?: boolean;
  smep?: boolean;
  smap?: boolean;
  /** swap devices, by size in bytes */
  swap?: number[];
  disks?: DiskConfig[];
  cost?: CostOptions;
  /** seed of the machine's Rng (default 1) */
  seed?: number;
  clock?: Clock;
  rng?: Rng;
}

export interface Hardware {
  ram: Ram;
  e820: E820Entry[];
  numa: { nodes: NumaNode[]; distance: NumaDistance };
  cpus: Cpu[];
  mmu: Mmu;
  /** disks first, then swap devices */
  devices: BlockDevice[];
  /** the swap devices (also in `devices`) */
  swapDevices: BlockDevice[];
  dma: DmaEngine;
  cost: CostModel;
  clock: Clock;
  rng: Rng;
  levels: PagingLevels;
  layout: X86Layout;
}

/** Builds a machine from `config`. Returns the parts; impossible configs throw Bug. */
export function createHardware(config: HardwareConfig): Hardware {
  const levels = config.pagingLevels ?? 4;
  if (levels !== 4 && levels !== 5) BUG("createHardware", `pagingLevels ${String(levels)} is not 4 or 5`);
  if (!Number.isInteger(config.cpus) || config.cpus < 1) BUG("createHardware", `cpus ${config.cpus} must be a positive integer`);
  const cost = new CostModel(config.cost);
  const clock = config.clock ?? new Clock(cost.cpuHz);
  const rng = config.rng ?? new Rng(config.seed ?? 1);
  const e820 = buildE820({ ramBytes: config.ramBytes });
  const ram = new Ram({ bytes: e820End(e820) });
  const nrNodes = config.nodes ?? 1;
  const nodes = splitNodes(e820Usable(e820), nrNodes);
  const distance = new NumaDistance(nrNodes, config.distance);
  const tlb: TlbConfig = { ...DEFAULT_TLB_CONFIG, ...config.tlb };
  const cpus: Cpu[] = [];
  for (let id = 0; id < config.cpus; id++) cpus.push(new Cpu(id, { tlb, pcid: config.pcid, smep: config.smep, smap: config.smap }));
  const mmu = new Mmu(ram, levels, cost, clock);
  const devices: BlockDevice[] = [];
  const name = () => "vd" + String.fromCharCode(97 + devices.length);
  for (const d of config.disks ?? []) {
    devices.push(new BlockDevice({ name: d.name ?? name(), bytes: d.bytes, model: d.model, badSectors: d.badSectors, errorRate: d.errorRate, rng: d.errorRate ? rng.fork() : undefined }));
  }
  const swapDevices: BlockDevice[] = [];
  for (const bytes of config.swap ?? []) {
    const dev = new BlockDevice({ name: name(), bytes });
    devices.push(dev);
    swapDevices.push(dev);
  }
  return { ram, e820, numa: { nodes, distance }, cpus, mmu, devices, swapDevices, dma: new DmaEngine(ram), cost, clock, rng, levels, layout: x86Layout(levels) };
}
