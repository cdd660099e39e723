// Linux's own VMA merge tests (tools/testing/vma/vma.c, the userland harness that compiles
// mm/vma.c), reproduced case by case on mmsim's mm/vma.c model. Each step draws the address map
// as that file does: one column per page from 0, letters for VMAs, '*' for the range operated
// on. Assertions on per-VMA write locks (vma_write_started) have no counterpart here (no
// per-VMA locks), nor does test_vmi_prealloc_fail (the VMA index never fails to allocate).
import { describe, expect, test } from "vitest";
import { allocAndLinkVma, bootVirtual, newMm } from "../test/boot";
import { FLAGS, closeOps, cleanupMm, giveAnonVma, mergeExisting, mergeNew, newAnonVma, setup, span, tryMergeNewVma } from "../test/vma-cases";
import type { VmAreaStruct } from "../src/mm-types";
import { VM_DONTEXPAND, VM_IO, VM_MIXEDMAP, VM_PFNMAP, VM_READ, VM_MAYREAD, VM_SPECIAL } from "../src/mm-flags";
import { VMA_MERGE_NOMERGE, VMA_MERGE_SUCCESS, VmaMergeStruct, vmaExpand, vmaShrink } from "../src/vma-merge";
import { vmaModifyFlags } from "../src/vma";

describe("tools/testing/vma: simple cases", () => {
  test("test_simple_merge: a new range between two compatible VMAs merges all three", () => {
    // 012
    // A*B
    const { vmm, mm } = setup();
    allocAndLinkVma(vmm, mm, 0, 0x1000, 0, FLAGS);
    allocAndLinkVma(vmm, mm, 0x2000, 0x3000, 2, FLAGS);
    const [vma] = mergeNew(vmm, mm, 0x1000, 0x2000, 1);
    expect(span(vma!)).toEqual([0, 0x3000, 0]);
    expect(vma!.vmFlags).toBe(FLAGS);
    expect(cleanupMm(vmm, mm)).toBe(1);
  });

  test("test_simple_modify: vma_modify_flags on the middle page splits the VMA in three", () => {
    // 012
    // A*A
    const { vmm, mm } = setup();
    const init = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    const vma = vmaModifyFlags(vmm, init, init, 0x1000, 0x2000, VM_READ | VM_MAYREAD) as VmAreaStruct;
    expect(vma).toBe(init);
    expect(span(vma)).toEqual([0x1000, 0x2000, 1]);
    expect(mm.mmMt.vmas.map(span)).toEqual([[0, 0x1000, 0], [0x1000, 0x2000, 1], [0x2000, 0x3000, 2]]);
    expect(mm.mapCount).toBe(3);
    // vma_modify only splits: the caller sets the flags (still the old ones here)
    for (const v of mm.mmMt.vmas) v.vmFlags = FLAGS;
    expect(cleanupMm(vmm, mm)).toBe(3);
  });

  test("test_simple_expand: vma_expand grows a VMA from 0x1000 to 0x3000 bytes", () => {
    const { vmm, mm } = setup();
    const vma = allocAndLinkVma(vmm, mm, 0, 0x1000, 0, FLAGS);
    const g = VmaMergeStruct.forRange(mm, 0, 0x3000, FLAGS, 0);
    g.target = vma;
    expect(vmaExpand(vmm, g)).toBe(0);
    expect(span(vma)).toEqual([0, 0x3000, 0]);
    expect(cleanupMm(vmm, mm)).toBe(1);
  });

  test("test_simple_shrink: vma_shrink keeps the start and drops the tail", () => {
    const { vmm, mm } = setup();
    const vma = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    expect(vmaShrink(vma, 0, 0x1000, 0)).toBe(0);
    expect(span(vma)).toEqual([0, 0x1000, 0]);
    expect(cleanupMm(vmm, mm)).toBe(1);
  });
});

