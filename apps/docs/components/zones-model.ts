// The model behind the "Zones and NUMA" page: boots four machines with @mmsim/kernel (the
// default 8 GiB x86-64 box, the same with two NUMA nodes, a small four-node box with one CPU per
// node, and a 2 GiB 32-bit box with HighMem) and reads back what the kernel computed: zone
// ranges, spanned/present/managed pages, watermarks, lowmem_reserve, zonelists, each node's
// CPUs, SLIT distances and fallback node order, the boot log's zone lines and /proc/zoneinfo.
// Plain data out; the layers decide every number.
import { Kernel } from "@mmsim/kernel";
import type { MachineConfig } from "@mmsim/kernel";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** The machines the page offers, by id. */
export const ZONE_MACHINES: Readonly<Record<string, { config: Partial<MachineConfig>; en: string; zh: string }>> = {
  default: { config: {}, en: "default machine: 8 GiB, 2 CPUs, 1 node", zh: "默认机器：8 GiB，2 个 CPU，1 个节点" },
  numa: { config: { nodes: 2 }, en: "the same with 2 NUMA nodes", zh: "同样的机器，2 个 NUMA 节点" },
  numa4: {
    config: { nodes: 4, cpus: 4, ram: 640 * MiB },
    en: "4 NUMA nodes, 640 MiB, 1 CPU per node, all remote distances 20",
    zh: "4 个 NUMA 节点，640 MiB，每个节点 1 个 CPU，远端距离都是 20",
  },
  i386: { config: { arch: "i386", ram: 2 * GiB }, en: "32-bit x86, 2 GiB (HighMem)", zh: "32 位 x86，2 GiB（HighMem）" },
};

export interface ZoneRow {
  nid: number;
  name: string;
  /** first and last pfn (inclusive), -1 when the zone is empty */
  startPfn: number;
  endPfn: number;
  spanned: number;
  present: number;
  managed: number;
  /** min, low, high */
  wmark: [number, number, number];
  /** lowmem_reserve[] as zoneinfo prints it: protection: (a, b, ...) */
  protection: number[];
}

export interface NodeRow {
  nid: number;
  cpus: number[];
  distance: number[];
  fallback: number[];
}

export interface ZonesView {
  id: string;
  minFreeKbytes: string;
  watermarkScaleFactor: string;
  lowmemReserveRatio: string;
  zones: ZoneRow[];
  /** per node: its fallback zonelist as "Node n Zone" strings */
  zonelists: { nid: number; zones: string[] }[];
  /**
   * per node: its CPUs, its row of the SLIT (node_distance to every node) and the order in
   * which its fallback zonelist visits the nodes (each node id once, as the zonelist has them)
   */
  nodes: NodeRow[];
  /** the boot log's "Fallback order for Node N: ..." lines, as printed (trailing space kept) */
  fallbackLog: string[];
  /** the boot log from "Zone ranges:" to the "Built ... zonelists" line */
  bootZoneLines: string[];
  /**
   * memory freed at the end of boot, after the watermarks were set (free_initmem and
   * mark_rodata_ro's "Freeing <what> memory: <K>K" lines): it raises managed pages but not the
   * watermarks, which were computed from the smaller managed counts
   */
  lateFrees: { what: string; kb: number }[];
  zoneinfo: string;
}

/** Boots machine `id` (a key of ZONE_MACHINES) and reads its zones back. */
export function zonesView(id: string): ZonesView {
  const m = ZONE_MACHINES[id];
  if (!m) throw new Error(`zonesView: unknown machine ${id}`);
  const k = Kernel.boot(m.config);
  const zones: ZoneRow[] = k.phys.zones().map((z) => ({
    nid: z.nid,
    name: z.name,
    startPfn: z.spannedPages ? z.zoneStartPfn : -1,
    endPfn: z.spannedPages ? z.zoneStartPfn + z.spannedPages - 1 : -1,
    spanned: z.spannedPages,
    present: z.presentPages,
    managed: z.managedPages,
    wmark: [z.watermark[0], z.watermark[1], z.watermark[2]],
    protection: [...z.lowmemReserve],
  }));
  const zonelists = k.phys.nodes.map((n) => ({ nid: n.nid, zones: n.zonelistFallback.map((z) => `Node ${z.nid} ${z.name}`) }));
  const distance = k.hw.numa.distance.toMatrix();
  const nodes: NodeRow[] = k.phys.nodes.map((n) => ({
    nid: n.nid,
    cpus: [...n.cpus],
    distance: [...distance[n.nid]],
    fallback: [...new Set(n.zonelistFallback.map((z) => z.nid))],
  }));
  const log = k.phys.bootLog();
  const from = log.findIndex((l) => l.startsWith("Zone ranges:"));
  const to = log.findIndex((l) => l.startsWith("Built "));
  return {
    id,
    minFreeKbytes: k.cat("/proc/sys/vm/min_free_kbytes").trim(),
    watermarkScaleFactor: k.cat("/proc/sys/vm/watermark_scale_factor").trim(),
    lowmemReserveRatio: k.cat("/proc/sys/vm/lowmem_reserve_ratio").trim().split(/\s+/).join(" "),
    zones,
    zonelists,
    nodes,
    fallbackLog: log.filter((l) => l.startsWith("Fallback order for Node ")),
    bootZoneLines: from >= 0 && to >= from ? log.slice(from, to + 1) : [],
    lateFrees: [...k.dmesg.render().matchAll(/Freeing (.+) memory: (\d+)K$/gm)].map((x) => ({ what: x[1]!, kb: Number(x[2]) })),
    zoneinfo: k.cat("/proc/zoneinfo"),
  };
}
