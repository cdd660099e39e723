// The trace readers: exact page numbers, chunk boundaries anywhere, and bad input reported
// with its line number or byte offset.
import { describe, expect, it } from "vitest";
import { KeyIndex } from "./key-index";
import { createTraceParser, detectFormat } from "./formats";
import { MmsimEncoder } from "./trace-mmsim";
import { encodeOracle } from "./trace-oracle";
import { REF_FETCH, REF_LOAD, REF_MODIFY, REF_STORE, type TraceFormat, type TraceOptions } from "./trace";

const bytes = (s: string) => new TextEncoder().encode(s);

/** Parses `data` pushed in chunks of `chunk` bytes; returns the page numbers in order. */
function pages(format: TraceFormat, data: Uint8Array, opts: TraceOptions = {}, chunk = data.length || 1): number[] {
  const index = new KeyIndex();
  const out: number[] = [];
  const p = createTraceParser(format, index, (ids, n) => {
    for (let i = 0; i < n; i++) out.push(index.keyOf(ids[i]!));
  }, opts);
  for (let i = 0; i < data.length; i += chunk) p.push(data.subarray(i, i + chunk));
  p.end();
  expect(p.requests).toBe(out.length);
  return out;
}

const LACKEY = `==12253== Lackey, an example Valgrind tool
==12253== Command: ls /usr/share/doc
==12253== 
I  0401ab70,3
 S 1fff000688,8
 L 0401dffe,4
 M 04226ffc,8
I  04021000,1
==12253== Exit code:       0
`;

describe("lackey reader", () => {
  it("gives the 4 KiB page of each line, skips valgrind's == lines, splits straddling accesses", () => {
    // 0401dffe,4 covers 0x401dffe..0x401e001: pages 0x401d and 0x401e; 04226ffc,8 likewise
    expect(pages("lackey", bytes(LACKEY))).toEqual([0x401a, 0x1fff000, 0x401d, 0x401e, 0x4226, 0x4227, 0x4021]);
  });

  it("hands each reference's kind with kinds: true (a straddling access gives both pages its kind); other formats give none", () => {
    const got = (format: TraceFormat, data: Uint8Array, chunk: number) => {
      const kinds: (number | null)[] = [];
      const p = createTraceParser(format, new KeyIndex(), (_ids, n, k) => {
        for (let i = 0; i < n; i++) kinds.push(k === null ? null : k[i]!);
      }, { kinds: true });
      for (let i = 0; i < data.length; i += chunk) p.push(data.subarray(i, i + chunk));
      p.end();
      return kinds;
    };
    const want = [REF_FETCH, REF_STORE, REF_LOAD, REF_LOAD, REF_MODIFY, REF_MODIFY, REF_FETCH];
    for (const chunk of [1, 5, 4096]) expect(got("lackey", bytes(LACKEY), chunk)).toEqual(want);
    expect(got("text", bytes("1\n2\n"), 4096)).toEqual([null, null]);
  });

  it("reads the same pages whatever the chunk size, down to one byte", () => {
    const whole = pages("lackey", bytes(LACKEY));
    for (const chunk of [1, 2, 3, 7, 16, 64]) expect(pages("lackey", bytes(LACKEY), {}, chunk)).toEqual(whole);
  });

  it("takes the page size as a flag and can skip instruction fetches", () => {
    expect(pages("lackey", bytes("I  0401ab70,3\n L 0401ab70,4\n"), { pageSize: 65536 })).toEqual([0x401, 0x401]);
    expect(pages("lackey", bytes("I  0401ab70,3\n L 0401ab70,4\n"), { instructions: false })).toEqual([0x401a]);
  });

  it("keeps all 64 bits of an address exact", () => {
    expect(pages("lackey", bytes(" L ffffffffffff1000,1\n"), { pageSize: 1 })).toEqual([0xffffffffffff1000]);
    const index = new KeyIndex();
    const p = createTraceParser("lackey", index, () => {}, { pageSize: 4096 });
    p.push(bytes(" L ffffffffffff1000,8\n"));
    p.end();
    expect(index.keyHalves(0)).toEqual([0xfffff, 0xfffffff1]); // 0xffffffffffff1000 >> 12
  });

  it.each([
    ["X  0401ab70,3\n", 1, 'not a lackey line: "X  0401ab70,3"'],
    ["I  0401ab70,3\n L zz,4\n", 2, 'not a lackey line: " L zz,4"'],
    ["I  0401ab70,3\nI  0401ab70\n", 2, 'not a lackey line: "I  0401ab70"'],
    ["I  0401ab70,3\n\n S 10,x\n", 3, 'not a lackey line: " S 10,x"'],
    [" L 10000000000000000,4\n", 1, "address longer than 64 bits"],
  ])("rejects %j at line %i", (text, line, msg) => {
    expect(() => pages("lackey", bytes(text), { file: "t.lackey" })).toThrow(`t.lackey:${line}: ${msg}`);
  });

  it("reads a last line without a newline", () => {
    expect(pages("lackey", bytes("I  0401ab70,3\n L 2000,4"))).toEqual([0x401a, 0x2]);
  });
});

