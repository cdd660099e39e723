// mprotect at the VMA level (mm/mprotect.c do_mprotect_pkey, mprotect_fixup): splits the VMAs
// at the range's ends, changes their flags, merges them back with neighbours that now agree,
// charges Committed_AS when a private mapping first becomes writable, and hands the PTE work to
// the changeProtection hook. Pkeys are not modelled.
import { PAGE_SIZE } from "@mmsim/base";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import {
  calcVmProtBits, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
  VM_ACCESS_FLAGS, VM_ACCOUNT, VM_GROWSDOWN, VM_HUGETLB, VM_LOCKED, VM_NORESERVE, VM_SHARED, VM_WRITE,
} from "./mm-flags";
import { mayExpandVm, vmGetPageProt, vmStatAccount } from "./mmap";
import { vmaModifyFlags } from "./vma";
import type { VirtualMemory } from "./virtual-memory";

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
