// Python 3.11's int() parsing and % formatting as the OSTEP scripts rely on them (expected
// values printed by python3 3.11.7).
import { describe, expect, it } from "vitest";
import { fmtD, fmtF, fmtS, fmtX, pyInt, pyIntBig, pyIntStr, pyRepr, pyTrunc } from "./py-format";
import { PyException } from "./py-random";

describe("int(text)", () => {
  it("accepts whitespace, signs, underscores and the base's prefix", () => {
    expect(pyInt(" 42\n")).toBe(42);
    expect(pyInt("+7")).toBe(7);
    expect(pyInt("-0")).toBe(0);
    expect(pyInt("1_000")).toBe(1000);
    expect(pyInt("007")).toBe(7);
    expect(pyInt("0x1f", 16)).toBe(31);
    expect(pyInt("0x_1f", 16)).toBe(31);
    expect(pyInt("017", 8)).toBe(15);
    expect(pyInt("101", 2)).toBe(5);
    expect(pyIntBig("99999999999999999999")).toBe(99999999999999999999n);
  });

  it("rejects what Python rejects, with Python's message", () => {
    for (const bad of ["", "1__0", "_1", "1_", "0x10", "1.5", "k", "--1"]) {
      expect(() => pyInt(bad)).toThrow(PyException);
    }
    expect(() => pyInt("abc")).toThrow("ValueError: invalid literal for int() with base 10: 'abc'");
    expect(() => pyInt("09", 8)).toThrow("ValueError: invalid literal for int() with base 8: '09'");
  });
});

describe("repr(str)", () => {
  it("quotes as Python does", () => {
    expect(pyRepr("x")).toBe("'x'");
    expect(pyRepr("it's")).toBe(`"it's"`);
    expect(pyRepr(`'"`)).toBe(`'\\'"'`);
    expect(pyRepr("a\nb\t\\")).toBe("'a\\nb\\t\\\\'");
  });
});

describe("% conversions", () => {
  it("%d, %4d, %08x, %x of negatives ('%08x' % -5 == '-0000005')", () => {
    expect(fmtD(7, 4)).toBe("   7");
    expect(fmtD(-7, 4)).toBe("  -7");
    expect(fmtX(0x3082, 8, true)).toBe("00003082");
    expect(fmtX(-5, 8, true)).toBe("-0000005");
    expect(fmtX(255)).toBe("ff");
    expect(fmtS("[1, 2]", 12)).toBe("      [1, 2]");
  });

  it("%.Nf rounds the exact binary value half-even ('%.2f' % 12.125 == '12.12', % 2.675 == '2.67')", () => {
    expect(fmtF(12.125, 2)).toBe("12.12");
    expect(fmtF(0.125, 2)).toBe("0.12");
    expect(fmtF(2.675, 2)).toBe("2.67");
    expect(fmtF(1e22, 2)).toBe("10000000000000000000000.00");
    expect(fmtF(0.25, 1)).toBe("0.2");
    expect(fmtF(-0.0005, 3)).toBe("-0.001");
    expect(fmtF((100.0 * 97) / 800, 2)).toBe("12.12");
    expect(fmtF(100, 2)).toBe("100.00");
  });

  it("int(float) truncates and str() of big ints is exact", () => {
    expect(pyTrunc(-2.7)).toBe(-2);
    expect(Object.is(pyTrunc(-0.5), 0)).toBe(true);
    expect(pyIntStr(1e30)).toBe("1000000000000000019884624838656");
  });
});
