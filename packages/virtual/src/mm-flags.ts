// The flag words of the VMA layer with Linux's values: VM_* (include/linux/mm.h), PROT_*/MAP_*
// (include/uapi/asm-generic/mman-common.h, x86 mman.h), MREMAP_*, MADV_*, MLOCK_*/MCL_*, and the
// two translations mmap makes from them (calc_vm_prot_bits, calc_vm_flag_bits). vm_flags above bit
// 31 (pkeys, shadow stack, droppable, sealed, uffd-minor) are not modelled: the word is an int32.

/** VM_* bits (include/linux/mm.h, 6.18). Bit 31 (VM_MERGEABLE) reads negative as an int32. */
export const VM_NONE = 0;
export const VM_READ = 1 << 0;
export const VM_WRITE = 1 << 1;
export const VM_EXEC = 1 << 2;
export const VM_SHARED = 1 << 3;
export const VM_MAYREAD = 1 << 4;
export const VM_MAYWRITE = 1 << 5;
export const VM_MAYEXEC = 1 << 6;
export const VM_MAYSHARE = 1 << 7;
export const VM_GROWSDOWN = 1 << 8;
export const VM_UFFD_MISSING = 1 << 9;
export const VM_PFNMAP = 1 << 10;
export const VM_UFFD_WP = 1 << 12;
export const VM_LOCKED = 1 << 13;
export const VM_IO = 1 << 14;
export const VM_SEQ_READ = 1 << 15;
export const VM_RAND_READ = 1 << 16;
export const VM_DONTCOPY = 1 << 17;
export const VM_DONTEXPAND = 1 << 18;
export const VM_LOCKONFAULT = 1 << 19;
export const VM_ACCOUNT = 1 << 20;
export const VM_NORESERVE = 1 << 21;
export const VM_HUGETLB = 1 << 22;
export const VM_SYNC = 1 << 23;
export const VM_ARCH_1 = 1 << 24;
export const VM_WIPEONFORK = 1 << 25;
export const VM_DONTDUMP = 1 << 26;
export const VM_SOFTDIRTY = 1 << 27;
export const VM_MIXEDMAP = 1 << 28;
export const VM_HUGEPAGE = 1 << 29;
export const VM_NOHUGEPAGE = 1 << 30;
export const VM_MERGEABLE = 1 << 31;

/** x86: VM_STACK is VM_GROWSDOWN (mm.h). */
export const VM_STACK = VM_GROWSDOWN;
/** mm.h: VMAs carrying any of these never merge. */
export const VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
/** mm.h VM_LOCKED_MASK. */
export const VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
/** mm.h VM_ACCESS_FLAGS. */
export const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;
/** mm/vma.h VM_IGNORE_MERGE (6.18): soft-dirty differences do not prevent a merge. */
export const VM_IGNORE_MERGE = VM_SOFTDIRTY;
/** mm.h VM_STARTGAP_FLAGS (VM_SHADOW_STACK is not modelled). */
export const VM_STARTGAP_FLAGS = VM_GROWSDOWN;
/** x86 VM_DATA_DEFAULT_FLAGS = VM_DATA_FLAGS_TSK_EXEC without READ_IMPLIES_EXEC. */
export const VM_DATA_DEFAULT_FLAGS = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
/** mm.h VM_STACK_DEFAULT_FLAGS (VM_STACK | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT). */
export const VM_STACK_DEFAULT_FLAGS = VM_STACK | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT;

/** PROT_* (mman-common.h). */
export const PROT_NONE = 0x0;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const PROT_EXEC = 0x4;
export const PROT_SEM = 0x8;
export const PROT_GROWSDOWN = 0x01000000;
export const PROT_GROWSUP = 0x02000000;

/** MAP_* (mman-common.h, uapi/linux/mman.h, x86 mman.h). */
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_32BIT = 0x40;
export const MAP_GROWSDOWN = 0x0100;
export const MAP_DENYWRITE = 0x0800;
export const MAP_EXECUTABLE = 0x1000;
export const MAP_LOCKED = 0x2000;
export const MAP_NORESERVE = 0x4000;
export const MAP_POPULATE = 0x8000;
export const MAP_NONBLOCK = 0x10000;
export const MAP_STACK = 0x20000;
export const MAP_HUGETLB = 0x40000;
export const MAP_SYNC = 0x80000;
export const MAP_FIXED_NOREPLACE = 0x100000;

