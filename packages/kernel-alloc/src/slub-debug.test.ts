// slub_debug detections with the report text of mm/slub.c (6.18: check_bytes_and_report prints
// "[<what> overwritten] ..." before an "Object corrupt" BUG; free_consistency_checks reports
// "Object already free"), as lib/tests/slub_kunit.c provokes them.
import { describe, expect, test } from "vitest";
import { KernelBug } from "@mmsim/base";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import type { KmemCache } from "./kmem-cache";

const va = (pa: number) => (0xffff888000000000n + BigInt(pa)).toString(16);
const BAR = "=============================================================================";
const DASH = "-----------------------------------------------------------------------------";

/** Runs `f`, which must throw a KernelBug, and returns it. */
function catchBug(f: () => void): KernelBug {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelBug) return e;
    throw e;
  }
  throw new Error("expected a KernelBug");
}

function debugKa(opts = "FZPU,kmalloc-64") {
  const { ka, m } = bootKa({ slubDebug: opts });
  return { ka, m, s: ka.cache("kmalloc-64") as KmemCache };
}

describe("slub_debug=FZPU layout of kmalloc-64", () => {
  test("red zones, free pointer outside, two tracks and the original size make a 256-byte slot", () => {
    const { s } = debugKa();
    expect([s.objectSize, s.inuse, s.offset, s.redLeftPad, s.size, s.objects]).toEqual([64, 72, 72, 64, 256, 16]);
  });

  test("an allocated object is poisoned up to the request and red-zoned after it; a freed one is 6b..a5 with bb zones", () => {
    const { ka, m } = debugKa();
    const p = ka.kmalloc(50, GFP_KERNEL, "t");
    const bytes = m.ram.read(p - 64, 64 + 72);
    expect(bytes[0]).toBe(0xcc); // left red zone, active
    expect([bytes[64], bytes[64 + 48], bytes[64 + 49], bytes[64 + 50], bytes[64 + 71]]).toEqual([0x6b, 0x6b, 0xa5, 0xcc, 0xcc]);
    ka.kfree(p, "t");
    const after = m.ram.read(p - 64, 64 + 72);
    expect([after[0], after[64], after[64 + 62], after[64 + 63], after[64 + 64], after[64 + 71]]).toEqual([0xbb, 0x6b, 0x6b, 0xa5, 0xbb, 0xbb]);
    expect(ka.printk.lines).toEqual([]);
  });
});

