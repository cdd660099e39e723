// A task's loads and stores (user-access.ts): the 4- and 8-byte fast paths (one translation, an
// aligned pair as one RAM access), the page loop for everything else, and what each costs in
// TLB events: after the fault that maps a page, every access to it is one dTLB hit.
import { describe, expect, test } from "vitest";
import { bootVirtual, newMm } from "../test/boot";
import { sysMmap } from "./syscalls";
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "./mm-flags";
import { SEGV_MAPERR, SIGSEGV, SI_KERNEL } from "./fault";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const bytes = (...b: number[]) => new Uint8Array(b);

describe("user loads and stores", () => {
  test("8-byte and 4-byte accesses at every alignment read back byte for byte, across a page boundary too", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const cpu = vmm.cpus[0];
    const a = sysMmap(vmm, mm, 0, 8192, RW, ANON, null, 0);
    const eight = bytes(1, 2, 3, 4, 5, 6, 7, 8);
    // 8-aligned (one RAM pair), 4-aligned (two words), unaligned, and straddling the two pages
    for (const off of [16, 36, 51, 4092]) {
      expect(vmm.store(mm, cpu, a + off, eight)).toBeNull();
      const out = new Uint8Array(8);
      expect(vmm.load(mm, cpu, a + off, out)).toBeNull();
      expect([...out]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const one = new Uint8Array(1);
      expect(vmm.load(mm, cpu, a + off + 5, one)).toBeNull();
      expect(one[0]).toBe(6); // little-endian bytes, as the page loop stores them
    }
    expect(vmm.store(mm, cpu, a + 200, bytes(0xef, 0xbe, 0xad, 0xde))).toBeNull();
    const four = new Uint8Array(4);
    expect(vmm.load(mm, cpu, a + 200, four)).toBeNull();
    expect([...four]).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(vmm.ram.readU32(vmm.mmu!.translatePa(cpu, a + 200, 0))).toBe(0xdeadbeef);
  });

  test("after the write fault, each 8-byte access to the page is one dTLB hit and no walk", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const cpu = vmm.cpus[1];
    const a = sysMmap(vmm, mm, 0, 4096, RW, ANON, null, 0);
    expect(vmm.store(mm, cpu, a, bytes(1, 1, 1, 1, 1, 1, 1, 1))).toBeNull();
    const walks = cpu.pageWalks, hits = cpu.dtlbHits, cycles = cpu.cycles;
    const buf = new Uint8Array(8);
    for (let i = 0; i < 100; i++) {
      expect(vmm.store(mm, cpu, a + 8 * (i % 512), buf)).toBeNull();
      expect(vmm.load(mm, cpu, a + 8 * (i % 512), buf)).toBeNull();
    }
    expect([cpu.pageWalks - walks, cpu.dtlbHits - hits, cpu.cycles - cycles]).toEqual([0, 200, 200]);
  });

  test("a fault the fast path cannot resolve returns the signal and stores nothing", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const cpu = vmm.cpus[0];
    expect(vmm.store(mm, cpu, 0x10008, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toEqual({ signo: SIGSEGV, code: SEGV_MAPERR, addr: 0x10008, oom: false });
    expect(vmm.load(mm, cpu, 0x10008, new Uint8Array(4))).toEqual({ signo: SIGSEGV, code: SEGV_MAPERR, addr: 0x10008, oom: false });
  });

  test("the fast path switches CR3 and the CPU mode itself: two address spaces alternating on one CPU, and a CPU left in kernel mode", () => {
    const vmm = bootVirtual();
    const a = newMm(vmm), b = newMm(vmm);
    const cpu = vmm.cpus[0];
    const va = sysMmap(vmm, a, 0, 4096, RW, ANON, null, 0);
    expect(sysMmap(vmm, b, va, 4096, RW, ANON | MAP_FIXED, null, 0)).toBe(va); // the same address in both
    for (let i = 0; i < 4; i++) {
      expect(vmm.store(a, cpu, va + 8, bytes(0xa0 + i, 0, 0, 0, 0, 0, 0, 0xaa))).toBeNull();
      expect(cpu.cr3).toBe(a.pgd);
      expect(vmm.store(b, cpu, va + 8, bytes(0xb0 + i, 0, 0, 0, 0, 0, 0, 0xbb))).toBeNull();
      expect(cpu.cr3).toBe(b.pgd);
    }
    const out = new Uint8Array(8);
    expect(vmm.load(a, cpu, va + 8, out)).toBeNull();
    expect([out[0], out[7], cpu.cr3 === a.pgd]).toEqual([0xa3, 0xaa, true]);
    // a CPU left in kernel mode on the task's CR3: the access puts it back in user mode first
    cpu.mode = "kernel";
    expect(vmm.load(b, cpu, va + 8, out)).toBeNull();
    expect([out[0], out[7], cpu.mode]).toEqual([0xb3, 0xbb, "user"]);
  });

  test("an access to a non-canonical address is the #GP's SIGSEGV with SI_KERNEL and no address, by the fast path and the page loop", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const cpu = vmm.cpus[0];
    const gp = { signo: SIGSEGV, code: SI_KERNEL, addr: 0, oom: false };
    expect(vmm.store(mm, cpu, 2 ** 52, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toEqual(gp);
    expect(vmm.load(mm, cpu, 2 ** 48 + 3, new Uint8Array(3))).toEqual(gp);
    expect(vmm.memset(mm, cpu, 2 ** 48, 0, 4096)).toEqual(gp);
    expect([cpu.pageWalks, cpu.pageFaults]).toEqual([0, 0]);
  });
});
