import { describe, expect, test } from "vitest";
import { Ram, x86Layout } from "@mmsim/hardware";
import { FreePointers } from "./freeptr";

const GiB = 1024 * 1024 * 1024;
const key = { randomLo: 0x12345678, randomHi: 0x9abcdef0 };

/** The stored word as "hi_lo" hex. */
function word(ram: Ram, at: number): string {
  return `${ram.readU32(at + 4).toString(16)}_${ram.readU32(at).toString(16).padStart(8, "0")}`;
}

describe("free pointers in RAM", () => {
  test("a plain free pointer is the sign-extended direct-map address, below and above 4 GiB (4-level)", () => {
    const ram = new Ram({ bytes: 8 * GiB });
    const L = x86Layout(4);
    const fp = new FreePointers(ram, L.PAGE_OFFSET, L.vaBits, false);
    const at = 5 * GiB + 0x100;
    const cases: [number, string][] = [
      [0x1040, "ffff8880_00001040"],
      [4 * GiB - 64, "ffff8880_ffffffc0"],
      [4 * GiB + 64, "ffff8881_00000040"],
      [0, "0_00000000"],
    ];
    for (const [next, stored] of cases) {
      fp.setPlain(at, next);
      expect(word(ram, at)).toBe(stored);
      expect(fp.getPlain(at)).toBe(next);
      expect(fp.get(key, at - 8, 8)).toBe(next);
    }
  });

  test("with LA57 the high half carries PAGE_OFFSET 0xff11000000000000", () => {
    const ram = new Ram({ bytes: 8 * GiB });
    const L = x86Layout(5);
    const fp = new FreePointers(ram, L.PAGE_OFFSET, L.vaBits, false);
    fp.set(key, 0x2000, 16, 6 * GiB);
    expect(word(ram, 0x2010)).toBe("ff110001_80000000");
    expect(fp.get(key, 0x2000, 16)).toBe(6 * GiB);
  });

  test("plain free pointers round-trip when Ram's one-frame cache misses, and NULL never backs a frame", () => {
    const ram = new Ram({ bytes: 8 * GiB });
    const L = x86Layout(4);
    const fp = new FreePointers(ram, L.PAGE_OFFSET, L.vaBits, false);
    // Alternate between two frames so that every access after the first one misses the cache.
    const a = 0x7008;
    const b = 5 * GiB + 0xff8;
    expect(fp.getPlain(a)).toBe(0);
    fp.setPlain(b, 0);
    expect(ram.isBacked(b / 4096 >>> 0)).toBe(false);
    for (let i = 1; i <= 4; i++) {
      fp.setPlain(a, i * 64);
      fp.setPlain(b, 4 * GiB + i * 64);
      expect(fp.getPlain(a)).toBe(i * 64);
      expect(fp.getPlain(b)).toBe(4 * GiB + i * 64);
      expect(word(ram, b)).toBe(`ffff8881_${(i * 64).toString(16).padStart(8, "0")}`);
    }
    expect(ram.backedFrames).toBe(2);
  });

  test("a hardened free pointer is stored XORed and reads back through get, not as a plain pointer", () => {
    const ram = new Ram({ bytes: 8 * GiB });
    const L = x86Layout(4);
    const fp = new FreePointers(ram, L.PAGE_OFFSET, L.vaBits, true);
    fp.set(key, 0x3000, 0, 0x3040);
    expect(fp.get(key, 0x3000, 0)).toBe(0x3040);
    expect(word(ram, 0x3000)).not.toBe("ffff8880_00003040");
    fp.set(key, 0x3000, 0, 0);
    expect(fp.get(key, 0x3000, 0)).toBe(0);
  });
});
