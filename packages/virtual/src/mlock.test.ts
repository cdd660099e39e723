// madvise's flag advices (mm/madvise.c), mlock/munlock/mlockall (mm/mlock.c) and the populate hook.
import { describe, expect, test } from "vitest";
import { bootVirtual, newMm } from "../test/boot";
import { MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE, MADV_WIPEONFORK, MAP_ANONYMOUS, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE, VM_DONTCOPY, VM_HUGEPAGE, VM_LOCKED, VM_WIPEONFORK, formatVmFlags } from "./mm-flags";
import { sysMmap } from "./syscalls";

import { doMadvise } from "./madvise";
import { doMlock, doMunlock } from "./mlock";

import { verifyVirtual } from "./verify";

import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function anon(vmm: VirtualMemory, mm: MmStruct, len: number, prot = RW, flags = ANON, addr = 0): number {
  return sysMmap(vmm, mm, addr, len, prot, flags, null, 0);
}

describe("madvise and mlock flags", () => {
  test("DONTFORK splits off the range, DOFORK merges it back; WIPEONFORK is for private anonymous memory only", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 4 * 4096);
    expect(doMadvise(vmm, mm, a + 4096, 4096, MADV_DONTFORK)).toBe(0);
    expect(mm.mapCount).toBe(3);
    expect(mm.mmMt.vmas[1].vmFlags & VM_DONTCOPY).toBe(VM_DONTCOPY);
    expect(doMadvise(vmm, mm, a + 4096, 4096, MADV_DOFORK)).toBe(0);
    expect(mm.mapCount).toBe(1);
    expect(doMadvise(vmm, mm, a, 4096, MADV_WIPEONFORK)).toBe(0);
    expect(mm.mmMt.vmas[0].vmFlags & VM_WIPEONFORK).toBe(VM_WIPEONFORK);
    const s = anon(vmm, mm, 4096, RW, MAP_SHARED | MAP_ANONYMOUS);
    expect(doMadvise(vmm, mm, s, 4096, MADV_WIPEONFORK)).toBe(-22);
    expect(doMadvise(vmm, mm, a, 4096, 999)).toBe(-22);
    verifyVirtual(vmm, [mm]);
  });

  test("a range with a hole is still advised but returns ENOMEM; HUGEPAGE sets hg", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const lo = sysMmap(vmm, mm, 0x10000000, 4096, RW, ANON, null, 0);
    sysMmap(vmm, mm, 0x10002000, 4096, RW, ANON, null, 0);
    expect(doMadvise(vmm, mm, lo, 3 * 4096, MADV_HUGEPAGE)).toBe(-12);
    expect(mm.mmMt.vmas.every((v) => (v.vmFlags & VM_HUGEPAGE) !== 0)).toBe(true);
    expect(formatVmFlags(mm.mmMt.vmas[0].vmFlags)).toBe("rd wr mr mw me ac hg ");
    verifyVirtual(vmm, [mm]);
  });

  test("mlock splits off VM_LOCKED and counts locked_vm; munlock merges back; a hole gives ENOMEM", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 4 * 4096);
    expect(doMlock(vmm, mm, a + 4096, 2 * 4096, VM_LOCKED)).toBe(0);
    expect(mm.mapCount).toBe(3);
    expect(mm.lockedVm).toBe(2);
    expect(doMunlock(vmm, mm, a, 4 * 4096)).toBe(0);
    expect(mm.mapCount).toBe(1);
    expect(mm.lockedVm).toBe(0);
    expect(doMlock(vmm, mm, a - 4096, 2 * 4096, VM_LOCKED)).toBe(-12);
    verifyVirtual(vmm, [mm]);
  });
});

describe("populate and mlockall", () => {
  test("MAP_POPULATE and MAP_LOCKED hand the new range to the populate hook", () => {
    const calls: number[][] = [];
    const vmm = bootVirtual({ hooks: { populate: (_mm, start, len) => void calls.push([start, len]) } });
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 8192, RW, ANON | 0x8000);
    const b = anon(vmm, mm, 4096, RW, ANON | MAP_LOCKED);
    anon(vmm, mm, 4096);
    expect(calls).toEqual([[a, 8192], [b, 4096]]);
  });

  test("mlockall(MCL_CURRENT|MCL_FUTURE) locks every VMA and the next mapping; munlockall undoes both", async () => {
    const { doMlockall, doMunlockall } = await import("./mlock");
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    anon(vmm, mm, 4096, PROT_READ);
    anon(vmm, mm, 2 * 4096);
    expect(doMlockall(vmm, mm, 0)).toBe(-22);
    expect(doMlockall(vmm, mm, 1 | 2)).toBe(0);
    expect(mm.lockedVm).toBe(3);
    anon(vmm, mm, 4096, RW);
    expect(mm.lockedVm).toBe(4);
    expect(mm.mmMt.vmas.every((v) => (v.vmFlags & VM_LOCKED) !== 0)).toBe(true);
    expect(doMunlockall(vmm, mm)).toBe(0);
    expect([mm.lockedVm, mm.defFlags]).toEqual([0, 0]);
    verifyVirtual(vmm, [mm]);
  });
});
