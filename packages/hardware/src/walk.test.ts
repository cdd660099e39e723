import { describe, expect, it } from "vitest";
import { MiB } from "@mmsim/base";
import { Ram } from "./ram";
import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_USER, ACCESS_WRITE, CR0_WP, CR4_SMAP, CR4_SMEP, RIGHT_DIRTY, RIGHT_WRITABLE, WalkResult,
  describeErrorCode, walkPageTable,
} from "./walk";
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_NX_HI, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER } from "./pgtable";

const P = _PAGE_PRESENT, RW = _PAGE_RW, US = _PAGE_USER, A = _PAGE_ACCESSED, D = _PAGE_DIRTY, PS = _PAGE_PSE;

// Hand-built 4-level tree for va 0x7f1234567abc (indices PGD 254, PUD 72, PMD 418, PTE 359):
//   CR3 0x1000 ── PGD[254] ─► 0x2000 ── PUD[72] ─► 0x3000 ── PMD[418] ─► 0x4000 ── PTE[359] ─► frame 0x9000
function handBuilt(pteLo = P | RW | US, pteHi = 0) {
  const ram = new Ram({ bytes: 4 * MiB });
  ram.writeU32(0x1000 + 254 * 8, 0x2000 | P | RW | US);
  ram.writeU32(0x2000 + 72 * 8, 0x3000 | P | RW | US);
  ram.writeU32(0x3000 + 418 * 8, 0x4000 | P | RW | US);
  ram.writeU32(0x4000 + 359 * 8, (0x9000 | pteLo) >>> 0);
  ram.writeU32(0x4000 + 359 * 8 + 4, pteHi);
  return ram;
}
const VA = 0x7f1234567abc;

