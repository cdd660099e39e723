// Random operation sequences through SLUB and kmalloc, plain, with a hardened freelist and
// under slub_debug, with verify() after every step: allocations from named caches and kmalloc
// of every size, frees, shrinks, CPU switches, and generated bad frees (double frees, frees
// of an address inside an object, kfree of a page kmalloc never returned), each of which must
// throw KernelBug and change nothing. At the end everything is freed, the caches destroyed,
// and the buddy allocator is back where it started. 7 * 10^4 operations in CI (with
// vmalloc.property.test.ts, 10^5 for the package); MMSIM_PROPERTY_OPS sets the package total.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { KernelBug } from "@mmsim/base";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import { freeByOrder } from "../test/machine";
import type { SlabCacheInfo } from "./kmalloc";

const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
/** Operations for the whole package (this file runs 70 %). */
const PACKAGE_OPS = Number(ENV?.MMSIM_PROPERTY_OPS ?? 100_000);
const OPS = Math.ceil(PACKAGE_OPS * 0.7);
const OPS_PER_RUN = 500;
const RUNS = Math.max(1, Math.ceil(OPS / OPS_PER_RUN));

type Op = { kind: number; a: number; b: number; cpu: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  // 0-2 cache alloc, 3-4 kmalloc, 5-7 free, 8-9 double free, 10 free inside an object,
  // 11 kfree of a page, 12 shrink, 13 CPU switch; 14-29 repeat 0-7 so bad frees are ~1 in 10
  kind: fc.integer({ min: 0, max: 29 }),
  a: fc.nat(),
  // kmalloc sizes: mostly the small classes, sometimes up to two pages and beyond
  b: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 256 }) }, { weight: 1, arbitrary: fc.integer({ min: 257, max: 10000 }) }),
  cpu: fc.nat(1),
});

const CONFIGS = [{}, { freelistHardened: true }, { slubDebug: "FZPU" }, { slubDebug: "ZP" }] as const;

interface Live { p: number; c: SlabCacheInfo | null; large: boolean }

/** expect() for the per-operation checks, without its cost on 10^5 operations. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** Runs `f`, which must throw KernelBug whose report is what was just logged; returns false if it did not throw. */
function expectKernelBug(log: readonly string[], f: () => void): void {
  const before = log.length;
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KernelBug);
  const report = (caught as KernelBug).report;
  expect(report.length).toBeGreaterThan(0);
  expect(log.slice(log.length - report.length)).toEqual(report);
  expect(log.length).toBeGreaterThan(before);
}

let opsRun = 0;
let badFrees = 0;

function run(ops: Op[], cfgIndex: number): void {
  const { ka, m } = bootKa(CONFIGS[cfgIndex], 32);
  m.phys.drainAllPages();
  const before = freeByOrder(m.phys);
  // slub_debug checks every byte of an object on each alloc and free: debug runs keep to
  // objects up to 1000 bytes so that they run as many operations as the others.
  const debug = "slubDebug" in CONFIGS[cfgIndex];
  const caches: SlabCacheInfo[] = [
    ka.kmemCacheCreate("obj24", 24)!,
    ka.kmemCacheCreate("obj200", 200)!,
    ka.kmemCacheCreate("obj1000", 1000)!,
  ];
  if (!debug) caches.push(ka.kmemCacheCreate("obj5000", 5000)!);
  const live: Live[] = [];
  const liveAt = new Set<number>();
  const largePfns = new Set<number>();
  const freed: { p: number; c: SlabCacheInfo | null }[] = [];
  const log = ka.printk.lines;
  const free = (l: Live) => {
    if (l.c) ka.kmemCacheFree(l.c, l.p);
    else ka.kfree(l.p);
    liveAt.delete(l.p);
    if (l.large) largePfns.delete(l.p / 4096);
    freed.push({ p: l.p, c: l.c });
    if (freed.length > 64) freed.shift();
  };
  const got = (p: number, c: SlabCacheInfo | null, large: boolean) => {
    check(!liveAt.has(p), `0x${p.toString(16)} handed out twice`);
    live.push({ p, c, large });
    liveAt.add(p);
    if (large) largePfns.add(p / 4096);
  };
  for (const o of ops) {
    ka.cpu = o.cpu;
    const k = o.kind < 14 ? o.kind : (o.kind - 14) % 8;
    if (k <= 2) {
      const c = caches[o.a % caches.length];
      const p = ka.kmemCacheAlloc(c, GFP_KERNEL);
      check(p !== 0, "kmem_cache_alloc failed");
      got(p, c, false);
    } else if (k <= 4) {
      const size = debug ? o.b % 1025 : o.b;
      const p = ka.kmalloc(size, GFP_KERNEL);
      if (size === 0) check(p === 16, "kmalloc(0) is ZERO_SIZE_PTR");
      else {
        check(p !== 0, "kmalloc failed");
        got(p, null, size > 8192);
      }
    } else if (k <= 7) {
      if (live.length) free(live.splice(o.a % live.length, 1)[0]);
    } else if (k === 8 || k === 9) {
      // A double free: an address freed earlier that nothing live holds now.
      const cands = freed.filter((f) => !liveAt.has(f.p) && !largePfns.has(Math.floor(f.p / 4096)));
      if (cands.length) {
        const f = cands[o.a % cands.length];
        expectKernelBug(log, () => (f.c ? ka.kmemCacheFree(f.c, f.p) : ka.kfree(f.p)));
        badFrees++;
      }
    } else if (k === 10) {
      // kfree of an address inside a live slab object of at least 16 bytes.
      const cands = live.filter((l) => !l.large && (l.c ? l.c.objectSize : ka.ksize(l.p)) >= 16);
      if (cands.length) {
        const l = cands[o.a % cands.length];
        expectKernelBug(log, () => ka.kfree(l.p + 8));
        badFrees++;
      }
    } else if (k === 11) {
      // kfree of a page from the buddy allocator.
      const pfn = m.phys.allocPages(GFP_KERNEL, 0);
      if (pfn >= 0) {
        expectKernelBug(log, () => ka.kfree(pfn * 4096 + (o.a % 4096)));
        badFrees++;
        m.phys.freePages(pfn, 0);
      }
    } else if (k === 12) {
      ka.kmemCacheShrink(caches[o.a % caches.length]);
    } else {
      ka.cpu = 1 - o.cpu;
    }
    ka.verify();
    opsRun++;
  }
  for (const c of caches) expect(ka.slub!.allocatedObjects(c as never)).toBe(live.filter((l) => l.c === c).length);
  for (const l of live.splice(0)) free(l);
  for (const c of caches) expect(ka.kmemCacheDestroy(c)).toBe(true);
  ka.verify();
  // The destroyed caches gave their slabs back; kmalloc and the descriptor caches keep emptied
  // slabs (up to min_partial) until shrunk.
  for (const c of ka.slab.caches) ka.kmemCacheShrink(c);
  m.phys.drainAllPages();
  expect(freeByOrder(m.phys)).toEqual(before);
}

describe("SLUB and kmalloc under random operations", () => {
  test(`verify() holds after each of ${RUNS * OPS_PER_RUN} operations, bad frees throw KernelBug, and everything freed returns the buddy state`, () => {
    opsRun = 0;
    badFrees = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), fc.nat(CONFIGS.length - 1), (ops, cfg) => run(ops, cfg)),
      { numRuns: RUNS },
    );
    console.log(`SLUB/kmalloc property test: ${opsRun} operations (${badFrees} bad frees) in ${RUNS} runs`);
    expect(opsRun).toBe(RUNS * OPS_PER_RUN);
  }, 600_000);

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
