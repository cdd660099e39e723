import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  TWO_32, alignDown, alignUp, and64, andNot64, bits, formatVa, fromHiLo, hex, hex0x, hi32, isAligned,
  lo32, or64, parseVa, pfnToPhys, physToPfn, testBit,
} from "./addr";

// The direct map starts at 0xffff888000000000 with 4-level paging and 0xff11000000000000 with
// 5-level paging (Documentation/arch/x86/x86_64/mm.rst). Addresses are kept as the canonical
// 48/57-bit tail: 0x888000000000 and 0x0111000000000000.
const DIRECT_MAP_48 = 0x888000000000;
const DIRECT_MAP_57 = 0x111 * 2 ** 48;

describe("32-bit halves", () => {
  it("splits values at and above 2^32 exactly", () => {
    expect(lo32(0)).toBe(0);
    expect(hi32(0)).toBe(0);
    expect(lo32(TWO_32 - 1)).toBe(0xffffffff);
    expect(hi32(TWO_32 - 1)).toBe(0);
    expect(lo32(TWO_32)).toBe(0);
    expect(hi32(TWO_32)).toBe(1);
    expect(lo32(0x123456789abcd)).toBe(0x6789abcd);
    expect(hi32(0x123456789abcd)).toBe(0x12345);
    expect(lo32(2 ** 52 + 7)).toBe(7);
    expect(hi32(2 ** 52 + 7)).toBe(2 ** 20);
    expect(hi32(Number.MAX_SAFE_INTEGER)).toBe(0x1fffff);
    expect(lo32(Number.MAX_SAFE_INTEGER)).toBe(0xffffffff);
  });

  it("fromHiLo rebuilds the value and reduces lo modulo 2^32", () => {
    expect(fromHiLo(0x12345, 0x6789abcd)).toBe(0x123456789abcd);
    expect(fromHiLo(1, -1)).toBe(2 * TWO_32 - 1);
    expect(fromHiLo(0, 0x80000000)).toBe(2 ** 31);
  });
});

