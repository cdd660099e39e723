// The dentry and inode hash tables (fs/dcache.c dcache_init_early / dcache_init, fs/inode.c
// inode_init_early / inode_init), sized by alloc_large_system_hash() from the machine's memory.
// With one memory node (hashdist off) they come from memblock in vfs_caches_init_early(),
// before memblock_free_all; with several (hashdist on) they are spread over the nodes with
// vmalloc in vfs_caches_init(), after the slab allocator is up. The tables are only memory
// here: no dentry or inode is modelled yet.
import type { KernelAlloc } from "@mmsim/kernel-alloc";
import { allocLargeSystemHash, GFP_KERNEL, largeSystemHashLine, largeSystemHashSize, type LargeSystemHashParams, type MemblockAllocator } from "@mmsim/physical";

/** A hash table's alloc_large_system_hash() arguments (bucket size: sizeof(struct hlist_bl_head) / hlist_head = 8). */
export interface VfsHashSpec {
  name: string;
  params: Omit<LargeSystemHashParams, "nrKernelPages" | "nrAllPages">;
}

/** dcache_init_early: "Dentry cache", 8-byte buckets, one per 2^13 bytes (dhash_entries unset). */
export const DENTRY_HASH: VfsHashSpec = { name: "Dentry cache", params: { bucketsize: 8, numentries: 0, scale: 13, lowLimit: 0, highLimit: 0 } };
/** inode_init_early: "Inode-cache", 8-byte buckets, one per 2^14 bytes (ihash_entries unset). */
export const INODE_HASH: VfsHashSpec = { name: "Inode-cache", params: { bucketsize: 8, numentries: 0, scale: 14, lowLimit: 0, highLimit: 0 } };

/** PMD_SIZE: vmalloc_huge maps a table this large or larger with huge pages. */
const PMD_SIZE = 2 * 1024 * 1024;

/** Where a table went: a physical range (memblock) or a vmalloc address. */
export interface VfsHashTable {
  name: string;
  entries: number;
  size: number;
  /** physical address (memblock) or 0 */
  pa: number;
  /** kernel virtual address (vmalloc) or 0 */
  va: number;
}

/**
 * vfs_caches_init_early(): with hashdist off (fixup_hashdist: a single memory node), both
 * tables from memblock, HASH_EARLY, with their boot lines. Returns [] with hashdist on.
 */
export function vfsCachesInitEarly(mb: MemblockAllocator): VfsHashTable[] {
  if (mb.nrMemoryNodes > 1) return [];
  return [DENTRY_HASH, INODE_HASH].map((t) => {
    const h = allocLargeSystemHash(mb, t.name, t.params);
    return { name: t.name, entries: h.entries, size: h.size, pa: h.addr, va: 0 };
  });
}

/**
 * vfs_caches_init() with hashdist on: each table vmalloc'ed (vmalloc_huge: Linux maps it with
 * 2 MiB pages when it is at least that large, and prints "vmalloc hugepage"; mmsim's vmalloc
 * maps 4 KiB pages, with the same VmallocUsed). Returns the tables and their boot lines.
 */
export function vfsCachesInitHashdist(alloc: KernelAlloc, nrKernelPages: number, nrAllPages: number): { tables: VfsHashTable[]; lines: string[] } {
  const tables: VfsHashTable[] = [];
  const lines: string[] = [];
  for (const t of [DENTRY_HASH, INODE_HASH]) {
    const h = largeSystemHashSize({ ...t.params, nrKernelPages, nrAllPages });
    const va = alloc.vmalloc(h.size, GFP_KERNEL, t.name === DENTRY_HASH.name ? "dcache_init" : "inode_init");
    tables.push({ name: t.name, entries: h.entries, size: h.size, pa: 0, va });
    lines.push(largeSystemHashLine(t.name, h, h.size >= PMD_SIZE ? "vmalloc hugepage" : "vmalloc"));
  }
  return { tables, lines };
}
