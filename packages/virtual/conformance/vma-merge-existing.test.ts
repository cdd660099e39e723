// Linux's VMA merge tests (tools/testing/vma/vma.c), part 2: anon_vma compatibility and
// duplication, vma_merge_extend, copy_vma and the expand-only mode.
// Maps are drawn as in that file: one column per page from 0, '*' or <-> for the range.
import { describe, expect, test } from "vitest";
import { allocAndLinkVma, bootVirtual, newMm } from "../test/boot";
import { FLAGS, cleanupMm, giveAnonVma, mergeExisting, mergeNew, newAnonVma, setup, span } from "../test/vma-cases";
import { VMA_MERGE_SUCCESS, VmaMergeStruct, vmaExpand, vmaMergeNewRange } from "../src/vma-merge";
import { copyVma, vmaMergeExtend } from "../src/vma";

describe("tools/testing/vma: anon_vma compatibility", () => {
  test("test_anon_vma_non_mergeable: prev and next with different anon_vmas: only prev merges", () => {
    const vmm = bootVirtual();
    //    <-->
    // 0123456789
    // PPPVVVVNNN
    //            ->
    // PPPPPPPNNN
    let mm = newMm(vmm);
    let prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    const vma = allocAndLinkVma(vmm, mm, 0x3000, 0x7000, 3, FLAGS);
    let next = allocAndLinkVma(vmm, mm, 0x7000, 0x9000, 7, FLAGS);
    giveAnonVma(vmm, prev, newAnonVma(vmm));
    giveAnonVma(vmm, next, newAnonVma(vmm));
    let [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x7000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x7000, 0]);
    expect(span(next)).toEqual([0x7000, 0x9000, 7]);
    expect(cleanupMm(vmm, mm)).toBe(2);

    // The new-VMA case is equivalent.
    //    <-->
    // 0123456789
    // PPP****NNN
    //            ->
    // PPPPPPPNNN
    mm = newMm(vmm);
    prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    next = allocAndLinkVma(vmm, mm, 0x7000, 0x9000, 7, FLAGS);
    giveAnonVma(vmm, prev, newAnonVma(vmm));
    giveAnonVma(vmm, next, newAnonVma(vmm));
    [v, g] = mergeNew(vmm, mm, 0x3000, 0x7000, 3);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x7000, 0]);
    expect(cleanupMm(vmm, mm)).toBe(2);
  });

  test("test_dup_anon_vma: the surviving VMA takes (clones) the anon_vma of a VMA it absorbs", () => {
    const vmm = bootVirtual();
    // Expanding over next duplicates next's anon_vma into the expanded VMA.
    let mm = newMm(vmm);
    let prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    let next = allocAndLinkVma(vmm, mm, 0x3000, 0x5000, 3, FLAGS);
    let av = newAnonVma(vmm);
    giveAnonVma(vmm, next, av);
    const g0 = VmaMergeStruct.forRange(mm, 0, 0x5000, FLAGS, 0);
    g0.target = prev;
    g0.next = next;
    expect(vmaExpand(vmm, g0)).toBe(0);
    expect(prev.anonVma).toBe(av);
    expect(prev.anonVmaChain.map((c) => c.anonVma)).toEqual([av]); // was_cloned
    expect(cleanupMm(vmm, mm)).toBe(1);

    //         |<----->|
    // |-------*********-------|
    //   prev     vma     next
    //  extend   delete  delete       next has the anon_vma
    mm = newMm(vmm);
    prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    let vma = allocAndLinkVma(vmm, mm, 0x3000, 0x5000, 3, FLAGS);
    next = allocAndLinkVma(vmm, mm, 0x5000, 0x8000, 5, FLAGS);
    av = newAnonVma(vmm);
    giveAnonVma(vmm, next, av);
    let [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x8000, 0]);
    expect(prev.anonVma).toBe(av);
    expect(prev.anonVmaChain.length).toBe(1);
    expect(cleanupMm(vmm, mm)).toBe(1);

    //         |<----->|
    // |-------*********-------|
    //   prev     vma     next
    //  extend   delete  delete       vma has the anon_vma
    mm = newMm(vmm);
    prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    vma = allocAndLinkVma(vmm, mm, 0x3000, 0x5000, 3, FLAGS);
    next = allocAndLinkVma(vmm, mm, 0x5000, 0x8000, 5, FLAGS);
    av = newAnonVma(vmm);
    giveAnonVma(vmm, vma, av);
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x8000, 0]);
    expect(prev.anonVma).toBe(av);
    expect(cleanupMm(vmm, mm)).toBe(1);

    //         |<----->|
    // |-------*************
    //   prev       vma
    //  extend shrink/delete
    mm = newMm(vmm);
    prev = allocAndLinkVma(vmm, mm, 0, 0x3000, 0, FLAGS);
    vma = allocAndLinkVma(vmm, mm, 0x3000, 0x8000, 3, FLAGS);
    av = newAnonVma(vmm);
    giveAnonVma(vmm, vma, av);
    [v, g] = mergeExisting(vmm, prev, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0, 0x5000, 0]);
    expect(prev.anonVma).toBe(av);
    expect(cleanupMm(vmm, mm)).toBe(2);

    //     |<----->|
    // *************-------|
    //      vma       next
    // shrink/delete extend
    mm = newMm(vmm);
    vma = allocAndLinkVma(vmm, mm, 0, 0x5000, 0, FLAGS);
    next = allocAndLinkVma(vmm, mm, 0x5000, 0x8000, 5, FLAGS);
    av = newAnonVma(vmm);
    giveAnonVma(vmm, vma, av);
    [v, g] = mergeExisting(vmm, vma, vma, 0x3000, 0x5000);
    expect([v, g.state]).toEqual([next, VMA_MERGE_SUCCESS]);
    expect(span(next)).toEqual([0x3000, 0x8000, 3]);
    expect(next.anonVma).toBe(av);
    expect(cleanupMm(vmm, mm)).toBe(2);
  });
});