describe("tools/testing/vma: test_merge_new", () => {
  test("new ranges merge with prev, next or both; a close hook on an expanded VMA does not matter", () => {
    const { vmm, mm } = setup();
    const dummy = newAnonVma(vmm);
    // 0123456789abc
    // AA B       CC
    const a = allocAndLinkVma(vmm, mm, 0, 0x2000, 0, FLAGS);
    const b = allocAndLinkVma(vmm, mm, 0x3000, 0x4000, 3, FLAGS);
    const c = allocAndLinkVma(vmm, mm, 0xb000, 0xc000, 0xb, FLAGS);
    // NO merge.
    // 0123456789abc
    // AA B   **  CC
    const [d, merged0] = tryMergeNewVma(vmm, mm, 0x7000, 0x9000, 7);
    expect(merged0).toBe(false);
    expect(mm.mapCount).toBe(4);
    // Merge BOTH sides.
    // 0123456789abc
    // AA*B   DD  CC
    a.vmOps = closeOps; // no impact: A is expanded, not deleted
    giveAnonVma(vmm, b, dummy);
    let [v, merged] = tryMergeNewVma(vmm, mm, 0x2000, 0x3000, 2);
    expect([v, merged]).toEqual([a, true]);
    expect(span(v)).toEqual([0, 0x4000, 0]);
    expect(v.anonVma).toBe(dummy);
    expect(mm.mapCount).toBe(3);
    // Merge to PREVIOUS VMA.
    // 0123456789abc
    // AAAA*  DD  CC
    [v, merged] = tryMergeNewVma(vmm, mm, 0x4000, 0x5000, 4);
    expect([v, merged]).toEqual([a, true]);
    expect(span(v)).toEqual([0, 0x5000, 0]);
    expect(v.anonVma).toBe(dummy);
    expect(mm.mapCount).toBe(3);
    // Merge to NEXT VMA.
    // 0123456789abc
    // AAAAA *DD  CC
    giveAnonVma(vmm, d, dummy);
    d.vmOps = closeOps; // no impact: D is expanded, not deleted
    [v, merged] = tryMergeNewVma(vmm, mm, 0x6000, 0x7000, 6);
    expect([v, merged]).toEqual([d, true]);
    expect(span(v)).toEqual([0x6000, 0x9000, 6]);
    expect(v.anonVma).toBe(dummy);
    expect(mm.mapCount).toBe(3);
    // Merge BOTH sides.
    // 0123456789abc
    // AAAAA*DDD  CC
    d.vmOps = null; // would otherwise degrade the merge
    [v, merged] = tryMergeNewVma(vmm, mm, 0x5000, 0x6000, 5);
    expect([v, merged]).toEqual([a, true]);
    expect(span(v)).toEqual([0, 0x9000, 0]);
    expect(v.anonVma).toBe(dummy);
    expect(mm.mapCount).toBe(2);
    // Merge to NEXT VMA.
    // 0123456789abc
    // AAAAAAAAA *CC
    giveAnonVma(vmm, c, dummy);
    [v, merged] = tryMergeNewVma(vmm, mm, 0xa000, 0xb000, 0xa);
    expect([v, merged]).toEqual([c, true]);
    expect(span(v)).toEqual([0xa000, 0xc000, 0xa]);
    expect(mm.mapCount).toBe(2);
    // Merge BOTH sides.
    // 0123456789abc
    // AAAAAAAAA*CCC
    [v, merged] = tryMergeNewVma(vmm, mm, 0x9000, 0xa000, 0x9);
    expect([v, merged]).toEqual([a, true]);
    // Final state.
    // 0123456789abc
    // AAAAAAAAAAAAA
    expect(mm.mmMt.vmas.map(span)).toEqual([[0, 0xc000, 0]]);
    expect(a.anonVma).toBe(dummy);
    expect(dummy.rbRoot.length).toBe(1);
    expect(cleanupMm(vmm, mm)).toBe(1);
  });
});

