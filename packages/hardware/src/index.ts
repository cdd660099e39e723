/**
 * @mmsim/hardware: the simulated machine under the kernel — sparse RAM with real contents, the
 * x86-64 page-table format and MMU walk, TLBs with PCIDs, CPUs, the e820 map and NUMA nodes,
 * block devices with a latency model, a DMA engine and the cycle cost model.
 */
export { Ram } from "./ram";
export type { RamOptions } from "./ram";

export { buildE820 } from "./e820";
export { formatE820 } from "./e820";
export { e820Usable } from "./e820";
export { e820End } from "./e820";
export { QEMU_MAX_RAM_BELOW_4G } from "./e820";
export { QEMU_LOWMEM_GB_ALIGNED } from "./e820";
export type { E820Entry } from "./e820";
export type { E820Type } from "./e820";

export { splitNodes } from "./numa";
export { NumaDistance } from "./numa";
export { LOCAL_DISTANCE } from "./numa";
export { REMOTE_DISTANCE } from "./numa";
export { SECTION_SIZE } from "./numa";
export type { NumaNode } from "./numa";
export type { MemRange } from "./numa";

export { _PAGE_BIT_PRESENT } from "./pgtable";
export { _PAGE_BIT_RW } from "./pgtable";
export { _PAGE_BIT_USER } from "./pgtable";
export { _PAGE_BIT_PWT } from "./pgtable";
export { _PAGE_BIT_PCD } from "./pgtable";
export { _PAGE_BIT_ACCESSED } from "./pgtable";
export { _PAGE_BIT_DIRTY } from "./pgtable";
export { _PAGE_BIT_PSE } from "./pgtable";
export { _PAGE_BIT_PAT } from "./pgtable";
export { _PAGE_BIT_GLOBAL } from "./pgtable";
export { _PAGE_BIT_SOFTW1 } from "./pgtable";
export { _PAGE_BIT_SOFTW2 } from "./pgtable";
export { _PAGE_BIT_SOFTW3 } from "./pgtable";
export { _PAGE_BIT_PAT_LARGE } from "./pgtable";
export { _PAGE_BIT_SOFTW4 } from "./pgtable";
export { _PAGE_BIT_SOFTW5 } from "./pgtable";
export { _PAGE_BIT_PKEY_BIT0 } from "./pgtable";
export { _PAGE_BIT_NX } from "./pgtable";
export { _PAGE_PRESENT } from "./pgtable";
export { _PAGE_RW } from "./pgtable";
export { _PAGE_USER } from "./pgtable";
export { _PAGE_PWT } from "./pgtable";
export { _PAGE_PCD } from "./pgtable";
export { _PAGE_ACCESSED } from "./pgtable";
export { _PAGE_DIRTY } from "./pgtable";
export { _PAGE_PSE } from "./pgtable";
export { _PAGE_PAT } from "./pgtable";
export { _PAGE_GLOBAL } from "./pgtable";
export { _PAGE_SOFTW1 } from "./pgtable";
export { _PAGE_SOFTW2 } from "./pgtable";
export { _PAGE_SOFTW3 } from "./pgtable";
export { _PAGE_PAT_LARGE } from "./pgtable";
export { _PAGE_SPECIAL } from "./pgtable";
export { _PAGE_UFFD_WP } from "./pgtable";
export { _PAGE_SOFT_DIRTY } from "./pgtable";
export { _PAGE_PROTNONE } from "./pgtable";
export { _PAGE_NX_HI } from "./pgtable";
export { _PAGE_SOFTW4_HI } from "./pgtable";
export { _PAGE_SOFTW5_HI } from "./pgtable";
export { _PAGE_SAVED_DIRTY_HI } from "./pgtable";
export { _PAGE_PKEY_MASK_HI } from "./pgtable";
export { PTE_ADDR_MASK_LO } from "./pgtable";
export { PTE_ADDR_MASK_HI } from "./pgtable";
export { PTE_RSVD_MASK_HI } from "./pgtable";
export { pteFlags } from "./pgtable";
export { PAGE_NONE } from "./pgtable";
export { PAGE_SHARED } from "./pgtable";
export { PAGE_SHARED_EXEC } from "./pgtable";
export { PAGE_COPY } from "./pgtable";
export { PAGE_COPY_EXEC } from "./pgtable";
export { PAGE_READONLY } from "./pgtable";
export { PAGE_READONLY_EXEC } from "./pgtable";
export { PAGE_KERNEL } from "./pgtable";
export { PAGE_KERNEL_RO } from "./pgtable";
export { PAGE_KERNEL_ROX } from "./pgtable";
export { PAGE_KERNEL_EXEC } from "./pgtable";
export { PAGE_KERNEL_NOGLOBAL } from "./pgtable";
export { PAGE_KERNEL_LARGE } from "./pgtable";
export { _PAGE_TABLE } from "./pgtable";
export { _KERNPG_TABLE } from "./pgtable";
export { LEVEL_PTE } from "./pgtable";
export { LEVEL_PMD } from "./pgtable";
export { LEVEL_PUD } from "./pgtable";
export { PMD_SIZE } from "./pgtable";
export { PUD_SIZE } from "./pgtable";
export { vaBits } from "./pgtable";
export { levelShift } from "./pgtable";
export { levelSize } from "./pgtable";
export { levelName } from "./pgtable";
export { leafLevel } from "./pgtable";
export { vaIndex } from "./pgtable";
export { vaOffset } from "./pgtable";
export { isCanonicalTail } from "./pgtable";
export { isUserHalf } from "./pgtable";
export { canonicalTail } from "./pgtable";
export { entryAddr } from "./pgtable";
export { entryPresent } from "./pgtable";
export { decodeEntry } from "./pgtable";
export { formatEntry } from "./pgtable";
export type { PteFlags } from "./pgtable";
export type { PagingLevels } from "./pgtable";
export type { PageSize } from "./pgtable";

