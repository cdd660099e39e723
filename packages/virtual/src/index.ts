/**
 * @mmsim/virtual: processes' address spaces at the VMA level: mm_struct and vm_area_struct in
 * the kernel-alloc caches, the ordered VMA index, get_unmapped_area, merging and splitting as
 * mm/vma.c decides, the mmap family (mmap, munmap, mprotect, mremap, brk, madvise, mlock), and the
 * anon_vma reverse-map structures; user page tables, page faults, copy-on-write fork, the rmap of
 * anonymous pages, and a task's loads and stores through the MMU.
 */
export const LAYER = "virtual";
export { VirtualMemory, DEFAULT_MAX_MAP_COUNT, DEFAULT_STACK_GUARD_GAP, DEFAULT_MMAP_MIN_ADDR } from "./virtual-memory";
export { OVERCOMMIT_GUESS, OVERCOMMIT_ALWAYS, OVERCOMMIT_NEVER } from "./virtual-memory";
export type { VirtualConfig, VirtualSysctls, VirtualObjectCounts } from "./virtual-memory";
export { NOOP_VMA_PAGE_HOOKS, NOOP_RECLAIM_HOOKS } from "./hooks";
export type { VmaPageHooks, ReclaimHooks } from "./hooks";
export {
  VmFault, handleMmFault, getMmRss, updateHiwaterRss, wpCanReuseAnonFolio,
  FAULT_FLAG_WRITE, FAULT_FLAG_MKWRITE, FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_RETRY_NOWAIT, FAULT_FLAG_KILLABLE, FAULT_FLAG_TRIED,
  FAULT_FLAG_USER, FAULT_FLAG_REMOTE, FAULT_FLAG_INSTRUCTION, FAULT_FLAG_INTERRUPTIBLE, FAULT_FLAG_DEFAULT,
  VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_MAJOR, VM_FAULT_SIGSEGV, VM_FAULT_NOPAGE, VM_FAULT_RETRY, VM_FAULT_ERROR,
  MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES,
} from "./memory";
export { zapPageRange, copyPageRange, changeProtectionRange, movePtes, madviseFreeRange, isCowMapping } from "./memory-range";
export { doUserAddrFault, expandDownwards, SIGBUS, SIGKILL, SIGSEGV, SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, SI_KERNEL, siCodeName } from "./fault";
export type { FaultSignal } from "./fault";
export { userLoad, userStore, userMemset, userMemcpy } from "./user-access";
export { traceAccesses, TraceAccessCounts } from "./access-trace";
export { dupMm } from "./fork";
export { pageVmaPageHooks, populateVmaPageRange, mmPopulate } from "./page-hooks";
export { pgtableAlloc, pgtableFree, mmAllocPgd, mmFreePgd, pteAllocMm, freePgtables, PageTableAlloc } from "./pgtable";
export { pteOffset, ptePfn, ptePresent, entryPfn, switchMm, flushTlbRange, flushTlbPage } from "./pte";
export { pteHi, setPte, pmdOffset } from "./pte";
export { pgtableFormat, levelShiftOf, I386_TASK_SIZE, I386_ELF_ET_DYN_BASE, I386_PTRS_PER_PTE, I386_PGDIR_SHIFT, PAE_PTRS_PER_PGD, PAE_PGDIR_SHIFT } from "./pgtable-types";
export type { UserArch, PgtableFormat } from "./pgtable-types";
export { verifyPageTables } from "./verify-pages";
export { MmStruct, VmAreaStruct, AnonVma, AnonVmaChain, VmFile, AddressSpace, MM_MAX_CPUS } from "./mm-types";
export type { VmOperations, VmFileOptions, MmRlimits } from "./mm-types";
export { VmaTree } from "./vma-tree";
export {
  VmaMergeStruct, vmaMergeNewRange, vmaMergeExistingRange, vmaExpand, vmaShrink, vmaLink, isMergeableAnonVma, canMergeRemoveVma,
  VMA_MERGE_START, VMA_MERGE_ERROR_NOMEM, VMA_MERGE_NOMERGE, VMA_MERGE_SUCCESS,
} from "./vma-merge";
export { __splitVma, splitVma, vmaModify, vmaModifyFlags, vmaMergeExtend, copyVma, doVmiMunmap, doVmiAlignMunmap } from "./vma";
export { anonVmaPrepare, anonVmaClone, anonVmaFork, unlinkAnonVmas, putAnonVma, findMergeableAnonVma } from "./rmap";
export {
  PAGE_MAPPING_ANON, linearPageIndex, indexDelta, folioAnonVma, folioAddNewAnonRmap, folioDupAnonRmapPte, folioMoveAnonRmap,
  folioRemoveRmapPte, folioPut, rmapWalkAnon,
} from "./rmap";
export {
  doMmap, mmapRegion, getUnmappedArea, unmappedAreaTopdown, archGetUnmappedAreaTopdown, mmapBase, vmGetPageProt,
  vmStatAccount, mayExpandVm, mlockFutureOk, vmStartGap,
} from "./mmap";
export type { MmapResult } from "./mmap";
export { doMprotect, mprotectFixup } from "./mprotect";
export { doMremap } from "./mremap";
export { doBrk, doBrkFlags } from "./brk";
export { doMadvise, madviseBehaviorValid } from "./madvise";
export { doMlock, doMlock2, doMunlock, doMlockall, doMunlockall } from "./mlock";
export { sysMmap, sysMunmap, exitMmap, mmput } from "./syscalls";
export { verifyMm, verifyVirtual } from "./verify";
export {
  VM_NONE, VM_READ, VM_WRITE, VM_EXEC, VM_SHARED, VM_MAYREAD, VM_MAYWRITE, VM_MAYEXEC, VM_MAYSHARE, VM_GROWSDOWN,
  VM_UFFD_MISSING, VM_PFNMAP, VM_UFFD_WP, VM_LOCKED, VM_IO, VM_SEQ_READ, VM_RAND_READ, VM_DONTCOPY, VM_DONTEXPAND,
  VM_LOCKONFAULT, VM_ACCOUNT, VM_NORESERVE, VM_HUGETLB, VM_SYNC, VM_ARCH_1, VM_WIPEONFORK, VM_DONTDUMP, VM_SOFTDIRTY,
  VM_MIXEDMAP, VM_HUGEPAGE, VM_NOHUGEPAGE, VM_MERGEABLE, VM_STACK, VM_SPECIAL, VM_LOCKED_MASK, VM_ACCESS_FLAGS,
  VM_IGNORE_MERGE, VM_DATA_DEFAULT_FLAGS, VM_STACK_DEFAULT_FLAGS,
} from "./mm-flags";
export {
  PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM, PROT_GROWSDOWN, PROT_GROWSUP,
  MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_GROWSDOWN,
  MAP_DENYWRITE, MAP_EXECUTABLE, MAP_LOCKED, MAP_NORESERVE, MAP_POPULATE, MAP_NONBLOCK, MAP_STACK, MAP_HUGETLB,
  MAP_SYNC, MAP_FIXED_NOREPLACE, MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP,
} from "./mm-flags";
export {
  MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_DONTFORK,
  MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP,
  MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
  MADV_DONTNEED_LOCKED, MADV_COLLAPSE, MLOCK_ONFAULT, MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT,
} from "./mm-flags";
export { calcVmProtBits, calcVmFlagBits, isExecMapping, isStackMapping, isDataMapping, formatVmFlags, VM_FLAG_MNEMONICS } from "./mm-flags";
export { showMaps, showMapVma, vmaName, taskMem, taskStatm, MM_RSS_NONE, mmRss, showSmaps, showSmapsRollup, smapGatherStats, thpEligible, MemSizeStats } from "./task-mmu";
export { pagemapRead, PM_SOFT_DIRTY, PM_MMAP_EXCLUSIVE, PM_FILE, PM_SWAP, PM_PRESENT } from "./task-mmu";
export type { MmRss, ThpMode } from "./task-mmu";
export { HPAGE_PMD_ORDER, HPAGE_PMD_NR, HPAGE_PMD_SIZE } from "./huge-mm";
export { THP_ENABLED_CHOICES, THP_DEFRAG_CHOICES } from "./huge-mm";
export { sysfsChoice } from "./huge-mm";
export { thpVmaAllowable } from "./huge-mm";
export { ThpState } from "./huge-mm";
export type { ThpSettings, ThpEnabled, ThpDefrag } from "./huge-mm";
export { VM_FAULT_FALLBACK } from "./huge-memory";
export { shrinkHugeZeroFolio } from "./huge-memory";
export { FileSystem, Inode, DEFAULT_FAULT_AROUND_BYTES, VM_READAHEAD_PAGES, MMFS_MAX_BYTES, DEFAULT_WRITEBACK_SYSCTLS, FILE_COUNTERS, BLOCK_HOLE, BLOCK_DELALLOC } from "./file/fs";
export type { FileSystemConfig, WritebackSysctls, FileCounter } from "./file/fs";
export { XArray } from "./file/xarray";
export { File, FilesStruct, O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, INR_OPEN_CUR } from "./file/file-table";
export { sysOpen, sysCreat, sysClose, sysRead, sysWrite, sysPread64, sysPwrite64, sysLseek, sysFtruncate, sysTruncate, sysUnlink, sysFsync, sysFdatasync, exitFiles } from "./file/read-write";
export { SEEK_SET, SEEK_CUR, SEEK_END } from "./file/read-write";
export { filemapRead, genericPerformWrite, PAGEVEC_SIZE } from "./file/filemap";
export { FileRaState, getInitRaSize, getNextRaSize, pageCacheSyncRa, pageCacheAsyncRa } from "./file/readahead";
export { domainDirtyLimits, globalDirtyableMemory, dirtyFreerunCeiling, dirtyPollInterval, balanceDirtyPages, wbWorkfn, runUntil, filemapWriteAndWait } from "./file/page-writeback";
export type { DirtyThrottle } from "./file/page-writeback";
export { truncateSetsize, invalidateMappingPages, dropPagecache, unmapMappingRange } from "./file/truncate";
export { fileVmFile, MMFS_DEV } from "./file/file-mmap";
export { handleFileMmFault } from "./file-fault";
export { sysMsync, MS_ASYNC, MS_INVALIDATE, MS_SYNC } from "./msync";
export { rmapWalkFile } from "./rmap";
export { verifyFileSystem } from "./file/verify-file";
export { NetStack, Socket, NET_COUNTERS, SKB_FRAG_PAGE_ORDER, MAX_SKB_FRAGS, GSO_MAX_SIZE, MAX_TCP_HEADER, TCP_WMEM_MAX, netRunUntil, sockDrain, tcpSendmsg, verifyNet } from "./net/socket";
export type { NetCounter } from "./net/socket";
export { sysSocket, fileSocket, SockInodeOps } from "./net/socket-file";
export { sysSendfile, MAX_RW_COUNT, PIPE_DEF_BUFFERS } from "./file/splice";
export { syscallEnter } from "./file/read-write";
export { accountCpuCopy } from "./file/copy-cost";
export { filemapFault, MMAP_LOTSAMISS } from "./file/filemap-fault";
export { wakeupFlusherThreads, ksysSync } from "./file/page-writeback";
export { sysSync } from "./file/read-write";
export { Shmem, ShmemSb, ShmemInode, shmemOf, SHM_MNT_DEV, SHMEM_MAPPING_BASE } from "./shmem/shmem";
export { ShmemVmFile, shmemZeroSetup, DEV_ZERO_PATH } from "./shmem/shmem-file";
export { mountTmpfs, tmpfsDefaults, DEV_SHM, DEV_SHM_DEV } from "./shmem/tmpfs";
export type { TmpfsOptions } from "./shmem/tmpfs";
export { verifyShmem } from "./shmem/verify-shmem";
export { mmCounter, mmCounterFile } from "./shmem/mm-counter";
export type { InodeOps, FsMount } from "./file/fs";
