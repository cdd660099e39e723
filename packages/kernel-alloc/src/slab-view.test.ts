import { describe, expect, test } from "vitest";
import { GFP_KERNEL } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import type { KmemCache } from "./kmem-cache";
import { renderSlabView, slabView, slotLayout } from "./slab-view";
import { kmallocClassOf } from "./slab-common";

describe("slab view", () => {
  test("slot layout of a plain 64-byte cache and of kmalloc-64 under slub_debug=FZPU", () => {
    const { ka } = bootKa();
    const s = ka.kmemCacheCreate("v64", 64) as KmemCache;
    expect(slotLayout(s)).toEqual([
      { part: "object", offset: 0, length: 32 },
      { part: "freeptr", offset: 32, length: 8 },
      { part: "object", offset: 40, length: 24 },
    ]);
    const d = bootKa({ slubDebug: "FZPU" }).ka.cache("kmalloc-64") as KmemCache;
    expect(slotLayout(d).map((r) => `${r.part}@${r.offset}+${r.length}`)).toEqual([
      "left-redzone@0+64", "object@64+64", "right-redzone@128+8", "freeptr@136+8", "track-alloc@144+24", "track-free@168+24", "orig-size@192+8", "padding@200+56",
    ]);
  });

  test("objects, states and both free chains of a CPU slab", () => {
    const { ka } = bootKa();
    const s = ka.kmemCacheCreate("v64", 64) as KmemCache;
    const objs = [0, 1, 2, 3].map(() => ka.kmemCacheAlloc(s, GFP_KERNEL));
    ka.kmemCacheFree(s, objs[1]);
    ka.cpu = 1;
    expect((ka.config.phys as { cpu?: number }).cpu).toBe(1); // the page allocator's PCP lists follow
    ka.kmemCacheFree(s, objs[2]); // a remote free: onto the slab's own freelist
    const v = slabView(ka.slub!, s)!;
    expect([v.where, v.cpu, v.objects, v.inuse]).toEqual(["cpu-slab", 0, 64, 2]);
    expect(v.slabFreelist).toEqual([2]);
    expect(v.cpuFreelist.slice(0, 3)).toEqual([1, 4, 5]);
    expect(v.slots.slice(0, 4).map((o) => o.state)).toEqual(["allocated", "cpu-free", "free", "allocated"]);
    const text = renderSlabView(v);
    expect(text.split("\n")[1]).toBe("slot map (8 bytes/char): OOOOFOOO");
    expect(text).toContain(`  #  1 ${v.slots[1].va} cpu-free  -> #4`);
    expect(text).toContain("slab freelist: #2");
    expect(text.trimEnd().split("\n").pop()).toBe("v64                   64     64     64   64    1 : tunables    0    0    0 : slabdata      1      1      0");
  });

  test("kmalloc size classes for the docs", () => {
    expect([1, 100, 200, 5000, 9000, 0].map((n) => kmallocClassOf(n)).map((c) => `${c.size}:${c.cache}:${c.bytes}:${c.waste}`)).toEqual([
      "1:kmalloc-8:8:7", "100:kmalloc-128:128:28", "200:kmalloc-256:256:56", "5000:kmalloc-8k:8192:3192", "9000:page allocator:16384:7384", "0:ZERO_SIZE_PTR:0:0",
    ]);
  });
});
