// verify() of the VMA layer (CONFIG_DEBUG_VM_MAPLE_TREE's validate_mm and more): the tree is
// sorted and disjoint, map_count matches it, the mm counters equal a recount from the VMAs'
// flags, every file VMA is in its i_mmap, the rmap links are consistent, and across all mms the
// slab objects alive and vm_committed_as equal what the VMAs account for; then the page level
// (verify-pages.ts).
import { BUG, PAGE_SIZE } from "@mmsim/base";
import type { AnonVma, MmStruct } from "./mm-types";
import { isDataMapping, isExecMapping, isStackMapping, VM_ACCOUNT, VM_LOCKED } from "./mm-flags";
import { verifyRmap } from "./rmap";
import { verifyPageTables } from "./verify-pages";
import { verifyShmem } from "./shmem/verify-shmem";
import type { VirtualMemory } from "./virtual-memory";

/** validate_mm plus counter recounts for one mm. */
export function verifyMm(mm: MmStruct): void {
  mm.mmMt.verify();
  if (mm.mapCount !== mm.mmMt.length) BUG("validate_mm", `map_count ${mm.mapCount} but ${mm.mmMt.length} VMAs in the tree`);
  let total = 0, locked = 0, data = 0, exec = 0, stack = 0;
  for (const vma of mm.mmMt.vmas) {
    if (vma.vmMm !== mm) BUG("validate_mm", "VMA of another mm");
    if (vma.vmStart % PAGE_SIZE !== 0 || vma.vmEnd % PAGE_SIZE !== 0) BUG("validate_mm", `unaligned VMA ${vma.vmStart.toString(16)}`);
    if (vma.vmEnd > mm.taskSize) BUG("validate_mm", "VMA beyond TASK_SIZE");
    const n = vma.pages;
    total += n;
    if (vma.vmFlags & VM_LOCKED) locked += n;
    if (isExecMapping(vma.vmFlags)) exec += n;
    else if (isStackMapping(vma.vmFlags)) stack += n;
    else if (isDataMapping(vma.vmFlags)) data += n;
  }
  const got = [mm.totalVm, mm.lockedVm, mm.dataVm, mm.execVm, mm.stackVm];
  const want = [total, locked, data, exec, stack];
  const names = ["total_vm", "locked_vm", "data_vm", "exec_vm", "stack_vm"];
  for (let i = 0; i < 5; i++) if (got[i] !== want[i]) BUG("validate_mm", `${names[i]} ${got[i]} but the VMAs add up to ${want[i]}`);
  verifyRmap(mm);
}

/** Every mm of the machine: each verifyMm, then the slab objects and Committed_AS across them. */
export function verifyVirtual(vmm: VirtualMemory, mms: readonly MmStruct[]): void {
  let vmas = 0, chains = 0, accounted = 0;
  const anonVmas = new Set<AnonVma>();
  for (const mm of mms) {
    verifyMm(mm);
    vmas += mm.mmMt.length;
    for (const vma of mm.mmMt.vmas) {
      chains += vma.anonVmaChain.length;
      for (const c of vma.anonVmaChain) {
        anonVmas.add(c.anonVma);
        if (c.anonVma.root !== c.anonVma) anonVmas.add(c.anonVma.root);
      }
      if (vma.vmFlags & VM_ACCOUNT) accounted += vma.pages;
    }
  }
  const live = vmm.live;
  if (live.mmStruct !== mms.length) BUG("verifyVirtual", `${live.mmStruct} mm_structs allocated for ${mms.length} mms`);
  if (live.vmAreaStruct !== vmas) BUG("verifyVirtual", `${live.vmAreaStruct} vm_area_structs allocated for ${vmas} VMAs`);
  if (live.anonVmaChain !== chains) BUG("verifyVirtual", `${live.anonVmaChain} anon_vma_chains allocated, ${chains} linked`);
  if (live.anonVma !== anonVmas.size) BUG("verifyVirtual", `${live.anonVma} anon_vmas allocated, ${anonVmas.size} reachable`);
  const shmemAcct = vmm.shmem?.committedPages ?? 0; // shmem_acct_size / shmem_acct_blocks
  if (vmm.committedAs !== accounted + shmemAcct) BUG("verifyVirtual", `Committed_AS ${vmm.committedAs} pages but VM_ACCOUNT VMAs hold ${accounted} and shmem ${shmemAcct}`);
  verifyPageTables(vmm, mms);
  if (vmm.shmem !== null) verifyShmem(vmm.shmem);
}