describe("detections", () => {
  test("a write past the object is reported at kfree as a Right Redzone overwrite, and the object is not freed", () => {
    const { ka, m, s } = debugKa();
    const p = ka.kmalloc(64, GFP_KERNEL, "test_alloc+0x10/0x40");
    m.ram.writeU8(p + 64, 0x12);
    ka.kfree(p, "test_free+0x8/0x20");
    const slot = ka.slub!.meta.slotOfPa(p);
    const pfn = ka.slub!.meta.head[slot];
    const base = pfn * 4096;
    const slabVa = (0xffffea0000000000n + BigInt(pfn * 64)).toString(16);
    const log = ka.printk.lines;
    expect(log.slice(0, 9)).toEqual([
      `[Right Redzone overwritten] 0x${va(p + 64)}-0x${va(p + 64)} @offset=${p + 64 - base}. First byte 0x12 instead of 0xcc`,
      BAR,
      "BUG kmalloc-64 (Not tainted): Object corrupt",
      DASH,
      "",
      "Allocated in test_alloc+0x10/0x40 age=0 cpu=0 pid=0",
      `Slab 0x${slabVa} objects=16 used=1 fp=0x${va(p + 256)} flags=${ka.slub!.pageFlagsText(pfn, 0)}`,
      `Object 0x${va(p)} @offset=${p - base} fp=0x${va(p + 256)}`,
      "",
    ]);
    expect(log).toContain(`Redzone  ${va(p + 64)}: ${"12 cc cc cc cc cc cc cc".padEnd(49)}........`);
    expect(log.slice(-2)).toEqual([
      `FIX kmalloc-64: Restoring Right Redzone 0x${va(p + 64)}-0x${va(p + 64)}=0xcc`,
      `FIX kmalloc-64: Object at 0x${va(p)} not freed`,
    ]);
    expect(ka.slub!.allocatedObjects(s)).toBe(1);
    ka.verify();
  });

  test("a write between the kmalloc request and the slot end is a kmalloc Redzone overwrite", () => {
    const { ka, m } = debugKa();
    const p = ka.kmalloc(50, GFP_KERNEL, "t");
    m.ram.writeU8(p + 55, 0x11);
    ka.kfree(p, "t");
    expect(ka.printk.lines[0]).toBe(`[kmalloc Redzone overwritten] 0x${va(p + 55)}-0x${va(p + 55)} @offset=${(p % 4096) + 55}. First byte 0x11 instead of 0xcc`);
    expect(ka.printk.lines[2]).toBe("BUG kmalloc-64 (Not tainted): Object corrupt");
  });

  test("a write before the object is a Left Redzone overwrite", () => {
    const { ka, m } = debugKa();
    const p = ka.kmalloc(64, GFP_KERNEL, "t");
    m.ram.writeU8(p - 1, 0x00);
    ka.kfree(p, "t");
    expect(ka.printk.lines[0]).toBe(`[Left Redzone overwritten] 0x${va(p - 1)}-0x${va(p - 1)} @offset=${(p % 4096) - 1}. First byte 0x0 instead of 0xcc`);
  });

  test("a write after free is found as Poison overwritten when the object is next allocated", () => {
    const { ka, m } = debugKa();
    const p = ka.kmalloc(64, GFP_KERNEL, "t");
    ka.kfree(p, "t");
    m.ram.writeU8(p + 8, 0x41);
    m.ram.writeU8(p + 9, 0x42);
    const q = ka.kmalloc(64, GFP_KERNEL, "t");
    const log = ka.printk.lines;
    expect(log[0]).toBe(`[Poison overwritten] 0x${va(p + 8)}-0x${va(p + 9)} @offset=${(p % 4096) + 8}. First byte 0x41 instead of 0x6b`);
    expect(log[2]).toBe("BUG kmalloc-64 (Not tainted): Object corrupt");
    expect(log).toContain("Freed in t age=0 cpu=0 pid=0");
    expect(log).toContain(`FIX kmalloc-64: Restoring Poison 0x${va(p + 8)}-0x${va(p + 9)}=0x6b`);
    expect(log).toContain("FIX kmalloc-64: Marking all objects used");
    // The slab was taken out of use; the allocation came from a new slab.
    expect(Math.floor(q / 4096)).not.toBe(Math.floor(p / 4096));
    ka.verify();
  });

  test("freeing an object twice reports Object already free, throws KernelBug with that report and leaves the freelist intact", () => {
    const { ka } = debugKa();
    const p = ka.kmalloc(64, GFP_KERNEL, "t");
    const keep = ka.kmalloc(64, GFP_KERNEL, "t");
    ka.kfree(p, "t");
    const e = catchBug(() => ka.kfree(p, "t"));
    const log = ka.printk.lines;
    expect(log.slice(0, 4)).toEqual([BAR, "BUG kmalloc-64 (Not tainted): Object already free", DASH, ""]);
    expect(log[log.length - 1]).toBe(`FIX kmalloc-64: Object at 0x${va(p)} not freed`);
    expect(e.report).toEqual(log);
    expect(e.message).toBe(`bad free of 0x${va(p)} in kmalloc-64: Object already free`);
    expect(e.fn).toBe("free_debug_processing");
    ka.verify();
    // The second report shows the taint of the first (B: bad page, W: warning).
    const p2 = ka.kmalloc(64, GFP_KERNEL, "t");
    ka.kfree(p2, "t");
    catchBug(() => ka.kfree(p2, "t"));
    expect(ka.printk.lines).toContain("BUG kmalloc-64 (Tainted: G    B   W          ): Object already free");
    ka.kfree(keep, "t");
    // With no object left in the slab, a further free of p is caught by the counters first.
    const e3 = catchBug(() => ka.kfree(p, "t"));
    expect(e3.message).toBe(`bad free of 0x${va(p)} in kmalloc-64: Slab has 0 allocated objects but 1 are to be freed`);
    expect(ka.printk.lines).toContain("BUG kmalloc-64 (Tainted: G    B   W          ): Slab has 0 allocated objects but 1 are to be freed");
    ka.verify();
  });

  test("validate_slab_cache finds a red zone overwrite on an allocated object", () => {
    const { ka, m } = debugKa("Z,kmalloc-64");
    const s = ka.cache("kmalloc-64") as KmemCache;
    const p = ka.kmalloc(64, GFP_KERNEL, "t");
    m.ram.writeU8(p + 64, 0x12);
    expect(ka.slub!.debugger.validate(s)).toBe(1);
    expect(ka.printk.lines[0]).toContain("[Right Redzone overwritten]");
    // The bytes were restored: a second validation is clean.
    expect(ka.slub!.debugger.validate(s)).toBe(0);
  });
});
