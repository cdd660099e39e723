// The vm sysctls of this layer (kernel/sysctl.c, mm/page_alloc.c handlers) and the boot steps
// that depend on them: zonelists (build_all_zonelists, in zonelists.ts), min_free_kbytes, watermarks,
// lowmem_reserve, PCP high/batch, khugepaged's min_free_kbytes (set_recommended_min_free_kbytes),
// and the "Built ... zonelists" and "Memory:" boot lines. Not modelled: memory hotplug re-runs,
// zone-order zonelists, per-size THP controls (hugepages-2048kB/enabled is "inherit").
import { BUG, InputError } from "@mmsim/base";
import { ZONE_DEVICE, ZONE_HIGHMEM, ZONE_MOVABLE, ZONE_NORMAL, ZONE_TYPE_NAMES, PAGEBLOCK_NR_PAGES } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { intSqrt, MIN_FREE_KBYTES_MAX, MIN_FREE_KBYTES_MIN, minFreeKbytesFor, nrFreeBufferPages, setupPcpHighAndBatch, setupPerZoneLowmemReserve, setupPerZoneWmarks, thpRecommendedMinFreeKbytes } from "./watermarks";
import type { PhysicalSysctls } from "./watermarks";
import { buildAllZonelists } from "./zonelists";

/** Migrate types counted by the mobility-grouping check (no CMA configured: 5). */
const MIGRATE_TYPES_NO_CMA = 5;
/** THP is not enabled on machines below 512 MiB (mm/huge_memory.c hugepage_init). */
const THP_MIN_RAM_PAGES = (512 << 20) / 4096;

/** /sys/kernel/mm/transparent_hugepage/enabled. */
export type TransparentHugepage = "always" | "madvise" | "never";
/** The values of TransparentHugepage, in the order the sysfs file lists them. */
export const TRANSPARENT_HUGEPAGE_MODES: readonly TransparentHugepage[] = ["always", "madvise", "never"];

/** Checks a THP mode given at boot; InputError naming transparentHugepage otherwise. */
export function checkTransparentHugepage(v: unknown): TransparentHugepage {
  if (typeof v === "string" && (TRANSPARENT_HUGEPAGE_MODES as readonly string[]).includes(v)) return v as TransparentHugepage;
  throw new InputError(`invalid value ${JSON.stringify(v)}: expected one of ${TRANSPARENT_HUGEPAGE_MODES.join(", ")}`, { field: "transparentHugepage" });
}

/** Default lowmem_reserve_ratio per zone type (mm/page_alloc.c sysctl_lowmem_reserve_ratio). */
const LOWMEM_RESERVE_RATIO: Record<number, number> = { 0: 256, 1: 256, 2: 32, 3: 0, 4: 0, 5: 0 };

function K(pages: number): number {
  return pages * 4;
}

/** The boot steps after the free lists exist. Returns the effective sysctls. */
export function applyBootSysctls(m: PhysicalMemory, given: Partial<PhysicalSysctls>): PhysicalSysctls {
  const types = m.boot.zoneTypes;
  const sys: PhysicalSysctls = {
    min_free_kbytes: 0,
    watermark_scale_factor: 10,
    watermark_boost_factor: 15000,
    lowmem_reserve_ratio: types.map((t) => LOWMEM_RESERVE_RATIO[t]),
    percpu_pagelist_high_fraction: 0,
    numa_zonelist_order: "Node",
  };
  const fallbackOrders = buildAllZonelists(m.nodes, m.distance, m.boot.cpuToNode);
  const zones = m.nodes.flatMap((n) => n.zones);
  const totalPages = m.nodes.reduce((s, n) => s + n.nodePresentPages, 0);
  m.mobilityDisabled = totalPages < PAGEBLOCK_NR_PAGES * MIGRATE_TYPES_NO_CMA;
  let policy = ZONE_NORMAL;
  for (const z of zones) if (z.populated && z.type > policy && z.type !== ZONE_MOVABLE && z.type !== ZONE_DEVICE) policy = z.type;
  const log = m.bootLines;
  log.push(...m.boot.log);
  // build_zonelists() prints each node's order with pr_cont("%d "), so the line ends in a space
  fallbackOrders.forEach((order, nid) => log.push(`Fallback order for Node ${nid}: ${order.map((n) => `${n} `).join("")}`));
  const nrOnline = m.nodes.filter((n) => n.nodePresentPages > 0).length;
  log.push(`Built ${nrOnline} zonelists, mobility grouping ${m.mobilityDisabled ? "off" : "on"}.  Total pages: ${totalPages}`);
  log.push(`Policy zone: ${ZONE_TYPE_NAMES[policy]}`);

  const managed = zones.reduce((s, z) => s + z.managedPages, 0);
  log.push(memInitPrintInfo(m));

  // init_per_zone_wmark_min()
  if (given.watermark_scale_factor !== undefined) sys.watermark_scale_factor = checkInt("watermark_scale_factor", given.watermark_scale_factor, 1, 3000);
  if (given.watermark_boost_factor !== undefined) sys.watermark_boost_factor = checkInt("watermark_boost_factor", given.watermark_boost_factor, 0, 2 ** 31 - 1);
  if (given.lowmem_reserve_ratio !== undefined) sys.lowmem_reserve_ratio = checkRatios(given.lowmem_reserve_ratio, types.length);
  if (given.percpu_pagelist_high_fraction !== undefined) sys.percpu_pagelist_high_fraction = checkFraction(given.percpu_pagelist_high_fraction);
  if (given.numa_zonelist_order !== undefined) sys.numa_zonelist_order = checkZonelistOrder(given.numa_zonelist_order);
  m.watermarkBoostFactor = sys.watermark_boost_factor;
  sys.min_free_kbytes = minFreeKbytesFor(nrFreeBufferPages(m.nodes) * 4);
  recompute(m, sys);
  // hugepage_init() (subsys_initcall, CONFIG_TRANSPARENT_HUGEPAGE only): below 512 MiB THP is
  // switched off and khugepaged never starts; otherwise start_stop_khugepaged() ends in
  // set_recommended_min_free_kbytes().
  if (m.transparentHugepage !== null) {
    if (managed < THP_MIN_RAM_PAGES) m.transparentHugepage = "never";
    else setRecommendedMinFreeKbytes(m, sys, log);
  }
  // A min_free_kbytes given at boot is written afterwards, as sysctl.conf does once booted.
  if (given.min_free_kbytes !== undefined) {
    sys.min_free_kbytes = checkInt("min_free_kbytes", given.min_free_kbytes, 0, 2 ** 31 - 1);
    m.userMinFreeKbytes = sys.min_free_kbytes;
    recompute(m, sys);
  }
  return sys;
}

