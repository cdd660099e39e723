// The whole kernel under random operations across layers (ARCHITECTURE §6): alloc_pages and
// free_pages with random orders and GFP masks (invalid ones included), kmalloc/kfree,
// kmem_cache_create/alloc/free/destroy, vmalloc/vfree, double frees, PCP drains and CPU
// switches, with Kernel.verify() after every operation (MMSIM_PROPERTY_VERIFY_EVERY=n checks
// only every n-th one and each one that expects an error, whose error must leave the machine
// consistent). A verify() of this 64 MiB machine recounts every free list, PCP list, page,
// slab and vmalloc area in about 0.4 ms of CPU (docs/design/performance.md), so the
// 10^5 operations with a verify() after each take about 50 s of CPU; the test prints the CPU
// time it spent in verify(). At the end everything is freed and the machine must be back at
// its boot state.
//
// "Boot state" here is the machine right after boot, normalised the way the end state is:
//   - every slab cache shrunk (kmem_cache_shrink: CPU slabs flushed, empty slabs freed),
//   - lazily freed vmalloc ranges purged (__purge_vmap_area_lazy),
//   - every CPU's PCP lists drained (drain_all_pages),
//   - and the first WARMUP_VMAP_BYTES of the vmalloc area mapped once and unmapped, so the
//     kernel page-table pages vmalloc will need exist already: Linux never frees the page
//     tables of the vmalloc area, so without this the end state would hold them on top.
// The test then compares /proc/buddyinfo, MemFree, PageTables and every /proc/slabinfo row.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Bug, KernelBug, MiB } from "@mmsim/base";
import { GFP_ATOMIC, GFP_DMA, GFP_DMA32, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT, GFP_USER, MAX_PAGE_ORDER, gfpCheck, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_MOVABLE, __GFP_NOWARN, __GFP_ZERO } from "@mmsim/physical";
import type { SlabCacheInfo } from "@mmsim/kernel-alloc";
import { Kernel } from "../src/index";

/** Total operations in CI; MMSIM_PROPERTY_OPS asks for more (e.g. 10^7). */
const TOTAL_OPS = Number(process.env.MMSIM_PROPERTY_OPS ?? 100_000);
const OPS_PER_RUN = 5000;
const RUNS = Math.max(1, Math.ceil(TOTAL_OPS / OPS_PER_RUN));
/** Kernel.verify() after every n-th operation (and after each one that expects an error). */
const VERIFY_EVERY = Number(process.env.MMSIM_PROPERTY_VERIFY_EVERY ?? 1);
/** fast-check's seed (MMSIM_PROPERTY_SEED for another sequence of operations) */
const SEED = Number(process.env.MMSIM_PROPERTY_SEED ?? 15);
/** Enough vmalloc space for the live areas plus lazy_max_pages (64 MiB on 2 CPUs) of freed ones. */
const WARMUP_VMAP_BYTES = 96 * MiB;

const VALID_GFP = [GFP_KERNEL, GFP_USER, GFP_HIGHUSER_MOVABLE, GFP_DMA, GFP_DMA32, GFP_ATOMIC, GFP_NOWAIT, GFP_KERNEL | __GFP_ZERO];
/** GFP_ZONE_BAD combinations (include/linux/gfp.h): gfp_zone() cannot pick a zone. */
const INVALID_GFP = [__GFP_HIGHMEM | __GFP_DMA32, GFP_KERNEL | __GFP_DMA | __GFP_DMA32, __GFP_DMA | __GFP_DMA32 | __GFP_MOVABLE];

type Op =
  | { t: "alloc"; order: number; gfp: number }
  | { t: "allocBad"; gfp: number }
  | { t: "free" | "doubleFree" | "kfree" | "kdoubleFree" | "cacheAlloc" | "cacheFree" | "cacheDestroy" | "vfree" | "vdoubleFree"; pick: number }
  | { t: "kmalloc"; size: number }
  | { t: "cacheCreate"; size: number; align: number }
  | { t: "vmalloc"; pages: number }
  | { t: "drain" }
  | { t: "cpu"; cpu: number };

