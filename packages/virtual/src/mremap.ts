// mremap at the VMA level (mm/mremap.c): shrink (unmap the tail), grow in place when the gap
// after the VMA allows (vma_merge_extend), or move with MREMAP_MAYMOVE / MREMAP_FIXED (copy_vma
// at the new place, move_page_tables through the hook, unmap the old range with its VM_ACCOUNT
// concealed so the reservation moves along). MREMAP_DONTUNMAP is validated but not modelled:
// it returns EINVAL (see docs/design/virtual.md).
import { PAGE_SIZE } from "@mmsim/base";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import { MAP_FIXED, MAP_SHARED, MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, VM_ACCOUNT, VM_DONTEXPAND, VM_LOCKED, VM_MAYSHARE, VM_PFNMAP, VM_SHARED } from "./mm-flags";
import { getUnmappedArea, mayExpandVm, mlockFutureOk, vmStatAccount } from "./mmap";
import { copyVma, doVmiMunmap, vmaMergeExtend } from "./vma";
import type { VirtualMemory } from "./virtual-memory";

const EAGAIN = -11;
const ENOMEM = -12;
const EFAULT = -14;
const EINVAL = -22;

/** vma_to_resize: the VMA at addr if [addr, addr+oldLen) may become newLen long, else -errno. */
function vmaToResize(mm: MmStruct, addr: number, oldLen: number, newLen: number): VmAreaStruct | number {
  const vma = mm.mmMt.vmaLookup(addr);
  if (vma === null) return EFAULT;
  if (!oldLen && !(vma.vmFlags & (VM_SHARED | VM_MAYSHARE))) return EINVAL;
  if (oldLen > vma.vmEnd - addr) return EFAULT;
  if (newLen === oldLen) return vma;
  if (vma.vmFlags & (VM_DONTEXPAND | VM_PFNMAP)) return EFAULT;
  if (!mlockFutureOk(mm, vma.vmFlags, newLen - oldLen)) return EAGAIN;
  if (!mayExpandVm(mm, vma.vmFlags, (newLen - oldLen) / PAGE_SIZE)) return ENOMEM;
  return vma;
}

/** vma_expandable: nothing mapped in the delta bytes after the VMA and they fit below TASK_SIZE. */
function vmaExpandable(vmm: VirtualMemory, vma: VmAreaStruct, delta: number): boolean {
  const end = vma.vmEnd + delta;
  if (vma.vmMm.mmMt.findVmaIntersection(vma.vmEnd, end) !== null) return false;
  return getUnmappedArea(vmm, vma.vmMm, null, vma.vmStart, end - vma.vmStart, 0, MAP_FIXED) >= 0;
}

/** move_vma: the VMA part [oldAddr, oldAddr+oldLen) moves to newAddr with newLen. Returns newAddr or -errno. */
function moveVma(vmm: VirtualMemory, vma: VmAreaStruct, oldAddr: number, oldLen: number, newLen: number, newAddr: number, charged: number): number {
  const mm = vma.vmMm;
  if (mm.mapCount >= vmm.sysctl.maxMapCount - 3) {
    vmm.vmUnacctMemory(charged);
    return ENOMEM;
  }
  const vmFlags = vma.vmFlags;
  const newPgoff = vma.vmPgoff + (oldAddr - vma.vmStart) / PAGE_SIZE;
  const copied = copyVma(vmm, vma, newAddr, newLen, newPgoff);
  if (copied === null) {
    vmm.vmUnacctMemory(charged);
    return ENOMEM;
  }
  const [newVma, src] = copied;
  vma = src;
  vmm.hooks.movePageTables(vma, oldAddr, newVma, newAddr, oldLen);
  let accountStart = false;
  let accountEnd = false;
  if (vmFlags & VM_ACCOUNT) {
    vma.vmFlags &= ~VM_ACCOUNT;
    if (vma.vmStart < oldAddr) accountStart = true;
    if (vma.vmEnd > oldAddr + oldLen) accountEnd = true;
  }
  const hiwater = mm.hiwaterVm;
  vmStatAccount(mm, vma.vmFlags, newLen / PAGE_SIZE);
  if (doVmiMunmap(vmm, mm, oldAddr, oldLen) < 0) {
    if (vmFlags & VM_ACCOUNT) vmm.committedAs += oldLen / PAGE_SIZE;
  }
  if (vmFlags & VM_LOCKED) mm.lockedVm += newLen / PAGE_SIZE;
  mm.hiwaterVm = hiwater;
  if (accountStart) mm.mmMt.vmaLookup(oldAddr - PAGE_SIZE)!.vmFlags |= VM_ACCOUNT;
  if (accountEnd) mm.mmMt.vmaLookup(oldAddr + oldLen)!.vmFlags |= VM_ACCOUNT;
  return newAddr;
}

/** Charges the growth of an accounted VMA; 0 or -ENOMEM. */
function chargeGrowth(vmm: VirtualMemory, vma: VmAreaStruct, pages: number): number {
  if (!(vma.vmFlags & VM_ACCOUNT) || pages <= 0) return 0;
  return vmm.vmEnoughMemory(vma.vmMm, pages) < 0 ? ENOMEM : 0;
}

