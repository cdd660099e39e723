import { describe, expect, it } from "vitest";
import { Tlb } from "./tlb";
import { RIGHT_WRITABLE, WalkResult } from "./walk";

/** A successful walk result for a page of `pageSize` at physical `pa`. */
function walk(pa: number, pageSize = 4096, global = false, writable = true): WalkResult {
  const w = new WalkResult();
  Object.assign(w, { ok: true, pa, pageSize, global, writable, user: true, nx: false, dirty: true });
  return w;
}

const tiny = { sets4k: 2, ways4k: 4, sets2m: 1, ways2m: 2, sets1g: 1, ways1g: 1 };

describe("Tlb", () => {
  it("misses, then hits after a fill, with counters", () => {
    const tlb = new Tlb();
    const out = new WalkResult();
    expect(tlb.lookup(0x7f0000001234, out)).toBe(false);
    tlb.fill(0x7f0000001234, walk(0x5234));
    expect(tlb.lookup(0x7f0000001ff8, out)).toBe(true);
    expect([out.pa, out.pageSize, out.tlbHit]).toEqual([0x5ff8, 4096, true]);
    expect([tlb.hits, tlb.misses, tlb.size]).toEqual([1, 1, 1]);
  });

  it("caches 2 MiB and 1 GiB pages for their whole range", () => {
    const tlb = new Tlb();
    const out = new WalkResult();
    tlb.fill(0x40000000 + 0x1234, walk(0x200000 + 0x1234, 2 ** 21));
    tlb.fill(0x8000000000, walk(0x40000000, 2 ** 30));
    expect(tlb.lookup(0x40000000 + 0x1fffff, out) && out.pa).toBe(0x3fffff);
    expect(tlb.lookup(0x8000000000 + 0x3ffffff8, out) && out.pa).toBe(0x7ffffff8);
  });

  it("invlpg removes exactly the entry for that page in the current PCID", () => {
    const tlb = new Tlb();
    const out = new WalkResult();
    tlb.fill(0x1000, walk(0x9000));
    tlb.fill(0x2000, walk(0xa000));
    tlb.pcid = 1;
    tlb.fill(0x1000, walk(0xb000));
    tlb.pcid = 0;
    tlb.invlpg(0x1abc);
    expect(tlb.lookup(0x1000, out)).toBe(false);
    expect(tlb.lookup(0x2000, out)).toBe(true);
    tlb.pcid = 1;
    expect(tlb.lookup(0x1000, out) && out.pa).toBe(0xb000);
    expect(tlb.size).toBe(2);
  });

  it("invlpg also removes a global entry for the page and a huge page containing it", () => {
    const tlb = new Tlb();
    const out = new WalkResult();
    tlb.pcid = 3;
    tlb.fill(0x40000000, walk(0x200000, 2 ** 21, true));
    tlb.pcid = 0;
    tlb.invlpg(0x40123000);
    expect(tlb.lookup(0x40000000, out)).toBe(false);
  });

  it("isolates PCIDs: an entry filled under PCID 1 is invisible under PCID 2", () => {
    const tlb = new Tlb();
    const out = new WalkResult();
    tlb.pcid = 1;
    tlb.fill(0x1000, walk(0x9000));
    tlb.pcid = 2;
    expect(tlb.lookup(0x1000, out)).toBe(false);
    tlb.flushPcid(2);
    tlb.pcid = 1;
    expect(tlb.lookup(0x1000, out)).toBe(true);
    tlb.flushPcid(1);
    expect(tlb.lookup(0x1000, out)).toBe(false);
  });

  it("global entries match every PCID and survive flushPcid and flushNonGlobal, not flushAll", () => {
    const tlb = new Tlb();
    const out = new WalkResult();
    tlb.fill(0xffff88800000, walk(0x0, 4096, true));
    tlb.fill(0x1000, walk(0x9000));
    tlb.pcid = 7;
    expect(tlb.lookup(0xffff88800000, out)).toBe(true);
    tlb.flushNonGlobal();
    tlb.flushPcid(0);
    expect(tlb.size).toBe(1);
    expect(tlb.lookup(0xffff88800000, out)).toBe(true);
    tlb.flushAll();
    expect(tlb.size).toBe(0);
    expect(tlb.flushes).toBe(3);
  });

  it("evicts the least recently used way of a set (4 ways: fill A B C D, touch A, fill E → B goes)", () => {
    const tlb = new Tlb(tiny);
    const out = new WalkResult();
    // pages 0, 2, 4, 6, 8 all map to set 0 of a 2-set TLB
    const va = (i: number) => i * 2 * 4096;
    for (let i = 0; i < 4; i++) tlb.fill(va(i), walk(0x100000 + i * 4096));
    expect(tlb.lookup(va(0), out)).toBe(true);
    tlb.fill(va(4), walk(0x200000));
    expect(tlb.evictions).toBe(1);
    expect([0, 1, 2, 3, 4].map((i) => tlb.lookup(va(i), out))).toEqual([true, false, true, true, true]);
    // the lookups above touched A, C, D, E in that order, so A is now the least recently used
    tlb.fill(va(5), walk(0x300000));
    expect([0, 2, 3, 4, 5].map((i) => tlb.lookup(va(i), out))).toEqual([false, true, true, true, true]);
    tlb.verify();
  });

  it("a refill of the same page replaces its entry instead of duplicating it", () => {
    const tlb = new Tlb(tiny);
    const out = new WalkResult();
    tlb.fill(0x1000, walk(0x9000, 4096, false, false));
    tlb.fill(0x1000, walk(0x9000, 4096, false, true));
    expect(tlb.size).toBe(1);
    expect(tlb.lookup(0x1000, out) && out.writable).toBe(true);
    expect(tlb.evictions).toBe(0);
  });

  it("splits 57-bit page numbers correctly: two pages 2^44 bytes apart do not alias", () => {
    const tlb = new Tlb();
    const out = new WalkResult();
    tlb.fill(0x1000, walk(0x9000));
    expect(tlb.lookup(0x1000 + 2 ** 44, out)).toBe(false);
    tlb.fill(0x1ffffff80001000, walk(0xa000));
    expect(tlb.lookup(0x1ffffff80001000, out) && out.pa).toBe(0xa000);
    expect(tlb.entries().map((e) => e.vpn)).toContain(0x1ffffff80001000 / 4096);
  });
});