const pick = fc.nat({ max: 1 << 20 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      t: fc.constant("alloc" as const),
      order: fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: MAX_PAGE_ORDER }) }),
      gfp: fc.constantFrom(...VALID_GFP),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("allocBad" as const), gfp: fc.constantFrom(...INVALID_GFP) }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("free" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("doubleFree" as const), pick }) },
  { weight: 12, arbitrary: fc.record({ t: fc.constant("kmalloc" as const), size: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 1024 }) }, { weight: 2, arbitrary: fc.integer({ min: 1025, max: 32768 }) }) }) },
  { weight: 10, arbitrary: fc.record({ t: fc.constant("kfree" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("kdoubleFree" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("cacheCreate" as const), size: fc.integer({ min: 8, max: 2048 }), align: fc.constantFrom(0, 8, 64) }) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant("cacheAlloc" as const), pick }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("cacheFree" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("cacheDestroy" as const), pick }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("vmalloc" as const), pages: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("vfree" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("vdoubleFree" as const), pick }) },
  { weight: 2, arbitrary: fc.constant({ t: "drain" as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("cpu" as const), cpu: fc.integer({ min: 0, max: 1 }) }) },
);

/** The error `f` throws (fails the test when it throws nothing). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

/** Removes and returns element `i % length` (swap with the last). */
function take<T>(list: T[], i: number): T {
  const j = i % list.length;
  const v = list[j]!;
  list[j] = list[list.length - 1]!;
  list.pop();
  return v;
}

/** The normalised state the test compares (see the header). */
function settle(k: Kernel): { buddyinfo: string; memFree: string; pageTables: string; slabinfo: string } {
  for (const c of k.alloc.slab.caches) k.alloc.kmemCacheShrink(c);
  k.alloc.vm.purgeLazy();
  k.phys.drainAllPages();
  const meminfo = k.cat("/proc/meminfo");
  const line = (l: string) => new RegExp(`^${l}:.*$`, "m").exec(meminfo)![0];
  return { buddyinfo: k.cat("/proc/buddyinfo"), memFree: line("MemFree"), pageTables: line("PageTables"), slabinfo: k.cat("/proc/slabinfo") };
}

function bootState(k: Kernel) {
  const one = k.phys.allocPages(GFP_KERNEL, 0);
  const va = k.alloc.vmap(new Array<number>(WARMUP_VMAP_BYTES / 4096).fill(one), "warmup");
  expect(va).not.toBe(0);
  k.alloc.vunmap(va);
  k.phys.freePages(one, 0);
  return settle(k);
}

let opsRun = 0;
let verifies = 0;
/** CPU microseconds spent in Kernel.verify() (process.cpuUsage: the machine may be loaded) */
let verifyCpu = 0;

