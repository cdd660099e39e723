// KernelAlloc.kmalloc/kfree's leaf fast paths (kernel-alloc.ts) against the full paths: the
// literal masks they use equal the named constants, and a random sequence of kmallocs and
// kfrees gives the same addresses, the same RAM bytes and the same slab state whether the
// fast paths run or tracing sends every call down the full path.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { __GFP_ACCOUNT, __GFP_DMA, __GFP_RECLAIMABLE, __GFP_ZERO, GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import { INUSE_MAP_WORDS } from "./internal/slab-meta";

describe("kmalloc/kfree fast paths", () => {
  test("the literals they test are the named constants", () => {
    expect(0x400111).toBe(__GFP_DMA | __GFP_RECLAIMABLE | __GFP_ACCOUNT | __GFP_ZERO);
    expect(1 << 7).toBe(INUSE_MAP_WORDS);
  });

  test("fast and full paths give identical results over random kmalloc/kfree sequences", () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant("kmalloc" as const), size: fc.integer({ min: 0, max: 300 }), zero: fc.boolean(), cpu: fc.nat(1) }),
      fc.record({ kind: fc.constant("kfree" as const), pick: fc.nat(), cpu: fc.nat(1) }),
    );
    let ops = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 300, maxLength: 1000 }), (seq) => {
        const fast = bootKa({}, 16);
        const full = bootKa({}, 16);
        full.m.trace.on = true; // kmalloc/kfree then take the full paths
        const live: number[] = [];
        for (const o of seq) {
          fast.ka.cpu = full.ka.cpu = o.cpu;
          if (o.kind === "kmalloc") {
            const gfp = o.zero ? GFP_KERNEL | __GFP_ZERO : GFP_KERNEL;
            const p = fast.ka.kmalloc(o.size, gfp, "t");
            expect(full.ka.kmalloc(o.size, gfp, "t")).toBe(p);
            if (p > 16) live.push(p);
          } else if (live.length) {
            const [p] = live.splice(o.pick % live.length, 1);
            fast.ka.kfree(p, "t");
            full.ka.kfree(p, "t");
          }
          ops++;
        }
        fast.ka.verify();
        full.ka.verify();
        expect(fast.ka.slabinfo()).toBe(full.ka.slabinfo());
        const s = fast.ka.slub!;
        const other = full.ka.slub!;
        s.caches.forEach((c, i) => expect(s.allocatedObjects(c)).toBe(other.allocatedObjects(other.caches[i])));
        for (const p of live) expect(fast.m.ram.read(p, 16)).toEqual(full.m.ram.read(p, 16));
      }),
      { numRuns: 10 },
    );
    console.log(`kmalloc fast/full comparison: ${ops} operations`);
  }, 120_000);
});
