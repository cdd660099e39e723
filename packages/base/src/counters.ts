// Counters with Linux's vmstat names (ARCHITECTURE §3), so /proc/vmstat diffs against a real
// machine. A Counters instance is a Float64Array indexed by a small integer per name: layers
// resolve the index once (at construction) and bump it on hot paths with no lookup.
//
// VMSTAT_ITEMS is the order in which Linux 6.18 prints /proc/vmstat (mm/vmstat.c
// vmstat_text[]: zone stats, NUMA stats, node stats, writeback thresholds, then vm events),
// read from a real 6.18 machine (shared/reference/real-proc/vmstat.txt).
import { BUG } from "./errors";

export const VMSTAT_ITEMS = [
  "nr_free_pages",
  "nr_free_pages_blocks",
  "nr_zone_inactive_anon",
  "nr_zone_active_anon",
  "nr_zone_inactive_file",
  "nr_zone_active_file",
  "nr_zone_unevictable",
  "nr_zone_write_pending",
  "nr_mlock",
  "nr_zspages",
  "nr_free_cma",
  "numa_hit",
  "numa_miss",
  "numa_foreign",
  "numa_interleave",
  "numa_local",
  "numa_other",
  "nr_inactive_anon",
  "nr_active_anon",
  "nr_inactive_file",
  "nr_active_file",
  "nr_unevictable",
  "nr_slab_reclaimable",
  "nr_slab_unreclaimable",
  "nr_isolated_anon",
  "nr_isolated_file",
  "workingset_nodes",
  "workingset_refault_anon",
  "workingset_refault_file",
  "workingset_activate_anon",
  "workingset_activate_file",
  "workingset_restore_anon",
  "workingset_restore_file",
  "workingset_nodereclaim",
  "nr_anon_pages",
  "nr_mapped",
  "nr_file_pages",
  "nr_dirty",
  "nr_writeback",
  "nr_shmem",
  "nr_shmem_hugepages",
  "nr_shmem_pmdmapped",
  "nr_file_hugepages",
  "nr_file_pmdmapped",
  "nr_anon_transparent_hugepages",
  "nr_vmscan_write",
  "nr_vmscan_immediate_reclaim",
  "nr_dirtied",
  "nr_written",
  "nr_throttled_written",
  "nr_kernel_misc_reclaimable",
  "nr_foll_pin_acquired",
  "nr_foll_pin_released",
  "nr_kernel_stack",
  "nr_page_table_pages",
  "nr_sec_page_table_pages",
  "nr_iommu_pages",
  "nr_swapcached",
  "pgpromote_success",
  "pgpromote_candidate",
  "pgpromote_candidate_nrl",
  "pgdemote_kswapd",
  "pgdemote_direct",
  "pgdemote_khugepaged",
  "pgdemote_proactive",
  "nr_hugetlb",
  "nr_balloon_pages",
  "nr_kernel_file_pages",
  "nr_dirty_threshold",
  "nr_dirty_background_threshold",
  "nr_memmap_pages",
  "nr_memmap_boot_pages",
  "pgpgin",
  "pgpgout",
  "pswpin",
  "pswpout",
  "pgalloc_dma",
  "pgalloc_dma32",
  "pgalloc_normal",
  "pgalloc_movable",
  "pgalloc_device",
  "allocstall_dma",
  "allocstall_dma32",
  "allocstall_normal",
  "allocstall_movable",
  "allocstall_device",
  "pgskip_dma",
  "pgskip_dma32",
  "pgskip_normal",
  "pgskip_movable",
  "pgskip_device",
  "pgfree",
  "pgactivate",
  "pgdeactivate",
  "pglazyfree",
  "pgfault",
  "pgmajfault",
  "pglazyfreed",
  "pgrefill",
  "pgreuse",
  "pgsteal_kswapd",
  "pgsteal_direct",
  "pgsteal_khugepaged",
  "pgsteal_proactive",
  "pgscan_kswapd",
  "pgscan_direct",
  "pgscan_khugepaged",
  "pgscan_proactive",
  "pgscan_direct_throttle",
  "pgscan_anon",
  "pgscan_file",
  "pgsteal_anon",
  "pgsteal_file",
  "zone_reclaim_success",
  "zone_reclaim_failed",
  "pginodesteal",
  "slabs_scanned",
  "kswapd_inodesteal",
  "kswapd_low_wmark_hit_quickly",
  "kswapd_high_wmark_hit_quickly",
  "pageoutrun",
  "pgrotated",
  "drop_pagecache",
  "drop_slab",
  "oom_kill",
  "numa_pte_updates",
  "numa_huge_pte_updates",
  "numa_hint_faults",
  "numa_hint_faults_local",
  "numa_pages_migrated",
  "pgmigrate_success",
  "pgmigrate_fail",
  "thp_migration_success",
  "thp_migration_fail",
  "thp_migration_split",
  "compact_migrate_scanned",
  "compact_free_scanned",
  "compact_isolated",
  "compact_stall",
  "compact_fail",
  "compact_success",
  "compact_daemon_wake",
  "compact_daemon_migrate_scanned",
  "compact_daemon_free_scanned",
  "htlb_buddy_alloc_success",
  "htlb_buddy_alloc_fail",
  "unevictable_pgs_culled",
  "unevictable_pgs_scanned",
  "unevictable_pgs_rescued",
  "unevictable_pgs_mlocked",
  "unevictable_pgs_munlocked",
  "unevictable_pgs_cleared",
  "unevictable_pgs_stranded",
  "thp_fault_alloc",
  "thp_fault_fallback",
  "thp_fault_fallback_charge",
  "thp_collapse_alloc",
  "thp_collapse_alloc_failed",
  "thp_file_alloc",
  "thp_file_fallback",
  "thp_file_fallback_charge",
  "thp_file_mapped",
  "thp_split_page",
  "thp_split_page_failed",
  "thp_deferred_split_page",
  "thp_underused_split_page",
  "thp_split_pmd",
  "thp_scan_exceed_none_pte",
  "thp_scan_exceed_swap_pte",
  "thp_scan_exceed_share_pte",
  "thp_split_pud",
  "thp_zero_page_alloc",
  "thp_zero_page_alloc_failed",
  "thp_swpout",
  "thp_swpout_fallback",
  "balloon_inflate",
  "balloon_deflate",
  "balloon_migrate",
  "swap_ra",
  "swap_ra_hit",
  "swpin_zero",
  "swpout_zero",
  "ksm_swpin_copy",
  "cow_ksm",
  "zswpin",
  "zswpout",
  "zswpwb",
  "direct_map_level2_splits",
  "direct_map_level3_splits",
  "direct_map_level2_collapses",
  "direct_map_level3_collapses",
  "nr_unstable",
] as const;