describe("bit fields", () => {
  it("bits(v, lo, hi) extracts bits lo..hi inclusive across the 32-bit boundary", () => {
    // x86-64 4-level indices of the direct map base: PGD 273, PUD 0, PMD 0, PTE 0.
    expect(bits(DIRECT_MAP_48, 39, 47)).toBe(273);
    expect(bits(DIRECT_MAP_48, 30, 38)).toBe(0);
    expect(bits(0xdeadbeefcafe, 0, 11)).toBe(0xafe);
    expect(bits(0xdeadbeefcafe, 28, 35)).toBe(0xdb);
    expect(bits(2 ** 52, 52, 52)).toBe(1);
    expect(bits(2 ** 52 - 1, 0, 51)).toBe(2 ** 52 - 1);
    // PTE physical-address field, bits 12..51
    expect(bits(0x8000123456867, 12, 51)).toBe(0x8000123456);
  });

  it("testBit reads bits below and above 32", () => {
    expect(testBit(1, 0)).toBe(true);
    expect(testBit(2 ** 31, 31)).toBe(true);
    expect(testBit(2 ** 31, 30)).toBe(false);
    expect(testBit(2 ** 32, 32)).toBe(true);
    expect(testBit(2 ** 32, 0)).toBe(false);
    expect(testBit(2 ** 52 + 1, 52)).toBe(true);
    expect(testBit(2 ** 52 + 1, 51)).toBe(false);
  });

  it("and64/or64/andNot64 keep bits above 32", () => {
    expect(and64(0xff00000000ff, 0x0f000000000f)).toBe(0x0f000000000f);
    expect(or64(2 ** 40, 1)).toBe(2 ** 40 + 1);
    expect(or64(2 ** 52, 2 ** 51)).toBe(2 ** 52 + 2 ** 51);
    expect(andNot64(2 ** 52 - 1, 0xfff)).toBe(2 ** 52 - 4096);
    expect(andNot64(0x123456789abc, 2 ** 44)).toBe(0x023456789abc);
  });

  const u53 = fc.bigInt({ min: 0n, max: (1n << 53n) - 1n });
  it("and64/or64/andNot64/lo32/hi32/bits agree with BigInt for every value below 2^53", () => {
    fc.assert(
      fc.property(u53, u53, fc.integer({ min: 0, max: 52 }), fc.integer({ min: 0, max: 52 }), (a, b, i, j) => {
        const x = Number(a);
        const y = Number(b);
        expect(and64(x, y)).toBe(Number(a & b));
        expect(or64(x, y)).toBe(Number(a | b));
        expect(andNot64(x, y)).toBe(Number(a & ~b));
        expect(lo32(x)).toBe(Number(a & 0xffffffffn));
        expect(hi32(x)).toBe(Number(a >> 32n));
        expect(fromHiLo(hi32(x), lo32(x))).toBe(x);
        expect(testBit(x, i)).toBe(((a >> BigInt(i)) & 1n) === 1n);
        const lo = Math.min(i, j);
        const hi = Math.max(i, j);
        expect(bits(x, lo, hi)).toBe(Number((a >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("alignment and frames", () => {
  it("aligns down and up to powers of two and other positive integers", () => {
    expect(alignDown(0x1fff, 4096)).toBe(0x1000);
    expect(alignUp(0x1001, 4096)).toBe(0x2000);
    expect(alignUp(0x2000, 4096)).toBe(0x2000);
    expect(alignDown(0x2000, 4096)).toBe(0x2000);
    expect(alignUp(0, 4096)).toBe(0);
    expect(alignUp(2 ** 40 + 1, 2 ** 21)).toBe(2 ** 40 + 2 ** 21);
    expect(alignDown(2 ** 52 - 1, 2 ** 30)).toBe(2 ** 52 - 2 ** 30);
    expect(alignUp(10, 3)).toBe(12);
    expect(alignDown(10, 3)).toBe(9);
    expect(isAligned(2 ** 45, 2 ** 21)).toBe(true);
    expect(isAligned(2 ** 45 + 4096, 2 ** 21)).toBe(false);
  });

  it("alignUp/alignDown bracket every value below 2^52", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 - 1 }), fc.integer({ min: 0, max: 30 }), (v, shift) => {
        const a = 2 ** shift;
        const down = alignDown(v, a);
        const up = alignUp(v, a);
        expect(isAligned(down, a) && isAligned(up, a)).toBe(true);
        expect(down <= v && v <= up && up - down <= a).toBe(true);
        expect(up === down).toBe(isAligned(v, a));
      }),
      { numRuns: 500 },
    );
  });

  it("converts between physical addresses and pfns", () => {
    expect(physToPfn(0)).toBe(0);
    expect(physToPfn(0xfff)).toBe(0);
    expect(physToPfn(0x1000)).toBe(1);
    expect(physToPfn(2 ** 46 + 0x1234)).toBe(2 ** 34 + 1);
    expect(pfnToPhys(2 ** 34 + 1)).toBe(2 ** 46 + 0x1000);
  });
});

describe("hex and virtual addresses", () => {
  it("hex and hex0x print lower-case, zero-padded", () => {
    expect(hex(0xabc)).toBe("abc");
    expect(hex(0xabc, 8)).toBe("00000abc");
    expect(hex0x(0x1000, 16)).toBe("0x0000000000001000");
    expect(hex0x(2 ** 52)).toBe("0x10000000000000");
  });

  it("formatVa sign-extends upper-half addresses for 48 bits", () => {
    expect(formatVa(DIRECT_MAP_48)).toBe("ffff888000000000");
    expect(formatVa(DIRECT_MAP_48, 48)).toBe("ffff888000000000");
    expect(formatVa(0x7fffffffffff)).toBe("00007fffffffffff");
    expect(formatVa(0x800000000000)).toBe("ffff800000000000");
    expect(formatVa(0x555555554000)).toBe("0000555555554000");
    expect(formatVa(0)).toBe("0000000000000000");
  });

  it("formatVa sign-extends upper-half addresses for 57 bits", () => {
    expect(formatVa(DIRECT_MAP_57, 57)).toBe("ff11000000000000");
    expect(formatVa(2 ** 56, 57)).toBe("ff00000000000000");
    expect(formatVa(DIRECT_MAP_48, 57)).toBe("0000888000000000");
  });

  it("parseVa accepts sign-extended, 0x-prefixed, short and underscored forms", () => {
    expect(parseVa("ffff888000000000")).toBe(DIRECT_MAP_48);
    expect(parseVa("0xffff888000000000")).toBe(DIRECT_MAP_48);
    expect(parseVa("0XFFFF888000000000")).toBe(DIRECT_MAP_48);
    expect(parseVa(" ffff_8880_0000_0000 ")).toBe(DIRECT_MAP_48);
    expect(parseVa("888000000000")).toBe(null); // bit 47 set but not sign-extended
    expect(parseVa("7ffffffff000")).toBe(0x7ffffffff000);
    expect(parseVa("0x1000")).toBe(0x1000);
    expect(parseVa("ff11000000000000", 57)).toBe(DIRECT_MAP_57);
    expect(parseVa("0000888000000000", 57)).toBe(DIRECT_MAP_48);
    // with 57 bits, ffff888000000000 is canonical too (bits 63..56 all set)
    expect(parseVa("ffff888000000000", 57)).toBe(2 ** 57 - 2 ** 47 + DIRECT_MAP_48 - 2 ** 47);
  });

  it("parseVa returns null for text that is not hex, too long, or non-canonical", () => {
    expect(parseVa("")).toBe(null);
    expect(parseVa("0x")).toBe(null);
    expect(parseVa("xyz")).toBe(null);
    expect(parseVa("-1000")).toBe(null);
    expect(parseVa("1ffff888000000000")).toBe(null);
    expect(parseVa("0000800000000000")).toBe(null);
    expect(parseVa("fff0888000000000")).toBe(null);
    expect(parseVa("fe00000000000000", 57)).toBe(null);
    expect(parseVa("0100000000000000", 57)).toBe(null);
  });

  it("parseVa returns null for 57-bit addresses a JS number cannot hold exactly", () => {
    // Above 2^53 a double has a step of 2^(bits-53): 0xff11000000000001 would round silently.
    expect(parseVa("ff11000000000001", 57)).toBe(null);
    expect(parseVa("ff11000000000010", 57)).toBe(DIRECT_MAP_57 + 16);
  });

  it("formatVa and parseVa are inverse for canonical page addresses of 48 and 57 bits", () => {
    for (const vaBits of [48, 57]) {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** (vaBits - 12) - 1 }), (vpn) => {
          const va = vpn * 4096;
          const text = formatVa(va, vaBits);
          expect(text).toHaveLength(16);
          expect(parseVa(text, vaBits)).toBe(va);
          expect(BigInt("0x" + text)).toBe(BigInt.asUintN(64, BigInt.asIntN(vaBits, BigInt(va))));
        }),
        { numRuns: 500 },
      );
    }
  });
});
