import { describe, expect, it } from "vitest";
import { MiB } from "@mmsim/base";
import { Ram } from "./ram";
import { I386_PAE_PMD_PAGE_SIZE, I386_PSE_PAGE_SIZE, mapPageI386, walkPageTableI386 } from "./walk-i386";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_USER, ACCESS_WRITE, CR0_WP, WalkResult } from "./walk";
import { Cpu, PAGING_32BIT, PAGING_IA32E, PAGING_PAE } from "./cpu";
import { Mmu } from "./mmu";
import { CostModel } from "./cost";

// Tables built by hand, entry by entry (Intel SDM vol. 3A §4.3 Tables 4-4 to 4-6, §4.4 Tables
// 4-8 to 4-11): bit 0 P, 1 RW, 2 US, 5 A, 6 D, 7 PS, 8 G; PAE bit 63 XD.
const UR = ACCESS_READ | ACCESS_USER;
const UW = ACCESS_WRITE | ACCESS_USER;

function run(ram: Ram, cr3: number, va: number, access: number, pae: boolean, flags = CR0_WP, pse = true, nxe = true) {
  const out = new WalkResult();
  const ok = walkPageTableI386(ram, cr3, va, access, pae, out, flags, pse, nxe);
  return { ok, out };
}

describe("32-bit paging (2 levels, 4-byte entries)", () => {
  // va 0x08048123 (an i386 ELF's text): PGD index 0x08048123 >> 22 = 32, PTE index 0x48 = 72
  function tables() {
    const ram = new Ram({ bytes: 16 * MiB });
    ram.writeU32(0x1000 + 32 * 4, 0x2000 | 0x7); // PDE: table at 0x2000, P RW US
    ram.writeU32(0x2000 + 72 * 4, 0x5000 | 0x7); // PTE: page at 0x5000, P RW US
    return ram;
  }

  it("walks PGD then PTE to a 4 KiB page, setting A on both and D on the leaf for a write", () => {
    const ram = tables();
    const r = run(ram, 0x1000, 0x08048123, UR, false);
    expect([r.ok, r.out.pa, r.out.pageSize, r.out.level, r.out.entriesRead, r.out.user, r.out.writable, r.out.nx]).toEqual([true, 0x5123, 4096, 1, 2, true, true, false]);
    expect([ram.readU32(0x1080), ram.readU32(0x2120)]).toEqual([0x2027, 0x5027]);
    expect(run(ram, 0x1000, 0x08048ffc, UW, false).ok).toBe(true);
    expect(ram.readU32(0x2120)).toBe(0x5067);
  });

  it("faults with the x86 error codes: not present, read-only, supervisor page from user mode", () => {
    const ram = tables();
    expect(run(ram, 0x1000, 0x0c000000, UR, false).out).toMatchObject({ errorCode: 4, level: 2, entriesRead: 1 });
    ram.writeU32(0x2120, 0x5005); // P US, no RW
    expect(run(ram, 0x1000, 0x08048000, UW, false).out).toMatchObject({ errorCode: 7, level: 1, entriesRead: 2 });
    expect(run(ram, 0x1000, 0x08048000, ACCESS_WRITE, false).out.errorCode).toBe(3); // CR0.WP
    expect(run(ram, 0x1000, 0x08048000, ACCESS_WRITE, false, 0).ok).toBe(true); // WP clear
    ram.writeU32(0x2120, 0x5003); // P RW, no US
    expect(run(ram, 0x1000, 0x08048000, UR, false).out.errorCode).toBe(5);
    // no NX without PAE: a fetch from any present page is allowed
    expect(run(ram, 0x1000, 0x08048000, ACCESS_EXEC, false).ok).toBe(true);
  });

  it("maps a 4 MiB page with PS when CR4.PSE is set, with PA bits 39:32 in PDE bits 20:13", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    // va 0xc0123456 (the kernel's 3G/1G split): PGD index 768; PDE P RW PS G, page at 4 MiB
    ram.writeU32(0x1000 + 768 * 4, 0x00400000 | 0x183);
    const r = run(ram, 0x1000, 0xc0123456, ACCESS_READ, false);
    expect([r.ok, r.out.pa, r.out.pageSize, r.out.level, r.out.entriesRead, r.out.global]).toEqual([true, 0x523456, I386_PSE_PAGE_SIZE, 2, 1, true]);
    expect(run(ram, 0x1000, 0xc0123456, UR, false).out.errorCode).toBe(5);
    ram.writeU32(0x1000 + 768 * 4, 0x00400000 | (1 << 13) | 0x183); // PSE-36: PA bit 32
    expect(run(ram, 0x1000, 0xc0123456, ACCESS_READ, false).out.pa).toBe(2 ** 32 + 0x523456);
    ram.writeU32(0x1000 + 768 * 4, 0x00400000 | (1 << 21) | 0x183); // bit 21 is reserved
    expect(run(ram, 0x1000, 0xc0123456, ACCESS_READ, false).out).toMatchObject({ ok: false, errorCode: 9, level: 2 });
    // without CR4.PSE the PS bit is ignored: the PDE points at a (zero) page table
    ram.writeU32(0x1000 + 768 * 4, 0x00400000 | 0x183);
    expect(run(ram, 0x1000, 0xc0123456, ACCESS_READ, false, CR0_WP, false).out).toMatchObject({ ok: false, errorCode: 0, level: 1, entriesRead: 2 });
  });

  it("records each step with Linux's names and the VA bits that index it", () => {
    const out = new WalkResult();
    out.record = true;
    walkPageTableI386(tables(), 0x1000, 0x08048123, UR, false, out);
    expect(out.steps.map((s) => [s.name, s.vaHi, s.vaLo, s.index, s.entryPa, s.lo, s.hi])).toEqual([
      ["PGD", 31, 22, 32, 0x1080, 0x2007, 0],
      ["PTE", 21, 12, 72, 0x2120, 0x5007, 0],
    ]);
  });
});