function runOps(ops: Op[]): void {
  const k = Kernel.boot({ ram: 64 * MiB, cpus: 2 });
  const boot = bootState(k);
  k.verify();
  const pages: { pfn: number; order: number }[] = [];
  const objs: number[] = [];
  const handles: SlabCacheInfo[] = [];
  const cacheObjs: { c: SlabCacheInfo; pa: number }[] = [];
  const areas: number[] = [];
  let names = 0;
  for (const o of ops) {
    let expectsError = false;
    switch (o.t) {
      case "alloc": {
        const pfn = k.phys.allocPages(o.gfp | __GFP_NOWARN, o.order);
        if (pfn >= 0) pages.push({ pfn, order: o.order });
        break;
      }
      case "allocBad": {
        expect(gfpCheck(o.gfp)).not.toBeNull(); // what scenario and CLI input is checked with
        expectsError = true;
        const e = thrown(() => k.phys.allocPages(o.gfp, 0));
        expect(e).toBeInstanceOf(Bug);
        expect((e as Bug).fn).toBe("gfp_zone");
        break;
      }
      case "free":
        if (pages.length) {
          const b = take(pages, o.pick);
          k.phys.freePages(b.pfn, b.order);
        }
        break;
      case "doubleFree":
        if (pages.length) {
          const b = take(pages, o.pick);
          k.phys.freePages(b.pfn, b.order);
          expectsError = true;
          const e = thrown(() => k.phys.freePages(b.pfn, b.order));
          expect(e).toBeInstanceOf(Bug);
          expect((e as Bug).message).toMatch(/double free/);
        }
        break;
      case "kmalloc": {
        const pa = k.alloc.kmalloc(o.size, GFP_KERNEL | __GFP_NOWARN, "prop");
        if (pa !== 0) objs.push(pa);
        break;
      }
      case "kfree":
        if (objs.length) k.alloc.kfree(take(objs, o.pick), "prop");
        break;
      case "kdoubleFree":
        if (objs.length) {
          const pa = take(objs, o.pick);
          const slab = k.alloc.ksize(pa) <= 8192;
          k.alloc.kfree(pa, "prop");
          if (slab) {
            expectsError = true;
            const e = thrown(() => k.alloc.kfree(pa, "prop"));
            expect(e).toBeInstanceOf(KernelBug);
            expect((e as KernelBug).problem).toMatch(/double free/);
          }
        }
        break;
      case "cacheCreate": {
        const c = k.alloc.kmemCacheCreate(`prop_cache_${names++}`, o.size, o.align);
        expect(c).not.toBeNull();
        handles.push(c!);
        break;
      }
      case "cacheAlloc":
        if (handles.length) {
          const c = handles[o.pick % handles.length]!;
          const pa = k.alloc.kmemCacheAlloc(c, GFP_KERNEL | __GFP_NOWARN, "prop");
          if (pa !== 0) cacheObjs.push({ c, pa });
        }
        break;
      case "cacheFree":
        if (cacheObjs.length) {
          const { c, pa } = take(cacheObjs, o.pick);
          k.alloc.kmemCacheFree(c, pa, "prop");
        }
        break;
      case "cacheDestroy":
        if (handles.length) {
          const c = handles[o.pick % handles.length]!;
          // destroy a handle only when no object of its cache (merged or not) is live
          if (!cacheObjs.some((x) => x.c === c)) {
            expect(k.alloc.kmemCacheDestroy(take(handles, o.pick))).toBe(true);
          }
        }
        break;
      case "vmalloc": {
        const va = k.alloc.vmalloc(o.pages * 4096, GFP_KERNEL | __GFP_NOWARN, "prop");
        if (va !== 0) areas.push(va);
        break;
      }
      case "vfree":
        if (areas.length) k.alloc.vfree(take(areas, o.pick));
        break;
      case "vdoubleFree":
        if (areas.length) {
          const va = take(areas, o.pick);
          k.alloc.vfree(va);
          expectsError = true;
          const before = k.dmesg.length;
          k.alloc.vfree(va); // mm/vmalloc.c: WARNs "Trying to vfree() nonexistent vm area" and ignores it
          expect(k.dmesg.texts(before).join("\n")).toMatch(/Trying to vfree\(\) nonexistent vm area/);
        }
        break;
      case "drain":
        k.phys.drainAllPages();
        break;
      case "cpu":
        k.alloc.cpu = o.cpu;
        break;
    }
    opsRun++;
    if (expectsError || opsRun % VERIFY_EVERY === 0) {
      const t = process.cpuUsage();
      k.verify();
      const d = process.cpuUsage(t);
      verifyCpu += d.user + d.system;
      verifies++;
    }
  }
  for (const b of pages) k.phys.freePages(b.pfn, b.order);
  for (const pa of objs) k.alloc.kfree(pa, "prop");
  for (const { c, pa } of cacheObjs) k.alloc.kmemCacheFree(c, pa, "prop");
  for (const c of handles) expect(k.alloc.kmemCacheDestroy(c)).toBe(true);
  for (const va of areas) k.alloc.vfree(va);
  k.alloc.cpu = 0;
  k.verify();
  expect(settle(k)).toEqual(boot);
}

describe("the whole kernel under random operations", () => {
  it(`keeps every invariant over ${RUNS * OPS_PER_RUN} operations and returns to its boot state`, () => {
    opsRun = 0;
    verifies = 0;
    verifyCpu = 0;
    const cpu = process.cpuUsage();
    fc.assert(fc.property(fc.array(op, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), runOps), { numRuns: RUNS, seed: SEED });
    const d = process.cpuUsage(cpu);
    const seconds = (us: number) => (us / 1e6).toFixed(1);
    console.log(`kernel property test (seed ${SEED}): ${opsRun} operations in ${RUNS} runs, Kernel.verify() ${verifies} times (${VERIFY_EVERY === 1 ? "after every operation" : `every ${VERIFY_EVERY}th operation and after each expected error`}); CPU ${seconds(d.user + d.system)} s, ${seconds(verifyCpu)} s of it in verify()`);
    expect(opsRun).toBeGreaterThanOrEqual(RUNS * OPS_PER_RUN);
  }, 600_000);
});
