// anon_vma and anon_vma_chain (mm/rmap.c): prepare, reuse by a neighbour, clone on split, fork's
// links, and the merge rule for a forked child's VMA (selftests/mm/merge.c: it does not merge
// with a new neighbour). Everything is freed when the mms exit.
import { describe, expect, test } from "vitest";
import { bootVirtual, newMm } from "../test/boot";
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE } from "./mm-flags";
import { sysMmap, sysMunmap, exitMmap } from "./syscalls";
import { doMprotect } from "./mprotect";
import { anonVmaFork, anonVmaPrepare } from "./rmap";
import { vmaLink } from "./vma-merge";
import { vmStatAccount } from "./mmap";
import { verifyVirtual } from "./verify";

const RW = PROT_READ | PROT_WRITE;
const FIXED = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;

describe("anon_vma", () => {
  test("anon_vma_prepare makes a root; a compatible neighbour reuses it; a split clones the chain", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    sysMmap(vmm, mm, 0x10000000, 4 * 4096, RW, FIXED, null, 0);
    const vma = mm.mmMt.vmaLookup(0x10000000)!;
    expect(anonVmaPrepare(vmm, vma)).toBe(0);
    const av = vma.anonVma!;
    expect([av.root, av.parent, av.numChildren, av.numActiveVmas, av.rbRoot.length]).toEqual([av, av, 1, 1, 1]);
    // an executable neighbour (not merged: VM_EXEC differs): anon_vma_compatible ignores the
    // access bits, so it reuses av
    sysMmap(vmm, mm, 0x10004000, 4096, RW | PROT_EXEC, FIXED, null, 0);
    expect(mm.mapCount).toBe(2);
    const n = mm.mmMt.vmaLookup(0x10004000)!;
    expect(anonVmaPrepare(vmm, n)).toBe(0);
    expect(n.anonVma).toBe(av);
    expect([av.numActiveVmas, av.rbRoot.length, vmm.live.anonVma]).toEqual([2, 2, 1]);
    // mprotect of the middle splits vma in three: each piece gets a chain to av
    expect(doMprotect(vmm, mm, 0x10001000, 4096, PROT_READ)).toBe(0);
    expect(mm.mapCount).toBe(4);
    expect([av.numActiveVmas, av.rbRoot.length, vmm.live.anonVmaChain]).toEqual([4, 4, 4]);
    verifyVirtual(vmm, [mm]);
    exitMmap(vmm, mm);
    verifyVirtual(vmm, []);
  });

  test("fork links the child's VMA to the parent's anon_vma and gives it its own; the child VMA does not merge with a new neighbour", () => {
    const vmm = bootVirtual();
    const parent = newMm(vmm);
    sysMmap(vmm, parent, 0x10000000, 2 * 4096, RW, FIXED, null, 0);
    const pvma = parent.mmMt.vmas[0];
    expect(anonVmaPrepare(vmm, pvma)).toBe(0);
    const pav = pvma.anonVma!;
    // dup_mmap's per-VMA step: vm_area_dup, anon_vma_fork, link into the child's tree
    const child = newMm(vmm);
    const cvma = vmm.vmAreaDup(pvma)!;
    Object.defineProperty(cvma, "vmMm", { value: child });
    expect(anonVmaFork(vmm, cvma, pvma)).toBe(0);
    vmaLink(child, cvma);
    vmStatAccount(child, cvma.vmFlags, cvma.pages);
    vmm.vmEnoughMemory(child, cvma.pages);
    const cav = cvma.anonVma!;
    expect(cav).not.toBe(pav);
    expect([cav.root, cav.parent]).toEqual([pav, pav]);
    expect(cvma.anonVmaChain.map((c) => c.anonVma)).toEqual([cav, pav]);
    expect([pav.refcount, pav.numChildren, pav.rbRoot.length]).toEqual([2, 2, 2]);
    // a new mapping right after the child's VMA stays separate (vma_is_fork_child)
    sysMmap(vmm, child, 0x10002000, 4096, RW, FIXED, null, 0);
    expect(child.mapCount).toBe(2);
    // ... while the same mapping merges in the parent
    sysMmap(vmm, parent, 0x10002000, 4096, RW, FIXED, null, 0);
    expect(parent.mapCount).toBe(1);
    verifyVirtual(vmm, [parent, child]);
    // the parent exits first: the root stays while the child's anon_vma holds it
    exitMmap(vmm, parent);
    expect(vmm.live.anonVma).toBe(2);
    expect(sysMunmap(vmm, child, 0x10000000, 3 * 4096)).toBe(0);
    verifyVirtual(vmm, [child]);
    exitMmap(vmm, child);
    verifyVirtual(vmm, []);
  });
});
