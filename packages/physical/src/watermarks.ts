// Watermarks and reserves (mm/page_alloc.c: calculate_min_free_kbytes, __setup_per_zone_wmarks,
// setup_per_zone_lowmem_reserve, __zone_watermark_ok, zone_batchsize/zone_highsize;
// mm/khugepaged.c: set_recommended_min_free_kbytes; mm/vmstat.c: calculate_normal_threshold).
// Not modelled: memory hotplug recomputation, NUMA-tiering promo use, the vmstat pressure threshold.
//
//   free pages ▲
//              │ ─ ─ ─ ─ ─ ─ high  kswapd sleeps once every eligible zone is back above here
//              │ ─ ─ ─ ─ ─ ─ low   fast path needs free > low + lowmem_reserve; below: wake kswapd
//              │ ─ ─ ─ ─ ─ ─ min   slow path floor; __GFP_HIGH may go to min/2, GFP_ATOMIC to 3/8
//              │                   (and PF_MEMALLOC/OOM victims below)
//              └──────────────▶ time
//
// min is the zone's share of min_free_kbytes (by managed pages of the lowmem zones); the gap
// min→low→high is max(min/4, managed × watermark_scale_factor / 10000). watermark_boost
// raises all three temporarily after fragmenting fallbacks.
import { ALLOC_CMA, ALLOC_HIGHATOMIC, ALLOC_MIN_RESERVE, ALLOC_NON_BLOCK, ALLOC_OOM, ALLOC_RESERVES } from "./internal/alloc-flags";
import { MAX_PAGE_ORDER, MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_PCPTYPES, PAGEBLOCK_NR_PAGES } from "./mmzone";
import { WMARK_HIGH, WMARK_LOW, WMARK_MIN, WMARK_PROMO, ZONE_HIGHMEM, ZONE_MOVABLE, ZONE_NORMAL } from "./mmzone";
import type { Pglist, Zone } from "./mmzone";

/** The sysctls of this layer (/proc/sys/vm), with Linux's names. */
export interface PhysicalSysctls {
  min_free_kbytes: number;
  watermark_scale_factor: number;
  watermark_boost_factor: number;
  /** one ratio per zone of the arch's enum (x86-64: DMA DMA32 Normal Movable Device) */
  lowmem_reserve_ratio: number[];
  percpu_pagelist_high_fraction: number;
  numa_zonelist_order: string;
}

/** min_free_kbytes clamp (mm/page_alloc.c calculate_min_free_kbytes). */
export const MIN_FREE_KBYTES_MIN = 128;
export const MIN_FREE_KBYTES_MAX = 262144;
/** MIN_PERCPU_PAGELIST_HIGH_FRACTION (mm/page_alloc.c). */
export const MIN_PERCPU_PAGELIST_HIGH_FRACTION = 8;
/** SWAP_CLUSTER_MAX (include/linux/swap.h): floor of a HighMem/Movable min watermark. */
export const SWAP_CLUSTER_MAX = 32;