/** MREMAP_* (uapi/linux/mman.h). */
export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
export const MREMAP_DONTUNMAP = 4;

/** MADV_* (mman-common.h). */
export const MADV_NORMAL = 0;
export const MADV_RANDOM = 1;
export const MADV_SEQUENTIAL = 2;
export const MADV_WILLNEED = 3;
export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_REMOVE = 9;
export const MADV_DONTFORK = 10;
export const MADV_DOFORK = 11;
export const MADV_MERGEABLE = 12;
export const MADV_UNMERGEABLE = 13;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;
export const MADV_DONTDUMP = 16;
export const MADV_DODUMP = 17;
export const MADV_WIPEONFORK = 18;
export const MADV_KEEPONFORK = 19;
export const MADV_COLD = 20;
export const MADV_PAGEOUT = 21;
export const MADV_POPULATE_READ = 22;
export const MADV_POPULATE_WRITE = 23;
export const MADV_DONTNEED_LOCKED = 24;
export const MADV_COLLAPSE = 25;

/** mlock2 flag and mlockall flags (uapi/asm-generic/mman-common.h, mman.h). */
export const MLOCK_ONFAULT = 0x01;
export const MCL_CURRENT = 1;
export const MCL_FUTURE = 2;
export const MCL_ONFAULT = 4;

/** calc_vm_prot_bits (include/linux/mman.h) without pkeys. */
export function calcVmProtBits(prot: number): number {
  return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

/** calc_vm_flag_bits (include/linux/mman.h): MAP_GROWSDOWN, MAP_LOCKED, MAP_SYNC and, since 6.7, MAP_STACK → VM_NOHUGEPAGE. */
export function calcVmFlagBits(flags: number): number {
  return (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0) | (flags & MAP_LOCKED ? VM_LOCKED : 0) | (flags & MAP_SYNC ? VM_SYNC : 0) | (flags & MAP_STACK ? VM_NOHUGEPAGE : 0);
}

/** is_exec_mapping (mm/internal.h): executable and neither writable nor stack. */
export function isExecMapping(flags: number): boolean {
  return (flags & (VM_EXEC | VM_WRITE | VM_STACK)) === VM_EXEC;
}

/** is_stack_mapping (mm/internal.h). */
export function isStackMapping(flags: number): boolean {
  return (flags & VM_STACK) === VM_STACK;
}

/** is_data_mapping (mm/internal.h): private writable and not stack. */
export function isDataMapping(flags: number): boolean {
  return (flags & (VM_WRITE | VM_SHARED | VM_STACK)) === VM_WRITE;
}

/** The smaps VmFlags mnemonics by bit (fs/proc/task_mmu.c show_smap_vma_flags), "" where none is printed. */
export const VM_FLAG_MNEMONICS: readonly string[] = [
  "rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "", "uw", "lo", "io", "sr",
  "rr", "dc", "de", "lf", "ac", "nr", "ht", "sf", "ar", "wf", "dd", "sd", "mm", "hg", "nh", "mg",
];

/** The VmFlags line's value: the mnemonics of the set bits in bit order, each followed by a space. */
export function formatVmFlags(flags: number): string {
  let s = "";
  for (let bit = 0; bit < 32; bit++) if ((flags & (1 << bit)) !== 0 && VM_FLAG_MNEMONICS[bit] !== "") s += VM_FLAG_MNEMONICS[bit] + " ";
  return s;
}

/** OVERCOMMIT_GUESS, OVERCOMMIT_ALWAYS, OVERCOMMIT_NEVER (include/uapi/linux/mman.h). */
export const OVERCOMMIT_GUESS = 0;
export const OVERCOMMIT_ALWAYS = 1;
export const OVERCOMMIT_NEVER = 2;
