// Random alloc/free sequences across caches and CPUs with verify() after every step; at the
// end every object is freed, every cache destroyed, and the buddy allocator is back where it
// started.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import { freeByOrder } from "../test/machine";
import type { SlabCacheInfo } from "./kmalloc";

type Op = { kind: "alloc"; cache: number; cpu: number } | { kind: "free"; pick: number; cpu: number } | { kind: "kmalloc"; size: number; cpu: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("alloc" as const), cache: fc.nat(3), cpu: fc.nat(1) }),
  fc.record({ kind: fc.constant("free" as const), pick: fc.nat(), cpu: fc.nat(1) }),
  fc.record({ kind: fc.constant("kmalloc" as const), size: fc.integer({ min: 0, max: 10000 }), cpu: fc.nat(1) }),
);

function run(ops: Op[], cfg: Parameters<typeof bootKa>[0]) {
  const { ka, m } = bootKa(cfg);
  m.phys.drainAllPages();
  const before = freeByOrder(m.phys);
  const caches: SlabCacheInfo[] = [
    ka.kmemCacheCreate("obj24", 24)!,
    ka.kmemCacheCreate("obj200", 200)!,
    ka.kmemCacheCreate("obj1000", 1000)!,
    ka.kmemCacheCreate("obj5000", 5000)!,
  ];
  const live: { p: number; c: SlabCacheInfo | null }[] = [];
  for (const o of ops) {
    ka.cpu = o.cpu;
    if (o.kind === "alloc") {
      const p = ka.kmemCacheAlloc(caches[o.cache], GFP_KERNEL);
      expect(p).not.toBe(0);
      live.push({ p, c: caches[o.cache] });
    } else if (o.kind === "kmalloc") {
      const p = ka.kmalloc(o.size, GFP_KERNEL);
      expect(p).not.toBe(0);
      live.push({ p, c: null });
    } else if (live.length) {
      const [{ p, c }] = live.splice(o.pick % live.length, 1);
      if (c) ka.kmemCacheFree(c, p);
      else ka.kfree(p);
    }
    ka.verify();
    // Each live object is counted allocated exactly once: recount per cache.
    for (const c of caches) expect(ka.slub ? ka.slub.allocatedObjects(c as never) : 0).toBe(ka.slub ? live.filter((l) => l.c === c).length : 0);
  }
  for (const { p, c } of live) {
    if (c) ka.kmemCacheFree(c, p);
    else ka.kfree(p);
  }
  for (const c of caches) expect(ka.kmemCacheDestroy(c)).toBe(true);
  ka.verify();
  return { ka, m, before };
}

describe("SLUB under random operations", () => {
  test("verify() holds after every step and destroying the caches returns their pages", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const { ka, m, before } = run(ops, {});
        // The destroyed caches gave their slabs back; kmalloc and the descriptor caches keep
        // emptied slabs (up to min_partial) until shrunk.
        for (const c of ka.slab.caches) ka.kmemCacheShrink(c);
        m.phys.drainAllPages();
        expect(ka.printk.lines).toEqual([]);
        expect(freeByOrder(m.phys)).toEqual(before);
      }),
      { numRuns: 40 },
    );
  });

  test("with slub_debug=FZPU on every cache, random operations report nothing and verify() holds", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { ka } = run(ops, { slubDebug: "FZPU" });
        expect(ka.printk.lines).toEqual([]);
      }),
      { numRuns: 15 },
    );
  });

  test("a cache created, filled, emptied and destroyed gives back exactly the buddy state before it", () => {
    const { ka, m } = bootKa({});
    const c0 = ka.kmemCacheCreate("warm", 64)!;
    ka.kmemCacheDestroy(c0); // the first cache's descriptor slab stays; take it out of the picture
    m.phys.drainAllPages();
    const before = freeByOrder(m.phys);
    const c = ka.kmemCacheCreate("big", 700)!;
    const objs = Array.from({ length: 500 }, (_, i) => {
      ka.cpu = i % 2;
      return ka.kmemCacheAlloc(c);
    });
    for (const p of objs.reverse()) ka.kmemCacheFree(c, p);
    expect(ka.kmemCacheDestroy(c)).toBe(true);
    m.phys.drainAllPages();
    expect(freeByOrder(m.phys)).toEqual(before);
  });
});
