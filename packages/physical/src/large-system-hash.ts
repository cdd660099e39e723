// alloc_large_system_hash() (mm/mm_init.c): the size of a boot-time hash table (dentry cache,
// inode cache, mount, pid, ...) from the machine's memory, and its allocation from memblock
// for HASH_EARLY tables, with the "%s hash table entries: ..." boot line. Tables allocated
// after boot (vmalloc_huge or alloc_pages_exact) are the caller's to allocate.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { SMP_CACHE_BYTES } from "./memblock";
import type { MemblockAllocator } from "./memblock";

/** ADAPT_SCALE_BASE (mm/mm_init.c, 64-bit): 64 GiB of memory, in pages. */
export const ADAPT_SCALE_NPAGES = (64 * 2 ** 30) / PAGE_SIZE;
/** ADAPT_SCALE_SHIFT: the scale grows by one each time memory quadruples past the base. */
export const ADAPT_SCALE_SHIFT = 2;
/** PAGE_SHIFT on x86. */
const PAGE_SHIFT = 12;
/** The cap of every table: 2^31 entries (min(max, 0x80000000ULL)). */
const MAX_HASH_ENTRIES = 0x80000000;

/** What alloc_large_system_hash() decides before it allocates. */
export interface LargeSystemHashSize {
  /** log2 of the number of buckets (*_hash_shift) */
  log2qty: number;
  /** number of buckets, 1 << log2qty */
  entries: number;
  /** bytes: bucketsize << log2qty */
  size: number;
  /** ilog2(size) - PAGE_SHIFT, as the boot line prints it */
  order: number;
}

/** Parameters of alloc_large_system_hash() that decide the size. */
export interface LargeSystemHashParams {
  /** bytes per bucket */
  bucketsize: number;
  /** buckets asked for (a boot parameter such as dhash_entries); 0 to size from memory */
  numentries: number;
  /** one bucket per 2^scale bytes of low memory */
  scale: number;
  /** at least this many buckets */
  lowLimit: number;
  /** at most this many buckets; 0 for 1/16 of memory */
  highLimit: number;
  /** nr_kernel_pages (calc_nr_kernel_pages) */
  nrKernelPages: number;
  /** nr_all_pages */
  nrAllPages: number;
}

/** roundup_pow_of_two() for n ≥ 1 (below 2^53). */
function roundupPowOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** ilog2() for n ≥ 1 (below 2^53). */
function ilog2(n: number): number {
  let l = 0;
  while (2 ** (l + 1) <= n) l++;
  return l;
}

/**
 * The sizing half of alloc_large_system_hash(), without its allocation-failure retries:
 * numentries from nr_kernel_pages rounded up to 1 MiB, scaled (one bucket per 2^scale bytes,
 * the scale raised by one per quadrupling above 64 GiB when there is no high limit), at least
 * a page of buckets, rounded up to a power of two, then clamped to [lowLimit, max] where max
 * is highLimit or 1/16 of all memory in buckets, and never above 2^31.
 */
export function largeSystemHashSize(p: LargeSystemHashParams): LargeSystemHashSize {
  if (!(p.bucketsize > 0 && Number.isInteger(p.bucketsize))) BUG("alloc_large_system_hash", `bucketsize ${p.bucketsize}`);
  let numentries = p.numentries;
  let scale = p.scale;
  if (!numentries) {
    const pagesPerMb = (1 << 20) / PAGE_SIZE;
    numentries = Math.ceil(p.nrKernelPages / pagesPerMb) * pagesPerMb;
    if (!p.highLimit) for (let adapt = ADAPT_SCALE_NPAGES; adapt < numentries; adapt *= 2 ** ADAPT_SCALE_SHIFT) scale++;
    if (scale > PAGE_SHIFT) numentries = Math.floor(numentries / 2 ** (scale - PAGE_SHIFT));
    else numentries *= 2 ** (PAGE_SHIFT - scale);
    if (numentries * p.bucketsize < PAGE_SIZE) numentries = Math.floor(PAGE_SIZE / p.bucketsize);
  }
  numentries = roundupPowOfTwo(Math.max(1, numentries));
  let max = p.highLimit;
  if (max === 0) max = Math.floor((p.nrAllPages * PAGE_SIZE) / 16 / p.bucketsize);
  max = Math.min(max, MAX_HASH_ENTRIES);
  if (numentries < p.lowLimit) numentries = p.lowLimit;
  if (numentries > max) numentries = max;
  const log2qty = ilog2(Math.max(1, numentries));
  const size = p.bucketsize * 2 ** log2qty;
  return { log2qty, entries: 2 ** log2qty, size, order: ilog2(size) - PAGE_SHIFT };
}

/** The boot line alloc_large_system_hash() prints ("linear" for a memblock or page table). */
export function largeSystemHashLine(tablename: string, h: LargeSystemHashSize, where: "linear" | "vmalloc" | "vmalloc hugepage"): string {
  return `${tablename} hash table entries: ${h.entries} (order: ${h.order}, ${h.size} bytes, ${where})`;
}

/**
 * alloc_large_system_hash() for a HASH_EARLY table: sizes it from the allocator's
 * nr_kernel_pages and nr_all_pages, allocates it from memblock (SMP_CACHE_BYTES aligned,
 * halving on failure as Linux retries), prints the boot line and returns the table's
 * physical address and size. Linux panics when even one page cannot be had: that is a Bug.
 */
export function allocLargeSystemHash(
  mb: MemblockAllocator,
  tablename: string,
  p: Omit<LargeSystemHashParams, "nrKernelPages" | "nrAllPages">,
): LargeSystemHashSize & { addr: number } {
  let h = largeSystemHashSize({ ...p, nrKernelPages: mb.nrKernelPages, nrAllPages: mb.nrAllPages });
  for (;;) {
    const addr = mb.alloc(h.size, SMP_CACHE_BYTES, `${tablename} hash table`);
    if (addr >= 0) {
      mb.printk(largeSystemHashLine(tablename, h, "linear"));
      return { ...h, addr };
    }
    if (h.size <= PAGE_SIZE || h.log2qty === 0) BUG("alloc_large_system_hash", `Failed to allocate ${tablename} hash table`);
    const log2qty = h.log2qty - 1;
    const size = p.bucketsize * 2 ** log2qty;
    h = { log2qty, entries: 2 ** log2qty, size, order: ilog2(size) - PAGE_SHIFT };
  }
}
