// Chunks that are mappings of their own (malloc.c sysmalloc_mmap, munmap_chunk, mremap_chunk):
// a request of at least mp_.mmap_threshold that the heap's bins and top cannot serve gets an
// anonymous private mapping of ALIGN_UP(nb + SIZE_SZ, pagesize) bytes whose first word is
// prev_size (0) and second the size with IS_MMAPPED; free unmaps it, realloc mremaps it.
import { IS_MMAPPED, SIZE_SZ, alignUp } from "./chunk";
import type { UserMem } from "./user-mem";

const PAGE = 4096;

export class MmappedChunks {
  /** mmapped chunks by address: their size (the whole mapping: prev_size is always 0 here) */
  readonly chunks = new Map<number, number>();
  /** mp_.n_mmaps, mp_.max_n_mmaps, mp_.mmapped_mem, mp_.max_mmapped_mem */
  nMmaps = 0;
  maxNMmaps = 0;
  mmappedMem = 0;
  maxMmappedMem = 0;

  constructor(private readonly mem: UserMem) {}

  /** fork: the child's copy of the parent's mapped chunks (its mappings are copies too). */
  copyFrom(src: MmappedChunks): void {
    for (const [c, size] of src.chunks) this.chunks.set(c, size);
    this.nMmaps = src.nMmaps;
    this.maxNMmaps = src.maxNMmaps;
    this.mmappedMem = src.mmappedMem;
    this.maxMmappedMem = src.maxMmappedMem;
  }

  /** sysmalloc_mmap: a chunk of nb bytes in a new mapping; 0 when mmap failed. */
  alloc(nb: number): number {
    const size = alignUp(nb + SIZE_SZ, PAGE);
    const mm = this.mem.mmap(size);
    if (mm < 0) return 0;
    this.mem.storeSize(mm, 0);
    this.mem.storeSize(mm + SIZE_SZ, size + IS_MMAPPED);
    this.chunks.set(mm, size);
    this.nMmaps++;
    this.maxNMmaps = Math.max(this.maxNMmaps, this.nMmaps);
    this.account(size);
    return mm;
  }

  private account(delta: number): void {
    this.mmappedMem += delta;
    this.maxMmappedMem = Math.max(this.maxMmappedMem, this.mmappedMem);
  }

  /** munmap_chunk: unmaps chunk c (known to be mmapped). */
  free(c: number): void {
    const size = this.chunks.get(c)!;
    this.chunks.delete(c);
    this.nMmaps--;
    this.mmappedMem -= size;
    this.mem.munmap(c, size);
  }

  /**
   * mremap_chunk: resizes chunk c's mapping to hold nb (page-rounded); the chunk's new address,
   * c itself when the size does not change, or 0 when mremap failed.
   */
  remap(c: number, nb: number): number {
    const size = this.chunks.get(c)!;
    const newSize = alignUp(nb + SIZE_SZ, PAGE);
    if (newSize === size) return c;
    const cp = this.mem.mremap(c, size, newSize);
    if (cp < 0) return 0;
    this.mem.storeSize(cp + SIZE_SZ, newSize + IS_MMAPPED);
    this.chunks.delete(c);
    this.chunks.set(cp, newSize);
    this.account(newSize - size);
    return cp;
  }
}
