// mmap at the VMA level (mm/mmap.c, mm/vma.c __mmap_region, arch/x86/kernel/sys_x86_64.c):
// get_unmapped_area's top-down search below mmap_base, do_mmap's checks in Linux's order,
// mmap_region (unmap what MAP_FIXED covers, account, merge or create), and the accounting helpers
// (vm_stat_account, may_expand_vm, mlock_future_ok). Results are Linux's: an address, or -errno.
//
//   TASK_SIZE ┬──────────── stack ─────────────
//             │  gap: RLIMIT_STACK + stack_guard_gap (+ random), at least 128 MiB
//   mmap_base ┼──────────── first mmap ends here; later ones go below, highest fitting gap first
//             │  ...  vm_unmapped_area keeps stack_guard_gap below a VM_GROWSDOWN VMA
//   mmap_min_addr ──────────── nothing maps below it
import {
  PAGE_SIZE as PAGE_SIZE_,
} from "@mmsim/base";
import {
  PAGE_COPY as PAGE_COPY_, PAGE_COPY_EXEC as PAGE_COPY_EXEC_, PAGE_NONE as PAGE_NONE_, PAGE_READONLY as PAGE_READONLY_, PAGE_READONLY_EXEC as PAGE_READONLY_EXEC_, PAGE_SHARED as PAGE_SHARED_, PAGE_SHARED_EXEC as PAGE_SHARED_EXEC_,
} from "@mmsim/hardware";
import type { PteFlags } from "@mmsim/hardware";
import type { MmStruct, VmAreaStruct, VmFile } from "./mm-types";
import {
  shmemZeroSetup as shmemZeroSetup_,
} from "./shmem/shmem-file";
import {
  calcVmFlagBits as calcVmFlagBits_, calcVmProtBits as calcVmProtBits_, isDataMapping as isDataMapping_, isExecMapping as isExecMapping_, isStackMapping as isStackMapping_, MAP_FIXED as MAP_FIXED_, MAP_FIXED_NOREPLACE as MAP_FIXED_NOREPLACE_, MAP_NONBLOCK as MAP_NONBLOCK_, MAP_NORESERVE as MAP_NORESERVE_, MAP_POPULATE as MAP_POPULATE_, MAP_PRIVATE as MAP_PRIVATE_, MAP_SHARED as MAP_SHARED_, MAP_TYPE as MAP_TYPE_, VM_ACCOUNT as VM_ACCOUNT_, VM_EXEC as VM_EXEC_, VM_GROWSDOWN as VM_GROWSDOWN_, VM_LOCKED as VM_LOCKED_, VM_LOCKED_MASK as VM_LOCKED_MASK_, VM_MAYEXEC as VM_MAYEXEC_, VM_MAYREAD as VM_MAYREAD_, VM_MAYSHARE as VM_MAYSHARE_, VM_MAYWRITE as VM_MAYWRITE_, VM_NORESERVE as VM_NORESERVE_, VM_READ as VM_READ_, VM_SHARED as VM_SHARED_, VM_SOFTDIRTY as VM_SOFTDIRTY_, VM_SPECIAL as VM_SPECIAL_, VM_STARTGAP_FLAGS as VM_STARTGAP_FLAGS_, VM_WRITE as VM_WRITE_,
} from "./mm-flags";
import {
  vmaLinkFile as vmaLinkFile_,
} from "./rmap";
import {
  VmaMergeStruct, vmaMergeNewRange as vmaMergeNewRange_,
} from "./vma-merge";
import {
  VmaMunmapStruct, vmsAbortMunmapVmas as vmsAbortMunmapVmas_, vmsCleanUpArea as vmsCleanUpArea_, vmsCompleteMunmapVmas as vmsCompleteMunmapVmas_, vmsDetach as vmsDetach_, vmsGatherMunmapVmas as vmsGatherMunmapVmas_,
} from "./vma";
import {
  OVERCOMMIT_NEVER as OVERCOMMIT_NEVER_,
} from "./mm-flags";
import type { VirtualMemory } from "./virtual-memory";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const PAGE_SIZE = PAGE_SIZE_;
const PAGE_COPY = PAGE_COPY_;
const PAGE_COPY_EXEC = PAGE_COPY_EXEC_;
const PAGE_NONE = PAGE_NONE_;
const PAGE_READONLY = PAGE_READONLY_;
const PAGE_READONLY_EXEC = PAGE_READONLY_EXEC_;
const PAGE_SHARED = PAGE_SHARED_;
const PAGE_SHARED_EXEC = PAGE_SHARED_EXEC_;
const calcVmFlagBits = calcVmFlagBits_;
const calcVmProtBits = calcVmProtBits_;
const isDataMapping = isDataMapping_;
const isExecMapping = isExecMapping_;
const isStackMapping = isStackMapping_;
const MAP_FIXED = MAP_FIXED_;
const MAP_FIXED_NOREPLACE = MAP_FIXED_NOREPLACE_;
const MAP_NONBLOCK = MAP_NONBLOCK_;
const MAP_NORESERVE = MAP_NORESERVE_;
const MAP_POPULATE = MAP_POPULATE_;
const MAP_PRIVATE = MAP_PRIVATE_;
const MAP_SHARED = MAP_SHARED_;
const MAP_TYPE = MAP_TYPE_;
const VM_ACCOUNT = VM_ACCOUNT_;
const VM_EXEC = VM_EXEC_;
const VM_GROWSDOWN = VM_GROWSDOWN_;
const VM_LOCKED = VM_LOCKED_;
const VM_LOCKED_MASK = VM_LOCKED_MASK_;
const VM_MAYEXEC = VM_MAYEXEC_;
const VM_MAYREAD = VM_MAYREAD_;
const VM_MAYSHARE = VM_MAYSHARE_;
const VM_MAYWRITE = VM_MAYWRITE_;
const VM_NORESERVE = VM_NORESERVE_;
const VM_READ = VM_READ_;
const VM_SHARED = VM_SHARED_;
const VM_SOFTDIRTY = VM_SOFTDIRTY_;
const VM_SPECIAL = VM_SPECIAL_;
const VM_STARTGAP_FLAGS = VM_STARTGAP_FLAGS_;
const VM_WRITE = VM_WRITE_;
const vmaLinkFile = vmaLinkFile_;
const shmemZeroSetup = shmemZeroSetup_;
const vmaMergeNewRange = vmaMergeNewRange_;
const vmsAbortMunmapVmas = vmsAbortMunmapVmas_;
const vmsCleanUpArea = vmsCleanUpArea_;
const vmsCompleteMunmapVmas = vmsCompleteMunmapVmas_;
const vmsDetach = vmsDetach_;
const vmsGatherMunmapVmas = vmsGatherMunmapVmas_;
const OVERCOMMIT_NEVER = OVERCOMMIT_NEVER_;

