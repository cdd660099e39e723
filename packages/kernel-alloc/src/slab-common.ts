// What mm/slab_common.c shares between allocators: the kmalloc size classes and their cache
// names (kmalloc_info[], kmalloc_index, kmalloc_size_roundup), the kmalloc cache types and the
// order in which the boot caches are created, cache merging (find_mergeable), and the
// /proc/slabinfo format. Pure data and functions; the allocators call them.
//
//   size  1..8  9..16 17..32 33..64 65..96 97..128 129..192 193..256 ... 4097..8192  > 8192
//   class   8    16     32     64     96    128      192      256    ...    8k      pages (__kmalloc_large)
import { PAGE_SIZE, MiB } from "@mmsim/base";
import { SLAB_MERGE_SAME, SLAB_NEVER_MERGE } from "./slab-flags";
import { calculateAlignment, POINTER_SIZE } from "./slub-layout";

/** include/linux/slab.h on x86-64: KMALLOC_SHIFT_LOW 3, KMALLOC_SHIFT_HIGH PAGE_SHIFT + 1. */
export const KMALLOC_SHIFT_LOW = 3;
export const KMALLOC_SHIFT_HIGH = 13;
export const KMALLOC_MIN_SIZE = 8;
/** largest size served by a kmalloc cache; above it kmalloc takes whole pages */
export const KMALLOC_MAX_CACHE_SIZE = 8192;
/** KMALLOC_SHIFT_MAX = MAX_PAGE_ORDER + PAGE_SHIFT = 22: the largest kmalloc */
export const KMALLOC_MAX_SIZE = 4 * MiB;

/** enum kmalloc_cache_type without CONFIG_RANDOM_KMALLOC_CACHES, in Linux's order. */
export const KMALLOC_NORMAL = 0;
export const KMALLOC_RECLAIM = 1;
export const KMALLOC_DMA = 2;
export const KMALLOC_CGROUP = 3;
export const NR_KMALLOC_TYPES = 4;
const TYPE_PREFIX = ["kmalloc-", "kmalloc-rcl-", "dma-kmalloc-", "kmalloc-cg-"];

/** Object size of kmalloc index i (kmalloc_info[i].size); index 0 is unused. */
export function kmallocIndexSize(index: number): number {
  if (index === 1) return 96;
  if (index === 2) return 192;
  if (index >= KMALLOC_SHIFT_LOW && index <= KMALLOC_SHIFT_HIGH) return 2 ** index;
  return 0;
}

/** "8", "96", "1k", "8k": the size part of a kmalloc cache name (kmalloc_info[].name). */
export function kmallocSizeName(size: number): string {
  return size >= 1024 ? `${size / 1024}k` : String(size);
}

/** The name Linux gives kmalloc cache `index` of `type`: kmalloc-1k, kmalloc-rcl-96, dma-kmalloc-8k, kmalloc-cg-64. */
export function kmallocCacheName(type: number, index: number): string {
  return TYPE_PREFIX[type] + kmallocSizeName(kmallocIndexSize(index));
}

/**
 * kmalloc_index / size_index[]: the kmalloc cache index for a request of `size` bytes.
 * 0 for size 0 (ZERO_SIZE_PTR), -1 above KMALLOC_MAX_CACHE_SIZE (served by the page allocator).
 */
export function kmallocIndex(size: number): number {
  if (size === 0) return 0;
  if (size > KMALLOC_MAX_CACHE_SIZE) return -1;
  if (size <= KMALLOC_MIN_SIZE) return KMALLOC_SHIFT_LOW;
  if (size > 64 && size <= 96) return 1;
  if (size > 128 && size <= 192) return 2;
  return 32 - Math.clz32(size - 1); // fls(size - 1): the next power of two
}

/**
 * kmalloc_size_roundup (mm/slab_common.c): the bytes a kmalloc(size) really gets: the size
 * class up to 8k, PAGE_SIZE << get_order(size) (the whole large-kmalloc folio) up to
 * KMALLOC_MAX_SIZE, and `size` itself for 0 and above KMALLOC_MAX_SIZE (kmalloc returns
 * ZERO_SIZE_PTR, or fails).
 */
export function kmallocSizeRoundup(size: number): number {
  if (size > 0 && size <= KMALLOC_MAX_CACHE_SIZE) return kmallocIndexSize(kmallocIndex(size));
  if (size > 0 && size <= KMALLOC_MAX_SIZE) return kmallocClassOf(size).bytes;
  return size;
}

/** kmalloc_type: DMA beats RECLAIMABLE beats ACCOUNT (include/linux/slab.h). */
export function kmallocTypeOf(dma: boolean, reclaimable: boolean, account: boolean): number {
  if (dma) return KMALLOC_DMA;
  if (reclaimable) return KMALLOC_RECLAIM;
  if (account) return KMALLOC_CGROUP;
  return KMALLOC_NORMAL;
}

/**
 * The kmalloc caches in the order create_kmalloc_caches() makes them: for each type, 96 and
 * 192 first, then 8 ... 8k. /proc/slabinfo lists caches newest first, so it shows the reverse.
 */
export function kmallocBootOrder(): { type: number; index: number; size: number; name: string }[] {
  const out: { type: number; index: number; size: number; name: string }[] = [];
  for (let type = 0; type < NR_KMALLOC_TYPES; type++) {
    for (const index of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]) {
      out.push({ type, index, size: kmallocIndexSize(index), name: kmallocCacheName(type, index) });
    }
  }
  return out;
}

