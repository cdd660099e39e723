// SLUB cache geometry, computed exactly as mm/slub.c does at kmem_cache_create time:
// object alignment (calculate_alignment), the object layout with red zones, free pointer and
// debug metadata (calculate_sizes), the slab order (calculate_order), min_partial and
// cpu_partial. Pure functions of the cache parameters and the boot tunables; no memory here.
//
//   one slot of s->size bytes (SLAB_RED_ZONE | SLAB_STORE_USER shown; each part optional):
//
//   | left red zone | object_size bytes ......... | right red | free ptr | track  | track | orig | pad |
//   |  red_left_pad | (free ptr in the middle     |  zone     | (if out  | alloc  | free  | size | ... |
//   |               |  unless it must be outside) |           | of obj)  |        |       |      |     |
//   ^ slot start    ^ object address p            ^ p+object_size         ^ p + get_info_end       ^ slot + size
//                                                 ^ p+inuse ends the "in use" part
//
// calculate_order: a slab is 2^order pages holding floor(slab_bytes / size) objects. SLUB
// wants at least min_objects per slab (4 * (fls(nr_cpus) + 1), so bigger machines get bigger
// slabs and fewer trips to the node lists) but no more than slub_max_order (3), and accepts
// the first order whose leftover is at most 1/16 of the slab, then 1/8, 1/4, 1/2.
import { PAGE_SIZE } from "@mmsim/base";
import {
  __OBJECT_POISON, SLAB_HWCACHE_ALIGN, SLAB_KMALLOC, SLAB_POISON, SLAB_RED_ZONE, SLAB_STORE_USER,
  SLAB_TYPESAFE_BY_RCU, SLAB_DEBUG_FLAGS,
} from "./slab-flags";

/** sizeof(void *) on x86-64 */
export const POINTER_SIZE = 8;
/** x86-64 cache line (cache_line_size()), used by SLAB_HWCACHE_ALIGN */
export const CACHE_LINE_SIZE = 64;
/** ARCH_SLAB_MINALIGN on x86-64 (= __alignof__(unsigned long long)) */
export const ARCH_SLAB_MINALIGN = 8;
/** slub_max_order default (mm/slub.c: PAGE_ALLOC_COSTLY_ORDER) */
export const PAGE_ALLOC_COSTLY_ORDER = 3;
/** largest buddy order (include/linux/mmzone.h MAX_PAGE_ORDER, x86-64 default) */
export const MAX_PAGE_ORDER = 10;
/** objects per slab are held in 15 bits (mm/slub.c MAX_OBJS_PER_PAGE) */
export const MAX_OBJS_PER_PAGE = 32767;
/** mm/slub.c MIN_PARTIAL / MAX_PARTIAL: bounds of min_partial */
export const MIN_PARTIAL = 5;
export const MAX_PARTIAL = 10;
/**
 * sizeof(struct track) without CONFIG_STACKDEPOT: addr (8), cpu (4), pid (4), when (8).
 * (With STACKDEPOT, as on distro kernels, a 4-byte handle makes it 32.)
 */
export const TRACK_SIZE = 24;
/** the kmalloc original request size kept after the tracks (unsigned long) */
export const ORIG_SIZE_SIZE = 8;

/** Boot parameters that shape slab geometry (slub_min_objects=, slub_min_order=, slub_max_order=). */
export interface SlubTunables {
  /** num_present_cpus() (nr_cpu_ids if that is <= 1) */
  nrCpus: number;
  /** slub_min_objects=; 0 means "derive from the CPU count" */
  minObjects?: number;
  /** slub_min_order= (default 0) */
  minOrder?: number;
  /** slub_max_order= (default 3) */
  maxOrder?: number;
}

/** Find last set bit, 1-based (fls(0) = 0), for 32-bit values. */
export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** floor(log2(x)) for x >= 1. */
export function ilog2(x: number): number {
  return 31 - Math.clz32(x);
}

