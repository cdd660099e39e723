import { describe, expect, it } from "vitest";
import { Clock, MiB } from "@mmsim/base";
import { Ram } from "./ram";
import { Cpu, PAGING_32BIT } from "./cpu";
import { MMU_FAULT_GP, Mmu, rightsRule } from "./mmu";
import { CostModel } from "./cost";
import { mapPage, lookupPte } from "./map";
import { PAGE_KERNEL, PAGE_READONLY, PAGE_SHARED, PAGE_SHARED_EXEC, _PAGE_RW } from "./pgtable";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, CR0_WP, CR4_SMAP, CR4_SMEP, WalkResult, X86_PF_INSTR, X86_PF_USER, X86_PF_WRITE } from "./walk";

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

  it("a fault drops the faulting page's entry as x86 does (SDM 4.10.4.1), after a denied hit and not after a plain miss", () => {
    const { ram, alloc, mmu, cpu, out } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_READONLY, 4, alloc);
    mapPage(ram, 0x1000, 0x401000, 0x801000, 4096, PAGE_READONLY, 4, alloc);
    mmu.translate(cpu, 0x400000, ACCESS_READ, out);
    mmu.translate(cpu, 0x401000, ACCESS_READ, out);
    expect(cpu.tlb.size).toBe(2);
    const flushes = cpu.tlb.flushes; // the CR3 write's; a fault's drop is not a flush operation
    expect(mmu.translate(cpu, 0x400000, ACCESS_WRITE, out)).toBe(false); // denied hit, walk faults: entry dropped
    expect([cpu.tlb.size, cpu.tlb.flushes]).toEqual([1, flushes]);
    expect(mmu.translate(cpu, 0x402000, ACCESS_READ, out)).toBe(false); // plain miss: nothing to drop
    expect([cpu.tlb.size, cpu.tlb.flushes]).toEqual([1, flushes]);
    expect(mmu.translate(cpu, 0x400000, ACCESS_READ, out)).toBe(true); // walks again
    expect(mmu.translate(cpu, 0x401000, ACCESS_READ, out) && out.tlbHit).toBe(true);
    expect([cpu.pageWalks, cpu.pageFaults, cpu.tlb.hits]).toEqual([5, 2, 1]);
    cpu.tlb.verify();
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

/** Clears the PTE of va in RAM (an unmap whose TLB flush has not happened yet). */
function ramZeroPte(m: ReturnType<typeof machine>, va: number): void {
  m.ram.writeU32(lookupPte(m.ram, 0x1000, va, 4)!.entryPa, 0);
}

describe("Mmu.translatePa", () => {
  it("returns the physical address on a miss and on a hit, and -1 with CR2 and the error code on a fault", () => {
    const { ram, alloc, mmu, cpu } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    expect(mmu.translatePa(cpu, 0x400010, ACCESS_READ)).toBe(0x800010);
    expect(mmu.translatePa(cpu, 0x400ff8, ACCESS_WRITE)).toBe(0x800ff8); // D clear: walks once more
    expect(mmu.translatePa(cpu, 0x400020, ACCESS_WRITE)).toBe(0x800020);
    expect([cpu.dtlbMisses, cpu.dtlbHits, cpu.pageWalks, cpu.tlb.hits, cpu.tlb.misses, cpu.cycles]).toEqual([2, 1, 2, 1, 2, 201]);
    // not present, user read: error code USER (4), as trap_pf.h numbers it
    expect(mmu.translatePa(cpu, 0x401000, ACCESS_READ)).toBe(-1);
    expect([cpu.lastFaultCode, cpu.cr2, cpu.pageFaults, cpu.cycles]).toEqual([4, 0x401000, 1, 201 + 100 + 600]);
  });

  it("a non-canonical address is a #GP (SDM 4.5.1): -1 with MMU_FAULT_GP, no walk, no page fault, CR2 kept; the fault entry is charged", () => {
    const { mmu, cpu } = machine();
    cpu.cr2 = 0x1234;
    for (const va of [2 ** 48, 2 ** 52, 2 ** 53 - 1, -4096, 4096.5]) {
      expect(mmu.translatePa(cpu, va, ACCESS_READ)).toBe(-1);
      expect(cpu.lastFaultCode).toBe(MMU_FAULT_GP);
    }
    expect([cpu.pageWalks, cpu.dtlbMisses, cpu.pageFaults, cpu.cr2, cpu.cycles]).toEqual([0, 0, 0, 0x1234, 5 * 600]);
    // 32-bit paging: anything at or above 4 GiB
    cpu.setPagingFormat(PAGING_32BIT);
    expect(mmu.translatePa(cpu, 2 ** 32, ACCESS_WRITE)).toBe(-1);
    expect([cpu.lastFaultCode, cpu.pageWalks]).toEqual([MMU_FAULT_GP, 0]);
  });

  it("retryPa gives translatePa's result and counts, skipping the probe only while the fault's page can have no entry", () => {
    // Two identical machines run the same accesses; b retries with retryPa where a uses translatePa.
    const a = machine(), b = machine();
    const counts = (m: ReturnType<typeof machine>) =>
      [m.cpu.dtlbMisses, m.cpu.dtlbHits, m.cpu.pageWalks, m.cpu.pageFaults, m.cpu.tlb.hits, m.cpu.tlb.misses, m.cpu.tlb.size, m.cpu.cycles, m.cpu.cr2];
    const both = (f: (m: ReturnType<typeof machine>, retry: (va: number, acc: number) => number) => void) => {
      f(a, (va, acc) => a.mmu.translatePa(a.cpu, va, acc));
      f(b, (va, acc) => b.mmu.retryPa(b.cpu, va, acc));
      expect(counts(b)).toEqual(counts(a));
    };
    // a not-present fault, then the "handler" maps the page and the access runs again
    both((m, retry) => {
      expect(m.mmu.translatePa(m.cpu, 0x400008, ACCESS_WRITE)).toBe(-1);
      mapPage(m.ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, m.alloc);
      expect(retry(0x400008, ACCESS_WRITE)).toBe(0x800008);
    });
    // the retried access now hits: the fill ended the skip
    both((_m, retry) => expect(retry(0x400008, ACCESS_WRITE)).toBe(0x800008));
    // a denied hit (write to a read-only page) faults and drops the entry; the retry walks again
    both((m, retry) => {
      mapPage(m.ram, 0x1000, 0x401000, 0x801000, 4096, PAGE_READONLY, 4, m.alloc);
      expect(m.mmu.translatePa(m.cpu, 0x401000, ACCESS_READ)).toBe(0x801000);
      expect(m.mmu.translatePa(m.cpu, 0x401000, ACCESS_WRITE)).toBe(-1);
      expect(retry(0x401000, ACCESS_WRITE)).toBe(-1);
      expect(retry(0x401000, ACCESS_READ)).toBe(0x801000);
    });
    // a fault, then a fill of another page by the handler: the retry probes (and hits what is there)
    both((m, retry) => {
      expect(m.mmu.translatePa(m.cpu, 0x402000, ACCESS_READ)).toBe(-1);
      mapPage(m.ram, 0x1000, 0x402000, 0x802000, 4096, PAGE_SHARED, 4, m.alloc);
      expect(m.mmu.translatePa(m.cpu, 0x402000 + 8, ACCESS_READ)).toBe(0x802008);
      expect(retry(0x402000, ACCESS_READ)).toBe(0x802000);
    });
    // a fault under PCID 2, then back to PCID 1, whose stale entry still maps the page: the retry hits it
    both((m, retry) => {
      ramZeroPte(m, 0x400000); // unmapped in RAM, no flush: PCID 1's entry stays
      m.cpu.writeCr3(0x1000, 2, true);
      expect(m.mmu.translatePa(m.cpu, 0x400000, ACCESS_READ)).toBe(-1);
      m.cpu.writeCr3(0x1000, 1, true);
      expect(retry(0x400000, ACCESS_READ)).toBe(0x800000);
    });
    a.cpu.tlb.verify();
    b.cpu.tlb.verify();
  });

  it("charges each hit at the tlbHit of the MMU that last walked for the CPU", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    let next = 0x100;
    const alloc = () => next++;
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    mapPage(ram, 0x1000, 0x401000, 0x801000, 4096, PAGE_SHARED, 4, alloc);
    const slow = new Mmu(ram, 4, new CostModel({ tlbHit: 3, walkLevel: 10 }));
    const fast = new Mmu(ram, 4, new CostModel());
    const cpu = new Cpu(0);
    cpu.writeCr3(0x1000, 1);
    slow.translatePa(cpu, 0x400000, ACCESS_READ); // 4 levels x 10
    slow.translatePa(cpu, 0x400000, ACCESS_READ);
    slow.translatePa(cpu, 0x400000, ACCESS_READ);
    expect(cpu.cycles).toBe(40 + 2 * 3);
    fast.translatePa(cpu, 0x401000, ACCESS_READ); // 4 levels x 25; hits from now on cost 1
    fast.translatePa(cpu, 0x400000, ACCESS_READ);
    expect(cpu.cycles).toBe(46 + 100 + 1);
    cpu.chargeCycles(7);
    expect(cpu.cycles).toBe(154);
  });
});