describe("text reader", () => {
  it("reads decimal and 0x hex page numbers up to 2^64 - 1, skipping blanks and # comments", () => {
    const t = "# pages\n7\n  0x10 \n\n0X7fffffffff\r\n18446744073709549568\n";
    expect(pages("text", bytes(t))).toEqual([7, 16, 0x7fffffffff, 18446744073709549568]);
  });

  it("divides addresses by the page size with textAddresses", () => {
    expect(pages("text", bytes("0x7ffd1234\n4096\n4095\n"), { textAddresses: true })).toEqual([0x7ffd1, 1, 0]);
  });

  it("reads the same pages whatever the chunk size", () => {
    const t = bytes("1\n22\n333\n0x4444\n55555\n");
    for (const chunk of [1, 2, 5]) expect(pages("text", t, {}, chunk)).toEqual([1, 22, 333, 0x4444, 55555]);
  });

  it.each([
    ["1\n2\nabc\n", 3, 'not a page number or address: "abc"'],
    ["1\n0x\n", 2, 'not a page number or address: "0x"'],
    ["12 13\n", 1, 'not a page number or address: "12 13"'],
    ["18446744073709551616\n", 1, "number larger than 2^64 - 1"],
  ])("rejects %j at line %i", (text, line, msg) => {
    expect(() => pages("text", bytes(text), { file: "p.txt" })).toThrow(`p.txt:${line}: ${msg}`);
  });
});

describe("oracleGeneral reader and writer", () => {
  const ids = Int32Array.from([0, 1, 0, 2, 1]);
  const keys: [number, number][] = [[0, 7], [1, 5], [0, 0xffffffff]];
  const file = encodeOracle(ids, ids.length, (id) => keys[id]!, 4096);

  it("writes 24-byte records with next_access_vtime from a backward pass (-1 when none)", () => {
    const v = new DataView(file.buffer);
    expect(file.length).toBe(5 * 24);
    // record 0: obj_id 7, size 4096, next access at 2; record 1: obj_id 2^32 + 5, next at 4
    expect([v.getUint32(4, true), v.getUint32(8, true), v.getUint32(12, true), Number(v.getBigInt64(16, true))]).toEqual([7, 0, 4096, 2]);
    expect([v.getUint32(24 + 4, true), v.getUint32(24 + 8, true), Number(v.getBigInt64(24 + 16, true))]).toEqual([5, 1, 4]);
    expect(Number(v.getBigInt64(2 * 24 + 16, true))).toBe(-1);
  });

  it("reads back the object ids, across any chunking", () => {
    const want = [7, 2 ** 32 + 5, 7, 0xffffffff, 2 ** 32 + 5];
    for (const chunk of [1, 5, 24, 25, 1000]) expect(pages("oracle", file, {}, chunk)).toEqual(want);
  });

  it("skips records of size 0 as libCacheSim's reader does", () => {
    const f = file.slice();
    new DataView(f.buffer).setUint32(24 + 12, 0, true);
    expect(pages("oracle", f)).toEqual([7, 7, 0xffffffff, 2 ** 32 + 5]);
  });

  it("rejects a truncated last record with its byte offset", () => {
    expect(() => pages("oracle", file.subarray(0, 5 * 24 - 3), { file: "x.oracleGeneral" }, 50)).toThrow(
      "x.oracleGeneral: truncated oracleGeneral record at byte offset 96: 21 of 24 bytes",
    );
  });
});

describe("mmsim binary format", () => {
  function encode(pageNumbers: number[], pageSize = 4096): Uint8Array {
    const index = new KeyIndex();
    const ids = Int32Array.from(pageNumbers, (p) => index.intern(Math.floor(p / 2 ** 32), p % 2 ** 32));
    const enc = new MmsimEncoder();
    const h = enc.header(pageSize);
    const body = enc.encode(ids, ids.length, (id) => index.keyHalves(id));
    const out = new Uint8Array(h.length + body.length);
    out.set(h);
    out.set(body, h.length);
    return out;
  }

  it("stores 4 bytes per request plus 8 per new page, and reads back the pages", () => {
    const refs = [5, 9, 5, 5, 2 ** 40 + 3, 9];
    const f = encode(refs);
    expect(f.length).toBe(16 + 6 * 4 + 3 * 8);
    for (const chunk of [1, 3, 13, 1000]) expect(pages("mmsim", f, {}, chunk)).toEqual(refs);
  });

  it("rejects a wrong magic, a truncated header, a truncated record and an id from nowhere", () => {
    const f = encode([5, 9, 5]);
    expect(() => pages("mmsim", bytes("MMSIMTR2" + "\0".repeat(8)), { file: "a.mmt" })).toThrow('a.mmt: not an mmsim trace: the file does not start with "MMSIMTR1"');
    expect(() => pages("mmsim", f.subarray(0, 10), { file: "a.mmt" })).toThrow("a.mmt: truncated mmsim trace: 10 of 16 header bytes");
    expect(() => pages("mmsim", f.subarray(0, f.length - 2), { file: "a.mmt" })).toThrow("a.mmt: truncated mmsim trace record at byte offset 40: 2 bytes left over");
    const bad = f.slice();
    new DataView(bad.buffer).setUint32(16 + 12 + 12, 7, true);
    expect(() => pages("mmsim", bad, { file: "a.mmt" })).toThrow("a.mmt: bad mmsim trace record at byte offset 40: id 7 but only 2 ids seen so far");
  });
});

describe("format detection", () => {
  it("tells the four formats apart by their first bytes", () => {
    expect(detectFormat(bytes(LACKEY))).toBe("lackey");
    expect(detectFormat(bytes("I  0401ab70,3\n"))).toBe("lackey");
    expect(detectFormat(bytes("12\n0x1f\n# c\n"))).toBe("text");
    expect(detectFormat(new MmsimEncoder().header(4096))).toBe("mmsim");
    expect(detectFormat(encodeOracle(Int32Array.from([0, 1]), 2, () => [0, 3], 4096))).toBe("oracle");
    expect(detectFormat(bytes("hello world\n"))).toBe(null);
  });
});
