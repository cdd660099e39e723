import { describe, expect, it } from "vitest";
import { InputError } from "./errors";
import { GiB, KiB, MiB, PAGE_SHIFT, PAGE_SIZE, TiB, formatSize, formatSizeApprox, parseSize } from "./units";

describe("units", () => {
  it("defines binary units and the x86-64 4 KiB page (asm/page_types.h: PAGE_SHIFT 12)", () => {
    expect([KiB, MiB, GiB, TiB]).toEqual([1024, 1048576, 1073741824, 1099511627776]);
    expect(PAGE_SHIFT).toBe(12);
    expect(PAGE_SIZE).toBe(2 ** PAGE_SHIFT);
  });
});

describe("parseSize", () => {
  it.each([
    ["4096", 4096],
    ["0", 0],
    ["0x1000", 4096],
    ["0X1F", 31],
    ["0xffffffffffff", 2 ** 48 - 1],
    ["7b", 7],
    ["7B", 7],
    ["4k", 4096],
    ["4K", 4096],
    ["4kb", 4096],
    ["4KiB", 4096],
    ["4kib", 4096],
    ["512M", 512 * MiB],
    ["512MB", 512 * MiB],
    ["512MiB", 512 * MiB],
    ["4G", 4 * GiB],
    ["4GB", 4 * GiB],
    ["4GiB", 4 * GiB],
    ["2T", 2 * TiB],
    ["2TB", 2 * TiB],
    ["2tib", 2 * TiB],
    ["1.5K", 1536],
    ["0.5M", 512 * KiB],
    ["4 GiB", 4 * GiB],
    ["  64M\t", 64 * MiB],
    ["8191T", 8191 * TiB],
  ])("parses %j as %d bytes (every suffix binary, like memparse)", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it("accepts a non-negative safe integer number as bytes", () => {
    expect(parseSize(0)).toBe(0);
    expect(parseSize(12345)).toBe(12345);
    expect(parseSize(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ["4QB", 'invalid size "4QB": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB'],
    ["", 'invalid size "": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB'],
    ["-1", 'invalid size "-1": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB'],
    ["1e3", 'invalid size "1e3": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB'],
    ["G", 'invalid size "G": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB'],
    ["0x", 'invalid size "0x": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB'],
    ["0.5", 'invalid size "0.5": not a whole number of bytes'],
    ["1.0001K", 'invalid size "1.0001K": not a whole number of bytes'],
    ["8192T", 'invalid size "8192T": too large (limit 2^53 bytes)'],
    ["9007199254740992", 'invalid size "9007199254740992": too large (limit 2^53 bytes)'],
    ["0x20000000000000", 'invalid size "0x20000000000000": too large (limit 2^53 bytes)'],
  ])("rejects %j with an InputError quoting the value", (text, message) => {
    let caught: unknown;
    try {
      parseSize(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as InputError).message).toBe(message);
  });

  it.each([
    [-1, "invalid size -1: expected a whole number of bytes"],
    [1.5, "invalid size 1.5: expected a whole number of bytes"],
    [2 ** 53, "invalid size 9007199254740992: expected a whole number of bytes"],
    [NaN, "invalid size NaN: expected a whole number of bytes"],
  ])("rejects the number %d", (n, message) => {
    expect(() => parseSize(n)).toThrow(new InputError(message));
  });

  it("names the field in the error when one is given", () => {
    expect(() => parseSize("lots", "machine.ram")).toThrowError(
      'machine.ram: invalid size "lots": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB',
    );
    try {
      parseSize("lots", "machine.ram");
    } catch (e) {
      expect((e as InputError).where).toEqual({ field: "machine.ram" });
    }
  });
});

describe("formatSize", () => {
  it.each([
    [0, "0B"],
    [1, "1B"],
    [1023, "1023B"],
    [1024, "1KiB"],
    [1536, "1536B"],
    [4096, "4KiB"],
    [3 * MiB, "3MiB"],
    [MiB + KiB, "1025KiB"],
    [8 * GiB, "8GiB"],
    [1536 * MiB, "1536MiB"],
    [2 * TiB, "2TiB"],
    [4096 * TiB, "4096TiB"],
  ])("formats %d bytes as %j (largest unit dividing exactly)", (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it("round-trips through parseSize", () => {
    for (const n of [0, 1, 1000, 4096, 1536 * MiB, 3 * TiB + 4 * KiB, Number.MAX_SAFE_INTEGER]) {
      expect(parseSize(formatSize(n))).toBe(n);
    }
  });
});

describe("formatSizeApprox", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [1024 * 1024 - 1, "1024 KiB"],
    [10.25 * GiB, "10.3 GiB"],
    [5 * TiB, "5 TiB"],
  ])("formats %d bytes as %j", (bytes, text) => {
    expect(formatSizeApprox(bytes)).toBe(text);
  });
});
