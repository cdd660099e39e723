// /proc renderers Linux keeps in mm/vmstat.c: buddyinfo, pagetypeinfo, zoneinfo, and the
// debugfs extfrag/extfrag_index and extfrag/unusable_index files, byte for byte in 6.18's
// format. Counters owned by higher layers come from an optional provider (0 without one).
import { MAX_PAGE_ORDER, MIGRATE_CMA, MIGRATE_TYPES, MIGRATETYPE_NAMES, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, WMARK_HIGH, WMARK_LOW, WMARK_MIN, WMARK_PROMO } from "./mmzone";
import type { Pglist, Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { vmstatThreshold } from "./watermarks";

/** Values of counters this layer does not own, by vmstat name (per zone / per node). */
export interface ZoneinfoProvider {
  zoneCounter?(zone: Zone, name: string): number;
  nodeCounter?(node: Pglist, name: string): number;
  nodeUnreclaimable?(node: Pglist): boolean;
}

/** The zone counters zoneinfo prints after "protection" (6.18 order, no CMA/unaccepted). */
const ZONE_ITEMS = ["nr_free_pages", "nr_free_pages_blocks", "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable", "nr_zone_write_pending", "nr_mlock", "nr_zspages", "nr_free_cma", "numa_hit", "numa_miss", "numa_foreign", "numa_interleave", "numa_local", "numa_other"];
/** Node counters (vmstat order from nr_inactive_anon to nr_kernel_file_pages). */
const NODE_ITEMS = ["nr_inactive_anon", "nr_active_anon", "nr_inactive_file", "nr_active_file", "nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable", "nr_isolated_anon", "nr_isolated_file", "workingset_nodes", "workingset_refault_anon", "workingset_refault_file", "workingset_activate_anon", "workingset_activate_file", "workingset_restore_anon", "workingset_restore_file", "workingset_nodereclaim", "nr_anon_pages", "nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback", "nr_shmem", "nr_shmem_hugepages", "nr_shmem_pmdmapped", "nr_file_hugepages", "nr_file_pmdmapped", "nr_anon_transparent_hugepages", "nr_vmscan_write", "nr_vmscan_immediate_reclaim", "nr_dirtied", "nr_written", "nr_throttled_written", "nr_kernel_misc_reclaimable", "nr_foll_pin_acquired", "nr_foll_pin_released", "nr_kernel_stack", "nr_page_table_pages", "nr_sec_page_table_pages", "nr_iommu_pages", "nr_swapcached", "pgpromote_success", "pgpromote_candidate", "pgpromote_candidate_nrl", "pgdemote_kswapd", "pgdemote_direct", "pgdemote_khugepaged", "pgdemote_proactive", "nr_hugetlb", "nr_balloon_pages", "nr_kernel_file_pages"];

/** Migratetypes shown by pagetypeinfo: CMA only when a CMA area exists (never, for now). */
function shownTypes(): number[] {
  return Array.from({ length: MIGRATE_TYPES }, (_, i) => i).filter((t) => t !== MIGRATE_CMA);
}

/** /proc/buddyinfo: populated zones, "Node %d, zone %8s " then "%6lu " per order. */
export function renderBuddyinfo(m: PhysicalMemory): string {
  let s = "";
  for (const z of m.zones()) {
    if (!z.populated) continue;
    s += `Node ${z.nid}, zone ${z.name.padStart(8)} ` + z.freeArea.map((a) => `${String(a.nrFree).padStart(6)} `).join("") + "\n";
  }
  return s;
}

/** /proc/pagetypeinfo. */
export function renderPagetypeinfo(m: PhysicalMemory): string {
  const types = shownTypes();
  let s = `Page block order: ${PAGEBLOCK_ORDER}\nPages per block:  ${PAGEBLOCK_NR_PAGES}\n\n`;
  s += "Free pages count per migrate type at order".padEnd(43) + " " + Array.from({ length: MAX_PAGE_ORDER + 1 }, (_, o) => `${String(o).padStart(6)} `).join("") + "\n";
  for (const z of m.zones()) {
    if (!z.populated) continue;
    for (const t of types) {
      s += `Node ${String(z.nid).padStart(4)}, zone ${z.name.padStart(8)}, type ${MIGRATETYPE_NAMES[t].padStart(12)} `;
      s += z.freeArea.map((a) => (a.count[t] >= 100000 ? ">100000 " : `${String(a.count[t]).padStart(6)} `)).join("") + "\n";
    }
  }
  s += "\n" + "Number of blocks type ".padEnd(23) + types.map((t) => `${MIGRATETYPE_NAMES[t].padStart(12)} `).join("") + "\n";
  for (const z of m.zones()) {
    if (!z.populated) continue;
    const counts = new Array<number>(MIGRATE_TYPES).fill(0);
    for (const t of z.pageblockTypes()) if (t >= 0) counts[t]++;
    s += `Node ${z.nid}, zone ${z.name.padStart(8)} ` + types.map((t) => `${String(counts[t]).padStart(12)} `).join("") + "\n";
  }
  return s;
}

function stat(name: string, v: number): string {
  return `\n      ${name.padEnd(12)} ${v}`;
}

/** Free pages in blocks of order ≥ pageblock_order (nr_free_pages_blocks). */
function freeBlocksPages(z: Zone): number {
  let n = 0;
  for (let o = PAGEBLOCK_ORDER; o <= MAX_PAGE_ORDER; o++) n += z.freeArea[o].nrFree << o;
  return n;
}

/** /proc/zoneinfo: every zone of every node, empty ones included. */
export function renderZoneinfo(m: PhysicalMemory, provider: ZoneinfoProvider = {}): string {
  let s = "";
  const online = m.nrCpus;
  for (const node of m.nodes) {
    if (!node.nodePresentPages) continue;
    const first = node.zones.find((z) => z.populated);
    for (const z of node.zones) {
      s += `Node ${node.nid}, zone ${z.name.padStart(8)}`;
      if (z === first) {
        s += "\n  per-node stats";
        for (const n of NODE_ITEMS) s += stat(n, provider.nodeCounter?.(node, n) ?? 0);
      }
      s += `\n  pages free     ${z.nrFreePages}\n        boost    ${z.watermarkBoost}\n        min      ${z.watermark[WMARK_MIN]}\n        low      ${z.watermark[WMARK_LOW]}`;
      s += `\n        high     ${z.watermark[WMARK_HIGH]}\n        promo    ${z.watermark[WMARK_PROMO]}\n        spanned  ${z.spannedPages}\n        present  ${z.presentPages}`;
      s += `\n        managed  ${z.managedPages}\n        cma      0\n        protection: (${z.lowmemReserve.join(", ")})`;
      if (!z.populated) {
        s += "\n";
        continue;
      }
      const own = ownZoneItems(z);
      for (const n of ZONE_ITEMS) s += stat(n, own[n] ?? provider.zoneCounter?.(z, n) ?? 0);
      s += "\n  pagesets";
      z.pcp.forEach((p, cpu) => {
        s += `\n    cpu: ${cpu}\n              count:    ${p.count}\n              high:     ${p.high}\n              batch:    ${p.batch}`;
        s += `\n              high_min: ${p.highMin}\n              high_max: ${p.highMax}\n  vm stats threshold: ${vmstatThreshold(z, online)}`;
      });
      s += `\n  node_unreclaimable:  ${provider.nodeUnreclaimable?.(node) ? 1 : 0}\n  start_pfn:           ${z.zoneStartPfn}\n`;
    }
  }
  return s;
}

/**
 * The /proc/vmstat items this layer owns, as [name, value] pairs in vmstat order: the zone
 * counters summed over every zone (nr_free_pages ... nr_free_cma; the LRU-derived ones such as
 * nr_zone_inactive_anon come from `provider.zoneCounter`, 0 without it), the NUMA events,
 * nr_memmap_pages / nr_memmap_boot_pages, and the pgalloc_<zone> and pgfree events (the values
 * in the machine's Counters). The kernel merges them into its /proc/vmstat by name.
 */
export function vmstatItems(m: PhysicalMemory, provider: ZoneinfoProvider = {}): [string, number][] {
  const sums = new Map<string, number>(ZONE_ITEMS.map((n) => [n, 0]));
  for (const z of m.zones()) {
    const own = ownZoneItems(z);
    for (const n of ZONE_ITEMS) sums.set(n, sums.get(n)! + (own[n] ?? provider.zoneCounter?.(z, n) ?? 0));
  }
  const out: [string, number][] = ZONE_ITEMS.map((n) => [n, sums.get(n)!]);
  out.push(["nr_memmap_pages", 0], ["nr_memmap_boot_pages", m.boot.memmapPages]);
  const c = m.counters;
  for (const t of m.boot.zoneTypes) {
    const name = `pgalloc_${PGALLOC_SUFFIX[t]}`;
    out.push([name, c.has(name) ? c.get(name) : 0]);
  }
  out.push(["pgfree", c.get("pgfree")]);
  return out;
}

/** The zone counters this layer keeps itself (the rest come from a provider). */
function ownZoneItems(z: Zone): Record<string, number> {
  return {
    nr_free_pages: z.nrFreePages, nr_free_pages_blocks: freeBlocksPages(z), nr_free_cma: z.nrFreeCma,
    numa_hit: z.numaHit, numa_miss: z.numaMiss, numa_foreign: z.numaForeign, numa_interleave: z.numaInterleave, numa_local: z.numaLocal, numa_other: z.numaOther,
  };
}

/** vmstat's pgalloc_<zone> suffix per zone type (i386 HighMem is "high"). */
const PGALLOC_SUFFIX = ["dma", "dma32", "normal", "high", "movable", "device"];

/** Free-block census of a zone for a given order (fill_contig_page_info). */
function contigInfo(z: Zone, order: number): { freePages: number; freeBlocksTotal: number; freeBlocksSuitable: number } {
  let freePages = 0, total = 0, suitable = 0;
  for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
    const blocks = z.freeArea[o].nrFree;
    total += blocks;
    freePages += blocks << o;
    if (o >= order) suitable += blocks << (o - order);
  }
  return { freePages, freeBlocksTotal: total, freeBlocksSuitable: suitable };
}