/** int_sqrt(): floor of the square root, exact for integers below 2^53. */
export function intSqrt(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** min_free_kbytes for a machine with `lowmemKbytes` of buffer-able memory, clamped. */
export function minFreeKbytesFor(lowmemKbytes: number): number {
  return Math.min(MIN_FREE_KBYTES_MAX, Math.max(MIN_FREE_KBYTES_MIN, intSqrt(lowmemKbytes * 16)));
}

/** Every zone of every node, in node then zone order. */
function allZones(nodes: readonly Pglist[]): Zone[] {
  return nodes.flatMap((n) => n.zones);
}

/** nr_free_buffer_pages(): Σ (managed − high) over zones up to Normal (GFP_USER's highest). */
export function nrFreeBufferPages(nodes: readonly Pglist[]): number {
  let sum = 0;
  for (const z of allZones(nodes)) {
    if (z.type > ZONE_NORMAL) continue;
    const high = z.highWmark;
    if (z.managedPages > high) sum += z.managedPages - high;
  }
  return sum;
}

/**
 * set_recommended_min_free_kbytes() (THP): 5632 pages per populated zone up to Normal,
 * capped at 5% of nr_free_buffer_pages; returns the new value (never lower than `current`).
 */
export function thpRecommendedMinFreeKbytes(nodes: readonly Pglist[], current: number): number {
  let nrZones = 0;
  for (const z of allZones(nodes)) if (z.populated && z.type <= ZONE_NORMAL) nrZones++;
  let rec = PAGEBLOCK_NR_PAGES * nrZones * 2 + PAGEBLOCK_NR_PAGES * nrZones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
  rec = Math.min(rec, Math.floor(nrFreeBufferPages(nodes) / 20));
  rec *= 4;
  return rec > current ? rec : current;
}

/** __setup_per_zone_wmarks(): min/low/high/promo of every zone from min_free_kbytes. */
export function setupPerZoneWmarks(nodes: readonly Pglist[], sys: PhysicalSysctls): void {
  const pagesMin = sys.min_free_kbytes >> 2;
  let lowmemPages = 0;
  for (const z of allZones(nodes)) if (z.type !== ZONE_HIGHMEM && z.type !== ZONE_MOVABLE) lowmemPages += z.managedPages;
  for (const z of allZones(nodes)) {
    const share = lowmemPages === 0 ? 0 : Math.floor((pagesMin * z.managedPages) / lowmemPages);
    if (z.type === ZONE_HIGHMEM || z.type === ZONE_MOVABLE) {
      z.watermark[WMARK_MIN] = Math.min(128, Math.max(SWAP_CLUSTER_MAX, Math.floor(z.managedPages / 1024)));
    } else {
      z.watermark[WMARK_MIN] = share;
    }
    const tmp = Math.max(share >> 2, Math.floor((z.managedPages * sys.watermark_scale_factor) / 10000));
    z.watermarkBoost = 0;
    z.watermark[WMARK_LOW] = z.watermark[WMARK_MIN] + tmp;
    z.watermark[WMARK_HIGH] = z.watermark[WMARK_LOW] + tmp;
    z.watermark[WMARK_PROMO] = z.watermark[WMARK_HIGH] + tmp;
    z.updateFastMark();
  }
}

/** setup_per_zone_lowmem_reserve(): lowmem_reserve[j] = Σ managed(i+1..j) / ratio[i]. */
export function setupPerZoneLowmemReserve(nodes: readonly Pglist[], sys: PhysicalSysctls): void {
  for (const node of nodes) {
    const zs = node.zones;
    for (let i = 0; i < zs.length; i++) {
      const zone = zs[i];
      const reserve: number[] = [];
      for (let j = 0; j < zs.length; j++) reserve.push(0);
      const ratio = sys.lowmem_reserve_ratio[i] ?? 0;
      const clear = !ratio || zone.managedPages === 0;
      let managed = 0;
      for (let j = i + 1; j < zs.length; j++) {
        managed += zs[j].managedPages;
        reserve[j] = clear ? 0 : Math.floor(managed / ratio);
      }
      zone.lowmemReserve = reserve;
    }
  }
}

/** totalreserve_pages: Σ min(max(lowmem_reserve) + high, managed) (calculate_totalreserve_pages). */
export function totalReservePages(nodes: readonly Pglist[]): number {
  let total = 0;
  for (const z of allZones(nodes)) {
    const max = Math.max(0, ...z.lowmemReserve);
    total += Math.min(max + z.watermark[WMARK_HIGH], z.managedPages);
  }
  return total;
}

/**
 * __zone_watermark_ok(): may `zone` give a block of `order` while keeping `mark` pages (plus
 * lowmem_reserve[highestIdx]) free, given the ALLOC_* flags? `free` defaults to NR_FREE_PAGES.
 */
export function zoneWatermarkOk(zone: Zone, order: number, mark: number, highestIdx: number, allocFlags: number, free = zone.nrFreePages): boolean {
  free -= (1 << order) - 1;
  if (!(allocFlags & ALLOC_RESERVES)) free -= zone.nrFreeHighatomic;
  if (!(allocFlags & ALLOC_CMA)) free -= zone.nrFreeCma;
  let min = mark;
  if (allocFlags & ALLOC_RESERVES) {
    if (allocFlags & ALLOC_MIN_RESERVE) {
      min -= Math.floor(min / 2);
      if (allocFlags & ALLOC_NON_BLOCK) min -= Math.floor(min / 4);
    }
    if (allocFlags & ALLOC_OOM) min -= Math.floor(min / 2);
  }
  if (free <= min + (zone.lowmemReserve[highestIdx] ?? 0)) return false;
  if (order === 0) return true;
  for (let o = order; o <= MAX_PAGE_ORDER; o++) {
    const area = zone.freeArea[o];
    if (area.nrFree === 0) continue;
    for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (area.head[mt] >= 0) return true;
    if (allocFlags & ALLOC_CMA && area.head[MIGRATE_CMA] >= 0) return true;
    if (allocFlags & (ALLOC_HIGHATOMIC | ALLOC_OOM) && area.head[MIGRATE_HIGHATOMIC] >= 0) return true;
  }
  return false;
}

/** zone_watermark_fast(): the order-0 shortcut, then __zone_watermark_ok. */
export function zoneWatermarkFast(zone: Zone, order: number, mark: number, highestIdx: number, allocFlags: number): boolean {
  const free = zone.nrFreePages;
  if (order === 0) {
    // Fast check for order-0 only: free pages minus the reserves this request may not use.
    let reserved = 0;
    if (!(allocFlags & ALLOC_RESERVES)) reserved = zone.nrFreeHighatomic;
    if (!(allocFlags & ALLOC_CMA)) reserved += zone.nrFreeCma;
    const usable = reserved < free ? free - reserved : 0;
    if (usable > mark + zone.lowmemReserve[highestIdx]) return true;
  }
  if (zoneWatermarkOk(zone, order, mark, highestIdx, allocFlags, free)) return true;
  if (order === 0 && allocFlags & ALLOC_MIN_RESERVE && zone.watermarkBoost && (allocFlags & 3) === WMARK_MIN) {
    return zoneWatermarkOk(zone, order, zone.watermark[WMARK_MIN], highestIdx, allocFlags, free);
  }
  return false;
}

/** zone_batchsize(): PCP refill/drain batch (at least 1 as the pageset uses it). */
export function zoneBatchsize(zone: Zone): number {
  let batch = Math.min(Math.floor(zone.managedPages / 1024), (1024 * 1024) / 4096);
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  const b = batch + (batch >> 1);
  batch = 2 ** Math.floor(Math.log2(b)) - 1;
  return Math.max(1, batch);
}

/** zone_highsize(): PCP high for one CPU of the zone's node. */
export function zoneHighsize(zone: Zone, batch: number, nrCpusOfNode: number, highFraction: number): number {
  const total = highFraction === 0 ? zone.lowWmark : Math.floor(zone.managedPages / highFraction);
  const high = Math.floor(total / Math.max(1, nrCpusOfNode));
  return Math.max(high, batch << 2);
}

/** zone_set_pageset_high_and_batch() for every zone (after watermarks change). */
export function setupPcpHighAndBatch(nodes: readonly Pglist[], sys: PhysicalSysctls, nrCpus: number): void {
  for (const node of nodes) {
    const cpusOfNode = node.cpus.length || nrCpus;
    for (const z of node.zones) {
      const batch = zoneBatchsize(z);
      let hmin: number;
      let hmax: number;
      if (sys.percpu_pagelist_high_fraction) {
        hmin = hmax = zoneHighsize(z, batch, cpusOfNode, sys.percpu_pagelist_high_fraction);
      } else {
        hmin = zoneHighsize(z, batch, cpusOfNode, 0);
        hmax = zoneHighsize(z, batch, cpusOfNode, MIN_PERCPU_PAGELIST_HIGH_FRACTION);
      }
      for (const p of z.pcp) {
        p.batch = batch;
        p.highMin = hmin;
        p.highMax = hmax;
      }
    }
  }
}

/** fls(): index of the most significant set bit, 1-based; 0 for 0. */
function fls(x: number): number {
  return x === 0 ? 0 : Math.floor(Math.log2(x)) + 1;
}

/** calculate_normal_threshold() (mm/vmstat.c): per-CPU vmstat drift allowed in this zone. */
export function vmstatThreshold(zone: Zone, onlineCpus: number): number {
  const mem = Math.floor(zone.managedPages / 32768);
  return Math.min(125, 2 * fls(onlineCpus) * (1 + fls(mem)));
}