/** What find_mergeable needs to know about an existing cache. */
export interface MergeCandidate {
  size: number;
  flags: number;
  /** -1 for boot caches that are exempt from merging */
  refcount: number;
  hasCtor: boolean;
  /** hardened-usercopy whitelist size; a cache with one is never merged */
  usersize: number;
}

/** mm/slab_common.c slab_unmergeable. */
export function slabUnmergeable(s: MergeCandidate, nomerge: boolean): boolean {
  return nomerge || (s.flags & SLAB_NEVER_MERGE) !== 0 || s.hasCtor || s.usersize !== 0 || s.refcount < 0;
}

/**
 * mm/slab_common.c find_mergeable: the oldest compatible cache that a new cache of this shape
 * can alias, or null. `caches` is in creation order (oldest first). `flags` must already
 * include the slub_debug flags for this cache (kmem_cache_flags).
 */
export function findMergeable<T extends MergeCandidate>(caches: readonly T[], size: number, align: number, flags: number, hasCtor: boolean, usersize: number, nomerge: boolean): T | null {
  if (nomerge || hasCtor || usersize !== 0) return null;
  if (flags & SLAB_NEVER_MERGE) return null;
  size = Math.ceil(size / POINTER_SIZE) * POINTER_SIZE;
  align = calculateAlignment(flags, align, size);
  size = Math.ceil(size / align) * align;
  for (const s of caches) {
    if (slabUnmergeable(s, false)) continue;
    if (size > s.size) continue;
    if ((flags & SLAB_MERGE_SAME) !== (s.flags & SLAB_MERGE_SAME)) continue;
    if (s.size % align !== 0) continue; // (s->size & ~(align - 1)) != s->size
    if (s.size - size >= POINTER_SIZE) continue;
    return s;
  }
  return null;
}

/** One /proc/slabinfo row. SLUB prints tunables 0 0 0 and sharedavail 0. */
export interface SlabinfoRow {
  name: string;
  activeObjs: number;
  numObjs: number;
  objsize: number;
  objperslab: number;
  pagesperslab: number;
  limit: number;
  batchcount: number;
  sharedfactor: number;
  activeSlabs: number;
  numSlabs: number;
  sharedavail: number;
}

/** The two header lines of /proc/slabinfo version 2.1 (mm/slab_common.c print_slabinfo_header). */
export const SLABINFO_HEADER =
  "slabinfo - version: 2.1\n" +
  "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n";

function pad(v: number, w: number): string {
  return String(v).padStart(w);
}

/** One row in Linux's format: "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu". */
export function formatSlabinfoRow(r: SlabinfoRow): string {
  return `${r.name.padEnd(17)} ${pad(r.activeObjs, 6)} ${pad(r.numObjs, 6)} ${pad(r.objsize, 6)} ${pad(r.objperslab, 4)} ${pad(r.pagesperslab, 4)}` +
    ` : tunables ${pad(r.limit, 4)} ${pad(r.batchcount, 4)} ${pad(r.sharedfactor, 4)}` +
    ` : slabdata ${pad(r.activeSlabs, 6)} ${pad(r.numSlabs, 6)} ${pad(r.sharedavail, 6)}\n`;
}

/** The whole file: header, then rows in the order given (newest cache first, as Linux lists them). */
export function formatSlabinfo(rows: readonly SlabinfoRow[]): string {
  return SLABINFO_HEADER + rows.map(formatSlabinfoRow).join("");
}

/** What the docs show for a kmalloc request: its cache, the bytes it really gets, and why. */
export interface KmallocClass {
  /** requested bytes */
  size: number;
  /** the cache name, or "page allocator" above 8 KiB, or "ZERO_SIZE_PTR" for 0 */
  cache: string;
  /** bytes actually reserved (what ksize reports: the class size, or the whole order-N folio) */
  bytes: number;
  /** bytes wasted inside the object */
  waste: number;
  /** page order for large requests, else -1 */
  order: number;
}

/**
 * The kmalloc size class of a request (SLUB, x86-64): cache name, real size and internal
 * waste. `type` picks the kmalloc variant (KMALLOC_NORMAL, KMALLOC_RECLAIM, ...). Sizes above
 * KMALLOC_MAX_SIZE return cache "none" and bytes 0 (kmalloc fails).
 */
export function kmallocClassOf(size: number, type = KMALLOC_NORMAL): KmallocClass {
  if (size === 0) return { size, cache: "ZERO_SIZE_PTR", bytes: 0, waste: 0, order: -1 };
  if (size > KMALLOC_MAX_SIZE) return { size, cache: "none", bytes: 0, waste: 0, order: -1 };
  if (size > KMALLOC_MAX_CACHE_SIZE) {
    let order = 0;
    while (PAGE_SIZE * 2 ** order < size) order++;
    const bytes = PAGE_SIZE * 2 ** order;
    return { size, cache: "page allocator", bytes, waste: bytes - size, order };
  }
  const index = kmallocIndex(size);
  const bytes = kmallocIndexSize(index);
  return { size, cache: kmallocCacheName(type, index), bytes, waste: bytes - size, order: -1 };
}
