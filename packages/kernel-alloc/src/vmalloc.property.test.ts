// Random vmalloc/vfree/vmap/vunmap/purge sequences with verify() after each step, and vfree of
// addresses that start no area (which WARNs and changes nothing); at the end every page comes
// back to the buddy allocator except the kernel page-table pages the run added (Linux never
// frees those for the vmalloc range either). 3 * 10^4 operations in CI (30 % of the package's
// 10^5, see slub.property.test.ts); MMSIM_PROPERTY_OPS sets the package total.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";

const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const OPS = Math.ceil(Number(ENV?.MMSIM_PROPERTY_OPS ?? 100_000) * 0.3);
const OPS_PER_RUN = 300;
const RUNS = Math.max(1, Math.ceil(OPS / OPS_PER_RUN));

type Op = { kind: "vmalloc"; pages: number } | { kind: "vmap"; pages: number } | { kind: "free"; pick: number } | { kind: "purge" } | { kind: "badfree"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("vmalloc" as const), pages: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("vmap" as const), pages: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("purge" as const) }),
  fc.record({ kind: fc.constant("badfree" as const), pick: fc.nat() }),
);

describe("vmalloc under random operations", () => {
  test(`verify() holds after each of ${RUNS * OPS_PER_RUN} operations and everything but new page tables returns to the buddy allocator`, () => {
    let opsRun = 0;
    let badFrees = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (ops) => {
        const { ka, m } = bootKa({}, 32);
        const total = () => {
          m.phys.drainAllPages();
          return m.phys.zones().reduce((t, z) => t + z.nrFreePages, 0);
        };
        const before = total();
        const tablesBefore = ka.vm.pageTablePages;
        const live: { va: number; owned: number[] }[] = [];
        for (const o of ops) {
          if (o.kind === "vmalloc") {
            const va = ka.vmalloc(o.pages * 4096, GFP_KERNEL, "prop+0x0/0x1");
            if (va) live.push({ va, owned: [] });
          } else if (o.kind === "vmap") {
            const pfns = Array.from({ length: o.pages }, () => m.phys.allocPages(GFP_KERNEL, 0));
            live.push({ va: ka.vmap(pfns, "prop_map+0x0/0x1"), owned: pfns });
          } else if (o.kind === "free" && live.length) {
            const [{ va, owned }] = live.splice(o.pick % live.length, 1);
            if (owned.length) {
              ka.vunmap(va);
              for (const pfn of owned) m.phys.freePages(pfn, 0);
            } else ka.vfree(va);
          } else if (o.kind === "purge") ka.vm.purgeLazy();
          else if (o.kind === "badfree" && live.length) {
            // vfree of an address inside an area (not its start): Linux WARNs and frees nothing.
            const { va } = live[o.pick % live.length];
            const lines = ka.printk.lines.length;
            const busy = ka.vm.busy.length;
            ka.vfree(va + 4096);
            expect(ka.printk.lines.length).toBeGreaterThan(lines);
            expect(ka.vm.busy.length).toBe(busy);
            badFrees++;
          }
          ka.verify();
          opsRun++;
        }
        for (const { va, owned } of live) {
          if (owned.length) {
            ka.vunmap(va);
            for (const pfn of owned) m.phys.freePages(pfn, 0);
          } else ka.vfree(va);
        }
        ka.vm.purgeLazy();
        ka.verify();
        expect(ka.vm.busy.length).toBe(0);
        expect(ka.vm.freeRanges()).toEqual([[0xc90000000000, 0xe90000000000]]);
        for (const c of ka.slab.caches) ka.kmemCacheShrink(c);
        expect(total() + (ka.vm.pageTablePages - tablesBefore)).toBe(before);
      }),
      { numRuns: RUNS },
    );
    console.log(`vmalloc property test: ${opsRun} operations (${badFrees} bad vfrees) in ${RUNS} runs`);
    expect(opsRun).toBe(RUNS * OPS_PER_RUN);
  }, 600_000);
});
