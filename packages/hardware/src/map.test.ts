import { describe, expect, it } from "vitest";
import { Bug, MiB, GiB } from "@mmsim/base";
import { Ram } from "./ram";
import { freePgtables, lookupPte, mapPage, mapRange, unmapPage, unmapRange } from "./map";
import { PAGE_KERNEL, PAGE_READONLY, PAGE_SHARED, PAGE_NONE, PMD_SIZE, PUD_SIZE, _PAGE_PSE } from "./pgtable";
import { ACCESS_READ, ACCESS_USER, ACCESS_WRITE, WalkResult, walkPageTable } from "./walk";
import { x86Layout } from "./x86-layout";

/** A bump allocator of table pages starting at pfn 1 (frames never written read as zeros). */
function bump(limit = Infinity) {
  let next = 1;
  const a = () => (next - 1 < limit ? next++ : -1);
  a.count = () => next - 1;
  return a;
}

describe("mapPage / unmapPage", () => {
  it("builds PGD→PUD→PMD→PTE tables with _PAGE_TABLE entries for a user page", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    const alloc = bump();
    const root = 0; // pfn 0 is the PGD
    expect(mapPage(ram, root, 0x7f1234567000, 0x200000, 4096, PAGE_SHARED, 4, alloc)).toBe(true);
    expect(alloc.count()).toBe(3); // PUD, PMD and PTE tables
    expect(ram.readU32(254 * 8)).toBe(0x1000 | 0x67); // P|RW|US|A|D
    expect(ram.readU32(0x1000 + 72 * 8)).toBe(0x2067);
    expect(ram.readU32(0x2000 + 418 * 8)).toBe(0x3067);
    expect(ram.readU32(0x3000 + 359 * 8)).toBe(0x200000 | 0x27); // P|RW|US|A
    expect(ram.readU32(0x3000 + 359 * 8 + 4)).toBe(0x80000000); // NX
    const out = new WalkResult();
    expect(walkPageTable(ram, root, 0x7f1234567abc, ACCESS_WRITE | ACCESS_USER, 4, out)).toBe(true);
    expect(out.pa).toBe(0x200abc);
  });

  it("gives kernel-half tables _KERNPG_TABLE (no US)", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    const L = x86Layout(4);
    expect(mapPage(ram, 0, L.VMALLOC_START, 0x5000, 4096, PAGE_KERNEL, 4, bump())).toBe(true);
    const ref = lookupPte(ram, 0, L.VMALLOC_START, 4)!;
    expect([ref.level, ref.lo, ref.hi]).toEqual([1, 0x5000 | 0x163, 0x80000000]);
    expect(ram.readU32(((L.VMALLOC_START / 2 ** 39) % 512) * 8) & 0xfff).toBe(0x63);
  });

  it("maps 2 MiB and 1 GiB leaves with PS and walks them", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    expect(mapPage(ram, 0, 0x40000000, 0x200000, PMD_SIZE, PAGE_SHARED, 4, bump())).toBe(true);
    expect(mapPage(ram, 0, 0x80000000, 0x40000000, PUD_SIZE, PAGE_SHARED, 4, bump())).toBe(true);
    const a = lookupPte(ram, 0, 0x40000000 + 0x1000, 4)!;
    expect([a.level, a.pageSize, (a.lo & _PAGE_PSE) !== 0]).toEqual([2, PMD_SIZE, true]);
    const out = new WalkResult();
    walkPageTable(ram, 0, 0x80000000 + 0x12345, ACCESS_READ | ACCESS_USER, 4, out);
    expect([out.pa, out.pageSize]).toEqual([0x40012345, GiB]);
  });

  it("treats a remap of a present entry, or of a page inside a huge page, as a Bug", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    const alloc = bump();
    mapPage(ram, 0, 0x1000, 0x5000, 4096, PAGE_SHARED, 4, alloc);
    expect(() => mapPage(ram, 0, 0x1000, 0x6000, 4096, PAGE_SHARED, 4, alloc)).toThrow(/mapPage: remap/);
    mapPage(ram, 0, 0x400000, 0x400000, PMD_SIZE, PAGE_SHARED, 4, alloc);
    expect(() => mapPage(ram, 0, 0x401000, 0x6000, 4096, PAGE_SHARED, 4, alloc)).toThrow(/mapPage: remap/);
    expect(() => mapPage(ram, 0, 0x2000, 0x6001, 4096, PAGE_SHARED, 4, alloc)).toThrow(Bug);
  });

  it("returns false when a table cannot be allocated and writes no leaf", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    const alloc = bump(2); // PUD and PMD only, no PTE table
    expect(mapPage(ram, 0, 0x1000, 0x5000, 4096, PAGE_SHARED, 4, alloc)).toBe(false);
    expect(lookupPte(ram, 0, 0x1000, 4)).toBeNull();
    expect(walkPageTable(ram, 0, 0x1000, ACCESS_READ, 4, new WalkResult())).toBe(false);
  });

  it("a PAGE_NONE mapping is present to Linux (PROTNONE) but faults in the MMU, and cannot be remapped", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    const alloc = bump();
    mapPage(ram, 0, 0x1000, 0x5000, 4096, PAGE_NONE, 4, alloc);
    const out = new WalkResult();
    expect(walkPageTable(ram, 0, 0x1000, ACCESS_READ | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(4);
    expect(() => mapPage(ram, 0, 0x1000, 0x5000, 4096, PAGE_READONLY, 4, alloc)).toThrow(/remap/);
  });

  it("unmapPage returns the old entry, then null", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    mapPage(ram, 0, 0x1000, 0x5000, 4096, PAGE_READONLY, 4, bump());
    const old = unmapPage(ram, 0, 0x1000, 4);
    expect(old && [old.lo, old.hi, old.pageSize]).toEqual([0x5025, 0x80000000, 4096]);
    expect(unmapPage(ram, 0, 0x1000, 4)).toBeNull();
    expect(unmapPage(ram, 0, 0x7000_0000_0000, 4)).toBeNull();
  });
});

