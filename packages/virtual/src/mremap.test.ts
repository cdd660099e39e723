// mremap (mm/mremap.c: shrink, grow in place, move, MREMAP_FIXED, errnos) and brk (mm/mmap.c).
import { describe, expect, test } from "vitest";
import { bootVirtual, newMm, ranges } from "../test/boot";
import { MAP_ANONYMOUS, MAP_PRIVATE, MREMAP_FIXED, MREMAP_MAYMOVE, PROT_READ, PROT_WRITE } from "./mm-flags";
import { sysMmap } from "./syscalls";

import { doMremap } from "./mremap";
import { doBrk } from "./brk";

import { verifyVirtual } from "./verify";


const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const BASE = 0x7ffff7fff000;

describe("mremap (mm/mremap.c)", () => {
  test("shrinking unmaps the tail; growing into free space expands in place", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0x10000000, 4 * 4096, RW, ANON, null, 0);
    expect(doMremap(vmm, mm, a, 4 * 4096, 2 * 4096, 0)).toBe(a);
    expect(mm.totalVm).toBe(2);
    expect(doMremap(vmm, mm, a, 2 * 4096, 8 * 4096, 0)).toBe(a);
    expect(ranges(mm)).toEqual(["10000000-10008000"]);
    expect(vmm.committedAs).toBe(8);
    verifyVirtual(vmm, [mm]);
  });

  test("blocked growth: ENOMEM without MREMAP_MAYMOVE, a move with it", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0x10000000, 2 * 4096, RW, ANON, null, 0);
    sysMmap(vmm, mm, 0x10002000, 4096, PROT_READ, ANON, null, 0);
    expect(doMremap(vmm, mm, a, 2 * 4096, 4 * 4096, 0)).toBe(-12);
    const b = doMremap(vmm, mm, a, 2 * 4096, 4 * 4096, MREMAP_MAYMOVE);
    expect(b).toBe(BASE - 4 * 4096);
    expect(mm.mmMt.vmaLookup(a)).toBe(null);
    expect(mm.totalVm).toBe(5);
    expect(vmm.committedAs).toBe(4);
    verifyVirtual(vmm, [mm]);
  });

  test("MREMAP_FIXED moves to the given address; errnos EINVAL, EFAULT", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0x10000000, 2 * 4096, RW, ANON, null, 0);
    expect(doMremap(vmm, mm, a, 4096, 4096, MREMAP_FIXED, 0x20000000)).toBe(-22); // FIXED without MAYMOVE
    expect(doMremap(vmm, mm, a, 4096, 0, MREMAP_MAYMOVE)).toBe(-22); // new_len 0
    expect(doMremap(vmm, mm, a + 1, 4096, 4096, 0)).toBe(-22);
    expect(doMremap(vmm, mm, 0x30000000, 4096, 8192, 0)).toBe(-14); // nothing mapped
    expect(doMremap(vmm, mm, a, 3 * 4096, 4 * 4096, MREMAP_MAYMOVE)).toBe(-14); // beyond the VMA
    expect(doMremap(vmm, mm, a, 2 * 4096, 2 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED, a + 4096)).toBe(-22); // overlap
    expect(doMremap(vmm, mm, a, 2 * 4096, 2 * 4096, MREMAP_MAYMOVE | MREMAP_FIXED, 0x20000000)).toBe(0x20000000);
    expect(ranges(mm)).toEqual(["20000000-20002000"]);
    expect(vmm.committedAs).toBe(2);
    verifyVirtual(vmm, [mm]);
  });
});

describe("brk", () => {
  test("the heap grows in one VMA, refuses to come near the next mapping, and shrinks", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    mm.startBrk = mm.brk = 0x555555559000;
    expect(doBrk(vmm, mm, 0x55555557a000)).toBe(0x55555557a000);
    expect(doBrk(vmm, mm, 0x55555557c000)).toBe(0x55555557c000);
    expect(ranges(mm)).toEqual(["555555559000-55555557c000"]);
    sysMmap(vmm, mm, 0x555555700000, 4096, RW, ANON, null, 0);
    // the break must stay a page below the next VMA (and stack_guard_gap below a stack): refused,
    // the old break is returned; one page below is fine
    expect(doBrk(vmm, mm, 0x555555700000)).toBe(0x55555557c000);
    expect(doBrk(vmm, mm, 0x5555556ff000)).toBe(0x5555556ff000);
    expect(doBrk(vmm, mm, 0x555555560001)).toBe(0x555555560001);
    expect(ranges(mm)[0]).toBe("555555559000-555555561000");
    expect(doBrk(vmm, mm, 0x555555000000)).toBe(0x555555560001);
    expect(mm.dataVm).toBe(9);
    verifyVirtual(vmm, [mm]);
  });
});
