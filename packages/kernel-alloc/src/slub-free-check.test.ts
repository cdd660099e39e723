// Bad frees without slub_debug: the hardened freelist's naive check (an Oops, set_freepointer's
// BUG_ON in mm/slub.c), and what mmsim's in-use map finds that Linux would let corrupt the
// freelist (reported in slub_debug's words: free_consistency_checks, object_err). Each throws
// KernelBug with the lines it logged, and leaves the allocator consistent.
import { describe, expect, test } from "vitest";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import { catchBug } from "../test/catch-bug";
import type { KmemCache } from "./kmem-cache";
import { INUSE_MAP_MAX_ORDER, INUSE_MAP_WORDS } from "./internal/slab-meta";
import { SET_FREEPOINTER_BUG_LINE } from "./slub-free-check";

const va = (pa: number) => (0xffff888000000000n + BigInt(pa)).toString(16);
const BAR = "=============================================================================";
const DASH = "-----------------------------------------------------------------------------";

describe("the in-use map", () => {
  test("covers a 32 KiB window per slot: 4096 bits for 8-byte granules, slabs up to order 3 (the fast paths write 128 and 7 as literals)", () => {
    expect(INUSE_MAP_WORDS).toBe(128);
    expect(INUSE_MAP_WORDS * 32 * 8).toBe(4096 << INUSE_MAP_MAX_ORDER);
    expect(1 << 7).toBe(INUSE_MAP_WORDS);
  });
});

describe("double free without slub_debug", () => {
  test("kmalloc-64 --alloc 3 --free 1,1: the second free is reported as slub_debug would, throws, and is not done", () => {
    const { ka, m } = bootKa();
    const s = ka.cache("kmalloc-64") as KmemCache;
    const objs = [0, 1, 2].map(() => ka.kmemCacheAlloc(s, GFP_KERNEL, "mmsim_slab"));
    const p = objs[0];
    ka.kmemCacheFree(s, p, "mmsim_slab");
    const e = catchBug(() => ka.kmemCacheFree(s, p, "mmsim_slab"));
    const slot = ka.slub!.meta.slotOfPa(p);
    const head = ka.slub!.meta.head[slot];
    const base = head * 4096;
    const log = ka.printk.lines;
    expect(log.slice(0, 5)).toEqual([BAR, "BUG kmalloc-64 (Not tainted): Object already free", DASH, "", expect.stringMatching(/^Slab 0x[0-9a-f]{16} objects=64 used=64 fp=0x0000000000000000 flags=/)]);
    expect(log[5]).toBe(`Object 0x${va(p)} @offset=${p - base} fp=0x${va(objs[2] + 64)}`);
    expect(log).toContain(`FIX kmalloc-64: Object at 0x${va(p)} not freed`);
    expect(log).toContain("WARNING: CPU: 0 PID: 0 at object_err");
    expect(e.report).toEqual(log);
    expect(e.message).toBe(`double free of 0x${va(p)} in kmalloc-64: Object already free`);
    expect(e.fn).toBe("free_consistency_checks");
    ka.verify();
    // The freelist is intact: the next two allocations are p, then the never-used next object.
    expect(ka.kmemCacheAlloc(s)).toBe(p);
    expect(ka.kmemCacheAlloc(s)).toBe(objs[2] + 64);
    expect(m.ram.readU8(0)).toBe(0);
  });

  test("a double free of an object that is not the freelist head (free A, B, A) is caught too", () => {
    const { ka } = bootKa();
    const [a, b] = [ka.kmalloc(64), ka.kmalloc(64)];
    ka.kfree(a);
    ka.kfree(b);
    const e = catchBug(() => ka.kfree(a, "drv_close"));
    expect(e.message).toBe(`double free of 0x${va(a)} in kmalloc-64: Object already free`);
    ka.verify();
    // No object is handed out twice.
    const got = [ka.kmalloc(64), ka.kmalloc(64), ka.kmalloc(64)];
    expect(new Set(got).size).toBe(3);
    expect(got.slice(0, 2)).toEqual([b, a]);
  });

  test("a double free of an object of a slab that left the CPU (slow path) is caught", () => {
    const { ka } = bootKa();
    const s = ka.cache("kmalloc-64") as KmemCache;
    const first = Array.from({ length: s.objects }, () => ka.kmalloc(64));
    ka.kmalloc(64); // a new CPU slab
    ka.kfree(first[5]);
    const e = catchBug(() => ka.kfree(first[5]));
    expect(e.message).toBe(`double free of 0x${va(first[5])} in kmalloc-64: Object already free`);
    ka.verify();
  });

  test("a free of an address inside an object is an Invalid object pointer, and nothing is freed", () => {
    const { ka } = bootKa();
    const p = ka.kmalloc(64);
    const e = catchBug(() => ka.kfree(p + 8));
    expect(e.report.slice(0, 2)).toEqual([BAR, `BUG kmalloc-64 (Not tainted): Invalid object pointer 0x${va(p + 8)}`]);
    expect(e.report[e.report.length - 1]).toBe(`FIX kmalloc-64: Object at 0x${va(p + 8)} not freed`);
    expect(e.message).toBe(`free of 0x${va(p + 8)} in kmalloc-64, which is not the address of an object: Invalid object pointer`);
    ka.verify();
    ka.kfree(p);
    ka.verify();
  });

  test("kmem_cache_free of an address in no slab warns as virt_to_cache does and throws", () => {
    const { ka, m } = bootKa();
    const s = ka.cache("kmalloc-64")!;
    const pa = m.phys.allocPages(GFP_KERNEL, 0) * 4096;
    const e = catchBug(() => ka.kmemCacheFree(s, pa, "drv_exit"));
    expect(e.report).toEqual(["------------[ cut here ]------------", "virt_to_cache: Object is not a Slab page!", "WARNING: CPU: 0 PID: 0 at virt_to_cache"]);
    expect(e.message).toBe(`kmem_cache_free of 0x${va(pa)}, which is not a slab object (from drv_exit)`);
    expect(e.fn).toBe("virt_to_cache");
  });

  test("the same happens on every CPU's fast path and in a named cache", () => {
    const { ka } = bootKa();
    const c = ka.kmemCacheCreate("obj24", 24)!;
    ka.cpu = 1;
    const p = ka.kmemCacheAlloc(c);
    ka.kmemCacheFree(c, p);
    const e = catchBug(() => ka.kmemCacheFree(c, p));
    expect(e.report[1]).toBe("BUG obj24 (Not tainted): Object already free");
    expect(e.report).toContain("WARNING: CPU: 1 PID: 0 at object_err");
    ka.verify();
  });

  test("a cache with slabs above the map's order (64 KiB) finds double frees by walking the freelists", () => {
    const { ka } = bootKa({ slubMinOrder: 4, slubMaxOrder: 4 });
    const c = ka.kmemCacheCreate("big", 3000)! as KmemCache;
    expect(c.order).toBeGreaterThan(INUSE_MAP_MAX_ORDER);
    expect(c.fastPath).toBe(false);
    const [a, b] = [ka.kmemCacheAlloc(c), ka.kmemCacheAlloc(c)];
    ka.kmemCacheFree(c, a);
    ka.kmemCacheFree(c, b);
    expect(catchBug(() => ka.kmemCacheFree(c, a)).message).toBe(`double free of 0x${va(a)} in big: Object already free`);
    expect(catchBug(() => ka.kmemCacheFree(c, a + 8)).message).toContain("Invalid object pointer");
    ka.verify();
  });
});