const EPERM = -1;
const EAGAIN = -11;
const ENOMEM = -12;
const EACCES = -13;
const EEXIST = -17;
const ENODEV = -19;
const EINVAL = -22;
/** PMD_SIZE: the THP alignment of large anonymous mappings. */
const PMD_SIZE = 2 * 1024 * 1024;
/** mmap_base's minimum gap below TASK_SIZE (arch/x86/mm/mmap.c SIZE_128M). */
const MMAP_GAP_MIN = 128 * 1024 * 1024;

/** protection_map (arch/x86/mm/pgprot.c), indexed by vm_flags & (READ|WRITE|EXEC|SHARED). */
const PROTECTION_MAP: readonly PteFlags[] = [
  PAGE_NONE, PAGE_READONLY, PAGE_COPY, PAGE_COPY, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_COPY_EXEC, PAGE_COPY_EXEC,
  PAGE_NONE, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED, PAGE_READONLY_EXEC, PAGE_READONLY_EXEC, PAGE_SHARED_EXEC, PAGE_SHARED_EXEC,
];

/** vm_get_page_prot: the PTE protection of a VMA with these flags. */
export function vmGetPageProt(vmFlags: number): PteFlags {
  return PROTECTION_MAP[vmFlags & (VM_READ | VM_WRITE | VM_EXEC | VM_SHARED)];
}

