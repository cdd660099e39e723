// Slab cache flags and the poison/red-zone byte values (include/linux/slab.h,
// include/linux/poison.h). Linux generates the flag bits from an enum whose order changes
// between releases, so only the names carry over; the bit values here are mmsim's own (all
// below 2^31, so plain bitwise operators are safe on them).

/** Flags accepted by kmemCacheCreate (Linux's slab_flags_t). */
export const SLAB_CONSISTENCY_CHECKS = 1 << 0;
export const SLAB_RED_ZONE = 1 << 1;
export const SLAB_POISON = 1 << 2;
export const SLAB_KMALLOC = 1 << 3;
export const SLAB_HWCACHE_ALIGN = 1 << 4;
export const SLAB_CACHE_DMA = 1 << 5;
export const SLAB_CACHE_DMA32 = 1 << 6;
export const SLAB_STORE_USER = 1 << 7;
export const SLAB_PANIC = 1 << 8;
export const SLAB_TYPESAFE_BY_RCU = 1 << 9;
export const SLAB_TRACE = 1 << 10;
export const SLAB_NOLEAKTRACE = 1 << 11;
export const SLAB_NO_MERGE = 1 << 12;
export const SLAB_ACCOUNT = 1 << 13;
export const SLAB_RECLAIM_ACCOUNT = 1 << 14;
export const SLAB_NO_USER_FLAGS = 1 << 15;
export const SLAB_FAILSLAB = 1 << 16;
/** internal: the object itself can be poisoned (mm/slab.h __OBJECT_POISON) */
export const __OBJECT_POISON = 1 << 17;

/** slub_debug with no options: F, Z, P, U (mm/slub.c DEBUG_DEFAULT_FLAGS). */
export const DEBUG_DEFAULT_FLAGS = SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER;
/** Flags that make a cache a debug cache (mm/slub.c SLAB_DEBUG_FLAGS). */
export const SLAB_DEBUG_FLAGS = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;
/** A cache with any of these is never merged (mm/slab_common.c SLAB_NEVER_MERGE). */
export const SLAB_NEVER_MERGE = SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_TYPESAFE_BY_RCU | SLAB_NOLEAKTRACE | SLAB_FAILSLAB | SLAB_NO_MERGE;
/** Merged caches must agree on these (mm/slab_common.c SLAB_MERGE_SAME). */
export const SLAB_MERGE_SAME = SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_ACCOUNT;

// include/linux/poison.h
/** object allocated but not yet initialised; also slab padding */
export const POISON_INUSE = 0x5a;
/** freed object ('k') */
export const POISON_FREE = 0x6b;
/** last byte of a poisoned object */
export const POISON_END = 0xa5;
/** red zone of a free object */
export const SLUB_RED_INACTIVE = 0xbb;
/** red zone of an allocated object */
export const SLUB_RED_ACTIVE = 0xcc;
/** kmalloc(0) (include/linux/slab.h ZERO_SIZE_PTR ((void *)16)) */
export const ZERO_SIZE_PTR = 16;

/** Flag names as slub_debug letters, for display. */
export function formatSlabFlags(flags: number): string {
  const names: [number, string][] = [
    [SLAB_CONSISTENCY_CHECKS, "SLAB_CONSISTENCY_CHECKS"], [SLAB_RED_ZONE, "SLAB_RED_ZONE"],
    [SLAB_POISON, "SLAB_POISON"], [SLAB_KMALLOC, "SLAB_KMALLOC"], [SLAB_HWCACHE_ALIGN, "SLAB_HWCACHE_ALIGN"],
    [SLAB_CACHE_DMA, "SLAB_CACHE_DMA"], [SLAB_CACHE_DMA32, "SLAB_CACHE_DMA32"], [SLAB_STORE_USER, "SLAB_STORE_USER"],
    [SLAB_PANIC, "SLAB_PANIC"], [SLAB_TYPESAFE_BY_RCU, "SLAB_TYPESAFE_BY_RCU"], [SLAB_TRACE, "SLAB_TRACE"],
    [SLAB_NOLEAKTRACE, "SLAB_NOLEAKTRACE"], [SLAB_NO_MERGE, "SLAB_NO_MERGE"], [SLAB_ACCOUNT, "SLAB_ACCOUNT"],
    [SLAB_RECLAIM_ACCOUNT, "SLAB_RECLAIM_ACCOUNT"], [SLAB_NO_USER_FLAGS, "SLAB_NO_USER_FLAGS"],
    [SLAB_FAILSLAB, "SLAB_FAILSLAB"],
  ];
  return names.filter(([b]) => (flags & b) !== 0).map(([, n]) => n).join("|") || "0";
}

/**
 * Parses a slub_debug option block ("FZPU", "-", "" = all) into flags, as
 * mm/slub.c parse_slub_debug_flags does: F consistency, Z red zone, P poison, U store user,
 * T trace, A failslab, '-' clears. Unknown letters are ignored (Linux prints and skips them).
 */
export function parseSlubDebugFlags(letters: string): number {
  if (letters === "") return DEBUG_DEFAULT_FLAGS;
  let flags = 0;
  for (const ch of letters.toLowerCase()) {
    if (ch === "-") flags = 0;
    else if (ch === "f") flags |= SLAB_CONSISTENCY_CHECKS;
    else if (ch === "z") flags |= SLAB_RED_ZONE;
    else if (ch === "p") flags |= SLAB_POISON;
    else if (ch === "u") flags |= SLAB_STORE_USER;
    else if (ch === "t") flags |= SLAB_TRACE;
    else if (ch === "a") flags |= SLAB_FAILSLAB;
  }
  return flags;
}
