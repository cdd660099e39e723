// The parts of the lower layers this package uses, as structural types: PhysicalMemory
// (@mmsim/physical) and Ram (@mmsim/hardware) satisfy them as they are. Keeping the list here
// shows at a glance what kernel-alloc needs from below.

/** The buddy allocator: PhysicalMemory. */
export interface PageAllocator {
  /** pfn of the first page of a 2^order block, or -1 */
  allocPages(gfp: number, order: number, nid?: number): number;
  freePages(pfn: number, order: number): void;
  /**
   * alloc_pages_bulk_node: up to `nrPages` order-0 pages on node `nid` (-1: the local node)
   * into out[0..n); returns n. Optional: without it vmalloc takes its pages one allocPages
   * call at a time.
   */
  allocPagesBulk?(gfp: number, nid: number, nrPages: number, out: Int32Array | number[]): number;
  readonly maxPfn: number;
  readonly pages: PageTypes;
  /** smp_processor_id() of the page allocator (its PCP lists); KernelAlloc.cpu sets it */
  cpu?: number;
}

/** The struct page operations used here (PageArray). */
export interface PageTypes {
  setType(pfn: number, ty: number): void;
  clearType(pfn: number, ty: number): void;
  getType(pfn: number): number;
  nid(pfn: number): number;
  /** PG_* bits (node and zone masked off) */
  pageFlags(pfn: number): number;
  zoneType(pfn: number): number;
  /** page_ref_count() (for dump_page) */
  refCount(pfn: number): number;
}

/** Simulated RAM (hardware Ram). */
export interface Memory {
  readonly maxPfn: number;
  readU8(pa: number): number;
  readU32(pa: number): number;
  /** readU32(pa), with readU32(pa + 4) left in pairHi (the free pointer's halves) */
  readU32Pair(pa: number): number;
  readonly pairHi: number;
  readU64(pa: number): number;
  writeU8(pa: number, v: number): void;
  writeU32(pa: number, v: number): void;
  /** writeU32(pa, lo) then writeU32(pa + 4, hi) (the free pointer's halves) */
  writeU32Pair(pa: number, lo: number, hi: number): void;
  writeU64(pa: number, v: number): void;
  read(pa: number, len: number): Uint8Array;
  write(pa: number, bytes: Uint8Array): void;
  fill(pa: number, len: number, byte: number): void;
  copy(dstPa: number, srcPa: number, len: number): void;
  zeroFrame(pfn: number): void;
}