/** get_order(size): the smallest order whose 2^order pages hold `size` bytes. */
export function getOrder(size: number): number {
  let order = 0;
  while (PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

/** Objects of `size` bytes that fit in a slab of 2^order pages (mm/slub.c order_objects). */
export function orderObjects(order: number, size: number): number {
  return Math.floor((PAGE_SIZE * 2 ** order) / size);
}

/** min_objects used by calculate_order: slub_min_objects or 4 * (fls(nr_cpus) + 1). */
export function minObjectsFor(t: SlubTunables): number {
  if (t.minObjects) return t.minObjects;
  return 4 * (fls(Math.max(1, t.nrCpus)) + 1);
}

function calcSlabOrder(size: number, minOrder: number, maxOrder: number, fraction: number): number {
  let order = minOrder;
  for (; order <= maxOrder; order++) {
    const slabSize = PAGE_SIZE * 2 ** order;
    if (slabSize % size <= slabSize / fraction) break;
  }
  return order;
}

/**
 * mm/slub.c calculate_order: the preferred slab order for objects of `size` bytes.
 * Returns -1 (Linux: -ENOSYS) when even one object does not fit in a MAX_PAGE_ORDER block.
 */
export function calculateOrder(size: number, t: SlubTunables): number {
  const slubMinOrder = t.minOrder ?? 0;
  const slubMaxOrder = t.maxOrder ?? PAGE_ALLOC_COSTLY_ORDER;
  let minObjects = minObjectsFor(t);
  const maxObjects = Math.max(orderObjects(slubMaxOrder, size), 1);
  minObjects = Math.min(minObjects, maxObjects);
  const minOrder = Math.max(slubMinOrder, getOrder(minObjects * size));
  if (orderObjects(minOrder, size) > MAX_OBJS_PER_PAGE) return getOrder(size * MAX_OBJS_PER_PAGE) - 1;
  for (let fraction = 16; fraction > 1; fraction /= 2) {
    const order = calcSlabOrder(size, minOrder, slubMaxOrder, fraction);
    if (order <= slubMaxOrder) return order;
  }
  const order = getOrder(size);
  return order <= MAX_PAGE_ORDER ? order : -1;
}

/** mm/slab_common.c calculate_alignment: the final object alignment. */
export function calculateAlignment(flags: number, align: number, size: number): number {
  if (flags & SLAB_HWCACHE_ALIGN) {
    let ralign = CACHE_LINE_SIZE;
    while (size <= ralign / 2) ralign /= 2;
    align = Math.max(align, ralign);
  }
  align = Math.max(align, ARCH_SLAB_MINALIGN);
  return alignUp(align, POINTER_SIZE);
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** The layout of a cache's objects, as struct kmem_cache holds it. */
export interface CacheLayout {
  /** the size the creator asked for */
  objectSize: number;
  /** bytes per object slot, with metadata and alignment (slabinfo's objsize) */
  size: number;
  align: number;
  /** offset of the free pointer from the object address */
  offset: number;
  /** bytes of the slot in use by the object and its right red zone */
  inuse: number;
  /** left red zone bytes before each object (0 without SLAB_RED_ZONE) */
  redLeftPad: number;
  /** creation flags plus __OBJECT_POISON when the object itself is poisoned */
  flags: number;
  /** preferred slab order and objects per slab (s->oo) */
  order: number;
  objects: number;
  /** fallback order when the preferred one cannot be allocated (s->min) */
  minOrder: number;
  minObjects: number;
}

/**
 * mm/slub.c calculate_sizes. `align` must already be the result of calculateAlignment.
 * Returns null when no slab can hold an object (Linux: kmem_cache_create fails).
 */
export function calculateSizes(objectSize: number, align: number, flags: number, hasCtor: boolean, t: SlubTunables): CacheLayout | null {
  let size = alignUp(objectSize, POINTER_SIZE);
  if ((flags & SLAB_POISON) && !(flags & SLAB_TYPESAFE_BY_RCU) && !hasCtor) flags |= __OBJECT_POISON;
  else flags &= ~__OBJECT_POISON;
  // A red zone needs at least a word between the object and what follows.
  if ((flags & SLAB_RED_ZONE) && size === objectSize) size += POINTER_SIZE;
  const inuse = size;
  const origSizeKept = (flags & SLAB_STORE_USER) !== 0 && (flags & SLAB_KMALLOC) !== 0;
  let offset: number;
  if ((flags & SLAB_TYPESAFE_BY_RCU) || (flags & SLAB_POISON) || hasCtor ||
      ((flags & SLAB_RED_ZONE) && (objectSize < POINTER_SIZE || origSizeKept))) {
    // The object's bytes must survive while free: keep the free pointer after it.
    offset = size;
    size += POINTER_SIZE;
  } else {
    // In the middle of the object, away from the edges an overflow would hit first.
    offset = Math.floor(objectSize / 2 / POINTER_SIZE) * POINTER_SIZE;
  }
  if (flags & SLAB_STORE_USER) {
    size += 2 * TRACK_SIZE;
    if (flags & SLAB_KMALLOC) size += ORIG_SIZE_SIZE;
  }
  let redLeftPad = 0;
  if (flags & SLAB_RED_ZONE) {
    size += POINTER_SIZE; // mandatory padding word before the next object
    redLeftPad = alignUp(POINTER_SIZE, align);
    size += redLeftPad;
  }
  size = alignUp(size, align);
  const order = calculateOrder(size, t);
  if (order < 0) return null;
  const objects = orderObjects(order, size);
  if (objects === 0) return null;
  const minOrder = getOrder(size);
  return { objectSize, size, align, offset, inuse, redLeftPad, flags, order, objects, minOrder, minObjects: orderObjects(minOrder, size) };
}

/** End of the object's info (free pointer outside the object counts): mm/slub.c get_info_end. */
export function infoEnd(l: CacheLayout): number {
  return l.offset >= l.inuse ? l.inuse + POINTER_SIZE : l.inuse;
}

/** min_partial = clamp(ilog2(size) / 2, 5, 10) (mm/slub.c set_min_partial). */
export function minPartialFor(size: number): number {
  return Math.min(MAX_PARTIAL, Math.max(MIN_PARTIAL, Math.floor(ilog2(size) / 2)));
}

/**
 * mm/slub.c set_cpu_partial: objects kept on a CPU's partial slabs, and the slab count it
 * converts to (DIV_ROUND_UP(objects * 2, objects per slab)). Debug caches have none.
 */
export function cpuPartialFor(size: number, objectsPerSlab: number, flags: number): { objects: number; slabs: number } {
  let objects: number;
  if (flags & SLAB_DEBUG_FLAGS) objects = 0;
  else if (size >= PAGE_SIZE) objects = 6;
  else if (size >= 1024) objects = 24;
  else if (size >= 256) objects = 52;
  else objects = 120;
  return { objects, slabs: Math.ceil((objects * 2) / objectsPerSlab) };
}
