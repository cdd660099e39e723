import { describe, expect, it } from "vitest";
import { Bug, GiB, MiB } from "@mmsim/base";
import { Ram } from "./ram";

describe("Ram", () => {
  it("reads zeros from never-written memory and holds no frames", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    expect(ram.maxPfn).toBe(4096);
    expect(ram.readU64(0x1000)).toBe(0);
    expect(ram.readU8(16 * MiB - 1)).toBe(0);
    expect(ram.backedFrames).toBe(0);
    expect(ram.isBacked(1)).toBe(false);
  });

  it("backs a frame on its first non-zero write and only that frame", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    ram.writeU32(0x5004, 0xdeadbeef);
    expect(ram.backedFrames).toBe(1);
    expect(ram.isBacked(5)).toBe(true);
    expect(ram.isBacked(4)).toBe(false);
    expect(ram.readU32(0x5004)).toBe(0xdeadbeef);
    expect(ram.readU16(0x5004)).toBe(0xbeef);
    expect(ram.readU8(0x5007)).toBe(0xde);
    ram.writeU64(0x6000, 0); // writing zero to an unbacked frame backs nothing
    expect(ram.backedFrames).toBe(1);
    ram.verify(true);
  });

  it("zeroFrame drops the backing and the frame reads as zeros; a reused slot starts clean", () => {
    const ram = new Ram({ bytes: 16 * MiB });
    ram.fill(0x3000, 4096, 0xaa);
    ram.zeroFrame(3);
    expect(ram.backedFrames).toBe(0);
    expect(ram.readU8(0x3010)).toBe(0);
    ram.writeU8(0x9000, 1); // reuses the freed slot
    expect(ram.read(0x9000, 4)).toEqual(new Uint8Array([1, 0, 0, 0]));
    ram.verify(true);
  });

  it("round-trips u64 values at and above 2^32, and exact bigints up to 2^64-1", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 0x123456789abcd, Number.MAX_SAFE_INTEGER]) {
      ram.writeU64(0x100, v);
      expect(ram.readU64(0x100)).toBe(v);
    }
    ram.writeU64(0x100, 0x0000_0001_0000_0002);
    expect(ram.readU32(0x100)).toBe(2);
    expect(ram.readU32(0x104)).toBe(1);
    ram.writeU64Big(0x200, 0xffffffffffffffffn);
    expect(ram.readU64Big(0x200)).toBe(0xffffffffffffffffn);
    expect(ram.readU32(0x204)).toBe(0xffffffff);
  });

  it("is little-endian", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    ram.writeU32(0, 0x04030201);
    expect(Array.from(ram.read(0, 4))).toEqual([1, 2, 3, 4]);
  });

  it("copies, writes and fills across frame boundaries and counts CPU copy bytes", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    const src = new Uint8Array(6000).map((_, i) => (i * 7 + 1) & 0xff);
    ram.write(0x0ffa, src); // spans frames 0, 1, 2
    expect(ram.backedFrames).toBe(3);
    expect(ram.read(0x0ffa, 6000)).toEqual(src);
    ram.copy(0x20ffe, 0x0ffa, 6000);
    expect(ram.read(0x20ffe, 6000)).toEqual(src);
    expect(ram.cpuCopyBytes).toBe(6000);
    ram.fill(0x0ffe, 4, 0x55);
    expect(Array.from(ram.read(0x0ffc, 8))).toEqual([src[2], src[3], 0x55, 0x55, 0x55, 0x55, src[8], src[9]]);
    ram.verify(true);
  });

  it("copy of a whole never-written frame zeroes the target without backing it", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    ram.fill(0x5000, 4096, 9);
    ram.copy(0x5000, 0x7000, 4096);
    expect(ram.isBacked(5)).toBe(false);
    expect(ram.readU8(0x5123)).toBe(0);
  });

  it("throws a Bug for misaligned scalar accesses and out-of-range addresses", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    expect(() => ram.readU32(2)).toThrow(Bug);
    expect(() => ram.writeU64(4, 1)).toThrow(/Ram.writeU64: physical address 0x4 not 8-byte aligned/);
    expect(() => ram.readU8(1 * MiB)).toThrow(/outside RAM/);
    expect(() => ram.read(1 * MiB - 2, 4)).toThrow(Bug);
    expect(() => ram.writeU64(0, -1)).toThrow(Bug);
  });

  it("constructs a 64 GiB RAM without backing anything and addresses its top frame", () => {
    const ram = new Ram({ bytes: 64 * GiB });
    expect(ram.maxPfn).toBe(16 * 1024 * 1024);
    expect(ram.backedFrames).toBe(0);
    ram.writeU64(64 * GiB - 8, 2 ** 40 + 3);
    expect(ram.readU64(64 * GiB - 8)).toBe(2 ** 40 + 3);
    expect(ram.isBacked(ram.maxPfn - 1)).toBe(true);
    expect(ram.backedFrames).toBe(1);
  });
});

