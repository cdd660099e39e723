import { describe, expect, it } from "vitest";
import { Clock, MiB } from "@mmsim/base";
import { Ram } from "./ram";
import { Cpu } from "./cpu";
import { Mmu } from "./mmu";
import { CostModel } from "./cost";
import { mapPage, lookupPte } from "./map";
import { PAGE_KERNEL, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC, _PAGE_RW } from "./pgtable";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, WalkResult } from "./walk";

function machine() {
  const ram = new Ram({ bytes: 16 * MiB });
  let next = 0x100;
  const alloc = () => next++;
  const clock = new Clock();
  const mmu = new Mmu(ram, 4, new CostModel(), clock);
  const cpu = new Cpu(0);
  cpu.writeCr3(0x1000, 1);
  cpu.mode = "user";
  return { ram, alloc, mmu, cpu, clock, out: new WalkResult() };
}

describe("Mmu.translate", () => {
  it("misses and walks first, then hits, charging cycles for each", () => {
    const { ram, alloc, mmu, cpu, out, clock } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    expect(mmu.translate(cpu, 0x400010, ACCESS_READ, out)).toBe(true);
    expect([out.pa, out.tlbHit, cpu.dtlbMisses, cpu.pageWalks, cpu.cycles]).toEqual([0x800010, false, 1, 1, 100]);
    expect(mmu.translate(cpu, 0x400020, ACCESS_READ, out)).toBe(true);
    expect([out.pa, out.tlbHit, cpu.dtlbHits, cpu.cycles]).toEqual([0x800020, true, 1, 101]);
    expect(clock.ns).toBeCloseTo(101 / 3, 9);
  });

  it("counts instruction fetches as iTLB events and faults a fetch from an NX page", () => {
    const { ram, alloc, mmu, cpu, out } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED_EXEC, 4, alloc);
    mapPage(ram, 0x1000, 0x401000, 0x801000, 4096, PAGE_SHARED, 4, alloc);
    expect(mmu.translate(cpu, 0x400000, ACCESS_EXEC, out)).toBe(true);
    expect(mmu.translate(cpu, 0x400000, ACCESS_EXEC, out)).toBe(true);
    expect([cpu.itlbMisses, cpu.itlbHits]).toEqual([1, 1]);
    expect(mmu.translate(cpu, 0x401000, ACCESS_EXEC, out)).toBe(false);
    expect([out.errorCode, cpu.cr2, cpu.pageFaults]).toEqual([0x15, 0x401000, 1]);
  });

  it("adds the USER bit in user mode only: a kernel page faults from user mode, not from kernel mode", () => {
    const { ram, alloc, mmu, cpu, out } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_KERNEL, 4, alloc);
    expect(mmu.translate(cpu, 0x400000, ACCESS_READ, out)).toBe(false);
    expect(out.errorCode).toBe(5);
    cpu.mode = "kernel";
    expect(mmu.translate(cpu, 0x400000, ACCESS_WRITE, out)).toBe(true);
  });

  it("re-walks a write that hits a read-only cached entry: an upgrade in RAM needs no flush", () => {
    const { ram, alloc, mmu, cpu, out } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_READONLY, 4, alloc);
    expect(mmu.translate(cpu, 0x400000, ACCESS_READ, out)).toBe(true);
    expect(mmu.translate(cpu, 0x400000, ACCESS_WRITE, out)).toBe(false);
    expect(out.errorCode).toBe(7);
    const pte = lookupPte(ram, 0x1000, 0x400000, 4)!;
    ram.writeU32(pte.entryPa, pte.lo | _PAGE_RW);
    expect(mmu.translate(cpu, 0x400000, ACCESS_WRITE, out)).toBe(true);
    expect(out.dirty).toBe(true);
    expect(cpu.tlb.hits).toBe(0);
  });

  it("a write that hits a clean writable entry walks once to set D, then hits", () => {
    const { ram, alloc, mmu, cpu, out } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    mmu.translate(cpu, 0x400000, ACCESS_READ, out);
    mmu.translate(cpu, 0x400000, ACCESS_WRITE, out);
    mmu.translate(cpu, 0x400000, ACCESS_WRITE, out);
    expect([cpu.pageWalks, cpu.dtlbHits]).toEqual([2, 1]);
    expect(lookupPte(ram, 0x1000, 0x400000, 4)!.lo & 0x40).toBe(0x40);
  });

  it("uses a stale TLB entry until the kernel flushes it (unmap without invlpg)", () => {
    const { ram, alloc, mmu, cpu, out } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    mmu.translate(cpu, 0x400000, ACCESS_READ, out);
    const pte = lookupPte(ram, 0x1000, 0x400000, 4)!;
    ram.writeU32(pte.entryPa, 0);
    expect(mmu.translate(cpu, 0x400000, ACCESS_READ, out)).toBe(true);
    cpu.tlb.invlpg(0x400000);
    expect(mmu.translate(cpu, 0x400000, ACCESS_READ, out)).toBe(false);
  });
});

describe("Cpu.writeCr3", () => {
  it("flushes the new PCID's non-global entries unless no-flush is set; keeps other PCIDs", () => {
    const { ram, alloc, mmu, cpu, out } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    mmu.translate(cpu, 0x400000, ACCESS_READ, out); // cached under PCID 1
    cpu.writeCr3(0x1000, 2);
    cpu.writeCr3(0x1000, 1, true);
    expect(mmu.translate(cpu, 0x400000, ACCESS_READ, out) && out.tlbHit).toBe(true);
    cpu.writeCr3(0x1000, 1);
    expect(mmu.translate(cpu, 0x400000, ACCESS_READ, out) && out.tlbHit).toBe(false);
  });

  it("without PCIDs flushes all non-global entries and keeps global ones", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    let next = 0x100;
    const alloc = () => next++;
    const mmu = new Mmu(ram, 4, new CostModel());
    const cpu = new Cpu(0, { pcid: false });
    cpu.writeCr3(0x1000);
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    mapPage(ram, 0x1000, 0x888000000000, 0x0, 4096, PAGE_KERNEL, 4, alloc);
    const out = new WalkResult();
    mmu.translate(cpu, 0x400000, ACCESS_READ, out);
    mmu.translate(cpu, 0x888000000000, ACCESS_READ, out);
    cpu.writeCr3(0x1000);
    expect(cpu.tlb.entries().map((e) => [e.vpn, e.global])).toEqual([[0x888000000000 / 4096, true]]);
    expect(() => cpu.writeCr3(0x1000, 3)).toThrow(/PCIDE/);
  });
});