describe("tools/testing/vma: special flags and close hooks", () => {
  test("test_vma_merge_special_flags: VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP each forbid merging", () => {
    const { vmm, mm } = setup();
    expect(VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP).toBe(VM_SPECIAL);
    // 01234
    // AAA
    const left = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    // 01234
    // AAA*    would merge if not for the special flag
    for (const sp of [VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP]) {
      left.vmFlags = FLAGS | sp;
      const [v, g] = mergeNew(vmm, mm, 0x3000, 0x4000, 3, FLAGS | sp);
      expect(v).toBe(null);
      expect(g.state).toBe(VMA_MERGE_NOMERGE);
    }
    // 01234
    // AAAB    modifying B with a special flag
    const vma = allocAndLinkVma(vmm, mm, 0x3000, 0x4000, 3, FLAGS);
    for (const sp of [VM_IO, VM_DONTEXPAND, VM_PFNMAP, VM_MIXEDMAP]) {
      left.vmFlags = FLAGS | sp;
      const [v, g] = mergeExisting(vmm, left, vma, 0x3000, 0x4000, FLAGS | sp);
      expect(v).toBe(null);
      expect(g.state).toBe(VMA_MERGE_NOMERGE);
    }
    left.vmFlags = FLAGS;
    expect(cleanupMm(vmm, mm)).toBe(2);
  });

  test("test_vma_merge_with_close: a VMA with ->close is never deleted by a merge", () => {
    const { vmm, mm } = setup();
    // 0123456789
    // PPP**NNNN    next has close: only prev expands
    //             ->
    // PPPPPNNNN
    let prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    let next = allocAndLinkVma(vmm, mm, 0x5000, 0x9000, 5, FLAGS);
    next.vmOps = closeOps;
    let [v, g] = mergeNew(vmm, mm, 0x3000, 0x5000, 3);
    expect(v).toBe(prev);
    expect(g.state).toBe(VMA_MERGE_SUCCESS);
    expect(span(prev)).toEqual([0, 0x5000, 0]);
    expect(cleanupMm(vmm, mm)).toBe(2);

    //    <>
    // 0123456789
    // PPPVV        vma has close: no merge
    let m = newMm(vmm);
    prev = allocAndLinkVma(vmm, m, 0, 0x3000, 0, FLAGS);
    let vma = allocAndLinkVma(vmm, m, 0x3000, 0x5000, 3, FLAGS);
    vma.vmOps = closeOps;
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([null, VMA_MERGE_NOMERGE]);
    expect(cleanupMm(vmm, m)).toBe(2);

    //    <>
    // 0123456789
    //    VVNNNN    mirrored with next: no merge
    m = newMm(vmm);
    vma = allocAndLinkVma(vmm, m, 0x3000, 0x5000, 3, FLAGS);
    next = allocAndLinkVma(vmm, m, 0x5000, 0x9000, 5, FLAGS);
    vma.vmOps = closeOps;
    [v, g] = mergeExisting(vmm, null, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([null, VMA_MERGE_NOMERGE]);
    expect(cleanupMm(vmm, m)).toBe(2);

    //    <>
    // 0123456789
    // PPPVVNNNN    vma has close: no merge at all
    m = newMm(vmm);
    prev = allocAndLinkVma(vmm, m, 0, 0x3000, 0, FLAGS);
    vma = allocAndLinkVma(vmm, m, 0x3000, 0x5000, 3, FLAGS);
    next = allocAndLinkVma(vmm, m, 0x5000, 0x9000, 5, FLAGS);
    vma.vmOps = closeOps;
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([null, VMA_MERGE_NOMERGE]);
    expect(cleanupMm(vmm, m)).toBe(3);

    //    <>
    // 0123456789
    // PPPVVNNNN    next has close: reduced to a merge of prev and vma
    //            ->
    // PPPPPNNNN
    m = newMm(vmm);
    prev = allocAndLinkVma(vmm, m, 0, 0x3000, 0, FLAGS);
    vma = allocAndLinkVma(vmm, m, 0x3000, 0x5000, 3, FLAGS);
    next = allocAndLinkVma(vmm, m, 0x5000, 0x9000, 5, FLAGS);
    next.vmOps = closeOps;
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x5000, 0]);
    expect(cleanupMm(vmm, m)).toBe(2);
  });

  test("test_vma_merge_new_with_close: prev and next with ->close: prev expands, next stays", () => {
    //        New VMA
    //    A  v-------v  B
    // |-----|       |-----|
    //  close         close
    const { vmm, mm } = setup();
    const prev = allocAndLinkVma(vmm, mm, 0, 0x2000, 0, FLAGS);
    const next = allocAndLinkVma(vmm, mm, 0x5000, 0x7000, 5, FLAGS);
    prev.vmOps = closeOps;
    next.vmOps = closeOps;
    const [v, g] = mergeNew(vmm, mm, 0x2000, 0x5000, 2);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x5000, 0]);
    expect(prev.vmOps).toBe(closeOps);
    expect(mm.mapCount).toBe(2);
    expect(cleanupMm(vmm, mm)).toBe(2);
  });
});

