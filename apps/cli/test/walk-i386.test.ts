// mmsim walk --arch i386 [--pae]: the 32-bit page walks of Intel SDM vol. 3A §4.3 and §4.4,
// shown as the x86-64 walk is (cli.test.ts), run through the built binary.
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

describe("mmsim walk --arch i386", () => {
  it("walks 32-bit paging: PGD[31:22], PTE[21:12], 4-byte entries, then hits the TLB", () => {
    const r = mmsim(["walk", "--arch", "i386", "0x08048123"]);
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out.split("\n")[0]).toBe("Page walk of 08048123 (i386 32-bit paging, 2 levels, 32-bit virtual addresses)");
    // 0x08048123: VA[31:22] = 32, VA[21:12] = 0x48 = 72, offset 0x123
    expect(out).toMatch(/^\s+VA\[31:22\]\s+VA\[21:12\]\s+VA\[11:0\]$/m);
    expect(out).toMatch(/^\s+PGD\s+PTE\s+offset$/m);
    expect(out).toMatch(/^\s+32\s+72\s+0x123$/m);
    // a user page: _PAGE_TABLE in the PGD entry, PAGE_SHARED without NX (no NX bit without PAE)
    expect(out).toMatch(/^ {2}PGD index {3}32: entry at 0x[0-9a-f]{12} = 0x[0-9a-f]{5}067 {2}\[P RW US A D\] → next table/m);
    expect(out).toMatch(/^ {2}PTE index {3}72: entry at 0x[0-9a-f]{12} = 0x[0-9a-f]{5}027 {2}\[P RW US A\] → page/m);
    expect(out).toContain("1st access: TLB miss, page walk read 2 entries (50 cycles)");
    expect(out).toContain("2nd access: TLB hit, no memory read for translation (1 cycle)");
    expect(out).toContain("TLB counters: 1 hit, 1 miss");
  });

  it("walks PAE paging: the 4-entry PDPT, PMD and PTE with 8-byte entries and NX", () => {
    const out = mmsim(["walk", "--arch", "i386", "--pae", "b7f01234"]).stdout;
    expect(out.split("\n")[0]).toBe("Page walk of b7f01234 (i386 PAE paging, 3 levels, 32-bit virtual addresses)");
    expect(out).toMatch(/^\s+VA\[31:30\]\s+VA\[29:21\]\s+VA\[20:12\]\s+VA\[11:0\]$/m);
    expect(out).toMatch(/^\s+2\s+447\s+257\s+0x234$/m);
    expect(out).toMatch(/^ {2}PGD index {3}2: entry at 0x[0-9a-f]{12} = 0x0{8}[0-9a-f]{5}001 {2}\[P\] → next table/m);
    expect(out).toMatch(/^ {2}PTE index 257: entry at 0x[0-9a-f]{12} = 0x80000000[0-9a-f]{5}027 {2}\[P RW US A NX\] → page/m);
    expect(out).toContain("page walk read 3 entries (75 cycles)");
  });

  it("maps an address above PAGE_OFFSET (0xc0000000) as a kernel page: global, no US anywhere", () => {
    const out = mmsim(["walk", "--arch", "i386", "c0100000"]).stdout;
    expect(out).toMatch(/^ {2}PGD index {2}768: .* \[P RW A D\] → next table/m);
    expect(out).toMatch(/^ {2}PTE index {2}256: .* \[P RW A D G\] → page/m);
  });

  it("rejects bad input with exit status 2", () => {
    const cases: [string[], RegExp][] = [
      [["walk", "--arch", "i386", "0x100000000"], /^mmsim: invalid virtual address "0x100000000": expected a 32-bit address/],
      [["walk", "--arch", "arm64", "0x1000"], /^mmsim: invalid --arch "arm64": expected x86_64 or i386/],
      [["walk", "--pae", "0x1000"], /^mmsim: --pae needs --arch i386/],
      [["walk", "--arch", "i386", "--levels", "5", "0x1000"], /^mmsim: --levels is for x86_64/],
    ];
    for (const [args, message] of cases) {
      const r = mmsim(args);
      expect([r.status, r.stdout]).toEqual([2, ""]);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe("mmsim boot --arch i386 [--pae]", () => {
  it("names the tasks' paging: 2 levels, or PAE's 3 with --pae; --pae needs --arch i386", () => {
    expect(mmsim(["boot", "--arch", "i386", "--ram", "1GiB"]).stdout.split("\n")[0]).toBe("Booted i386 machine: 1GiB RAM, 2 CPUs, 1 node, 2-level paging");
    expect(mmsim(["boot", "--arch", "i386", "--pae", "--ram", "1GiB"]).stdout.split("\n")[0]).toBe("Booted i386 machine: 1GiB RAM, 2 CPUs, 1 node, PAE paging (3 levels)");
    const r = mmsim(["boot", "--pae"]);
    expect([r.status, r.stderr]).toEqual([2, "mmsim: --pae: PAE is an i386 paging mode: give arch: i386 with it\n"]);
  });
});