describe("tools/testing/vma: extend, copy, expand-only", () => {
  test("test_merge_extend: extending into the gap up to the next VMA merges the two", () => {
    // <->
    // *  *
    const { vmm, mm } = setup();
    const vma = allocAndLinkVma(vmm, mm, 0, 0x1000, 0, FLAGS);
    allocAndLinkVma(vmm, mm, 0x3000, 0x4000, 3, FLAGS);
    expect(vmaMergeExtend(vmm, vma, 0x2000)).toBe(vma);
    expect(span(vma)).toEqual([0, 0x4000, 0]);
    expect(mm.mapCount).toBe(1);
    expect(cleanupMm(vmm, mm)).toBe(1);
  });

  test("test_copy_vma: a copy moved backwards stays separate; one moved next to a VMA merges with it", () => {
    const vmm = bootVirtual();
    let mm = newMm(vmm);
    let vma = allocAndLinkVma(vmm, mm, 0x3000, 0x5000, 3, FLAGS);
    let r = copyVma(vmm, vma, 0, 0x2000, 0)!;
    expect(r[0]).not.toBe(vma);
    expect(span(r[0])).toEqual([0, 0x2000, 0]);
    expect(cleanupMm(vmm, mm)).toBe(2);

    mm = newMm(vmm);
    vma = allocAndLinkVma(vmm, mm, 0, 0x2000, 0, FLAGS);
    const next = allocAndLinkVma(vmm, mm, 0x6000, 0x8000, 6, FLAGS);
    r = copyVma(vmm, vma, 0x4000, 0x2000, 4)!;
    expect(r[0]).toBe(next);
    expect(span(next)).toEqual([0x4000, 0x8000, 4]);
    expect(cleanupMm(vmm, mm)).toBe(2);
  });

  test("test_expand_only_mode: VMG_FLAG_JUST_EXPAND expands prev without looking further", () => {
    const { vmm, mm } = setup();
    allocAndLinkVma(vmm, mm, 0, 0x2000, 0, FLAGS);
    const prev = allocAndLinkVma(vmm, mm, 0x3000, 0x5000, 3, FLAGS);
    const g = VmaMergeStruct.forRange(mm, 0x5000, 0x9000, FLAGS, 5);
    g.prev = prev;
    g.justExpand = true;
    const v = vmaMergeNewRange(vmm, g);
    expect([v, g.state]).toEqual([prev, VMA_MERGE_SUCCESS]);
    expect(span(prev)).toEqual([0x3000, 0x9000, 3]);
    expect(cleanupMm(vmm, mm)).toBe(2);
  });
});