describe("walkPageTable (4-level)", () => {
  it("translates through the four levels and records indices and entries", () => {
    const ram = handBuilt();
    const out = new WalkResult();
    out.record = true;
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(true);
    expect(out.pa).toBe(0x9abc);
    expect(out.pageSize).toBe(4096);
    expect(out.level).toBe(1);
    expect(out.entriesRead).toBe(4);
    expect(out.steps.map((s) => [s.name, s.vaHi, s.vaLo, s.index, s.entryPa, s.lo])).toEqual([
      ["PGD", 47, 39, 254, 0x1000 + 254 * 8, 0x2007],
      ["PUD", 38, 30, 72, 0x2000 + 72 * 8, 0x3007],
      ["PMD", 29, 21, 418, 0x3000 + 418 * 8, 0x4007],
      ["PTE", 20, 12, 359, 0x4000 + 359 * 8, 0x9007],
    ]);
  });

  it("sets Accessed on every level for a read and Dirty only on the leaf for a write", () => {
    const ram = handBuilt();
    const out = new WalkResult();
    walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out);
    expect(ram.readU32(0x1000 + 254 * 8)).toBe(0x2000 | P | RW | US | A);
    expect(ram.readU32(0x4000 + 359 * 8)).toBe(0x9000 | P | RW | US | A);
    walkPageTable(ram, 0x1000, VA, ACCESS_WRITE | ACCESS_USER, 4, out);
    expect(ram.readU32(0x3000 + 418 * 8)).toBe(0x4000 | P | RW | US | A);
    expect(ram.readU32(0x4000 + 359 * 8)).toBe(0x9000 | P | RW | US | A | D);
    expect(out.dirty).toBe(true);
  });

  it("reports a not-present fault with W/U bits and the level, leaving RAM untouched", () => {
    const ram = handBuilt();
    ram.writeU32(0x3000 + 418 * 8, 0); // no PMD entry
    const out = new WalkResult();
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_WRITE | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(0x6);
    expect(out.level).toBe(2);
    expect(ram.readU32(0x1000 + 254 * 8)).toBe(0x2007); // A not set on a failed walk
    expect(describeErrorCode(out.errorCode)).toEqual(["#PF: user write access in user mode", "#PF: error_code(0x0006) - not-present page"]);
  });

  it("faults a user write to a read-only page with PROT|WRITE|USER (7)", () => {
    const out = new WalkResult();
    expect(walkPageTable(handBuilt(P | US), 0x1000, VA, ACCESS_WRITE | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(7);
    expect(walkPageTable(handBuilt(P | US), 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(true);
  });

  it("faults a user access to a supervisor page with PROT|USER (5)", () => {
    const out = new WalkResult();
    expect(walkPageTable(handBuilt(P | RW), 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(5);
  });

  it("faults an instruction fetch from an NX page with PROT|INSTR (0x11 supervisor, 0x15 user)", () => {
    const out = new WalkResult();
    expect(walkPageTable(handBuilt(P | RW | US, _PAGE_NX_HI), 0x1000, VA, ACCESS_EXEC, 4, out)).toBe(false);
    expect(out.errorCode).toBe(0x11);
    expect(walkPageTable(handBuilt(P | RW | US, _PAGE_NX_HI), 0x1000, VA, ACCESS_EXEC | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(0x15);
    expect(walkPageTable(handBuilt(P | RW | US), 0x1000, VA, ACCESS_EXEC | ACCESS_USER, 4, out)).toBe(true);
  });

  it("applies CR0.WP: a kernel write to a read-only page faults with WP set and succeeds without", () => {
    const out = new WalkResult();
    expect(walkPageTable(handBuilt(P | US), 0x1000, VA, ACCESS_WRITE, 4, out, CR0_WP)).toBe(false);
    expect(out.errorCode).toBe(3);
    expect(walkPageTable(handBuilt(P | US), 0x1000, VA, ACCESS_WRITE, 4, out, 0)).toBe(true);
  });

  it("applies SMEP and SMAP to supervisor accesses of user pages", () => {
    const out = new WalkResult();
    expect(walkPageTable(handBuilt(), 0x1000, VA, ACCESS_READ, 4, out, CR0_WP)).toBe(true);
    expect(walkPageTable(handBuilt(), 0x1000, VA, ACCESS_READ, 4, out, CR0_WP | CR4_SMAP)).toBe(false);
    expect(out.errorCode).toBe(1);
    expect(walkPageTable(handBuilt(), 0x1000, VA, ACCESS_EXEC, 4, out, CR0_WP | CR4_SMEP)).toBe(false);
    expect(out.errorCode).toBe(0x11);
  });

  it("combines rights across levels: RW clear in the PUD makes the page read-only", () => {
    const ram = handBuilt();
    ram.writeU32(0x2000 + 72 * 8, 0x3000 | P | US);
    const out = new WalkResult();
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_WRITE | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(7);
  });

  it("maps a 2 MiB PMD leaf and a 1 GiB PUD leaf", () => {
    const ram = handBuilt();
    ram.writeU32(0x3000 + 418 * 8, 0x00600000 | P | RW | US | PS);
    const out = new WalkResult();
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level, out.entriesRead]).toEqual([0x00600000 + (VA % (2 * MiB)), 2 * MiB, 2, 3]);
    ram.writeU32(0x2000 + 72 * 8, 0x40000000 | P | RW | US | PS);
    ram.writeU32(0x2000 + 72 * 8 + 4, 0x1); // 1 GiB page at 0x1_4000_0000
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level]).toEqual([0x140000000 + (VA % 2 ** 30), 2 ** 30, 3]);
  });

  it("reports reserved-bit faults (PROT|RSVD) for a misaligned 2 MiB leaf (bit 13) and PS in the PGD", () => {
    const ram = handBuilt();
    ram.writeU32(0x3000 + 418 * 8, 0x00602000 | P | RW | US | PS);
    const out = new WalkResult();
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(0xd);
    ram.writeU32(0x1000 + 254 * 8, 0x2000 | P | RW | US | PS);
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_WRITE, 4, out)).toBe(false);
    expect([out.errorCode, out.level]).toEqual([0xb, 4]);
  });
});

describe("walkPageTable (edge cases of the fast path)", () => {
  it("treats bit 7 of a PTE as PAT, not PS: no reserved-bit fault for address bits 13–20", () => {
    // frame 0x1fe000 has bits 13..20 set, which would be reserved in a 2 MiB leaf
    const ram = handBuilt();
    ram.writeU32(0x4000 + 359 * 8, 0x1fe000 | P | RW | US | PS);
    const out = new WalkResult();
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(true);
    expect([out.pa, out.pageSize, out.level]).toEqual([0x1feabc, 4096, 1]);
  });

  it("sees page-table changes made after a walk (RAM's table cache is emptied by writes that back or zero frames)", () => {
    const ram = handBuilt();
    const out = new WalkResult();
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(true);
    ram.zeroFrame(0x4000 / 4096); // the PTE table reads as zeros now
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(false);
    expect([out.errorCode, out.level]).toEqual([0x4, 1]);
    ram.writeU32(0x4000 + 359 * 8, 0xa000 | P | RW | US); // backs the frame with a fresh slot
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out)).toBe(true);
    expect(out.pa).toBe(0xaabc);
    ram.verify();
  });

  it("reads the entry as changed in place in a backed table", () => {
    const ram = handBuilt();
    const out = new WalkResult();
    walkPageTable(ram, 0x1000, VA, ACCESS_READ | ACCESS_USER, 4, out);
    ram.writeU32(0x4000 + 359 * 8, 0xb000 | P | US);
    expect(walkPageTable(ram, 0x1000, VA, ACCESS_WRITE | ACCESS_USER, 4, out)).toBe(false);
    expect(out.errorCode).toBe(0x7);
  });

  it("throws a Bug for a cr3 that is not page aligned or a table outside RAM", () => {
    const ram = handBuilt();
    expect(() => walkPageTable(ram, 0x1008, VA, ACCESS_READ, 4, new WalkResult())).toThrow(/cr3 0x1008 is not a page-aligned/);
    ram.writeU32(0x1000 + 254 * 8, P | RW | US); // PGD entry pointing at frame 0 ...
    ram.writeU32(0x1000 + 254 * 8 + 4, 0x10); // ... plus address bit 36: 64 GiB, beyond this 4 MiB RAM
    expect(() => walkPageTable(ram, 0x1000, VA, ACCESS_READ, 4, new WalkResult())).toThrow(/table at 0x1000000000 outside RAM/);
  });

  it("keeps writable/user/nx/global/dirty as views of the rights bits", () => {
    const out = new WalkResult();
    out.writable = true;
    out.nx = true;
    out.dirty = true;
    out.nx = false;
    expect([out.writable, out.user, out.nx, out.global, out.dirty]).toEqual([true, false, false, false, true]);
    expect(out.rights).toBe(RIGHT_WRITABLE | RIGHT_DIRTY);
  });
});

