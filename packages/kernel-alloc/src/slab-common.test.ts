import { describe, expect, test } from "vitest";
import {
  findMergeable, KMALLOC_CGROUP, KMALLOC_DMA, KMALLOC_NORMAL, KMALLOC_RECLAIM, kmallocCacheName,
  kmallocIndex, kmallocSizeRoundup, kmallocTypeOf,
} from "./slab-common";
import { SLAB_ACCOUNT, SLAB_POISON } from "./slab-flags";

describe("kmalloc size classes (include/linux/slab.h kmalloc_index, mm/slab_common.c size_index)", () => {
  test("request size to cache", () => {
    const table: [number, string][] = [
      [1, "kmalloc-8"], [8, "kmalloc-8"], [9, "kmalloc-16"], [16, "kmalloc-16"], [17, "kmalloc-32"], [32, "kmalloc-32"],
      [33, "kmalloc-64"], [64, "kmalloc-64"], [65, "kmalloc-96"], [96, "kmalloc-96"], [97, "kmalloc-128"], [128, "kmalloc-128"],
      [129, "kmalloc-192"], [192, "kmalloc-192"], [193, "kmalloc-256"], [256, "kmalloc-256"], [257, "kmalloc-512"],
      [1000, "kmalloc-1k"], [1025, "kmalloc-2k"], [4096, "kmalloc-4k"], [4097, "kmalloc-8k"], [8192, "kmalloc-8k"],
    ];
    expect(table.map(([n]) => [n, kmallocCacheName(KMALLOC_NORMAL, kmallocIndex(n))])).toEqual(table);
    expect([kmallocIndex(0), kmallocIndex(8193)]).toEqual([0, -1]);
  });

  test("kmalloc_size_roundup gives the class size up to 8k", () => {
    expect([0, 1, 100, 190, 3000, 8192].map(kmallocSizeRoundup)).toEqual([0, 8, 128, 192, 4096, 8192]);
  });

  // mm/slab_common.c kmalloc_size_roundup: above KMALLOC_MAX_CACHE_SIZE the answer is
  // PAGE_SIZE << get_order(size) (a large kmalloc gets a whole power-of-two folio), not
  // PAGE_ALIGN(size); 0 and sizes above KMALLOC_MAX_SIZE come back unchanged.
  test("kmalloc_size_roundup above 8k is PAGE_SIZE << get_order(size): 8193 -> 16384", () => {
    expect([8193, 12288, 16385, 20000, 4 * 1024 * 1024].map(kmallocSizeRoundup)).toEqual([16384, 16384, 32768, 32768, 4 * 1024 * 1024]);
    expect(kmallocSizeRoundup(4 * 1024 * 1024 + 1)).toBe(4 * 1024 * 1024 + 1);
  });

  test("type priority is DMA > RECLAIMABLE > ACCOUNT, with Linux's cache names", () => {
    expect(kmallocTypeOf(true, true, true)).toBe(KMALLOC_DMA);
    expect(kmallocTypeOf(false, true, true)).toBe(KMALLOC_RECLAIM);
    expect(kmallocTypeOf(false, false, true)).toBe(KMALLOC_CGROUP);
    expect([KMALLOC_NORMAL, KMALLOC_RECLAIM, KMALLOC_DMA, KMALLOC_CGROUP].map((t) => kmallocCacheName(t, 10))).toEqual(["kmalloc-1k", "kmalloc-rcl-1k", "dma-kmalloc-1k", "kmalloc-cg-1k"]);
  });
});

describe("find_mergeable (mm/slab_common.c)", () => {
  const c = (size: number, flags = 0, extra = {}) => ({ size, flags, refcount: 1, hasCtor: false, usersize: 0, ...extra });

  test("takes the oldest cache whose size is at most a word larger and whose accounting flags match", () => {
    const caches = [c(128), c(104), c(96, SLAB_ACCOUNT), c(104)];
    expect(findMergeable(caches, 100, 0, 0, false, 0, false)).toBe(caches[1]);
    expect(findMergeable(caches, 96, 0, SLAB_ACCOUNT, false, 0, false)).toBe(caches[2]);
    expect(findMergeable(caches, 90, 0, 0, false, 0, false)).toBe(null); // 96 < 104 - 8 fails, 128 too big
  });

  test("never merges with a ctor, a usercopy region, debug flags, slab_nomerge or a boot cache", () => {
    const caches = [c(64), c(64, 0, { refcount: -1 }), c(64, 0, { usersize: 64 })];
    expect(findMergeable(caches, 64, 0, 0, true, 0, false)).toBe(null);
    expect(findMergeable(caches, 64, 0, 0, false, 16, false)).toBe(null);
    expect(findMergeable(caches, 64, 0, SLAB_POISON, false, 0, false)).toBe(null);
    expect(findMergeable(caches, 64, 0, 0, false, 0, true)).toBe(null);
    expect(findMergeable(caches.slice(1), 64, 0, 0, false, 0, false)).toBe(null);
  });
});
