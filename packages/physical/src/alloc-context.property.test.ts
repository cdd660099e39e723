// Random allocation, bulk allocation and free on two small nodes, with slow-path hooks
// (direct reclaim, compaction, OOM) that free pages and allocate again at random nesting
// depths; double frees and invalid gfp masks among the operations, each giving its expected
// error without changing anything; verify() after every step. Every page handed out, at any
// depth, respects its request's zone bound and __GFP_THISNODE node, and a hook's context is
// the same after the allocations it made. MMSIM_PROPERTY_OPS=N runs longer (see
// test/property-ops.ts).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bug } from "@mmsim/base";
import type { AllocContext } from "./alloc-context";
import { GFP_ATOMIC, GFP_DMA, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, __GFP_COMP, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_MOVABLE, __GFP_NORETRY, __GFP_NOWARN, __GFP_RECLAIMABLE, __GFP_THISNODE, gfpCheck } from "./gfp";
import type { PhysicalMemory } from "./page-alloc";
import { twoSmallNodes } from "../test/machines";
import { propertyOps, propertyRuns } from "../test/property-ops";

const MASKS = [
  GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | GFP_DMA, GFP_KERNEL | __GFP_DMA32,
  GFP_KERNEL | __GFP_COMP, GFP_KERNEL | __GFP_THISNODE, GFP_NOWAIT | __GFP_THISNODE, GFP_KERNEL | __GFP_NORETRY, GFP_HIGHUSER_MOVABLE | __GFP_THISNODE,
].map((g) => g | __GFP_NOWARN);
/** Masks gfp_zone() BUGs on (GFP_ZONE_BAD) and masks with bits 6.18 does not define. */
const BAD_ZONE = [__GFP_HIGHMEM | __GFP_DMA32, GFP_KERNEL | __GFP_DMA | __GFP_DMA32, __GFP_DMA | __GFP_DMA32 | __GFP_MOVABLE, GFP_KERNEL | __GFP_DMA | __GFP_HIGHMEM];
const UNKNOWN_BITS = [GFP_KERNEL | 0x200, GFP_KERNEL | 0x1000000];

const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("alloc" as const), mask: fc.nat(MASKS.length - 1), order: fc.oneof(fc.constant(0), fc.nat(3), fc.nat(10)), nid: fc.integer({ min: -1, max: 1 }), cpu: fc.nat(1), n: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("free" as const), pick: fc.nat(), n: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bulk" as const), mask: fc.nat(MASKS.length - 1), nid: fc.integer({ min: -1, max: 1 }), n: fc.integer({ min: 0, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("doubleFree" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("badMask" as const), bad: fc.nat(BAD_ZONE.length + UNKNOWN_BITS.length - 1), order: fc.nat(3) }) },
  // the hooks of the next allocations: pages each reclaim frees, nesting allowed, OOM frees
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("hooks" as const), reclaim: fc.nat(64), nestDepth: fc.nat(4), nestMask: fc.nat(MASKS.length - 1), nestNid: fc.integer({ min: -1, max: 1 }), oom: fc.nat(32), compactAllocs: fc.boolean() }) },
);

type Held = { pfn: number; order: number };

/** The request's constraints on the page it got: zone bound, and the node under THISNODE. */
function checkPage(m: PhysicalMemory, pfn: number, gfp: number, nid: number): void {
  const z = m.pageZone(pfn)!;
  const highest = m.gfpZoneTable[gfp & 0xf];
  expect(z.idx).toBeLessThanOrEqual(highest);
  if (gfp & __GFP_THISNODE) expect(z.nid).toBe(nid < 0 ? m.localNid : nid);
}