describe("CONFIG_SLAB_FREELIST_HARDENED", () => {
  test("freeing the head of the CPU freelist again is set_freepointer's naive check: an Oops", () => {
    const { ka } = bootKa({ freelistHardened: true });
    const s = ka.cache("kmalloc-64")!;
    const p = ka.kmemCacheAlloc(s);
    ka.kmemCacheFree(s, p, "drv_release");
    const e = catchBug(() => ka.kmemCacheFree(s, p, "drv_release"));
    expect(e.report).toEqual([
      "------------[ cut here ]------------",
      `kernel BUG at mm/slub.c:${SET_FREEPOINTER_BUG_LINE}!`,
      "Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
      "CPU: 0 UID: 0 PID: 0 Comm: mmsim Not tainted",
      "RIP: 0010:set_freepointer",
      "Call Trace:",
      " <TASK>",
      " drv_release",
      " </TASK>",
      "---[ end trace 0000000000000000 ]---",
    ]);
    expect(e.message).toBe(`double free or corruption of 0x${va(p)} in kmalloc-64: kernel BUG at mm/slub.c:${SET_FREEPOINTER_BUG_LINE}! (set_freepointer)`);
    expect(e.fn).toBe("set_freepointer");
    // D (died) is tainted after the Oops; the next one is #2.
    expect(ka.printk.printTainted()).toBe("Tainted: G      D            ");
    const q = ka.kmemCacheAlloc(s);
    expect(q).toBe(p);
    ka.kmemCacheFree(s, q);
    expect(catchBug(() => ka.kmemCacheFree(s, q)).report[2]).toBe("Oops: invalid opcode: 0000 [#2] PREEMPT SMP NOPTI");
    ka.verify();
  });

  test("an object that is free but not the head escapes the naive check and is found by the in-use map", () => {
    const { ka } = bootKa({ freelistHardened: true });
    const [a, b] = [ka.kmalloc(64), ka.kmalloc(64)];
    ka.kfree(a);
    ka.kfree(b);
    const e = catchBug(() => ka.kfree(a));
    expect(e.fn).toBe("free_consistency_checks");
    expect(e.report[1]).toBe("BUG kmalloc-64 (Not tainted): Object already free");
    ka.verify();
  });
});

describe("slub_debug without F", () => {
  test("slub_debug=ZP does no free checks in Linux; mmsim still reports the double free", () => {
    const { ka } = bootKa({ slubDebug: "ZP,kmalloc-64" });
    const p = ka.kmalloc(64);
    ka.kfree(p);
    const e = catchBug(() => ka.kfree(p));
    expect(e.report[1]).toBe("BUG kmalloc-64 (Not tainted): Object already free");
    ka.verify();
  });
});