/**
 * set_recommended_min_free_kbytes() (mm/khugepaged.c), run by start_stop_khugepaged() at boot
 * and whenever the THP mode changes: with THP on ("always" or "madvise"), min_free_kbytes is
 * raised to thpRecommendedMinFreeKbytes() when that is larger (printing the raise when the
 * user had set a value); with THP off it is recomputed by calculate_min_free_kbytes() from
 * nr_free_buffer_pages() as it is now (the watermarks already in place). Then the watermarks
 * and PCP limits are set up again (setup_per_zone_wmarks). Lines go to `log`, or to the
 * kernel log after boot.
 */
export function setRecommendedMinFreeKbytes(m: PhysicalMemory, sys: PhysicalSysctls = m.sysctl, log?: string[]): void {
  if (m.transparentHugepage === null) BUG("set_recommended_min_free_kbytes", "the machine was booted without transparent hugepages");
  const print = (line: string): void => {
    if (log) log.push(line);
    else m.printk(line);
  };
  if (m.transparentHugepage === "never") {
    // calculate_min_free_kbytes(): a user's value wins when it is not smaller
    const fresh = intSqrt(nrFreeBufferPages(m.nodes) * 4 * 16);
    if (fresh > m.userMinFreeKbytes) sys.min_free_kbytes = Math.min(MIN_FREE_KBYTES_MAX, Math.max(MIN_FREE_KBYTES_MIN, fresh));
    else print(`min_free_kbytes is not updated to ${fresh} because user defined value ${m.userMinFreeKbytes} is preferred`);
  } else {
    const rec = thpRecommendedMinFreeKbytes(m.nodes, sys.min_free_kbytes);
    if (rec > sys.min_free_kbytes) {
      if (m.userMinFreeKbytes >= 0) print(`raising min_free_kbytes from ${sys.min_free_kbytes} to ${rec} to help transparent hugepage allocations`);
      sys.min_free_kbytes = rec;
    }
  }
  setupPerZoneWmarks(m.nodes, sys);
  setupPcpHighAndBatch(m.nodes, sys, m.nrCpus);
}

/** setup_per_zone_wmarks() + lowmem reserve + zone_pcp_update(). */
function recompute(m: PhysicalMemory, sys: PhysicalSysctls): void {
  setupPerZoneWmarks(m.nodes, sys);
  setupPerZoneLowmemReserve(m.nodes, sys);
  setupPcpHighAndBatch(m.nodes, sys, m.nrCpus);
}

function checkInt(key: string, v: unknown, min: number, max: number): number {
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`invalid value ${JSON.stringify(v)}: expected an integer in ${min}..${max}`, { field: `vm.${key}` });
  }
  return n;
}

function checkFraction(v: unknown): number {
  const n = checkInt("percpu_pagelist_high_fraction", v, 0, 2 ** 31 - 1);
  if (n !== 0 && n < 8) throw new InputError(`invalid value ${n}: expected 0 or at least 8`, { field: "vm.percpu_pagelist_high_fraction" });
  return n;
}

