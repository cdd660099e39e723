// Transparent huge pages' policy and per-machine state (include/linux/huge_mm.h, the sysfs knobs
// of mm/huge_memory.c): /sys/kernel/mm/transparent_hugepage/{enabled,defrag,use_zero_page},
// thp_vma_allowable_order and thp_vma_suitable_order for anonymous PMD-size folios, the GFP mask
// per defrag mode (vma_thp_gfp_mask), the huge zero folio, and the large-folio fields struct
// folio keeps in its tail pages. mTHP (orders 2-8), khugepaged and file/shmem THP are not modelled.
import {
  GFP_TRANSHUGE, GFP_TRANSHUGE_LIGHT, __GFP_DIRECT_RECLAIM, __GFP_KSWAPD_RECLAIM, __GFP_NORETRY,
} from "@mmsim/physical";
import type { PhysicalMemory } from "@mmsim/physical";
import type { VmAreaStruct } from "./mm-types";
import { VM_HUGEPAGE, VM_NOHUGEPAGE } from "./mm-flags";

/** HPAGE_PMD_ORDER, HPAGE_PMD_NR, HPAGE_PMD_SIZE (x86-64: a PMD maps 2 MiB) */
export const HPAGE_PMD_ORDER = 9;
export const HPAGE_PMD_NR = 512;
export const HPAGE_PMD_SIZE = 2097152;

/** enabled_show()'s choices, in its order (mm/huge_memory.c). */
export const THP_ENABLED_CHOICES = ["always", "madvise", "never"] as const;
/** defrag_show()'s choices, in its order. */
export const THP_DEFRAG_CHOICES = ["always", "defer", "defer+madvise", "madvise", "never"] as const;
export type ThpEnabled = (typeof THP_ENABLED_CHOICES)[number];
export type ThpDefrag = (typeof THP_DEFRAG_CHOICES)[number];

/** transparent_hugepage_flags as the sysfs files show them. */
export interface ThpSettings {
  /** enabled: the global mode (the 2048kB size inherits it) */
  enabled: ThpEnabled;
  /** defrag: how hard a fault tries to get an order-9 page (default madvise) */
  defrag: ThpDefrag;
  /** use_zero_page: read faults map the huge zero folio (default 1) */
  useZeroPage: boolean;
}

/** A sysfs choice file as Linux prints it: every choice, the active one in brackets ("always [madvise] never"). */
export function sysfsChoice(choices: readonly string[], active: string): string {
  return choices.map((c) => (c === active ? `[${c}]` : c)).join(" ") + "\n";
}

/**
 * The THP state of one machine: the knobs, the huge zero folio (get_huge_zero_folio: allocated
 * at its first use, freed only by its shrinker once no mm holds it), and the large-folio fields
 * of each PMD-order folio, indexed by the head's page index >> 9 (folios are naturally aligned):
 * _entire_mapcount (PMD mappings - 1), _nr_pages_mapped (subpages with a PTE mapping) and
 * PG_partially_mapped (queued for deferred split).
 */
export class ThpState {
  readonly settings: ThpSettings = { enabled: "madvise", defrag: "madvise", useZeroPage: true };
  /** pfn of the huge zero folio, -1 when none */
  hugeZeroPfn = -1;
  /** huge_zero_refcount: 1 for the folio itself plus one per mm holding it (0 when none) */
  hugeZeroRefcount = 0;
  declare readonly entireMapcount: Int16Array;
  declare readonly nrPagesMapped: Int16Array;
  declare readonly partiallyMapped: Uint8Array;
  declare readonly slotFaultAlloc: number;
  declare readonly slotFaultFallback: number;
  declare readonly slotSplitPmd: number;
  declare readonly slotDeferredSplit: number;
  declare readonly slotZeroAlloc: number;
  declare readonly slotZeroAllocFailed: number;
  declare readonly slotAnonThps: number;

  constructor(phys: PhysicalMemory, enabled: ThpEnabled) {
    this.settings.enabled = enabled;
    const n = phys.pages.length >>> HPAGE_PMD_ORDER;
    this.entireMapcount = new Int16Array(n).fill(-1);
    this.nrPagesMapped = new Int16Array(n);
    this.partiallyMapped = new Uint8Array(n);
    const c = phys.counters;
    this.slotFaultAlloc = c.id("thp_fault_alloc");
    this.slotFaultFallback = c.id("thp_fault_fallback");
    this.slotSplitPmd = c.id("thp_split_pmd");
    this.slotDeferredSplit = c.id("thp_deferred_split_page");
    this.slotZeroAlloc = c.id("thp_zero_page_alloc");
    this.slotZeroAllocFailed = c.id("thp_zero_page_alloc_failed");
    this.slotAnonThps = c.id("nr_anon_transparent_hugepages");
  }
}

/**
 * thp_vma_allowable_order(vma, PMD_ORDER) for a fault or smaps: an anonymous VMA without
 * VM_NOHUGEPAGE, with the mode always, or madvise and VM_HUGEPAGE.
 */
export function thpVmaAllowable(settings: ThpSettings, vma: VmAreaStruct): boolean {
  if (vma.vmFile !== null || vma.vmOps !== null) return false;
  if ((vma.vmFlags & VM_NOHUGEPAGE) !== 0) return false;
  if (settings.enabled === "always") return true;
  return settings.enabled === "madvise" && (vma.vmFlags & VM_HUGEPAGE) !== 0;
}

/** thp_vma_suitable_order(vma, addr, PMD_ORDER): the 2 MiB-aligned range around addr lies inside vma. */
export function thpVmaSuitable(vma: VmAreaStruct, addr: number): boolean {
  const haddr = addr - (addr % HPAGE_PMD_SIZE);
  return haddr >= vma.vmStart && haddr + HPAGE_PMD_SIZE <= vma.vmEnd;
}

/**
 * vma_thp_gfp_mask: always → GFP_TRANSHUGE (| __GFP_NORETRY unless madvised); defer →
 * GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM; defer+madvise → LIGHT | (madvised ? DIRECT :
 * KSWAPD); madvise → LIGHT | (madvised ? DIRECT : 0); never → GFP_TRANSHUGE_LIGHT.
 */
export function vmaThpGfpMask(settings: ThpSettings, vma: VmAreaStruct): number {
  const madvised = (vma.vmFlags & VM_HUGEPAGE) !== 0;
  switch (settings.defrag) {
    case "always":
      return GFP_TRANSHUGE | (madvised ? 0 : __GFP_NORETRY);
    case "defer":
      return GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM;
    case "defer+madvise":
      return GFP_TRANSHUGE_LIGHT | (madvised ? __GFP_DIRECT_RECLAIM : __GFP_KSWAPD_RECLAIM);
    case "madvise":
      return GFP_TRANSHUGE_LIGHT | (madvised ? __GFP_DIRECT_RECLAIM : 0);
    default:
      return GFP_TRANSHUGE_LIGHT;
  }
}