describe("Ram frame cache", () => {
  it("never serves misaligned or unbacked addresses from the cache, and forgets a zeroed frame", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    expect(() => ram.readU32(3)).toThrow(Bug); // no frame cached yet
    ram.writeU32(0x2000, 5);
    expect(() => ram.readU32(0x2002)).toThrow(Bug);
    expect(() => ram.readU64(0x2004)).toThrow(Bug);
    ram.zeroFrame(2);
    expect(ram.readU32(0x2000)).toBe(0);
    ram.writeU32(0x2000, 0); // zero to an unbacked frame stays unbacked
    expect(ram.backedFrames).toBe(0);
    ram.writeU32(0x7000, 9); // reuses the slot frame 2 had
    expect(ram.readU32(0x2000)).toBe(0);
    expect(ram.readU32(0x7000)).toBe(9);
    ram.verify(true);
  });
});

describe("Ram dirty chunks", () => {
  it("a slot handed back holds only zeros though zeroFrame cleaned just the chunks written, by every kind of write", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    ram.writeU32(0x2000 + 0x104, 0xdeadbeef); // chunk 1
    ram.writeU8(0x2000 + 0xfff, 0x7f); // chunk 15
    ram.writeU64(0x2000 + 0x808, 2 ** 40 + 3); // chunk 8
    ram.write(0x2000 + 0x3f0, new Uint8Array(0x20).fill(9)); // chunks 3 and 4
    ram.fill(0x2000 + 0x500, 16, 0xaa); // chunk 5
    ram.writeTablePair(1, 0x2000 + 0xa00, 1, 2); // no line holds the frame: through writeU32Pair, chunk 10
    expect(ram.tableFrame(1, 2)).toBeGreaterThanOrEqual(0);
    ram.writeTablePair(1, 0x2000 + 0xc08, 3, 4); // through the table line, chunk 12
    ram.verify(true);
    ram.zeroFrame(2);
    ram.writeU32(0x5000, 1); // takes the slot frame 2 gave back
    const bytes = ram.read(0x5000, 4096);
    expect(bytes.findIndex((b, i) => i >= 4 && b !== 0)).toBe(-1);
    ram.verify(true);
  });

  it("a whole-frame copy over a dirty frame leaves none of the target's old bytes", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    ram.writeU32(0x3000 + 0x200, 5); // source: chunk 2 only
    for (let off = 0; off < 4096; off += 256) ram.writeU32(0x4000 + off + 4, 0xffffffff); // target: every chunk
    ram.copy(0x4000, 0x3000, 4096);
    expect(ram.read(0x4000, 4096)).toEqual(ram.read(0x3000, 4096));
    ram.verify(true);
  });
});

describe("Ram walk table cache", () => {
  it("keeps a cached table line across another frame's backing, and empties only the zeroed frame's line", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    ram.writeU32(0x3008, 0x1234); // table A (pfn 3), entry 1
    ram.writeU32(0x4010, 0x5678); // table B (pfn 4), entry 2
    const a = ram.tableFrame(1, 3);
    const b = ram.tableFrame(2, 4);
    expect(ram.tableWords(1)[a + 2]).toBe(0x1234);
    ram.writeU32(0x9000, 7); // backs a third frame: no line changes
    expect(ram.tableFrame(1, 3)).toBe(a);
    expect(ram.tableFrame(2, 4)).toBe(b);
    ram.verify(true);
    ram.zeroFrame(3);
    expect(ram.tableFrame(1, 3)).toBe(-1); // unbacked: reads as zeros
    expect(ram.tableFrame(2, 4)).toBe(b);
    expect(ram.tableWords(2)[b + 4]).toBe(0x5678);
    ram.writeU32(0xa000, 1); // takes the slot pfn 3 gave back, zeroed
    expect(ram.readU32(0xa008)).toBe(0);
    expect(ram.tableFrame(1, 3)).toBe(-1);
    ram.verify(true);
  });

  it("writeTablePair writes through a line holding the frame, and falls back to writeU32Pair otherwise (backing an unbacked frame)", () => {
    const ram = new Ram({ bytes: 1 * MiB });
    ram.writeU32(0x3000, 1); // a table frame, pfn 3
    ram.writeU32(0x9000, 5); // the frame cache now on pfn 9
    expect(ram.tableFrame(1, 3)).toBeGreaterThanOrEqual(0);
    ram.writeTablePair(1, 0x3ff8, 0x80000067, 0x12345);
    expect([ram.readU32(0x3ff8), ram.readU32(0x3ffc)]).toEqual([0x80000067, 0x12345]);
    ram.writeTablePair(2, 0x5010, 7, 8); // line 2 holds nothing: pfn 5 is backed by the fallback
    ram.writeTablePair(1, 0x6008, 0, 0); // zeros to an unbacked frame back nothing
    expect([ram.readU32(0x5010), ram.readU32(0x5014), ram.isBacked(5), ram.isBacked(6)]).toEqual([7, 8, true, false]);
    ram.verify(true);
  });
});
