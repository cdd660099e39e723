// The chunk format of glibc's malloc (malloc/malloc.c, x86-64, glibc 2.39): sizes, alignment,
// request2size, the bin index functions, and safe-linking's pointer mangling. Everything here
// is a pure function of numbers; arena.ts keeps the chunks themselves.
//
//     chunk -> +-------------------------------+
//              | prev_size (if the previous    |  written only while the previous chunk is
//              | chunk is free: its footer)    |  free (set_foot), else the previous chunk's data
//              +-------------------------------+
//              | size | A(4) | M(2) | P(1)     |  P: PREV_INUSE, M: IS_MMAPPED
//      mem  -> +-------------------------------+
//              | user data (tcache: next, key; |  usable: size - SIZE_SZ (the next chunk's
//              | fastbin: fd; bins: fd, bk)    |  prev_size field belongs to this chunk)
//              +-------------------------------+

/** SIZE_SZ: sizeof(INTERNAL_SIZE_T) = 8 on 64-bit (malloc/malloc-internal.h). */
export const SIZE_SZ = 8;
/** MALLOC_ALIGNMENT: 2 * SIZE_SZ = 16 on x86-64 (sysdeps/generic/malloc-alignment.h). */
export const MALLOC_ALIGNMENT = 16;
/** CHUNK_HDR_SZ: 2 * SIZE_SZ, the offset of mem from the chunk (malloc.c). */
export const CHUNK_HDR_SZ = 16;
/** MINSIZE: MIN_CHUNK_SIZE = offsetof(struct malloc_chunk, fd_nextsize) = 32, aligned (malloc.c). */
export const MINSIZE = 32;
/** PREV_INUSE and IS_MMAPPED, the low bits of the size field (malloc.c). */
export const PREV_INUSE = 0x1;
export const IS_MMAPPED = 0x2;
/** sizeof(struct malloc_chunk): six 8-byte fields, used by mtrim (malloc_trim). */
export const MALLOC_CHUNK_STRUCT = 48;

/** TCACHE_MAX_BINS (malloc.c): 64 tcache bins, chunk sizes 32..1040. */
export const TCACHE_MAX_BINS = 64;
/** TCACHE_FILL_COUNT (malloc.c): at most 7 chunks per tcache bin by default (mp_.tcache_count). */
export const TCACHE_FILL_COUNT = 7;
/** sizeof(tcache_perthread_struct): uint16_t counts[64] + tcache_entry *entries[64] = 640 bytes. */
export const TCACHE_STRUCT_SIZE = 2 * TCACHE_MAX_BINS + 8 * TCACHE_MAX_BINS;

/** DEFAULT_MXFAST (malloc.c): 64 * SIZE_SZ / 4 = 128 bytes; global_max_fast after set_max_fast. */
export const DEFAULT_MXFAST = (64 * SIZE_SZ) / 4;
/** MAX_FAST_SIZE (malloc.c): 80 * SIZE_SZ / 4 = 160, the largest M_MXFAST mallopt accepts. */
export const MAX_FAST_SIZE = (80 * SIZE_SZ) / 4;
/** NFASTBINS: fastbin_index(request2size(MAX_FAST_SIZE)) + 1 = 10. */
export const NFASTBINS = 10;
/** NBINS (malloc.c): 128 bins; bin 1 is the unsorted bin, 2..63 small, 64..126 large. */
export const NBINS = 128;
/** MIN_LARGE_SIZE: NSMALLBINS (64) * SMALLBIN_WIDTH (16) = 1024: smaller chunks are "small". */
export const MIN_LARGE_SIZE = 1024;
/** FASTBIN_CONSOLIDATION_THRESHOLD (malloc.c): 64 KiB; freeing this much consolidates and trims. */
export const FASTBIN_CONSOLIDATION_THRESHOLD = 65536;

