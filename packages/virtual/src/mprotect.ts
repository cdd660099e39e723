// mprotect at the VMA level (mm/mprotect.c do_mprotect_pkey, mprotect_fixup): splits the VMAs
// at the range's ends, changes their flags, merges them back with neighbours that now agree,
// charges Committed_AS when a private mapping first becomes writable, and hands the PTE work to
// the changeProtection hook. Pkeys are not modelled.
import {
  PAGE_SIZE as PAGE_SIZE_,
} from "@mmsim/base";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import {
  calcVmProtBits as calcVmProtBits_, PROT_EXEC as PROT_EXEC_, PROT_GROWSDOWN as PROT_GROWSDOWN_, PROT_GROWSUP as PROT_GROWSUP_, PROT_READ as PROT_READ_, PROT_SEM as PROT_SEM_, PROT_WRITE as PROT_WRITE_, VM_ACCESS_FLAGS as VM_ACCESS_FLAGS_, VM_ACCOUNT as VM_ACCOUNT_, VM_GROWSDOWN as VM_GROWSDOWN_, VM_HUGETLB as VM_HUGETLB_, VM_LOCKED as VM_LOCKED_, VM_NORESERVE as VM_NORESERVE_, VM_SHARED as VM_SHARED_, VM_WRITE as VM_WRITE_,
} from "./mm-flags";
import {
  mayExpandVm as mayExpandVm_, vmGetPageProt as vmGetPageProt_, vmStatAccount as vmStatAccount_,
} from "./mmap";
import {
  vmaModifyFlags as vmaModifyFlags_,
} from "./vma";
import type { VirtualMemory } from "./virtual-memory";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).
const PAGE_SIZE = PAGE_SIZE_;
const calcVmProtBits = calcVmProtBits_;
const PROT_EXEC = PROT_EXEC_;
const PROT_GROWSDOWN = PROT_GROWSDOWN_;
const PROT_GROWSUP = PROT_GROWSUP_;
const PROT_READ = PROT_READ_;
const PROT_SEM = PROT_SEM_;
const PROT_WRITE = PROT_WRITE_;
const VM_ACCESS_FLAGS = VM_ACCESS_FLAGS_;
const VM_ACCOUNT = VM_ACCOUNT_;
const VM_GROWSDOWN = VM_GROWSDOWN_;
const VM_HUGETLB = VM_HUGETLB_;
const VM_LOCKED = VM_LOCKED_;
const VM_NORESERVE = VM_NORESERVE_;
const VM_SHARED = VM_SHARED_;
const VM_WRITE = VM_WRITE_;
const mayExpandVm = mayExpandVm_;
const vmGetPageProt = vmGetPageProt_;
const vmStatAccount = vmStatAccount_;
const vmaModifyFlags = vmaModifyFlags_;

const ENOMEM = -12;
const EACCES = -13;
const EINVAL = -22;

/**
 * mprotect_fixup: gives [start, end) of `vma` the flags newFlags. `prev` is vma's predecessor (or
 * vma when start is inside it). Returns [0, the VMA now covering the range] or [-errno, null].
 */
export function mprotectFixup(vmm: VirtualMemory, vma: VmAreaStruct, prev: VmAreaStruct | null, start: number, end: number, newFlags: number): [number, VmAreaStruct | null] {
  const mm = vma.vmMm;
  const oldFlags = vma.vmFlags;
  const nrpages = (end - start) / PAGE_SIZE;
  let charged = 0;
  if (newFlags === oldFlags) return [0, vma];
  if (newFlags & VM_WRITE) {
    if (!mayExpandVm(mm, newFlags, nrpages) && mayExpandVm(mm, oldFlags, nrpages)) return [ENOMEM, null];
    if (!(oldFlags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) {
      charged = nrpages;
      if (vmm.vmEnoughMemory(mm, charged) < 0) return [ENOMEM, null];
      newFlags |= VM_ACCOUNT;
    }
  } else if (oldFlags & VM_ACCOUNT && vma.vmFile === null && vma.vmOps === null && vma.anonVma === null) {
    newFlags &= ~VM_ACCOUNT;
  }
  const r = vmaModifyFlags(vmm, prev, vma, start, end, newFlags);
  if (typeof r === "number") {
    vmm.vmUnacctMemory(charged);
    return [r, null];
  }
  r.vmFlags = newFlags;
  r.vmPageProt = vmGetPageProt(newFlags);
  vmm.hooks.changeProtection(r, start, end);
  if (oldFlags & VM_ACCOUNT && !(newFlags & VM_ACCOUNT)) vmm.vmUnacctMemory(nrpages);
  if ((oldFlags & (VM_WRITE | VM_SHARED | VM_LOCKED)) === VM_LOCKED && newFlags & VM_WRITE) vmm.hooks.populate(mm, start, end - start);
  vmStatAccount(mm, oldFlags, -nrpages);
  vmStatAccount(mm, newFlags, nrpages);
  return [0, r];
}

/**
 * do_mprotect_pkey: mprotect(start, len, prot). Returns 0 or -errno: EINVAL (unaligned start, both
 * PROT_GROWSDOWN and PROT_GROWSUP, unknown PROT bits, PROT_GROWSDOWN on a VMA without
 * VM_GROWSDOWN), ENOMEM (a hole in the range, or limits), EACCES (prot beyond VM_MAY*).
 */
export function doMprotect(vmm: VirtualMemory, mm: MmStruct, start: number, len: number, prot: number): number {
  const grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
  if (grows === (PROT_GROWSDOWN | PROT_GROWSUP)) return EINVAL;
  if (start % PAGE_SIZE !== 0) return EINVAL;
  if (!len) return 0;
  len = Math.ceil(len / PAGE_SIZE) * PAGE_SIZE;
  const end = start + len;
  if (end <= start || end > 2 ** 64) return ENOMEM;
  if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) return EINVAL;
  const t = mm.mmMt;
  let vma = t.findVmaIntersection(start, end);
  if (vma === null) return ENOMEM;
  if (grows & PROT_GROWSDOWN) {
    if (vma.vmStart >= end) return ENOMEM;
    start = vma.vmStart;
    if (!(vma.vmFlags & VM_GROWSDOWN)) return EINVAL;
  } else {
    if (vma.vmStart > start) return ENOMEM;
    if (grows & PROT_GROWSUP) return EINVAL; // no VM_GROWSUP on x86
  }
  let prev: VmAreaStruct | null = start > vma.vmStart ? vma : t.vmaPrev(vma);
  let nstart = start;
  let tmp = vma.vmStart;
  let error = 0;
  while (vma !== null && vma.vmStart < end) {
    if (vma.vmStart !== tmp) {
      error = ENOMEM;
      break;
    }
    let newFlags = calcVmProtBits(prot);
    newFlags |= vma.vmFlags & ~VM_ACCESS_FLAGS;
    // newflags >> 4 shifts VM_MAY* in place of VM_*
    if ((newFlags & ~(newFlags >> 4)) & VM_ACCESS_FLAGS) {
      error = EACCES;
      break;
    }
    tmp = Math.min(vma.vmEnd, end);
    const [e, cur] = mprotectFixup(vmm, vma, prev, nstart, tmp, newFlags);
    if (e) {
      error = e;
      break;
    }
    // vma_iter_end: the end of the VMA now covering the range (merged ones may reach further)
    prev = cur!;
    tmp = cur!.vmEnd;
    nstart = tmp;
    vma = t.findVma(tmp);
  }
  if (!error && tmp < end) error = ENOMEM;
  return error;
}
