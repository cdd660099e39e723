// ALLOC_* flags of the page allocator (mm/internal.h, 6.3+ names): the watermark a request is
// checked against and the reserves it may dip into. gfp_to_alloc_flags() derives them from the
// gfp mask; hooks receive them in AllocContext.allocFlags and CompactControl.allocFlags.

/** watermark index in the low bits (enum zone_watermarks) */
export const ALLOC_WMARK_MIN = 0;
export const ALLOC_WMARK_LOW = 1;
export const ALLOC_WMARK_HIGH = 2;
/** don't check watermarks at all */
export const ALLOC_NO_WATERMARKS = 0x04;
/** the bits holding the watermark index */
export const ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;
/** the OOM victim may dip into half the min reserve */
export const ALLOC_OOM = 0x08;
/** the caller cannot block: allow access to 25% of the min watermark */
export const ALLOC_NON_BLOCK = 0x10;
/** __GFP_HIGH: allow access to 50% of the min watermark */
export const ALLOC_MIN_RESERVE = 0x20;
/** check the cpuset (not modelled: every node is allowed) */
export const ALLOC_CPUSET = 0x40;
/** allow allocation from CMA areas */
export const ALLOC_CMA = 0x80;
/** avoid mixing pageblock types (alloc_flags_nofragment) */
export const ALLOC_NOFRAGMENT = 0x100;
/** may take from the highatomic reserve */
export const ALLOC_HIGHATOMIC = 0x200;
/** equal to __GFP_KSWAPD_RECLAIM so that gfp bits can be copied (mm/internal.h) */
export const ALLOC_KSWAPD = 0x800;
/** flags that let a request below the min watermark */
export const ALLOC_RESERVES = ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM;