export { walkPageTable } from "./walk";
export { WalkResult } from "./walk";
export { describeErrorCode } from "./walk";
export { walkPageTableI386 } from "./walk-i386";
export { mapPageI386 } from "./walk-i386";
export { I386_PSE_PAGE_SIZE } from "./walk-i386";
export { I386_PAE_PMD_PAGE_SIZE } from "./walk-i386";
export { X86_PF_PROT } from "./walk";
export { X86_PF_WRITE } from "./walk";
export { X86_PF_USER } from "./walk";
export { X86_PF_RSVD } from "./walk";
export { X86_PF_INSTR } from "./walk";
export { X86_PF_PK } from "./walk";
export { ACCESS_READ } from "./walk";
export { ACCESS_WRITE } from "./walk";
export { ACCESS_USER } from "./walk";
export { ACCESS_EXEC } from "./walk";
export { CR0_WP } from "./walk";
export { CR4_SMEP } from "./walk";
export { CR4_SMAP } from "./walk";
export { RIGHT_GLOBAL } from "./walk";
export { RIGHT_WRITABLE } from "./walk";
export { RIGHT_USER } from "./walk";
export { RIGHT_NX } from "./walk";
export { RIGHT_DIRTY } from "./walk";
export type { Access } from "./walk";
export type { WalkStep } from "./walk";

export { mapPage } from "./map";
export { unmapPage } from "./map";
export { lookupPte } from "./map";
export { pteAlloc } from "./map";
export { mapRange } from "./map";
export { unmapRange } from "./map";
export { freePgtables } from "./map";
export { newPteRef } from "./map";
export type { AllocTable } from "./map";
export type { PteRef } from "./map";

export { x86Layout } from "./x86-layout";
export { directMapVa } from "./x86-layout";
export { directMapPa } from "./x86-layout";
export { formatLayoutVa } from "./x86-layout";
export type { X86Layout } from "./x86-layout";

export { Tlb } from "./tlb";
export { DEFAULT_TLB_CONFIG } from "./tlb";
export { TLB_SINGLE_PAGE_FLUSH_CEILING } from "./tlb";
export type { TlbConfig } from "./tlb";
export type { TlbEntryView } from "./tlb";

export { CpuCache } from "./cache";
export { CACHE_HIT } from "./cache";
export { CACHE_MISS } from "./cache";
export { CACHE_EVICT } from "./cache";
export { CACHE_MAX_LINES } from "./cache";
export type { CacheConfig } from "./cache";

export { Cpu } from "./cpu";
export { PCID_MASK } from "./cpu";
export { ACC_PAGING_SHIFT } from "./cpu";
export type { CpuMode } from "./cpu";
export type { CpuOptions } from "./cpu";

export { Mmu } from "./mmu";

export { CostModel } from "./cost";
export { TLB_HIT_CYCLES } from "./cost";
export { PAGE_WALK_LEVEL_CYCLES } from "./cost";
export { FAULT_ENTRY_EXIT_CYCLES } from "./cost";
export { SYSCALL_ENTRY_EXIT_CYCLES } from "./cost";
export type { CostOptions } from "./cost";

export { BlockDevice } from "./block-dev";
export { SECTOR_SIZE } from "./block-dev";
export { DEFAULT_SSD } from "./block-dev";
export { DEFAULT_HDD } from "./block-dev";
export type { BlockDeviceOptions } from "./block-dev";
export type { BlockOp } from "./block-dev";
export type { IoResult } from "./block-dev";
export type { LatencyModel } from "./block-dev";
export type { SsdModel } from "./block-dev";
export type { HddModel } from "./block-dev";

export { DmaEngine } from "./dma";

export { createHardware } from "./machine";
export type { HardwareConfig } from "./machine";
export type { Hardware } from "./machine";
export type { DiskConfig } from "./machine";