describe("Tlb LRU stamps", () => {
  it("keeps the LRU order across the renumbering at the tick limit", () => {
    const tlb = new Tlb(tiny);
    const out = new WalkResult();
    const va = (i: number) => i * 2 * 4096; // all in set 0
    // Push the tick to just below its limit, then fill A B C D and touch A across the limit.
    (tlb as unknown as { tick: number }).tick = 0x3fffffff - 3;
    for (let i = 0; i < 4; i++) tlb.fill(va(i), walk(0x100000 + i * 4096));
    expect(tlb.lookup(va(0), out)).toBe(true);
    expect((tlb as unknown as { tick: number }).tick).toBeLessThan(100);
    tlb.fill(va(4), walk(0x200000)); // evicts B, the least recently used
    expect([0, 1, 2, 3, 4].map((i) => tlb.lookup(va(i), out))).toEqual([true, false, true, true, true]);
    tlb.verify();
  });
});

describe("Tlb hit counting and keys", () => {
  it("counts hits exactly across the renumbering at the tick limit (hits are derived from the tick)", () => {
    const tlb = new Tlb(tiny);
    const out = new WalkResult();
    (tlb as unknown as { tick: number }).tick = 0x3fffffff - 10;
    const hits0 = tlb.hits;
    for (let i = 0; i < 4; i++) tlb.fill(i * 4096, walk(0x100000 + i * 4096));
    for (let n = 0; n < 20; n++) expect(tlb.lookup((n % 4) * 4096, out)).toBe(true);
    expect(tlb.lookup(9 * 4096, out)).toBe(false);
    expect([tlb.hits - hits0, tlb.misses]).toEqual([20, 1]);
    expect((tlb as unknown as { tick: number }).tick).toBeLessThan(100);
  });

  it("hitPa applies the rights rule: a denied hit is counted as a miss and keeps the entry", () => {
    const tlb = new Tlb(tiny);
    tlb.fill(0x1000, walk(0x9000, 4096, false, false));
    const needWritable = (RIGHT_WRITABLE << 8) | RIGHT_WRITABLE;
    expect(tlb.hitPa(0x1008, needWritable)).toBe(-1);
    expect([tlb.hits, tlb.misses, tlb.size]).toEqual([0, 1, 1]);
    expect(tlb.hitPa(0x1008, 0)).toBe(0x9008);
    expect([tlb.hits, tlb.misses]).toEqual([1, 1]);
  });

  it("a global entry matches every PCID and shows the PCID it was filled under", () => {
    const tlb = new Tlb(tiny);
    const out = new WalkResult();
    tlb.pcid = 5;
    tlb.fill(0xffff88800000, walk(0x0, 4096, true));
    tlb.pcid = 9;
    expect(tlb.lookup(0xffff88800000, out) && out.global).toBe(true);
    expect(tlb.entries().map((e) => [e.pcid, e.global])).toEqual([[5, true]]);
    expect(() => { tlb.pcid = 0x1000; }).toThrow(/12 bits/);
  });

  it("verify() catches an entry whose key says global while its flags do not", () => {
    const tlb = new Tlb(tiny);
    tlb.fill(0x1000, walk(0x9000));
    const e = (tlb as unknown as { e: Int32Array }).e;
    const i = e.findIndex((w, x) => x % 4 === 1 && w !== -1);
    e[i] |= 0x1000 << 16;
    expect(() => tlb.verify()).toThrow(/owner 4096/);
  });
});
