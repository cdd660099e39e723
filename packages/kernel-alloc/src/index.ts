/**
 * @mmsim/kernel-alloc: the kernel's own memory allocators over the buddy allocator — SLUB
 * caches (with slub_debug) and the classic SLAB allocator Linux removed in 6.8, kmalloc and
 * its size classes, vmalloc with the kernel page table — plus /proc/slabinfo and
 * /proc/vmallocinfo, and the meminfo numbers of this layer.
 */
export { KernelAlloc } from "./kernel-alloc";
export { parseSlubDebug, THREAD_SIZE } from "./kernel-alloc-config";
export type { KernelAllocConfig, KernelAllocMeminfo, SlabBackend } from "./kernel-alloc-config";
export { Slub } from "./slub";
export type { SlubOptions } from "./slub";
export { SlubDebug } from "./slub-debug";
export { KmemCache } from "./kmem-cache";
export type { SlabCtor } from "./kmem-cache";
export { Kmalloc } from "./kmalloc";
export type { SlabAllocator, SlabCacheInfo } from "./kmalloc";
export { SlabClassic, SlabCache, slabGeometry, slabTunables, FREELIST_IDX_SIZE, SLAB_KMALLOC_SHIFT_LOW } from "./slab";
export type { SlabGeometry, SlabMgmt, SlabClassicOptions } from "./slab";
export { Vmalloc, VM_IOREMAP, VM_ALLOC, VM_MAP, VM_USERMAP, VM_DMA_COHERENT, VM_NO_GUARD, VM_SPARSE, VM_STRUCT_SIZE } from "./vmalloc";
export type { VmallocOptions, VmStruct, LazyArea, KernelTlb, VmallocMetaHooks } from "./vmalloc";
export { formatVmallocinfo } from "./proc-vmallocinfo";
export type { VmallocinfoOptions } from "./proc-vmallocinfo";
export { slabView, slotLayout, renderSlabView } from "./slab-view";
export type { SlabView, SlabObjectView, SlotRegion, SlotPart } from "./slab-view";
export {
  KMALLOC_SHIFT_LOW, KMALLOC_SHIFT_HIGH, KMALLOC_MIN_SIZE, KMALLOC_MAX_CACHE_SIZE, KMALLOC_MAX_SIZE,
  KMALLOC_NORMAL, KMALLOC_RECLAIM, KMALLOC_DMA, KMALLOC_CGROUP, NR_KMALLOC_TYPES,
} from "./slab-common";
export { kmallocIndex, kmallocIndexSize, kmallocSizeName, kmallocCacheName, kmallocSizeRoundup, kmallocTypeOf, kmallocBootOrder, kmallocClassOf } from "./slab-common";
export { findMergeable, slabUnmergeable, formatSlabinfoRow, formatSlabinfo, SLABINFO_HEADER } from "./slab-common";
export type { SlabinfoRow, MergeCandidate, KmallocClass } from "./slab-common";
export {
  calculateOrder, calculateSizes, calculateAlignment, minObjectsFor, minPartialFor, cpuPartialFor, orderObjects, getOrder,
  PAGE_ALLOC_COSTLY_ORDER, MAX_OBJS_PER_PAGE, TRACK_SIZE, CACHE_LINE_SIZE,
} from "./slub-layout";
export type { CacheLayout, SlubTunables } from "./slub-layout";
export {
  SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE, SLAB_POISON, SLAB_KMALLOC, SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA, SLAB_CACHE_DMA32,
  SLAB_STORE_USER, SLAB_PANIC, SLAB_TYPESAFE_BY_RCU, SLAB_TRACE, SLAB_NOLEAKTRACE, SLAB_NO_MERGE, SLAB_ACCOUNT,
  SLAB_RECLAIM_ACCOUNT, SLAB_NO_USER_FLAGS, SLAB_FAILSLAB, DEBUG_DEFAULT_FLAGS,
} from "./slab-flags";
export { POISON_INUSE, POISON_FREE, POISON_END, SLUB_RED_INACTIVE, SLUB_RED_ACTIVE, ZERO_SIZE_PTR } from "./slab-flags";
export { formatSlabFlags, parseSlubDebugFlags } from "./slab-flags";
export { KERNEL_CACHES, KMEM_CACHE_SIZE, KMEM_CACHE_NODE_SIZE } from "./kernel-caches";
export type { KernelCacheSpec } from "./kernel-caches";
export { Printk } from "./internal/printk";
export type { LogSink } from "./internal/printk";
export type { PageAllocator, PageTypes, Memory } from "./internal/deps";
