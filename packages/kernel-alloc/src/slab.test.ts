// Classic SLAB (mm/slab.c, Linux 6.7; removed in 6.8): geometry, management placement,
// colouring and per-CPU arrays.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import { freeByOrder } from "../test/machine";
import { catchBug } from "../test/catch-bug";
import type { SlabCache, SlabClassic } from "./slab";
import { slabGeometry, slabTunables } from "./slab";

describe("SLAB geometry (__kmem_cache_create, calculate_slab_order)", () => {
  test("caches without a constructor keep the free-index array inside a free object (OBJFREELIST)", () => {
    // kmalloc-64: 64 one-byte indices fit in one 64-byte object.
    const g = slabGeometry(64, 64, 0, false)!;
    expect([g.mgmt, g.num, g.gfporder, g.leftOver]).toEqual(["objfreelist", 64, 0, 0]);
    const k8 = slabGeometry(8192, 8192, 0, false)!;
    expect([k8.num, k8.gfporder]).toEqual([1, 1]);
  });

  test("a constructor forbids OBJFREELIST: big objects go off-slab, small ones keep the array on the slab", () => {
    // 4 objects of 1024 leave nothing for an on-slab index: it goes to kmalloc-32.
    const big = slabGeometry(1024, 8, 0, true, 1, () => 32)!;
    expect([big.mgmt, big.num, big.gfporder]).toEqual(["off-slab", 4, 0]);
    // 104-byte objects: an off-slab index (kmalloc-64) would cost more than half an object.
    const small = slabGeometry(104, 8, 0, true, 1, (b) => (b <= 32 ? 32 : b <= 64 ? 64 : 128))!;
    // 4096 / (104 + 1) = 39 objects, 1 byte left: no colouring.
    expect([small.mgmt, small.num, small.leftOver, small.colour]).toEqual(["on-slab", 39, 1, 0]);
  });

  test("per-CPU array tunables follow enable_cpucache", () => {
    expect([32, 512, 2048, 4096, 8192].map((s) => slabTunables(s, 2))).toEqual([
      { limit: 120, batchcount: 60, shared: 8 },
      { limit: 54, batchcount: 27, shared: 8 },
      { limit: 24, batchcount: 12, shared: 8 },
      { limit: 24, batchcount: 12, shared: 8 },
      { limit: 8, batchcount: 4, shared: 0 },
    ]);
  });
});

describe("SLAB at work", () => {
  const boot = () => {
    const { ka, m } = bootKa({ allocator: "slab" });
    return { ka, m, sl: ka.slab as unknown as SlabClassic };
  };

  test("successive slabs start their objects at colour offsets 0, 64, ... 384 (7 colours), then 0 again", () => {
    const { ka, sl } = boot();
    const c = ka.kmemCacheCreate("col600", 600)! as SlabCache;
    expect([c.geo.num, c.geo.colour, c.geo.colourOff]).toEqual([6, 7, 64]);
    const firstObjs: number[] = [];
    for (let i = 0; i < 8 * 6; i++) {
      const p = ka.kmemCacheAlloc(c);
      firstObjs.push(p);
    }
    const offsets = [...new Set(firstObjs.map((p) => sl.meta.slotOfPa(p)))].map((slot) => sl.meta.colour[slot]);
    expect(offsets).toEqual([0, 64, 128, 192, 256, 320, 384, 0]);
    sl.verify();
  });

  test("slabinfo shows SLAB's tunables and counts objects in per-CPU arrays as active", () => {
    const { ka, sl } = boot();
    const c = ka.kmemCacheCreate("obj64", 64)!;
    const p = ka.kmemCacheAlloc(c);
    // The refill moved batchcount (60) objects into CPU 0's array: all count as active.
    expect(ka.slabinfo()).toContain("obj64                 60     64     64   64    1 : tunables  120   60    8 : slabdata      1      1      0\n");
    ka.kmemCacheFree(c, p);
    sl.verify();
  });

  test("random alloc/free keeps the invariants, and shrinking and destroying give every page back", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(2), fc.nat(1), fc.nat()), { maxLength: 200 }), (ops) => {
        const { ka, m, sl } = boot();
        m.phys.drainAllPages();
        const before = freeByOrder(m.phys);
        const caches = [ka.kmemCacheCreate("a", 40)!, ka.kmemCacheCreate("b", 600, 0, 0, () => {})!, ka.kmemCacheCreate("c", 3000)!];
        const live: [number, number][] = [];
        for (const [alloc, ci, cpu, pick] of ops) {
          ka.cpu = cpu;
          if (alloc || live.length === 0) live.push([ci, ka.kmemCacheAlloc(caches[ci], GFP_KERNEL)]);
          else {
            const [[c2, p]] = live.splice(pick % live.length, 1);
            ka.kmemCacheFree(caches[c2], p);
          }
          sl.verify();
        }
        for (const [ci, p] of live) ka.kmemCacheFree(caches[ci], p);
        for (const c of caches) expect(ka.kmemCacheDestroy(c)).toBe(true);
        for (const c of sl.caches) sl.shrink(c);
        m.phys.drainAllPages();
        expect(freeByOrder(m.phys)).toEqual(before);
      }),
      { numRuns: 25 },
    );
  });

  test("kmalloc runs on SLAB too", () => {
    const { ka } = boot();
    const p = ka.kmalloc(100);
    expect(ka.slab.cacheOf(p)!.name).toBe("kmalloc-128");
    ka.kfree(p);
    ka.verify();
  });
});

describe("classic SLAB: bad frees", () => {
  test("a double free is reported as CONFIG_DEBUG_SLAB's slab_error and throws KernelBug; nothing is freed twice", () => {
    const { ka } = bootKa({ allocator: "slab" });
    const s = ka.cache("kmalloc-64")!;
    const p = ka.kmemCacheAlloc(s);
    const q = ka.kmemCacheAlloc(s);
    ka.kmemCacheFree(s, p);
    const e = catchBug(() => ka.kmemCacheFree(s, p));
    expect(e.report).toEqual(["slab error in verify_redzone_free(): cache `kmalloc-64': double free detected"]);
    expect(e.message).toBe(`double free of 0x${(0xffff888000000000n + BigInt(p)).toString(16)} in kmalloc-64: double free detected`);
    ka.verify();
    // p comes back once, not twice.
    const again = [ka.kmemCacheAlloc(s), ka.kmemCacheAlloc(s)];
    expect(again).toContain(p);
    expect(new Set([...again, q]).size).toBe(3);
  });

  test("kmem_cache_free of an address in no slab warns as virt_to_cache does and throws KernelBug", () => {
    const { ka, m } = bootKa({ allocator: "slab" });
    const pa = m.phys.allocPages(GFP_KERNEL, 0) * 4096;
    const e = catchBug(() => ka.kmemCacheFree(ka.cache("kmalloc-64")!, pa));
    expect(e.report).toEqual(["------------[ cut here ]------------", "virt_to_cache: Object is not a Slab page!", "WARNING: CPU: 0 PID: 0 at virt_to_cache"]);
    expect(e.fn).toBe("virt_to_cache");
  });
});