function checkRatios(v: unknown, n: number): number[] {
  const arr = typeof v === "string" ? v.trim().split(/\s+/).map(Number) : v;
  if (!Array.isArray(arr) || arr.length !== n || !arr.every((x) => Number.isInteger(x) && x >= 0)) {
    throw new InputError(`invalid value ${JSON.stringify(v)}: expected ${n} integers ≥ 0, one per zone`, { field: "vm.lowmem_reserve_ratio" });
  }
  return arr.map((x: number) => (x < 1 ? 0 : x));
}

function checkZonelistOrder(v: unknown): string {
  if (typeof v !== "string" || !["node", "default"].includes(v.trim().toLowerCase())) {
    throw new InputError(`invalid value ${JSON.stringify(v)}: expected "Node" or "default" (zone order was removed in 4.14)`, { field: "vm.numa_zonelist_order" });
  }
  return "Node";
}

/** The names accepted by getSysctl/setSysctl. */
export const PHYSICAL_SYSCTLS = ["min_free_kbytes", "watermark_scale_factor", "watermark_boost_factor", "lowmem_reserve_ratio", "percpu_pagelist_high_fraction", "numa_zonelist_order"] as const;

/** /proc/sys/vm/<key> text (lowmem_reserve_ratio tab-separated, as Linux prints it). */
export function getSysctl(m: PhysicalMemory, key: string): string {
  const s = m.sysctl;
  switch (key) {
    case "lowmem_reserve_ratio":
      return s.lowmem_reserve_ratio.join("\t");
    case "min_free_kbytes":
    case "watermark_scale_factor":
    case "watermark_boost_factor":
    case "percpu_pagelist_high_fraction":
    case "numa_zonelist_order":
      return String(s[key]);
    default:
      throw new InputError(`unknown sysctl: expected one of ${PHYSICAL_SYSCTLS.join(", ")}`, { field: `vm.${key}` });
  }
}

/**
 * Writes a sysctl and recomputes what Linux recomputes (watermarks, lowmem_reserve, PCP
 * high/batch). A bad value throws InputError naming the key; nothing changes then.
 */
export function setSysctl(m: PhysicalMemory, key: string, value: string | number | number[]): void {
  const s = m.sysctl;
  switch (key) {
    case "min_free_kbytes":
      s.min_free_kbytes = checkInt(key, value, 0, 2 ** 31 - 1);
      m.userMinFreeKbytes = s.min_free_kbytes;
      break;
    case "watermark_scale_factor":
      s.watermark_scale_factor = checkInt(key, value, 1, 3000);
      break;
    case "watermark_boost_factor":
      s.watermark_boost_factor = checkInt(key, value, 0, 2 ** 31 - 1);
      m.watermarkBoostFactor = s.watermark_boost_factor;
      return;
    case "lowmem_reserve_ratio":
      s.lowmem_reserve_ratio = checkRatios(value, m.boot.zoneTypes.length);
      setupPerZoneLowmemReserve(m.nodes, s);
      return;
    case "percpu_pagelist_high_fraction":
      s.percpu_pagelist_high_fraction = checkFraction(value);
      setupPcpHighAndBatch(m.nodes, s, m.nrCpus);
      return;
    case "numa_zonelist_order":
      s.numa_zonelist_order = checkZonelistOrder(value);
      return;
    default:
      getSysctl(m, key);
  }
  recompute(m, s);
}

/**
 * mem_init_print_info() (mm/mm_init.c): "Memory: <free>K/<physpages>K available (<code>K kernel
 * code, ..., <reserved>K reserved, 0K cma-reserved)" from the state now: free is
 * nr_free_pages(), physpages the present pages, reserved physpages − totalram (the zones'
 * managed pages). 6.18 prints it from page_alloc_init_late(), after the slab allocator is up;
 * boot puts the line as it stands at the end of this layer's boot into bootLog().
 */
export function memInitPrintInfo(m: PhysicalMemory): string {
  const zones = m.nodes.flatMap((n) => n.zones);
  const physpages = m.nodes.reduce((s, n) => s + n.nodePresentPages, 0);
  const free = zones.reduce((s, z) => s + z.nrFreePages, 0);
  const managed = zones.reduce((s, z) => s + z.managedPages, 0);
  const ki = m.kernelImage;
  const kb = (b: number): number => Math.floor(b / 1024);
  const highmem = m.arch === "i386" ? `, ${K(zones.filter((z) => z.type === ZONE_HIGHMEM).reduce((s, z) => s + z.managedPages, 0))}K highmem` : "";
  return (
    `Memory: ${K(free)}K/${K(physpages)}K available (${kb(ki.code)}K kernel code, ${kb(ki.rwdata)}K rwdata, ${kb(ki.rodata)}K rodata, ` +
    `${kb(ki.init)}K init, ${kb(ki.bss)}K bss, ${K(physpages - managed)}K reserved, 0K cma-reserved${highmem})`
  );
}