describe("ranges and freeing tables", () => {
  it("mapRange maps every page; on allocation failure it unmaps what it mapped", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    expect(mapRange(ram, 0, 0x1ff000, 0x100000, 0x3000, 4096, PAGE_SHARED, 4, bump())).toBe(true);
    expect(lookupPte(ram, 0, 0x201000, 4)!.lo & ~0xfff).toBe(0x102000);
    const ram2 = new Ram({ bytes: 8 * MiB });
    // 3 tables reach the first PTE table; crossing into the next PMD needs a 4th, which fails
    expect(mapRange(ram2, 0, 0x1ff000, 0x100000, 0x3000, 4096, PAGE_SHARED, 4, bump(3))).toBe(false);
    expect(lookupPte(ram2, 0, 0x1ff000, 4)!.lo).toBe(0);
  });

  it("unmapRange clears present entries and skips missing tables", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    const alloc = bump();
    mapRange(ram, 0, 0x1000, 0x100000, 0x4000, 4096, PAGE_SHARED, 4, alloc);
    mapPage(ram, 0, 512 * GiB, 0x200000, 4096, PAGE_SHARED, 4, alloc);
    expect(unmapRange(ram, 0, 0, 1024 * GiB, 4)).toBe(5);
    expect(unmapRange(ram, 0, 0, 1024 * GiB, 4)).toBe(0);
  });

  it("freePgtables frees tables fully inside the range and refuses tables with live leaves", () => {
    const ram = new Ram({ bytes: 8 * MiB });
    const alloc = bump();
    mapPage(ram, 0, 0x1000, 0x100000, 4096, PAGE_SHARED, 4, alloc);
    const freed: number[] = [];
    expect(() => freePgtables(ram, 0, 4, 0, 512 * GiB, (p) => freed.push(p))).toThrow(/freePgtables/);
    unmapPage(ram, 0, 0x1000, 4);
    expect(freePgtables(ram, 0, 4, 0, 512 * GiB, (p) => freed.push(p))).toBe(3);
    expect(freed).toEqual([3, 2, 1]);
    expect(ram.readU32(0)).toBe(0);
  });
});
