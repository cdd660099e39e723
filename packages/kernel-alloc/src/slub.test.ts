import { describe, expect, test } from "vitest";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa, bytesAt } from "../test/boot";
import type { KmemCache } from "./kmem-cache";
import { SLAB_POISON, SLAB_RED_ZONE } from "./slab-flags";

function setup(cfg = {}) {
  const { ka, m } = bootKa(cfg);
  const slub = ka.slub!;
  const s = slub.kmemCacheCreate("test64", 64, 0, 0) as KmemCache;
  return { ka, m, slub, s };
}

/** Little-endian bytes of a 64-bit value. */
function le64(v: bigint): string {
  const out: string[] = [];
  for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn).toString(16).padStart(2, "0"));
  return out.join(" ");
}

describe("the free pointer lives in simulated RAM", () => {
  test("each free object holds the next one's kernel address at object_size/2, little-endian and sign-extended", () => {
    const { m, slub, s } = setup();
    const a = slub.alloc(s, GFP_KERNEL);
    expect(s.offset).toBe(32);
    // A fresh slab chains its objects in address order: a, a+64, a+128, ...
    const b = a + 64;
    expect(slub.fp.get(s, b, 32)).toBe(b + 64);
    expect(bytesAt(m, b + 32, 8)).toBe(le64(0xffff888000000000n + BigInt(b + 64)));
    expect(bytesAt(m, b + 32, 8).endsWith("80 88 ff ff")).toBe(true);
    // The last object of the slab ends the chain with NULL.
    expect(bytesAt(m, a + 63 * 64 + 32, 8)).toBe("00 00 00 00 00 00 00 00");
  });

  test("with CONFIG_SLAB_FREELIST_HARDENED the word is ptr ^ s->random ^ swab(slot address)", () => {
    const { m, slub, s } = setup({ freelistHardened: true });
    const a = slub.alloc(s, GFP_KERNEL);
    const b = a + 64;
    const slotVa = 0xffff888000000000n + BigInt(b + 32);
    let swab = 0n;
    for (let i = 0n; i < 8n; i++) swab |= ((slotVa >> (8n * i)) & 0xffn) << (8n * (7n - i));
    const random = (BigInt(s.randomHi) << 32n) | BigInt(s.randomLo);
    const want = (0xffff888000000000n + BigInt(b + 64)) ^ random ^ swab;
    expect(bytesAt(m, b + 32, 8)).toBe(le64(want));
    expect(slub.fp.get(s, b, 32)).toBe(b + 64);
  });

  test("on a 5-level machine pointers are in the ff11 direct map", () => {
    const { m, slub, s } = setup({ levels: 5 });
    const a = slub.alloc(s, GFP_KERNEL);
    expect(bytesAt(m, a + 64 + 32, 8)).toBe(le64(0xff11000000000000n + BigInt(a + 128)));
  });

  test("a poisoned or red-zoned cache keeps the free pointer after the object", () => {
    const { slub } = setup();
    const p = slub.kmemCacheCreate("p64", 64, 0, SLAB_POISON) as KmemCache;
    const z = slub.kmemCacheCreate("z64", 64, 0, SLAB_RED_ZONE) as KmemCache;
    expect([p.offset, p.size]).toEqual([64, 72]);
    // Z: 64 + an 8-byte right red zone (inuse 72), the free pointer stays in the middle,
    // then the mandatory padding word and the 8-byte left red zone: 88.
    expect([z.offset, z.inuse, z.redLeftPad, z.size]).toEqual([32, 72, 8, 88]);
  });
});

describe("per-CPU slabs and partial lists", () => {
  test("a new slab serves objects in address order; a freed object of the CPU slab comes back first", () => {
    const { slub, s } = setup();
    const a = slub.alloc(s, GFP_KERNEL);
    expect([slub.alloc(s, GFP_KERNEL), slub.alloc(s, GFP_KERNEL)]).toEqual([a + 64, a + 128]);
    slub.free(s, a + 64);
    expect(slub.alloc(s, GFP_KERNEL)).toBe(a + 64);
    slub.verify();
  });

  test("an object freed on another CPU goes to its slab's freelist, reached once the CPU freelist runs dry", () => {
    const { slub, s } = setup();
    const objs = Array.from({ length: 64 }, () => slub.alloc(s, GFP_KERNEL));
    slub.cpu = 1;
    slub.free(s, objs[5]);
    slub.verify();
    slub.cpu = 0;
    // CPU 0's freelist is empty (the slab was used up), so the next alloc takes the slab's own freelist.
    expect(slub.alloc(s, GFP_KERNEL)).toBe(objs[5]);
    expect(slub.meta.inuse[s.cpuSlab[0]]).toBe(64);
    slub.verify();
  });

  test("a full slab that gets an object back parks on the freeing CPU's partial chain, up to cpu_partial_slabs", () => {
    const { slub, s } = setup();
    expect([s.cpuPartial, s.cpuPartialSlabs]).toEqual([120, 4]);
    // Fill 7 slabs; six are full and off every list, the seventh is CPU 0's slab.
    const objs = Array.from({ length: 64 * 7 }, () => slub.alloc(s, GFP_KERNEL));
    slub.cpu = 1;
    for (let k = 0; k < 5; k++) slub.free(s, objs[k * 64]);
    // Four slabs went onto CPU 1's chain; the fifth found the chain full and pushed it to node 0.
    expect(slub.meta.slabs[s.cpuPartialHead[1]]).toBe(1);
    expect(s.nrPartial[0]).toBe(4);
    slub.verify();
  });

  test("empty slabs stay on the node partial list up to min_partial (5), further ones go back to the buddy allocator", () => {
    const { slub, s } = setup();
    expect(s.minPartial).toBe(5);
    const objs = Array.from({ length: 64 * 12 }, () => slub.alloc(s, GFP_KERNEL));
    const pagesBefore = slub.unreclaimablePages;
    slub.cpu = 1;
    for (const o of objs) slub.free(s, o);
    slub.verify();
    slub.flushCpu(s, 1);
    slub.flushCpu(s, 0);
    expect(s.nrPartial[0]).toBe(5);
    expect(s.nrSlabs[0]).toBe(5);
    slub.verify();
    expect(pagesBefore - slub.unreclaimablePages).toBe(7);
  });
});