/**
 * mmap_base (arch/x86/mm/mmap.c): TASK_SIZE minus the stack gap (RLIMIT_STACK + stack_guard_gap
 * + the stack's random range, clamped to [128 MiB, 5/6 TASK_SIZE]) minus `rnd` bytes, page-aligned.
 * Without randomization on 4-level paging this is 0x7ffff7fff000.
 */
export function mmapBase(taskSize: number, rlimitStack: number, stackGuardGap: number, rnd = 0, stackMaxRandom = 0): number {
  let gap = rlimitStack + stackMaxRandom + stackGuardGap;
  const gapMax = Math.floor(taskSize / 6) * 5;
  if (gap < MMAP_GAP_MIN) gap = MMAP_GAP_MIN;
  else if (gap > gapMax) gap = gapMax;
  return Math.ceil((taskSize - gap - rnd) / PAGE_SIZE) * PAGE_SIZE;
}

/** vm_stat_account: total_vm and the exec/stack/data split. */
export function vmStatAccount(mm: MmStruct, flags: number, npages: number): void {
  mm.totalVm += npages;
  if (isExecMapping(flags)) mm.execVm += npages;
  else if (isStackMapping(flags)) mm.stackVm += npages;
  else if (isDataMapping(flags)) mm.dataVm += npages;
}

/** may_expand_vm: RLIMIT_AS and, for data mappings, RLIMIT_DATA allow npages more. */
export function mayExpandVm(mm: MmStruct, flags: number, npages: number): boolean {
  if (mm.totalVm + npages > Math.floor(mm.rlimits.as / PAGE_SIZE)) return false;
  if (isDataMapping(flags) && mm.dataVm + npages > Math.floor(mm.rlimits.data / PAGE_SIZE)) return false;
  return true;
}

/** mlock_future_ok: a VM_LOCKED mapping of `bytes` more stays within RLIMIT_MEMLOCK (or CAP_IPC_LOCK). */
export function mlockFutureOk(mm: MmStruct, flags: number, bytes: number): boolean {
  if ((flags & VM_LOCKED) === 0 || mm.capIpcLock) return true;
  return bytes / PAGE_SIZE + mm.lockedVm <= Math.floor(mm.rlimits.memlock / PAGE_SIZE);
}

/** vm_start_gap: a VM_GROWSDOWN VMA keeps stack_guard_gap free below it. */
export function vmStartGap(vmm: VirtualMemory, vma: VmAreaStruct): number {
  let start = vma.vmStart;
  if (vma.vmFlags & VM_GROWSDOWN) {
    start -= vmm.sysctl.stackGuardGap;
    if (start < 0) start = 0;
  }
  return start;
}

/**
 * unmapped_area_topdown (vm_unmapped_area with VM_UNMAPPED_AREA_TOPDOWN): the highest address
 * a < highLimit with [a, a+length) in a gap, a >= max(lowLimit, mmap_min_addr), not inside the
 * guard gap of a VM_GROWSDOWN VMA above it. Returns the address or -ENOMEM.
 */
export function unmappedAreaTopdown(vmm: VirtualMemory, mm: MmStruct, length: number, lowLimit: number, highLimit: number, alignMask = 0, alignOffset = 0): number {
  const searchLen = length + alignMask;
  if (lowLimit < vmm.sysctl.mmapMinAddr) lowLimit = vmm.sysctl.mmapMinAddr;
  const v = mm.mmMt.vmas;
  let i = mm.mmMt.indexAfter(highLimit - 1);
  // Gap i lies between v[i-1] (or 0) and v[i] (or the top of the address space).
  for (;;) {
    if (highLimit - lowLimit < searchLen) return ENOMEM;
    const gapStart = i > 0 ? v[i - 1].vmEnd : 0;
    const gapEndExcl = Math.min(i < v.length ? v[i].vmStart : Infinity, highLimit);
    const lo = Math.max(gapStart, lowLimit);
    if (gapEndExcl - lo >= searchLen) {
      let gap = gapEndExcl - length;
      if (alignMask) gap -= (((gap - alignOffset) % (alignMask + 1)) + alignMask + 1) % (alignMask + 1);
      const tmp = i < v.length ? v[i] : null;
      if (tmp !== null && (tmp.vmFlags & VM_STARTGAP_FLAGS) !== 0 && vmStartGap(vmm, tmp) <= gapEndExcl - 1) {
        highLimit = vmStartGap(vmm, tmp);
        i = mm.mmMt.indexAfter(highLimit - 1);
        continue;
      }
      return gap;
    }
    if (i === 0 || gapStart <= lowLimit) return ENOMEM;
    i--;
  }
}

