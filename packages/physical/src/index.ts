/**
 * @mmsim/physical: memblock, nodes and zones, struct page (struct-of-arrays), the buddy
 * allocator with migratetypes and per-CPU lists, watermarks and the allocation slow path,
 * GFP flags, and the /proc renderers Linux keeps in mm/vmstat.c.
 */
export { PhysicalMemory } from "./page-alloc";
export type { PhysicalConfig, FrameZeroer } from "./page-alloc";
export type { SlowpathHooks } from "./slowpath";
export { NOOP_HOOKS, gfpToAllocFlags, MAX_RECLAIM_RETRIES } from "./slowpath";
export type { PhysicalSysctls } from "./watermarks";
export { zoneWatermarkOk, minFreeKbytesFor, intSqrt, totalReservePages, nrFreeBufferPages } from "./watermarks";
export { PHYSICAL_SYSCTLS } from "./sysctl";
export { PageArray } from "./mm-types";
export { Zone, Pglist, FreeArea, PerCpuPages } from "./mmzone";
export { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_HIGHMEM, ZONE_MOVABLE, ZONE_DEVICE, ZONE_TYPE_NAMES } from "./mmzone";
export { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_PCPTYPES, MIGRATE_HIGHATOMIC } from "./mmzone";
export { MIGRATE_CMA, MIGRATE_ISOLATE, MIGRATE_TYPES, MIGRATETYPE_NAMES } from "./mmzone";
export { MAX_PAGE_ORDER, NR_PAGE_ORDERS, PAGE_ALLOC_COSTLY_ORDER, PAGEBLOCK_ORDER, PAGEBLOCK_NR_PAGES } from "./mmzone";
export { PAGES_PER_SECTION, WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO } from "./mmzone";
export { Memblock, MemblockType, NUMA_NO_NODE } from "./memblock";
export type { MemblockRegion } from "./memblock";
export type { KernelImage } from "./mm-init";
export { DEFAULT_KERNEL_IMAGE } from "./mm-init";
export { KERNEL_LOAD_ADDR } from "./kernel-image";
export { kernelImageLayout } from "./kernel-image";
export type { KernelImageLayout } from "./kernel-image";
export type { MemblockAllocator } from "./memblock";
export { memblockAllocTryNid } from "./memblock";
export { SMP_CACHE_BYTES } from "./memblock";
export { allocLargeSystemHash } from "./large-system-hash";
export { largeSystemHashSize } from "./large-system-hash";
export { largeSystemHashLine } from "./large-system-hash";
export type { LargeSystemHashParams } from "./large-system-hash";
export type { LargeSystemHashSize } from "./large-system-hash";
export { freeReservedArea } from "./free-reserved";
export { setRecommendedMinFreeKbytes } from "./sysctl";
export { TRANSPARENT_HUGEPAGE_MODES } from "./sysctl";
export type { TransparentHugepage } from "./sysctl";
export * from "./page-flags";
export * from "./gfp";
export * from "./internal/alloc-flags";
export { showFreeAreas } from "./show-mem";
export { ListHeads } from "./list";
export type { ListLinks } from "./list";
export { listAdd } from "./list";
export { listAddTail } from "./list";
export { listDel } from "./list";
export { listMove } from "./list";
export { listMoveTail } from "./list";
export { listSplice } from "./list";
export { listSpliceTail } from "./list";
export { listEmpty } from "./list";
export { listFirst } from "./list";
export { listLast } from "./list";
export { listNext } from "./list";
export { listPrev } from "./list";
export { listCheck } from "./list";
export { fragmentationIndex, unusableIndex } from "./vmstat";
export type { ZoneinfoProvider } from "./vmstat";