describe("Mmu.translateI386", () => {
  it("walks 32-bit tables from CR3 on a miss (2 entries, 50 cycles), then hits the TLB", () => {
    const { ram, mmu, cpu, out } = machine(); // CR3 = 0x1000, PCID 1, user mode
    ram.writeU32(0x1000 + 32 * 4, 0x2000 | 0x7); // PGD index 32: table at 0x2000, P RW US
    ram.writeU32(0x2000 + 72 * 4, 0x5000 | 0x7); // PTE index 72: page at 0x5000
    expect(mmu.translateI386(cpu, 0x08048123, ACCESS_READ, false, out)).toBe(true);
    expect([out.pa, out.tlbHit, out.entriesRead, cpu.cycles]).toEqual([0x5123, false, 2, 50]);
    expect(mmu.translateI386(cpu, 0x08048ff0, ACCESS_READ, false, out)).toBe(true);
    expect([out.pa, out.tlbHit, cpu.cycles, cpu.dtlbHits]).toEqual([0x5ff0, true, 51, 1]);
    expect(mmu.translateI386(cpu, 0x08049000, ACCESS_READ, false, out)).toBe(false);
    expect([out.errorCode, cpu.cr2]).toEqual([4, 0x08049000]);
  });

  it("caches a 4 MiB page as the 2 MiB half holding the address", () => {
    const { ram, mmu, cpu, out } = machine();
    cpu.mode = "kernel";
    ram.writeU32(0x1000 + 768 * 4, 0x00400000 | 0x183); // 0xc0000000: 4 MiB page at 4 MiB, global
    expect(mmu.translateI386(cpu, 0xc0123456, ACCESS_READ, false, out) && out.pageSize).toBe(4 * MiB);
    expect(cpu.tlb.entries().map((e) => [e.pageSize, e.vpn, e.pa, e.global])).toEqual([[2 * MiB, 0xc0000000 / (2 * MiB), 0x400000, true]]);
    expect(mmu.translateI386(cpu, 0xc01ffff8, ACCESS_READ, false, out) && out.tlbHit).toBe(true);
    expect(mmu.translateI386(cpu, 0xc0200000, ACCESS_READ, false, out) && !out.tlbHit && out.pa).toBe(0x600000);
    expect(cpu.pageWalks).toBe(2);
  });
});