describe("PAE paging (3 levels, 8-byte entries)", () => {
  // va 0xb7f01234: PGD (PDPT) index 2, PMD index 0x1bf = 447, PTE index 0x101 = 257.
  // The PDPT is 32-byte aligned, here at 0x1020.
  function tables() {
    const ram = new Ram({ bytes: 16 * MiB });
    ram.writeU32(0x1020 + 2 * 8, 0x3000 | 0x1); // PDPTE: P only
    ram.writeU32(0x3000 + 447 * 8, 0x4000 | 0x7); // PDE: table at 0x4000, P RW US
    ram.writeU32(0x4000 + 257 * 8, 0x5000 | 0x7); // PTE: page at 0x1_0000_5000, P RW US, XD
    ram.writeU32(0x4000 + 257 * 8 + 4, 0x80000001);
    return ram;
  }

  it("walks PDPT, PMD and PTE to a page above 4 GiB; A is set on the PMD and PTE, not on the PDPTE", () => {
    const ram = tables();
    const r = run(ram, 0x1020, 0xb7f01234, UR, true);
    expect([r.ok, r.out.pa, r.out.pageSize, r.out.level, r.out.entriesRead, r.out.nx]).toEqual([true, 0x100005234, 4096, 1, 3, true]);
    expect([ram.readU32(0x1030), ram.readU32(0x3df8), ram.readU32(0x4808)]).toEqual([0x3001, 0x4027, 0x5027]);
  });

  it("faults a fetch from an XD page, and treats XD as reserved when EFER.NXE is clear", () => {
    const ram = tables();
    expect(run(ram, 0x1020, 0xb7f01234, ACCESS_EXEC | ACCESS_USER, true).out.errorCode).toBe(0x15);
    expect(run(ram, 0x1020, 0xb7f01234, UR, true, CR0_WP, true, false).out).toMatchObject({ ok: false, errorCode: 0xd, level: 1 });
  });

  it("maps a 2 MiB page with PS in the PMD; reserved bits fault with RSVD", () => {
    const ram = tables();
    ram.writeU32(0x3000 + 447 * 8, 0x00600000 | 0x87); // P RW US PS
    const r = run(ram, 0x1020, 0xb7f01234, UR, true);
    expect([r.ok, r.out.pa, r.out.pageSize, r.out.level, r.out.entriesRead]).toEqual([true, 0x701234, I386_PAE_PMD_PAGE_SIZE, 2, 2]);
    ram.writeU32(0x3000 + 447 * 8, 0x00600000 | (1 << 13) | 0x87); // bits 20:13 reserved
    expect(run(ram, 0x1020, 0xb7f01234, UR, true).out).toMatchObject({ ok: false, errorCode: 0xd, level: 2 });
    ram.writeU32(0x1020 + 2 * 8, 0x3000 | 0x3); // RW in a PDPTE is reserved
    expect(run(ram, 0x1020, 0xb7f01234, UR, true).out).toMatchObject({ ok: false, errorCode: 0xd, level: 3, entriesRead: 1 });
  });

  it("records PGD (the PDPT), PMD and PTE with their VA bits", () => {
    const out = new WalkResult();
    out.record = true;
    walkPageTableI386(tables(), 0x1020, 0xb7f01234, UR, true, out);
    expect(out.steps.map((s) => [s.name, s.vaHi, s.vaLo, s.index, s.entryPa])).toEqual([
      ["PGD", 31, 30, 2, 0x1030], ["PMD", 29, 21, 447, 0x3df8], ["PTE", 20, 12, 257, 0x4808],
    ]);
  });
});