function mremapTo(vmm: VirtualMemory, mm: MmStruct, addr: number, oldLen: number, newAddr: number, newLen: number, flags: number): number {
  if (newAddr % PAGE_SIZE !== 0) return EINVAL;
  if (newLen > mm.taskSize || newAddr > mm.taskSize - newLen) return EINVAL;
  if (addr + oldLen > newAddr && newAddr + newLen > addr) return EINVAL;
  if (flags & MREMAP_FIXED) {
    const e = doVmiMunmap(vmm, mm, newAddr, newLen);
    if (e) return e;
  }
  if (oldLen > newLen) {
    const e = doVmiMunmap(vmm, mm, addr + newLen, oldLen - newLen);
    if (e) return e;
    oldLen = newLen;
  }
  const vma = vmaToResize(mm, addr, oldLen, newLen);
  if (typeof vma === "number") return vma;
  const charged = (newLen - oldLen) / PAGE_SIZE;
  if (chargeGrowth(vmm, vma, charged)) return ENOMEM;
  const mapFlags = (flags & MREMAP_FIXED ? MAP_FIXED : 0) | (vma.vmFlags & VM_MAYSHARE ? MAP_SHARED : 0);
  const r = getUnmappedArea(vmm, mm, vma.vmFile, newAddr, newLen, vma.vmPgoff + (addr - vma.vmStart) / PAGE_SIZE, mapFlags);
  if (r < 0) {
    if (vma.vmFlags & VM_ACCOUNT) vmm.vmUnacctMemory(charged);
    return r;
  }
  return moveVma(vmm, vma, addr, oldLen, newLen, flags & MREMAP_FIXED ? newAddr : r, vma.vmFlags & VM_ACCOUNT ? charged : 0);
}

/**
 * mremap(addr, oldLen, newLen, flags, newAddr). Returns the (new) address or -errno: EINVAL (bad
 * flags, unaligned, newLen 0, overlapping MREMAP_FIXED ranges, old_len 0 on a private mapping),
 * EFAULT (no VMA at addr, range crosses VMAs, growing VM_DONTEXPAND/VM_PFNMAP), ENOMEM (cannot
 * grow in place without MREMAP_MAYMOVE, limits), EAGAIN (RLIMIT_MEMLOCK).
 */
export function doMremap(vmm: VirtualMemory, mm: MmStruct, addr: number, oldLen: number, newLen: number, flags: number, newAddr = 0): number {
  if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) return EINVAL;
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return EINVAL;
  if (flags & MREMAP_DONTUNMAP && (!(flags & MREMAP_MAYMOVE) || oldLen !== newLen)) return EINVAL;
  if (addr % PAGE_SIZE !== 0) return EINVAL;
  oldLen = Math.ceil(oldLen / PAGE_SIZE) * PAGE_SIZE;
  newLen = Math.ceil(newLen / PAGE_SIZE) * PAGE_SIZE;
  if (!newLen) return EINVAL;
  if (flags & MREMAP_DONTUNMAP) return EINVAL; // not modelled (docs/design/virtual.md)
  let vma: VmAreaStruct | number | null = mm.mmMt.vmaLookup(addr);
  if (vma === null) return EFAULT;
  if (flags & MREMAP_FIXED) return mremapTo(vmm, mm, addr, oldLen, newAddr, newLen, flags);
  if (oldLen >= newLen) {
    if (oldLen === newLen) return addr;
    const e = doVmiMunmap(vmm, mm, addr + newLen, oldLen - newLen);
    return e ? e : addr;
  }
  vma = vmaToResize(mm, addr, oldLen, newLen);
  if (typeof vma === "number") return vma;
  if (oldLen === vma.vmEnd - addr && vmaExpandable(vmm, vma, newLen - oldLen)) {
    const pages = (newLen - oldLen) / PAGE_SIZE;
    if (chargeGrowth(vmm, vma, pages)) return ENOMEM;
    const grown = vmaMergeExtend(vmm, vma, newLen - oldLen);
    if (grown === null) {
      if (vma.vmFlags & VM_ACCOUNT) vmm.vmUnacctMemory(pages);
      return ENOMEM;
    }
    vmStatAccount(mm, grown.vmFlags, pages);
    if (grown.vmFlags & VM_LOCKED) mm.lockedVm += pages;
    return addr;
  }
  if (!(flags & MREMAP_MAYMOVE)) return ENOMEM;
  const charged = (newLen - oldLen) / PAGE_SIZE;
  if (chargeGrowth(vmm, vma, charged)) return ENOMEM;
  const mapFlags = vma.vmFlags & VM_MAYSHARE ? MAP_SHARED : 0;
  const na = getUnmappedArea(vmm, mm, vma.vmFile, 0, newLen, vma.vmPgoff + (addr - vma.vmStart) / PAGE_SIZE, mapFlags);
  if (na < 0) {
    if (vma.vmFlags & VM_ACCOUNT) vmm.vmUnacctMemory(charged);
    return na;
  }
  return moveVma(vmm, vma, addr, oldLen, newLen, na, vma.vmFlags & VM_ACCOUNT ? charged : 0);
}
