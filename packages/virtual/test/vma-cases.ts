// Helpers shared by the tools/testing/vma conformance files: tools/testing/vma/vma.c's
// merge_new, merge_existing, try_merge_new_vma and cleanup_mm over mmsim's mm/vma.c model.
import { expect } from "vitest";
import { allocAndLinkVma, bootVirtual, newMm } from "./boot";
import type { AnonVma, MmStruct, VmAreaStruct, VmOperations } from "../src/mm-types";
import { VM_MAYREAD, VM_MAYWRITE, VM_READ, VM_WRITE } from "../src/mm-flags";
import { VMA_MERGE_NOMERGE, VMA_MERGE_SUCCESS, VmaMergeStruct, vmaMergeExistingRange, vmaMergeNewRange } from "../src/vma-merge";
import { exitMmap } from "../src/syscalls";
import { verifyVirtual } from "../src/verify";
import type { VirtualMemory } from "../src/virtual-memory";

export const FLAGS = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE;
export const closeOps: VmOperations = { name: "dummy_close", close: () => {} };

export function setup(): { vmm: VirtualMemory; mm: MmStruct } {
  const vmm = bootVirtual();
  return { vmm, mm: newMm(vmm) };
}

/** A fresh anon_vma root (as __anon_vma_prepare makes one). */
export function newAnonVma(vmm: VirtualMemory): AnonVma {
  const av = vmm.anonVmaAlloc()!;
  av.numChildren = 1;
  return av;
}

/** Gives vma one anon_vma_chain to av and makes av its anon_vma (tools/testing/vma's dummy avc). */
export function giveAnonVma(vmm: VirtualMemory, vma: VmAreaStruct, av: AnonVma): void {
  const avc = vmm.avcAlloc(vma, av)!;
  vma.anonVmaChain.unshift(avc);
  av.rbRoot.push(avc);
  vma.anonVma = av;
  av.numActiveVmas++;
}

/** merge_new: a new range with prev/next taken from the tree. */
export function mergeNew(vmm: VirtualMemory, mm: MmStruct, start: number, end: number, pgoff: number, flags = FLAGS): [VmAreaStruct | null, VmaMergeStruct] {
  const g = VmaMergeStruct.forRange(mm, start, end, flags, pgoff);
  g.prev = mm.mmMt.prevOf(start);
  g.next = mm.mmMt.nextFrom(start);
  return [vmaMergeNewRange(vmm, g), g];
}

/** try_merge_new_vma: merge, or allocate and link a new VMA. */
export function tryMergeNewVma(vmm: VirtualMemory, mm: MmStruct, start: number, end: number, pgoff: number): [VmAreaStruct, boolean] {
  const [v, g] = mergeNew(vmm, mm, start, end, pgoff);
  if (v) {
    expect(g.state).toBe(VMA_MERGE_SUCCESS);
    return [v, true];
  }
  expect(g.state).toBe(VMA_MERGE_NOMERGE);
  return [allocAndLinkVma(vmm, mm, start, end, pgoff, FLAGS), false];
}

/** merge_existing on [start, end) of vma with the given prev. */
export function mergeExisting(vmm: VirtualMemory, prev: VmAreaStruct | null, vma: VmAreaStruct, start: number, end: number, flags = FLAGS): [VmAreaStruct | null, VmaMergeStruct] {
  const g = VmaMergeStruct.forVma(prev, vma, start, end);
  g.vmFlags = flags;
  return [vmaMergeExistingRange(vmm, g), g];
}

/**
 * cleanup_mm: unmaps everything; returns how many VMAs there were, and checks every object was
 * freed. These cases call mm/vma.c's internals directly, below the callers that keep total_vm and
 * data_vm, so those are recounted first.
 */
export function cleanupMm(vmm: VirtualMemory, mm: MmStruct): number {
  const n = mm.mmMt.length;
  mm.totalVm = mm.mmMt.vmas.reduce((s, v) => s + v.pages, 0);
  mm.dataVm = mm.totalVm;
  verifyVirtual(vmm, [mm]);
  exitMmap(vmm, mm);
  verifyVirtual(vmm, []);
  return n;
}

export function span(v: VmAreaStruct): [number, number, number] {
  return [v.vmStart, v.vmEnd, v.vmPgoff];
}