/**
 * __fragmentation_index() × 1000: -1000 when a suitable block exists, 0 with no free pages,
 * else how much a failure would be due to fragmentation (→1000) rather than lack of memory (→0).
 */
export function fragmentationIndex(z: Zone, order: number): number {
  const info = contigInfo(z, order);
  const requested = 1 << order;
  if (!info.freeBlocksTotal) return 0;
  if (info.freeBlocksSuitable) return -1000;
  return 1000 - Math.floor((1000 + Math.floor((info.freePages * 1000) / requested)) / info.freeBlocksTotal);
}

/** unusable_free_index() × 1000: share of free memory in blocks too small for `order`. */
export function unusableIndex(z: Zone, order: number): number {
  const info = contigInfo(z, order);
  if (!info.freePages) return 0;
  return Math.floor(((info.freePages - (info.freeBlocksSuitable << order)) * 1000) / info.freePages);
}

/** "%Nd.%03d" of an index in thousandths, as C's / and % truncate toward zero. */
function thousandths(v: number, width: number): string {
  return `${String(Math.trunc(v / 1000)).padStart(width)}.${String(Math.abs(v % 1000)).padStart(3, "0")}`;
}

function perZone(m: PhysicalMemory, f: (z: Zone, o: number) => number, width: number): string {
  let s = "";
  for (const z of m.zones()) {
    if (!z.populated) continue;
    s += `Node ${z.nid}, zone ${z.name.padStart(8)} ` + Array.from({ length: MAX_PAGE_ORDER + 1 }, (_, o) => `${thousandths(f(z, o), width)} `).join("") + "\n";
  }
  return s;
}

/** debugfs extfrag/extfrag_index ("%2d.%03d " per order). */
export function renderExtfragIndex(m: PhysicalMemory): string {
  return perZone(m, fragmentationIndex, 2);
}

/** debugfs extfrag/unusable_index ("%d.%03d " per order). */
export function renderUnusableIndex(m: PhysicalMemory): string {
  return perZone(m, unusableIndex, 0);
}