/**
 * arch_get_unmapped_area_topdown (x86): MAP_FIXED returns addr as is; a valid hint is used when
 * [hint, hint+len) is free (and clear of a stack's guard gap); otherwise the top-down search below
 * mmap_base (the whole 128 TiB/4 PiB window if the hint lies above DEFAULT_MAP_WINDOW).
 */
export function archGetUnmappedAreaTopdown(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number, pgoff: number, flags: number): number {
  if (len > mm.taskSize) return ENOMEM;
  if (flags & MAP_FIXED) return addr;
  if (addr) {
    addr = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
    const hintValid = !(mm.taskSize - len < addr) && (addr > vmm.defaultMapWindow) === (addr + len > vmm.defaultMapWindow);
    if (hintValid) {
      const vma = mm.mmMt.findVma(addr);
      if (vma === null || addr + len <= vmStartGap(vmm, vma)) return addr;
    }
  }
  let high = mm.mmapBase;
  if (addr > vmm.defaultMapWindow) high += mm.taskSize - vmm.defaultMapWindow;
  const r = unmappedAreaTopdown(vmm, mm, len, PAGE_SIZE, high, 0, pgoff * PAGE_SIZE);
  return r;
}

/**
 * __get_unmapped_area: where a mapping of len bytes goes. Anonymous mappings with no hint whose
 * length is a multiple of 2 MiB are 2 MiB-aligned (thp_get_unmapped_area). Returns the address,
 * -ENOMEM (no room, beyond TASK_SIZE), -EINVAL (unaligned MAP_FIXED) or -EPERM (below mmap_min_addr).
 */
export function getUnmappedArea(vmm: VirtualMemory, mm: MmStruct, file: VmFile | null, addr: number, len: number, pgoff: number, flags: number): number {
  if (len > mm.taskSize) return ENOMEM;
  let a = 0;
  if (file === null && vmm.thp && addr === 0 && len % PMD_SIZE === 0) a = thpGetUnmappedArea(vmm, mm, addr, len, pgoff * PAGE_SIZE, flags);
  if (a === 0) a = archGetUnmappedAreaTopdown(vmm, mm, addr, len, pgoff, flags);
  if (a < 0) return a;
  if (a > mm.taskSize - len) return ENOMEM;
  if (a % PAGE_SIZE !== 0) return EINVAL;
  if (a < vmm.sysctl.mmapMinAddr) return EPERM;
  return a;
}

/** __thp_get_unmapped_area: search len + 2 MiB and align inside it; 0 when it does not apply. */
function thpGetUnmappedArea(vmm: VirtualMemory, mm: MmStruct, addr: number, len: number, off: number, flags: number): number {
  const offAlign = Math.ceil(off / PMD_SIZE) * PMD_SIZE;
  if (off + len <= offAlign || off + len - offAlign < PMD_SIZE) return 0;
  const ret = archGetUnmappedAreaTopdown(vmm, mm, addr, len + PMD_SIZE, off / PAGE_SIZE, flags);
  if (ret < 0) return 0;
  if (ret === addr) return addr;
  const offSub = (((off - ret) % PMD_SIZE) + PMD_SIZE) % PMD_SIZE;
  if (offSub === 0) return ret + PMD_SIZE;
  return ret + offSub;
}

