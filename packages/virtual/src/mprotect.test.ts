// mprotect at the VMA level: selftests/mm/merge.c's split-then-merge-back case, the example of
// issue 16, errnos (man 2 mprotect) and Committed_AS.
import { describe, expect, test } from "vitest";
import { bootVirtual, newMm, ranges } from "../test/boot";
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_NONE, PROT_READ, PROT_WRITE, formatVmFlags } from "./mm-flags";
import { sysMmap } from "./syscalls";
import { doMprotect } from "./mprotect";

import { verifyVirtual } from "./verify";
import { VmFile } from "./mm-types";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";

const KiB = 1024;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function anon(vmm: VirtualMemory, mm: MmStruct, len: number, prot = RW, flags = ANON, addr = 0): number {
  return sysMmap(vmm, mm, addr, len, prot, flags, null, 0);
}

describe("mprotect (selftests/mm/merge.c VMA-level cases)", () => {
  test("mprotect splits a VMA in three, and merges it back once the parts agree again", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 10 * 4096);
    expect(doMprotect(vmm, mm, a + 4 * 4096, 2 * 4096, PROT_READ)).toBe(0);
    expect(mm.mapCount).toBe(3);
    // an anonymous VMA with no anon_vma yet gives its reservation back when it stops being writable
    expect(mm.mmMt.vmas.map((v) => formatVmFlags(v.vmFlags))).toEqual(["rd wr mr mw me ac ", "rd mr mw me ", "rd wr mr mw me ac "]);
    expect(vmm.committedAs).toBe(8);
    expect(doMprotect(vmm, mm, a + 4 * 4096, 2 * 4096, RW)).toBe(0);
    expect(ranges(mm)).toEqual([`${a.toString(16)}-${(a + 10 * 4096).toString(16)}`]);
    expect(vmm.committedAs).toBe(10);
    verifyVirtual(vmm, [mm]);
  });

  test("the example of issue 16: mprotect of the upper half of a 40 KiB buffer", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const buf = anon(vmm, mm, 40 * KiB);
    expect(doMprotect(vmm, mm, buf + 20 * KiB, 20 * KiB, PROT_READ)).toBe(0);
    expect(ranges(mm)).toEqual(["7ffff7ff5000-7ffff7ffa000", "7ffff7ffa000-7ffff7fff000"]);
    verifyVirtual(vmm, [mm]);
  });

  test("errnos: EINVAL unaligned, ENOMEM for a hole, EACCES beyond VM_MAYWRITE of a read-only shared file", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 4096);
    expect(doMprotect(vmm, mm, a + 1, 4096, PROT_READ)).toBe(-22);
    expect(doMprotect(vmm, mm, a - 4096, 8192, PROT_READ)).toBe(-12);
    expect(doMprotect(vmm, mm, a, 4096, 0x10)).toBe(-22);
    const f = sysMmap(vmm, mm, 0, 4096, PROT_READ, MAP_SHARED, new VmFile("/ro"), 0);
    expect(doMprotect(vmm, mm, f, 4096, RW)).toBe(-13);
    expect(doMprotect(vmm, mm, a, 0, PROT_NONE)).toBe(0);
    verifyVirtual(vmm, [mm]);
  });

  test("making a read-only private mapping writable charges Committed_AS and sets VM_ACCOUNT", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 4 * 4096, PROT_READ);
    expect(vmm.committedAs).toBe(0);
    expect(doMprotect(vmm, mm, a, 2 * 4096, RW)).toBe(0);
    expect(vmm.committedAs).toBe(2);
    expect(mm.dataVm).toBe(2);
    verifyVirtual(vmm, [mm]);
  });
});
