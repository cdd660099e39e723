/**
 * @mmsim/hardware: the simulated machine under the kernel — sparse RAM with real contents, the
 * x86-64 page-table format and MMU walk, TLBs with PCIDs, CPUs, the e820 map and NUMA nodes,
 * block devices with a latency model, a DMA engine and the cycle cost model.
 */
export { Ram } from "./ram";
export type { RamOptions } from "./ram";

export { buildE820, formatE820, e820Usable, e820End, QEMU_MAX_RAM_BELOW_4G, QEMU_LOWMEM_GB_ALIGNED } from "./e820";
export type { E820Entry, E820Type } from "./e820";

export { splitNodes, NumaDistance, LOCAL_DISTANCE, REMOTE_DISTANCE, SECTION_SIZE } from "./numa";
export type { NumaNode, MemRange } from "./numa";

export {
  _PAGE_BIT_PRESENT, _PAGE_BIT_RW, _PAGE_BIT_USER, _PAGE_BIT_PWT, _PAGE_BIT_PCD, _PAGE_BIT_ACCESSED,
  _PAGE_BIT_DIRTY, _PAGE_BIT_PSE, _PAGE_BIT_PAT, _PAGE_BIT_GLOBAL, _PAGE_BIT_SOFTW1, _PAGE_BIT_SOFTW2,
  _PAGE_BIT_SOFTW3, _PAGE_BIT_PAT_LARGE, _PAGE_BIT_SOFTW4, _PAGE_BIT_SOFTW5, _PAGE_BIT_PKEY_BIT0, _PAGE_BIT_NX,
} from "./pgtable";
export {
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_PWT, _PAGE_PCD, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PSE, _PAGE_PAT,
  _PAGE_GLOBAL, _PAGE_SOFTW1, _PAGE_SOFTW2, _PAGE_SOFTW3, _PAGE_PAT_LARGE, _PAGE_SPECIAL, _PAGE_UFFD_WP,
  _PAGE_SOFT_DIRTY, _PAGE_PROTNONE,
} from "./pgtable";
export { _PAGE_NX_HI, _PAGE_SOFTW4_HI, _PAGE_SOFTW5_HI, _PAGE_SAVED_DIRTY_HI, _PAGE_PKEY_MASK_HI } from "./pgtable";
export { PTE_ADDR_MASK_LO, PTE_ADDR_MASK_HI, PTE_RSVD_MASK_HI } from "./pgtable";
export { pteFlags } from "./pgtable";
export {
  PAGE_NONE, PAGE_SHARED, PAGE_SHARED_EXEC, PAGE_COPY, PAGE_COPY_EXEC, PAGE_READONLY, PAGE_READONLY_EXEC,
  PAGE_KERNEL, PAGE_KERNEL_RO, PAGE_KERNEL_ROX, PAGE_KERNEL_EXEC, PAGE_KERNEL_NOGLOBAL, PAGE_KERNEL_LARGE,
  _PAGE_TABLE, _KERNPG_TABLE,
} from "./pgtable";
export { LEVEL_PTE, LEVEL_PMD, LEVEL_PUD, PMD_SIZE, PUD_SIZE } from "./pgtable";
export { vaBits, levelShift, levelSize, levelName, leafLevel, vaIndex, vaOffset } from "./pgtable";
export { isCanonicalTail, isUserHalf, canonicalTail } from "./pgtable";
export { entryAddr, entryPresent, decodeEntry, formatEntry } from "./pgtable";
export type { PteFlags, PagingLevels, PageSize } from "./pgtable";

export { walkPageTable, WalkResult, describeErrorCode } from "./walk";
export { X86_PF_PROT, X86_PF_WRITE, X86_PF_USER, X86_PF_RSVD, X86_PF_INSTR, X86_PF_PK } from "./walk";
export { ACCESS_READ, ACCESS_WRITE, ACCESS_USER, ACCESS_EXEC, CR0_WP, CR4_SMEP, CR4_SMAP } from "./walk";
export { RIGHT_GLOBAL, RIGHT_WRITABLE, RIGHT_USER, RIGHT_NX, RIGHT_DIRTY } from "./walk";
export type { Access, WalkStep } from "./walk";

export { mapPage, unmapPage, lookupPte, pteAlloc, mapRange, unmapRange, freePgtables, newPteRef } from "./map";
export type { AllocTable, PteRef } from "./map";

export { x86Layout, directMapVa, directMapPa, formatLayoutVa } from "./x86-layout";
export type { X86Layout } from "./x86-layout";

export { Tlb, DEFAULT_TLB_CONFIG, TLB_SINGLE_PAGE_FLUSH_CEILING } from "./tlb";
export type { TlbConfig, TlbEntryView } from "./tlb";

export { CpuCache, CACHE_HIT, CACHE_MISS, CACHE_EVICT, CACHE_MAX_LINES } from "./cache";
export type { CacheConfig } from "./cache";

export { Cpu, PCID_MASK } from "./cpu";
export type { CpuMode, CpuOptions } from "./cpu";

export { Mmu } from "./mmu";

export { CostModel, TLB_HIT_CYCLES, PAGE_WALK_LEVEL_CYCLES, FAULT_ENTRY_EXIT_CYCLES, SYSCALL_ENTRY_EXIT_CYCLES } from "./cost";
export type { CostOptions } from "./cost";

export { BlockDevice, SECTOR_SIZE, DEFAULT_SSD, DEFAULT_HDD } from "./block-dev";
export type { BlockDeviceOptions, BlockOp, IoResult, LatencyModel, SsdModel, HddModel } from "./block-dev";

export { DmaEngine } from "./dma";

export { createHardware } from "./machine";
export type { HardwareConfig, Hardware, DiskConfig } from "./machine";