describe("mapPageI386", () => {
  it("builds the tables a walk then follows, in both formats, with P-only PDPTEs", () => {
    for (const pae of [false, true]) {
      const ram = new Ram({ bytes: 16 * MiB });
      let next = 0x100;
      expect(mapPageI386(ram, 0x1000, 0xbfff0000, 0x900000, 0x7, 0, pae, () => next++)).toBe(true);
      expect(mapPageI386(ram, 0x1000, 0xbfff1000, 0x901000, 0x7, 0, pae, () => next++)).toBe(true);
      expect(next).toBe(pae ? 0x102 : 0x101); // PAE: a PMD and a PTE table; 32-bit: one PTE table
      expect(run(ram, 0x1000, 0xbfff1ff8, UW, pae).out.pa).toBe(0x901ff8);
      if (pae) expect(ram.readU32(0x1000 + 2 * 8)).toBe(0x100000 | 0x1);
      else expect(ram.readU32(0x1000 + 767 * 4)).toBe(0x100000 | 0x67);
      expect(() => mapPageI386(ram, 0x1000, 0xbfff0000, 0x902000, 0x7, 0, pae, () => next++)).toThrow(/remap/);
    }
  });

  it("gives the tables of a kernel page _KERNPG_TABLE (no US)", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    let next = 0x100;
    expect(mapPageI386(ram, 0x1000, 0xc0100000, 0x100000, 0x163, 0, false, () => next++)).toBe(true);
    expect(ram.readU32(0x1000 + 768 * 4)).toBe(0x100000 | 0x63);
    expect(run(ram, 0x1000, 0xc0100000, UR, false).out.errorCode).toBe(5);
  });

  it("returns false when a table cannot be allocated", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    expect(mapPageI386(ram, 0x1000, 0x08048000, 0x5000, 0x7, 0, false, () => -1)).toBe(false);
  });
});

describe("the MMU walks in the CPU's paging mode (Cpu.pagingFormat)", () => {
  // One user page at va 0x08048000 -> pa 0x5000 in each i386 format, through mapPageI386; the
  // same translatePa call walks IA-32e, 32-bit or PAE tables depending on the CPU's mode.
  function setup(pae: boolean) {
    const ram = new Ram({ bytes: 16 * MiB });
    let next = 0x10;
    const cr3 = 0x1000;
    expect(mapPageI386(ram, cr3, 0x08048000, 0x5000, 0x27, 0, pae, () => next++)).toBe(true); // P RW US A, clean
    const mmu = new Mmu(ram, 4, new CostModel());
    const cpu = new Cpu(0);
    cpu.mode = "user";
    cpu.writeCr3(cr3);
    return { ram, mmu, cpu };
  }

  it("translatePa walks 32-bit tables on a CPU in PAGING_32BIT and PAE tables in PAGING_PAE", () => {
    for (const [format, pae] of [[PAGING_32BIT, false], [PAGING_PAE, true]] as const) {
      const { mmu, cpu } = setup(pae);
      cpu.setPagingFormat(format);
      expect(mmu.translatePa(cpu, 0x08048123, ACCESS_READ)).toBe(0x5123);
      expect([cpu.pageWalks, cpu.tlb.hits]).toEqual([1, 0]);
      expect(mmu.translatePa(cpu, 0x08048ff8, ACCESS_WRITE)).toBe(0x5ff8); // a write walks once to set D
      expect(mmu.translatePa(cpu, 0x08048010, ACCESS_WRITE)).toBe(0x5010); // then hits
      expect(cpu.pageWalks).toBe(2);
      const out = new WalkResult();
      expect(mmu.translate(cpu, 0x08049000, ACCESS_READ, out)).toBe(false);
      expect([out.errorCode, out.entriesRead, cpu.cr2]).toEqual([4, pae ? 3 : 2, 0x08049000]);
    }
  });

  it("the same tables read as IA-32e on a CPU left in PAGING_IA32E (the mode selects the walk)", () => {
    const { mmu, cpu } = setup(false);
    expect(cpu.pagingFormat).toBe(PAGING_IA32E);
    // the 32-bit PDE at 0x1000 + 32 * 4 is read as part of the 8-byte PML4 entry 16: not present
    expect(mmu.translatePa(cpu, 0x08048123, ACCESS_READ)).toBe(-1);
  });

  it("switching the paging mode flushes the TLB, global entries included (SDM §4.10.4.1)", () => {
    const { mmu, cpu } = setup(false);
    cpu.setPagingFormat(PAGING_32BIT);
    expect(mmu.translatePa(cpu, 0x08048000, ACCESS_READ)).toBe(0x5000);
    cpu.setPagingFormat(PAGING_PAE);
    expect(cpu.tlb.entries().length).toBe(0);
    expect(() => cpu.setPagingFormat(7)).toThrow(/Cpu.setPagingFormat/);
  });
});