describe("kmem_cache_create and kmem_cache_destroy", () => {
  test("a compatible cache is merged into an existing one (and not with slab_nomerge, a ctor or debug flags)", () => {
    const { slub } = setup({ slabNomerge: false });
    const a = slub.kmemCacheCreate("a", 100, 0, 0)!;
    expect(slub.kmemCacheCreate("b", 104, 0, 0)).toBe(a);
    expect([a.refcount, a.aliases]).toEqual([2, ["b"]]);
    expect(slub.kmemCacheCreate("c", 104, 0, 0, () => {})).not.toBe(a);
    expect(slub.kmemCacheCreate("d", 104, 0, SLAB_POISON)).not.toBe(a);
    // A 64-byte request merges with the test64 cache: kmalloc-64 is never a target (usercopy).
    expect(slub.kmemCacheCreate("e", 64, 0, 0)!.name).toBe("test64");
    const { slub: nomerge } = setup({ slabNomerge: true });
    const x = nomerge.kmemCacheCreate("a", 100, 0, 0)!;
    expect(nomerge.kmemCacheCreate("b", 104, 0, 0)).not.toBe(x);
  });

  test("destroying a cache with objects left reports them in Linux's words and keeps the cache", () => {
    const { ka, slub, s } = setup();
    const objs = Array.from({ length: 70 }, () => slub.alloc(s, GFP_KERNEL));
    for (let i = 1; i < 70; i++) slub.free(s, objs[i]);
    expect(ka.kmemCacheDestroy(s, "my_exit+0x10/0x20")).toBe(false);
    const log = ka.printk.lines;
    expect(log.slice(0, 5)).toEqual([
      "=============================================================================",
      "BUG test64 (Not tainted): Objects remaining on __kmem_cache_shutdown()",
      "-----------------------------------------------------------------------------",
      "",
      `Object 0x${(0xffff888000000000 + objs[0]).toString(16)} @offset=0`,
    ]);
    expect(log).toContain("kmem_cache_destroy test64: Slab cache still has objects when called from my_exit+0x10/0x20");
    expect(ka.printk.printTainted()).toBe("Tainted: G    B   W          ");
    expect(ka.slabinfo()).toContain("test64");
  });
});

describe("tracepoints", () => {
  test("kmalloc, kfree, kmem_cache_alloc and kmem_cache_free are emitted with Linux's fields when tracing is on", () => {
    const { ka, m } = bootKa();
    const c = ka.kmemCacheCreate("traced", 40)!;
    const events: string[] = [];
    m.trace.subscribe((e) => {
      if (!e.name.startsWith("mm_")) events.push(`${e.name}: ${Object.entries(e.fields).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    });
    const p = ka.kmalloc(100, GFP_KERNEL, "here+0x1/0x2");
    ka.kfree(p, "there+0x3/0x4");
    const q = ka.kmemCacheAlloc(c, GFP_KERNEL, "mk+0x0/0x8");
    ka.kmemCacheFree(c, q, "rm+0x0/0x8");
    const ptr = (x: number) => "0x" + (0xffff888000000000n + BigInt(x)).toString(16);
    expect(events).toEqual([
      `kmalloc: call_site=here+0x1/0x2 ptr=${ptr(p)} bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL node=-1`,
      `kfree: call_site=there+0x3/0x4 ptr=${ptr(p)}`,
      `kmem_cache_alloc: call_site=mk+0x0/0x8 ptr=${ptr(q)} name=traced bytes_req=40 bytes_alloc=40 gfp_flags=GFP_KERNEL node=-1`,
      `kmem_cache_free: call_site=rm+0x0/0x8 ptr=${ptr(q)} name=traced`,
    ]);
  });
});

describe("cache identity", () => {
  test("after a cache is destroyed, objects of later caches still find their own cache", () => {
    const { ka } = bootKa();
    const a = ka.kmemCacheCreate("a", 100)!;
    const b = ka.kmemCacheCreate("b", 300)!;
    ka.kmemCacheDestroy(a);
    const c = ka.kmemCacheCreate("c", 500)!;
    const pb = ka.kmemCacheAlloc(b);
    const pc = ka.kmemCacheAlloc(c);
    expect([ka.slab.cacheOf(pb), ka.slab.cacheOf(pc)]).toEqual([b, c]);
    ka.verify();
  });

  test("freeing into the wrong cache WARNs as cache_from_obj does and frees into the right one", () => {
    const { ka } = bootKa();
    const b = ka.kmemCacheCreate("b", 300)!;
    const c = ka.kmemCacheCreate("c", 500)!;
    const pb = ka.kmemCacheAlloc(b);
    ka.kmemCacheFree(c, pb);
    expect(ka.printk.lines.slice(0, 2)).toEqual(["------------[ cut here ]------------", "cache_from_obj: Wrong slab cache. c but object is from b"]);
    expect(ka.slub!.allocatedObjects(b as KmemCache)).toBe(0);
    ka.verify();
  });
});