/** DEFAULT_TOP_PAD (sysdeps/generic/malloc-machine.h): 128 KiB. */
export const DEFAULT_TOP_PAD = 128 * 1024;
/** DEFAULT_TRIM_THRESHOLD (malloc.c): 128 KiB. */
export const DEFAULT_TRIM_THRESHOLD = 128 * 1024;
/** DEFAULT_MMAP_THRESHOLD_MIN (malloc.c): 128 KiB, the initial mmap threshold. */
export const DEFAULT_MMAP_THRESHOLD = 128 * 1024;
/** DEFAULT_MMAP_THRESHOLD_MAX (malloc.c): 4 MiB * sizeof(long) = 32 MiB on 64-bit. */
export const DEFAULT_MMAP_THRESHOLD_MAX = 4 * 1024 * 1024 * 8;
/** HEAP_MAX_SIZE (arena.c): 2 * DEFAULT_MMAP_THRESHOLD_MAX; M_MMAP_THRESHOLD must be <= half of it. */
export const HEAP_MAX_SIZE = 2 * DEFAULT_MMAP_THRESHOLD_MAX;
/** DEFAULT_MMAP_MAX (malloc.c): 65536 mmapped chunks at most (mp_.n_mmaps_max). */
export const DEFAULT_MMAP_MAX = 65536;

/** mallopt parameter numbers (malloc/malloc.h). */
export const M_MXFAST = 1;
export const M_TRIM_THRESHOLD = -1;
export const M_TOP_PAD = -2;
export const M_MMAP_THRESHOLD = -3;
export const M_MMAP_MAX = -4;

/** The largest request mmsim accepts: PTRDIFF_MAX is above what a double holds; 2^47 is the user half. */
export const MAX_REQUEST = 2 ** 47;

/** request2size: the chunk size a request of `req` bytes needs (header, 16-byte alignment, MINSIZE). */
export function request2size(req: number): number {
  const n = req + SIZE_SZ + MALLOC_ALIGNMENT - 1;
  return n < MINSIZE ? MINSIZE : n - (n % MALLOC_ALIGNMENT);
}

/** csize2tidx: the tcache bin of a chunk size. */
export function csize2tidx(size: number): number {
  return Math.floor((size - MINSIZE + MALLOC_ALIGNMENT - 1) / MALLOC_ALIGNMENT);
}

/** fastbin_index on 64-bit: (size >> 4) - 2. */
export function fastbinIndex(size: number): number {
  return Math.floor(size / 16) - 2;
}

/** set_max_fast: global_max_fast for an M_MXFAST value (0 disables fastbins: MIN_CHUNK_SIZE / 2). */
export function setMaxFast(s: number): number {
  if (s === 0) return MINSIZE / 2;
  const n = s + SIZE_SZ;
  return n - (n % MALLOC_ALIGNMENT);
}

/** smallbin_index on 64-bit: size >> 4 (SMALLBIN_WIDTH 16, SMALLBIN_CORRECTION 0). */
export function smallbinIndex(size: number): number {
  return Math.floor(size / 16);
}

/** largebin_index_64 (malloc.c): 32 bins of 64 bytes, 16 of 512, 8 of 4096, 4 of 32 KiB, 2 of 256 KiB, 1 for the rest. */
export function largebinIndex(size: number): number {
  const s6 = Math.floor(size / 64);
  if (s6 <= 48) return 48 + s6;
  const s9 = Math.floor(size / 512);
  if (s9 <= 20) return 91 + s9;
  const s12 = Math.floor(size / 4096);
  if (s12 <= 10) return 110 + s12;
  const s15 = Math.floor(size / 32768);
  if (s15 <= 4) return 119 + s15;
  const s18 = Math.floor(size / 262144);
  if (s18 <= 2) return 124 + s18;
  return 126;
}

/** bin_index: the small or large bin of a chunk size. */
export function binIndex(size: number): number {
  return size < MIN_LARGE_SIZE ? smallbinIndex(size) : largebinIndex(size);
}

/** ALIGN_UP / ALIGN_DOWN to a power of two, by arithmetic (values exceed 32 bits). */
export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
export function alignDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

const TWO32 = 2 ** 32;

/**
 * PROTECT_PTR (malloc.c, safe-linking since glibc 2.32): (pos >> 12) ^ ptr, the value stored
 * in a tcache entry's next and a fastbin chunk's fd. Returned as [low 32 bits, high 32 bits].
 */
export function protectPtr(pos: number, ptr: number, out: Uint32Array): void {
  const shifted = Math.floor(pos / 4096);
  out[0] = ((shifted % TWO32) ^ (ptr % TWO32)) >>> 0;
  out[1] = (Math.floor(shifted / TWO32) ^ Math.floor(ptr / TWO32)) >>> 0;
}