describe("property: nested allocations from slow-path hooks", () => {
  it("keep every context, every invariant, and the expected errors", () => {
    const target = propertyOps(80_000, 0.8);
    // a run is 1..16 steps of up to 150 operations each, plus the hooks' own
    const runs = propertyRuns(target, 440);
    let ops = 0;
    let nested = 0;
    let deepest = 0;
    let steps = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 16, size: "max" }), (script) => {
        const m = twoSmallNodes();
        const boot = m.buddyinfo();
        const bootFree = m.zones().reduce((s, z) => s + z.nrFreePages, 0);
        const held: Held[] = [];
        let reclaim = 0;
        let nestDepth = 0;
        let nestMask = 0;
        let nestNid = -1;
        let oom = 0;
        let compactAllocs = false;
        const freeSome = (n: number): number => {
          let freed = 0;
          while (freed < n && held.length > 0) {
            const b = held.pop()!;
            m.freePages(b.pfn, b.order);
            ops++;
            freed += 1 << b.order;
          }
          return freed;
        };
        const nest = (ac: AllocContext): void => {
          if (ac.depth + 1 >= nestDepth) return;
          const before = [ac.depth, ac.nid, ac.thisNode, ac.highestZoneIdx, ac.migratetype, ac.gfpMask, ac.order, ac.zonelist, ac.preferredZone];
          const gfp = MASKS[nestMask];
          const pfn = m.allocPages(gfp, 0, nestNid);
          ops++;
          nested++;
          deepest = Math.max(deepest, ac.depth + 1);
          if (pfn >= 0) {
            checkPage(m, pfn, gfp, nestNid);
            held.push({ pfn, order: 0 });
          }
          expect([ac.depth, ac.nid, ac.thisNode, ac.highestZoneIdx, ac.migratetype, ac.gfpMask, ac.order, ac.zonelist, ac.preferredZone]).toEqual(before);
        };
        m.setHooks({
          tryToFreePages: (ac) => {
            const freed = freeSome(reclaim);
            nest(ac);
            return freed;
          },
          tryToCompactPages: (ac) => {
            if (compactAllocs) nest(ac);
            return compactAllocs;
          },
          outOfMemory: (oc) => {
            expect(oc.chosen).toBe(-1);
            return freeSome(oom) > 0;
          },
        });
        for (const s of script) {
          steps++;
          if (s.kind === "alloc") {
            m.cpu = s.cpu;
            const gfp = MASKS[s.mask];
            for (let k = 0; k < s.n; k++) {
              const pfn = m.allocPages(gfp, s.order, s.nid);
              ops++;
              if (pfn < 0) continue;
              checkPage(m, pfn, gfp, s.nid);
              held.push({ pfn, order: s.order });
            }
          } else if (s.kind === "bulk") {
            const out: number[] = [];
            const got = m.allocPagesBulk(MASKS[s.mask], s.nid, s.n, out);
            ops += Math.max(1, s.n);
            expect(out.length).toBe(got);
            for (const pfn of out) {
              checkPage(m, pfn, MASKS[s.mask], s.nid);
              held.push({ pfn, order: 0 });
            }
          } else if (s.kind === "free") {
            for (let k = 0; k < s.n && held.length > 0; k++) {
              const [b] = held.splice(s.pick % held.length, 1);
              m.freePages(b.pfn, b.order);
              ops++;
            }
          } else if (s.kind === "doubleFree") {
            if (held.length === 0) continue;
            const [b] = held.splice(s.pick % held.length, 1);
            m.freePages(b.pfn, b.order);
            expect(() => m.freePages(b.pfn, b.order)).toThrow(Bug);
            expect(() => m.freePages(b.pfn, b.order)).toThrow(/__free_pages: pfn \d+: page is free|free_pages_prepare: pfn \d+ is already in the buddy allocator/);
            ops += 3;
          } else if (s.kind === "badMask") {
            if (s.bad < BAD_ZONE.length) {
              const gfp = BAD_ZONE[s.bad];
              expect(gfpCheck(gfp)).toMatch(/cannot be combined/);
              expect(() => m.allocPages(gfp, s.order)).toThrow("gfp_zone: invalid zone modifiers");
            } else {
              // undefined bits: reported to users, ignored by the allocator as by Linux
              const gfp = UNKNOWN_BITS[s.bad - BAD_ZONE.length] | __GFP_NOWARN;
              expect(gfpCheck(gfp)).toMatch(/unknown gfp bits/);
              const pfn = m.allocPages(gfp, s.order);
              if (pfn >= 0) held.push({ pfn, order: s.order });
            }
            ops += 2;
            expect(m.acDepth).toBe(0);
          } else {
            ({ reclaim, nestDepth, nestMask, nestNid, oom, compactAllocs } = s);
          }
          m.verify();
        }
        m.setHooks({ tryToFreePages: () => 0, tryToCompactPages: () => false, outOfMemory: () => false });
        for (const b of held) m.freePages(b.pfn, b.order);
        ops += held.length;
        m.drainAllPages();
        m.verify();
        expect(m.zones().reduce((s, z) => s + z.nrFreePages, 0)).toBe(bootFree);
        // free blocks merge back as at boot unless a pageblock stayed in the highatomic reserve
        if (m.zones().every((z) => z.nrReservedHighatomic === 0)) expect(m.buddyinfo()).toBe(boot);
      }),
      { numRuns: runs, seed: 15 },
    );
    console.log(`nested-allocation property: ${ops} operations in ${steps} steps (verify() after each), ${nested} nested allocations, deepest nesting ${deepest}`);
    expect(ops).toBeGreaterThanOrEqual(target / 2);
    expect(nested).toBeGreaterThan(0);
  }, 300_000);
});