describe("walkPageTable (5-level)", () => {
  it("walks PGD → P4D → PUD → PMD → PTE for a kernel-half address", () => {
    // va = sign-extended 0xffffffff80001000 as a 57-bit tail: indices 511, 511, 510, 0, 1
    const va = 0x1ffffff80001000;
    const ram = new Ram({ bytes: 4 * MiB });
    ram.writeU32(0x1000 + 511 * 8, 0x2000 | P | RW);
    ram.writeU32(0x2000 + 511 * 8, 0x3000 | P | RW);
    ram.writeU32(0x3000 + 510 * 8, 0x4000 | P | RW);
    ram.writeU32(0x4000 + 0 * 8, 0x5000 | P | RW);
    ram.writeU32(0x5000 + 1 * 8, 0x7000 | P | RW);
    const out = new WalkResult();
    out.record = true;
    expect(walkPageTable(ram, 0x1000, va + 0x10, ACCESS_READ, 5, out)).toBe(true);
    expect(out.pa).toBe(0x7010);
    expect(out.steps.map((s) => `${s.name}[${s.index}] VA[${s.vaHi}:${s.vaLo}]`)).toEqual([
      "PGD[511] VA[56:48]", "P4D[511] VA[47:39]", "PUD[510] VA[38:30]", "PMD[0] VA[29:21]", "PTE[1] VA[20:12]",
    ]);
  });

  it("throws a Bug for an address beyond the 57-bit space", () => {
    const ram = new Ram({ bytes: 4 * MiB });
    expect(() => walkPageTable(ram, 0x1000, 2 ** 57, ACCESS_READ, 5, new WalkResult())).toThrow(/walkPageTable/);
    expect(() => walkPageTable(ram, 0x1000, 2 ** 48, ACCESS_READ, 4, new WalkResult())).toThrow(/walkPageTable/);
  });
});