describe("Cpu.mode", () => {
  it("reads back what was set, and keeps the USER bit beside the paging flags in accBits", () => {
    const cpu = new Cpu(0, { smap: true });
    expect(cpu.mode).toBe("kernel");
    expect(cpu.accBits).toBe((CR0_WP | CR4_SMAP) << 5);
    cpu.mode = "user";
    expect([cpu.mode, cpu.accBits]).toEqual(["user", ((CR0_WP | CR4_SMAP) << 5) | X86_PF_USER]);
    cpu.mode = "kernel";
    expect([cpu.mode, cpu.accBits]).toEqual(["kernel", (CR0_WP | CR4_SMAP) << 5]);
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

describe("rightsRule (the TLB-hit rights check as one mask)", () => {
  // The rules of SDM §4.6 written out plainly, as translate() applied them before the table.
  function reference(e: { writable: boolean; user: boolean; nx: boolean; dirty: boolean }, acc: number, flags: number): boolean {
    const write = (acc & X86_PF_WRITE) !== 0;
    const fetch = (acc & X86_PF_INSTR) !== 0;
    if (write && !e.dirty) return false;
    if ((acc & X86_PF_USER) !== 0) return e.user && (!write || e.writable) && (!fetch || !e.nx);
    if (write && !e.writable && (flags & CR0_WP) !== 0) return false;
    if (fetch && e.nx) return false;
    if (e.user && ((fetch && (flags & CR4_SMEP) !== 0) || (!fetch && (flags & CR4_SMAP) !== 0))) return false;
    return true;
  }

  it("agrees with the plain rules for every access kind, paging-flag set and entry rights", () => {
    let checked = 0;
    for (let acc = 0; acc < 32; acc++) {
      if ((acc & ~(X86_PF_WRITE | X86_PF_USER | X86_PF_INSTR)) !== 0) continue;
      for (let flags = 0; flags < 8; flags++) {
        const r = rightsRule(acc, flags);
        for (let rights = 0; rights < 64; rights += 2) {
          const w = new WalkResult();
          w.rights = rights;
          expect(((rights | 1) & r) === r >>> 8, `acc ${acc} flags ${flags} rights ${rights}`).toBe(reference(w, acc, flags));
          checked++;
        }
      }
    }
    expect(checked).toBe(8 * 8 * 32);
  });

  it("advances the clock on a hit by exactly what Clock.advanceCycles would", () => {
    const { ram, alloc, mmu, cpu, out, clock } = machine();
    mapPage(ram, 0x1000, 0x400000, 0x800000, 4096, PAGE_SHARED, 4, alloc);
    mmu.translate(cpu, 0x400000, ACCESS_READ, out);
    const reference = new Clock();
    reference.advanceCycles(100);
    for (let i = 0; i < 7; i++) {
      mmu.translate(cpu, 0x400008, ACCESS_READ, out);
      reference.advanceCycles(1);
    }
    expect(clock.ns).toBe(reference.ns);
  });
});
