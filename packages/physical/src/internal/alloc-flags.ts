// Moved to ../alloc-flags.ts (public: hooks receive alloc_flags); kept so that modules not yet
// switched to the public path still build. Import from "../alloc-flags" instead.
export { ALLOC_WMARK_MIN, ALLOC_WMARK_LOW, ALLOC_WMARK_HIGH, ALLOC_NO_WATERMARKS, ALLOC_WMARK_MASK, ALLOC_OOM } from "../alloc-flags";
export { ALLOC_NON_BLOCK, ALLOC_MIN_RESERVE, ALLOC_CPUSET, ALLOC_CMA, ALLOC_NOFRAGMENT, ALLOC_HIGHATOMIC, ALLOC_KSWAPD, ALLOC_RESERVES } from "../alloc-flags";
