// The slab caches the rest of the kernel allocates from (fork.c, mmap.c, rmap.c, dcache.c,
// inode.c, ...), created at boot in the order the 6.18 reference machine shows them
// (shared/reference/real-proc/slabinfo.txt read bottom-up). Object sizes are that machine's
// s->size, so objperslab/pagesperslab match it; the real object_size/align/usercopy details
// that produce those sizes are config-dependent and not reproduced. Each is unmergeable in
// the reference (it has its own row), which SLAB_NO_MERGE stands for here.
import { SLAB_ACCOUNT, SLAB_NO_MERGE, SLAB_PANIC, SLAB_RECLAIM_ACCOUNT } from "./slab-flags";

export interface KernelCacheSpec {
  name: string;
  /** s->size on the reference machine */
  size: number;
  flags: number;
}

const A = SLAB_PANIC | SLAB_NO_MERGE | SLAB_ACCOUNT;
const R = SLAB_PANIC | SLAB_NO_MERGE | SLAB_RECLAIM_ACCOUNT;
const P = SLAB_PANIC | SLAB_NO_MERGE;

/** Boot order (oldest first). */
export const KERNEL_CACHES: readonly KernelCacheSpec[] = [
  { name: "vmap_area", size: 72, flags: P },
  { name: "mm_struct", size: 1600, flags: A },
  { name: "maple_node", size: 256, flags: P },
  { name: "radix_tree_node", size: 584, flags: R },
  { name: "pid", size: 192, flags: A },
  { name: "anon_vma", size: 104, flags: A },
  { name: "anon_vma_chain", size: 64, flags: A },
  { name: "task_struct", size: 5888, flags: A },
  { name: "sighand_cache", size: 2112, flags: A },
  { name: "signal_cache", size: 1152, flags: A },
  { name: "files_cache", size: 704, flags: A },
  { name: "vm_area_struct", size: 192, flags: A },
  { name: "names_cache", size: 4096, flags: P },
  { name: "dentry", size: 192, flags: R | SLAB_ACCOUNT },
  { name: "inode_cache", size: 624, flags: R | SLAB_ACCOUNT },
  { name: "filp", size: 192, flags: A },
  { name: "kernfs_node_cache", size: 136, flags: P },
  { name: "shmem_inode_cache", size: 752, flags: A },
  { name: "proc_inode_cache", size: 696, flags: R | SLAB_ACCOUNT },
  { name: "buffer_head", size: 104, flags: R },
  { name: "ext4_inode_cache", size: 1128, flags: R | SLAB_ACCOUNT },
];

/** The bootstrap caches (mm/slub.c kmem_cache_init): struct kmem_cache_node and struct kmem_cache. */
export const KMEM_CACHE_NODE_SIZE = 128;
export const KMEM_CACHE_SIZE = 256;