/** round_hint_to_min: a hint below mmap_min_addr becomes mmap_min_addr. */
function roundHintToMin(vmm: VirtualMemory, hint: number): number {
  hint = Math.floor(hint / PAGE_SIZE) * PAGE_SIZE;
  if (hint !== 0 && hint < vmm.sysctl.mmapMinAddr) return Math.ceil(vmm.sysctl.mmapMinAddr / PAGE_SIZE) * PAGE_SIZE;
  return hint;
}

/** The result of do_mmap: the address or -errno, and how many bytes to populate (MAP_POPULATE, VM_LOCKED). */
export interface MmapResult {
  addr: number;
  populate: number;
}

/**
 * do_mmap: maps len bytes of `file` at pgoff (anonymous when file is null) with PROT_* `prot` and
 * MAP_* `flags`. Returns the address or -errno (EINVAL, ENOMEM, EEXIST, EPERM, EACCES, ENODEV,
 * EAGAIN) in out.addr, checked in Linux's order.
 */
export function doMmap(vmm: VirtualMemory, mm: MmStruct, file: VmFile | null, addr: number, len: number, prot: number, flags: number, pgoff: number, out: MmapResult): number {
  out.populate = 0;
  if (len === 0) return (out.addr = EINVAL);
  if (flags & MAP_FIXED_NOREPLACE) flags |= MAP_FIXED;
  if (!(flags & MAP_FIXED)) addr = roundHintToMin(vmm, addr);
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  if (len === 0 || len >= 2 ** 64) return (out.addr = ENOMEM);
  if (mm.mapCount > vmm.sysctl.maxMapCount) return (out.addr = ENOMEM);
  let vmFlags = calcVmProtBits(prot) | calcVmFlagBits(flags) | mm.defFlags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  addr = getUnmappedArea(vmm, mm, file, addr, len, pgoff, flags);
  if (addr < 0) return (out.addr = addr);
  if (flags & MAP_FIXED_NOREPLACE && mm.mmMt.findVmaIntersection(addr, addr + len) !== null) return (out.addr = EEXIST);
  if (!mlockFutureOk(mm, vmFlags, len)) return (out.addr = EAGAIN);
  const type = flags & MAP_TYPE;
  if (file !== null) {
    if (type !== MAP_SHARED && type !== MAP_PRIVATE) return (out.addr = EINVAL);
    if (type === MAP_SHARED) {
      if (prot & 2 && !file.writable) return (out.addr = EACCES);
      vmFlags |= VM_SHARED | VM_MAYSHARE;
      if (!file.writable) vmFlags &= ~(VM_MAYWRITE | VM_SHARED);
    }
    if (!file.readable) return (out.addr = EACCES);
    if (file.noexec) {
      if (vmFlags & VM_EXEC) return (out.addr = EPERM);
      vmFlags &= ~VM_MAYEXEC;
    }
    if (!file.hasMmap) return (out.addr = ENODEV);
    if (vmFlags & VM_GROWSDOWN) return (out.addr = EINVAL);
  } else if (type === MAP_SHARED) {
    if (vmFlags & VM_GROWSDOWN) return (out.addr = EINVAL);
    pgoff = 0;
    vmFlags |= VM_SHARED | VM_MAYSHARE;
  } else if (type === MAP_PRIVATE) {
    pgoff = addr / PAGE_SIZE;
  } else return (out.addr = EINVAL);
  if (flags & MAP_NORESERVE && vmm.sysctl.overcommitMemory !== OVERCOMMIT_NEVER) vmFlags |= VM_NORESERVE;
  out.addr = mmapRegion(vmm, mm, file, addr, len, vmFlags, pgoff);
  if (out.addr >= 0 && (vmFlags & VM_LOCKED || (flags & (MAP_POPULATE | MAP_NONBLOCK)) === MAP_POPULATE)) out.populate = len;
  return out.addr;
}

/** accountable_mapping: private writable mappings without VM_NORESERVE are charged to Committed_AS. */
function accountableMapping(vmFlags: number): boolean {
  return (vmFlags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) === VM_WRITE;
}

