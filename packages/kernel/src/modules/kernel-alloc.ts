// The slab allocator and vmalloc as a kernel module: /proc/slabinfo (mm/slab_common.c),
// /proc/vmallocinfo (mm/vmalloc.c), the slab, kernel-stack and kernel page-table gauges of
// /proc/vmstat and /proc/meminfo, the kmem_cache_*/kmalloc/kfree/vmalloc/vfree steps and
// verify(). The layer itself (KernelAlloc) is booted by the kernel after the page allocator.
import { PAGE_SIZE } from "@mmsim/base";
import type { KernelAlloc } from "@mmsim/kernel-alloc";
import { defineModule } from "../module";
import { kfreeStep, kmallocStep, kmemCacheAllocStep, kmemCacheCreateStep, vfreeStep, vmallocStep } from "../scenario/steps-kernel-alloc";

/** kB per page: the unit KernelAlloc.meminfo() reports in. */
const KB_PER_PAGE = PAGE_SIZE / 1024;

export const kernelAllocModule = defineModule<KernelAlloc>({
  name: "kernel-alloc",
  init(k) {
    const a = k.alloc;
    k.procfs.register("/proc/slabinfo", () => a.slabinfo());
    k.procfs.register("/proc/vmallocinfo", () => a.vmallocinfo());
    return a;
  },
  vmstat(a) {
    const m = a.meminfo();
    // NR_SLAB_RECLAIMABLE_B / NR_SLAB_UNRECLAIMABLE_B print in pages; NR_KERNEL_STACK_KB in kB;
    // the kernel page tables vmalloc built count in NR_PAGETABLE.
    return [
      ["nr_slab_reclaimable", m.SReclaimable / KB_PER_PAGE],
      ["nr_slab_unreclaimable", m.SUnreclaim / KB_PER_PAGE],
      ["nr_kernel_stack", m.KernelStack],
      ["nr_page_table_pages", m.PageTables / KB_PER_PAGE],
    ];
  },
  verify(a) {
    a.verify();
  },
  steps: [kmemCacheCreateStep, kmemCacheAllocStep, kmallocStep, kfreeStep, vmallocStep, vfreeStep],
});