describe("tools/testing/vma: test_merge_existing", () => {
  test("a changed range at either edge merges into prev or next, shrinking or deleting the VMA", () => {
    const vmm = bootVirtual();
    // Merge right case - partial span.
    //    <->
    // 0123456789
    //   VVVVNNN
    //            ->
    //   VNNNNNN
    let mm = newMm(vmm);
    const av = newAnonVma(vmm);
    let vma = allocAndLinkVma(vmm, mm, 0x2000, 0x6000, 2, FLAGS);
    vma.vmOps = closeOps; // no impact: vma is shrunk, not deleted
    let next = allocAndLinkVma(vmm, mm, 0x6000, 0x9000, 6, FLAGS);
    next.vmOps = closeOps; // no impact: next is expanded
    giveAnonVma(vmm, vma, av);
    let [v, g] = mergeExisting(vmm, vma, vma, 0x3000, 0x6000);
    expect([v, g.state]).toEqual([next, VMA_MERGE_SUCCESS]);
    expect(span(next)).toEqual([0x3000, 0x9000, 3]);
    expect(next.anonVma).toBe(av);
    expect(span(vma)).toEqual([0x2000, 0x3000, 2]);
    expect(mm.mapCount).toBe(2);
    expect(cleanupMm(vmm, mm)).toBe(2);

    // Merge right case - full span.
    //   <-->
    // 0123456789
    //   VVVVNNN
    //            ->
    //   NNNNNNN
    mm = newMm(vmm);
    const av2 = newAnonVma(vmm);
    vma = allocAndLinkVma(vmm, mm, 0x2000, 0x6000, 2, FLAGS);
    next = allocAndLinkVma(vmm, mm, 0x6000, 0x9000, 6, FLAGS);
    next.vmOps = closeOps;
    giveAnonVma(vmm, vma, av2);
    [v, g] = mergeExisting(vmm, null, vma, 0x2000, 0x6000);
    expect([v, g.state]).toEqual([next, VMA_MERGE_SUCCESS]);
    expect(span(next)).toEqual([0x2000, 0x9000, 2]);
    expect(next.anonVma).toBe(av2);
    expect(mm.mapCount).toBe(1);
    expect(cleanupMm(vmm, mm)).toBe(1);

    // Merge left case - partial span.
    //    <->
    // 0123456789
    // PPPVVVV
    //            ->
    // PPPPPPV
    mm = newMm(vmm);
    const av3 = newAnonVma(vmm);
    let prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    prev.vmOps = closeOps;
    vma = allocAndLinkVma(vmm, mm, 0x3000, 0x7000, 3, FLAGS);
    vma.vmOps = closeOps;
    giveAnonVma(vmm, vma, av3);
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x6000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x6000, 0]);
    expect(prev.anonVma).toBe(av3);
    expect(span(vma)).toEqual([0x6000, 0x7000, 6]);
    expect(mm.mapCount).toBe(2);
    expect(cleanupMm(vmm, mm)).toBe(2);

    // Merge left case - full span.
    //    <-->
    // 0123456789
    // PPPVVVV
    //            ->
    // PPPPPPP
    mm = newMm(vmm);
    const av4 = newAnonVma(vmm);
    prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    prev.vmOps = closeOps;
    vma = allocAndLinkVma(vmm, mm, 0x3000, 0x7000, 3, FLAGS);
    giveAnonVma(vmm, vma, av4);
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x7000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x7000, 0]);
    expect(prev.anonVma).toBe(av4);
    expect(mm.mapCount).toBe(1);
    expect(cleanupMm(vmm, mm)).toBe(1);

    // Merge both case.
    //    <-->
    // 0123456789
    // PPPVVVVNNN
    //             ->
    // PPPPPPPPPP
    mm = newMm(vmm);
    const av5 = newAnonVma(vmm);
    prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    prev.vmOps = closeOps;
    vma = allocAndLinkVma(vmm, mm, 0x3000, 0x7000, 3, FLAGS);
    next = allocAndLinkVma(vmm, mm, 0x7000, 0x9000, 7, FLAGS);
    giveAnonVma(vmm, vma, av5);
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x7000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x9000, 0]);
    expect(prev.anonVma).toBe(av5);
    expect(mm.mapCount).toBe(1);
    expect(cleanupMm(vmm, mm)).toBe(1);

    // Non-merge ranges: not touching either edge of the VMA.
    //     -
    //      -
    //       -
    //     <->
    //     <>
    //      <>
    // 0123456789a
    // PPPVVVVVNNN
    mm = newMm(vmm);
    prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    vma = allocAndLinkVma(vmm, mm, 0x3000, 0x8000, 3, FLAGS);
    next = allocAndLinkVma(vmm, mm, 0x8000, 0xa000, 8, FLAGS);
    for (const [s, e] of [[0x4000, 0x5000], [0x5000, 0x6000], [0x6000, 0x7000], [0x4000, 0x7000], [0x4000, 0x6000], [0x5000, 0x6000]]) {
      [v, g] = mergeExisting(vmm, vma, vma, s, e);
      expect([v, g.state]).toEqual([null, VMA_MERGE_NOMERGE]);
    }
    expect(cleanupMm(vmm, mm)).toBe(3);
  });
});