/**
 * mmap_region / __mmap_region: unmaps whatever [addr, addr+len) covers, checks RLIMIT_AS and
 * overcommit, then merges with a neighbour or links a new VMA. Returns addr or -errno.
 */
export function mmapRegion(vmm: VirtualMemory, mm: MmStruct, file: VmFile | null, addr: number, len: number, vmFlags: number, pgoff: number): number {
  const end = addr + len;
  const pglen = len / PAGE_SIZE;
  const vms = new VmaMunmapStruct(mm, addr, end);
  const first = mm.mmMt.findVmaIntersection(addr, end);
  if (first !== null) {
    const e = vmsGatherMunmapVmas(vmm, vms, first);
    if (e) return e;
  } else {
    vms.prev = mm.mmMt.prevOf(addr);
    vms.next = mm.mmMt.nextFrom(addr);
  }
  if (!mayExpandVm(mm, vmFlags, pglen - vms.nrPages)) {
    vmsAbortMunmapVmas(vmm, vms);
    return ENOMEM;
  }
  let charged = 0;
  if (accountableMapping(vmFlags)) {
    charged = pglen - vms.nrAccounted;
    if (charged && vmm.vmEnoughMemory(mm, charged) < 0) {
      vmsAbortMunmapVmas(vmm, vms);
      return ENOMEM;
    }
    vms.nrAccounted = 0;
    vmFlags |= VM_ACCOUNT;
  }
  // shmem_zero_setup: shared anonymous memory is an unlinked shmem file of the VMA's size
  const zero = file === null && (vmFlags & VM_SHARED) !== 0 ? shmemZeroSetup(vmm, len, vmFlags) : null;
  if (file === null && (vmFlags & VM_SHARED) !== 0 && zero === null) {
    vmsAbortMunmapVmas(vmm, vms);
    return ENOMEM;
  }
  vmsCleanUpArea(vmm, vms);
  vmsDetach(vms);
  // Shared anonymous memory is a shmem file of its own (shmem_zero_setup): it never merges.
  const shmem = file === null && (vmFlags & VM_SHARED) !== 0;
  let vma: VmAreaStruct | null = null;
  if (!shmem && (vms.prev !== null || vms.next !== null)) {
    const g = VmaMergeStruct.forRange(mm, addr, end, vmFlags, pgoff);
    g.file = file;
    g.prev = vms.prev;
    g.next = vms.next;
    vma = vmaMergeNewRange(vmm, g);
  }
  if (vma === null) {
    vma = vmm.vmAreaAlloc(mm);
    if (vma === null) {
      if (charged) vmm.vmUnacctMemory(charged);
      if (zero !== null) zero.fCount--; // fput: the file goes with its charge
      vmsAbortMunmapVmas(vmm, vms);
      return ENOMEM;
    }
    vma.vmStart = addr;
    vma.vmEnd = end;
    vma.vmPgoff = pgoff;
    vma.vmFlags = vmFlags;
    vma.vmPageProt = vmGetPageProt(vmFlags);
    if (file !== null) {
      vma.vmFile = file;
      file.fCount++;
      vma.vmOps = file.vmOps;
    } else if (zero !== null) {
      vma.vmFile = zero; // the file's one reference is the VMA's
      vma.vmOps = zero.vmOps;
    }
    mm.mmMt.insert(vma);
    vma.detached = false;
    vmaLinkFile(vma);
    mm.mapCount++;
  }
  vmsCompleteMunmapVmas(vmm, vms);
  vmStatAccount(mm, vma.vmFlags, pglen);
  if (vmFlags & VM_LOCKED) {
    if (vmFlags & VM_SPECIAL) vma.vmFlags &= ~VM_LOCKED_MASK;
    else mm.lockedVm += pglen;
  }
  if (vmm.softDirty) vma.vmFlags |= VM_SOFTDIRTY;
  vma.vmPageProt = vmGetPageProt(vma.vmFlags);
  return addr;
}
