// Random alloc/bulk-alloc/free sequences across orders, GFP masks, zones, nodes and CPUs, with verify()
// after every step; freeing everything (and draining the PCP lists) returns buddyinfo to boot.
// MMSIM_PROPERTY_OPS=N runs longer (see test/property-ops.ts).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { GFP_ATOMIC, GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, __GFP_COMP, __GFP_DMA32, __GFP_NOWARN, __GFP_RECLAIMABLE } from "./gfp";
import { twoSmallNodes } from "../test/machines";
import { propertyOps, propertyRuns } from "../test/property-ops";

const MASKS = [GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | GFP_DMA, GFP_KERNEL | __GFP_DMA32, GFP_KERNEL | __GFP_COMP];

const op = fc.oneof(
  fc.record({ kind: fc.constant("alloc" as const), mask: fc.nat(MASKS.length - 1), order: fc.oneof(fc.nat(3), fc.nat(10)), nid: fc.nat(1), cpu: fc.nat(1), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("free" as const), pick: fc.nat(), cpu: fc.nat(1) }),
  fc.record({ kind: fc.constant("bulk" as const), mask: fc.nat(MASKS.length - 1), nid: fc.integer({ min: -1, max: 1 }), cpu: fc.nat(1), n: fc.integer({ min: 0, max: 200 }) }),
);

describe("property: random allocation and free", () => {
  it("keeps every invariant and returns to the boot state", () => {
    const target = propertyOps(10_000, 0.15);
    let count = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40, size: "max" }), (ops) => {
        const m = twoSmallNodes();
        const boot = m.buddyinfo();
        const held: { pfn: number; order: number }[] = [];
        for (const o of ops) {
          m.cpu = o.cpu;
          if (o.kind === "alloc") {
            for (let k = 0; k < o.n; k++) {
              const pfn = m.allocPages(MASKS[o.mask] | __GFP_NOWARN, o.order, o.nid);
              count++;
              if (pfn >= 0) held.push({ pfn, order: o.order });
            }
          } else if (o.kind === "bulk") {
            const out: number[] = [];
            const got = m.allocPagesBulk(MASKS[o.mask] | __GFP_NOWARN, o.nid, o.n, out);
            count += Math.max(1, o.n);
            expect(out.length).toBe(got);
            for (const pfn of out) held.push({ pfn, order: 0 });
          } else if (held.length) {
            const [b] = held.splice(o.pick % held.length, 1);
            m.freePages(b.pfn, b.order);
            count++;
          }
          m.verify();
        }
        for (const b of held) m.freePages(b.pfn, b.order);
        m.drainAllPages();
        m.verify();
        expect(m.buddyinfo()).toBe(boot);
      }),
      // a run averages about 20 steps of about 20 operations
      { numRuns: propertyRuns(target, 400), seed: 4 },
    );
    console.log(`page-alloc property: ${count} operations`);
    expect(count).toBeGreaterThanOrEqual(target / 2);
  }, 120_000);
});