export type VmstatItem = (typeof VMSTAT_ITEMS)[number];

/**
 * A registry of named 64-bit-float counters. Names outside VMSTAT_ITEMS may be registered too
 * (per-zone or per-layer internal counters); they are printed after the vmstat ones.
 *
 * A layer that counts an event somewhere cheaper than here (per zone, per CPU, as Linux keeps
 * vm_event_states per CPU and sums them on read) registers a reader with provide(): get() and
 * entries() then ask the reader, and the slot in `values` stays unused.
 */
export class Counters {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  /** slot → reader of a counter kept by its owner (see provide) */
  private readonly readers = new Map<number, () => number>();
  /** the values; index with the number returned by id(). Initialised at its declaration so V8
   *  types the field as a Float64Array from the start (see docs/design/performance.md). */
  values: Float64Array = new Float64Array(16);

  constructor(names: readonly string[] = VMSTAT_ITEMS) {
    this.values = new Float64Array(Math.max(16, names.length));
    for (const n of names) this.id(n);
  }

  /** The slot of `name`, registering it if new. Resolve once, then use add(). */
  id(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.index.set(name, i);
      if (i >= this.values.length) {
        const grown = new Float64Array(this.values.length * 2);
        grown.set(this.values);
        this.values = grown;
      }
    }
    return i;
  }

  /** Adds delta to the counter in slot i (hot path: one typed-array store). */
  add(i: number, delta = 1): void {
    this.values[i] += delta;
  }

  /**
   * Hands counter `name` to its owner: get() and entries() return read() from now on. For
   * events a layer counts per zone or per CPU on its hot path (sum_vm_events() in Linux).
   * add() and set() on a provided counter are Bugs in set() and lost in add() (which stays
   * one store), so only the owner should count it.
   */
  provide(name: string, read: () => number): void {
    this.readers.set(this.id(name), read);
  }

  /** The value of a counter by name; a name never registered is a Bug. */
  get(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) BUG("Counters.get", `no counter named ${name}`);
    const read = this.readers.get(i);
    return read === undefined ? this.values[i] : read();
  }

  set(name: string, value: number): void {
    const i = this.id(name);
    if (this.readers.has(i)) BUG("Counters.set", `${name} is provided by its owner and cannot be set`);
    this.values[i] = value;
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  /** [name, value] pairs in registration order (vmstat order first). */
  entries(): [string, number][] {
    return this.names.map((n, i) => [n, this.readers.get(i)?.() ?? this.values[i]]);
  }

  /** Sets every counter kept here back to zero (provided counters belong to their owners). */
  reset(): void {
    this.values.fill(0);
  }
}
