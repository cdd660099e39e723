// The physical and kernel-alloc layers as a scenario drives them through the kernel.
import { describe, expect, it } from "vitest";
import { inputError } from "./input-error";
import { Kernel, explainSlab, loadScenario, runScenario } from "../src/index";


const outputs = (text: string) => runScenario(loadScenario(text, "s.yaml")).results.map((r) => r.output);

describe("x86 boot memory", () => {
  it("applies trim_bios_range(): page 0 reserved, 640K-1M removed, so ZONE_DMA starts at pfn 1 as on a 6.18 machine", () => {
    // arch/x86/kernel/setup.c trim_bios_range(); the 6.18 snapshot's zoneinfo has DMA start_pfn 1, spanned 4095
    const k = Kernel.boot({}, { seed: 1 });
    const dmesg = k.dmesg.texts();
    const at = dmesg.findIndex((l) => l.startsWith("e820: update"));
    expect(dmesg.slice(at, at + 2)).toEqual(["e820: update [mem 0x00000000-0x00000fff] usable ==> reserved", "e820: remove [mem 0x000a0000-0x000fffff] usable"]);
    expect(dmesg[at - 1]).toMatch(/^BIOS-e820: /);
    const dma = k.phys.nodes[0].zones[0];
    expect([dma.zoneStartPfn, dma.spannedPages, dma.presentPages]).toEqual([1, 4095, 3998]);
  });
});

describe("page allocator steps", () => {
  it("splits a block on alloc_pages and merges it back on free_pages + drain: buddyinfo returns to boot", () => {
    const out = outputs(
      "machine: { ram: 64MiB }\nsteps:\n  - cat: /proc/buddyinfo\n  - alloc_pages: { order: 4, gfp: GFP_KERNEL, as: a }\n  - cat: /proc/buddyinfo\n  - free_pages: { of: a }\n  - cat: /proc/buddyinfo\n",
    );
    expect(out[1]).toMatch(/^pfn 0x[0-9a-f]+-0x[0-9a-f]+ \(16 pages\) from node 0, zone DMA32\n$/);
    expect(out[2]).not.toBe(out[0]);
    // order 4 is above PAGE_ALLOC_COSTLY_ORDER (3), so the free goes straight to the buddy lists
    expect(out[4]).toBe(out[0]);
  });

  it("reports a failed allocation as output, not an error", () => {
    const out = outputs("machine: { ram: 64MiB }\nsteps:\n  - alloc_pages: { order: 10, gfp: GFP_DMA, as: a }\n  - alloc_pages: { order: 10, gfp: GFP_DMA|__GFP_NOWARN, as: b }\n  - alloc_pages: { order: 10, gfp: GFP_DMA|__GFP_NOWARN, as: c }\n  - alloc_pages: { order: 10, gfp: GFP_DMA|__GFP_NOWARN, as: d }\n");
    expect(out.filter((o) => o.startsWith("failed: no free block of order 10")).length).toBeGreaterThan(0);
  });

  it("rejects, before running, a free of a name never bound, a second free, and an unknown GFP flag", () => {
    expect(inputError(() => loadScenario("steps:\n  - free_pages: { of: x }\n", "f.yaml"))).toBe(
      'f.yaml:2: steps[0].free_pages.of: no earlier step bound "x" (bind one with as: x)',
    );
    expect(inputError(() => loadScenario("steps:\n  - alloc_pages: { order: 0, as: a }\n  - free_pages: { of: a }\n  - free_pages: { of: a }\n", "f.yaml"))).toBe(
      'f.yaml:4: steps[2].free_pages.of: no earlier step bound "a" (bind one with as: a)',
    );
    expect(inputError(() => loadScenario("steps:\n  - alloc_pages: { order: 0, gfp: GFP_KERNAL }\n", "f.yaml"))).toMatch(
      /^f\.yaml:2: steps\[0\]\.alloc_pages\.gfp: unknown GFP flag "GFP_KERNAL"/,
    );
    expect(inputError(() => loadScenario("steps:\n  - alloc_pages: { order: 11 }\n", "f.yaml"))).toBe(
      "f.yaml:2: steps[0].alloc_pages.order: expected a whole number from 0 to 10, got 11",
    );
  });
});

describe("slab and vmalloc steps", () => {
  it("kmalloc picks the size class, kfree returns the object, slabinfo counts it", () => {
    const s = loadScenario("machine: { ram: 1GiB }\nsteps:\n  - kmalloc: { size: 100, as: p }\n  - kfree: { of: p }\n  - kmalloc: { size: 0, as: z }\n", "k.yaml");
    const { results, kernel } = runScenario(s);
    expect(results[0]!.output).toMatch(/^ffff888[0-9a-f]{9} \(ksize 128\)\n$/);
    expect(results[2]!.output).toBe("ZERO_SIZE_PTR (0x10): kmalloc(0) returns a pointer that must not be used\n");
    expect(kernel.cat("/proc/slabinfo")).toMatch(/^kmalloc-128 +\d+ +\d+ +128 +32 +1 : tunables/m);
  });

  it("kmem_cache_create merges a compatible second cache into the first (kmalloc caches have usersize, so never merge)", () => {
    const out = outputs("machine: { ram: 1GiB }\nsteps:\n  - kmem_cache_create: { name: my_objs, size: 200, as: c }\n  - kmem_cache_create: { name: your_objs, size: 200, as: d }\n  - kmem_cache_alloc: { cache: d, as: o }\n  - kfree: { of: o }\n");
    expect(out[0]).toMatch(/^created my_objs: objects of 200 bytes in \d+-byte slots\n$/);
    expect(out[1]).toBe("merged into my_objs (an alias, as slab merging does for compatible caches)\n");
    expect(out[2]).toMatch(/^ffff888[0-9a-f]{9} from my_objs\n$/);
  });

  it("vmalloc maps pages in the vmalloc area; vmallocinfo and VmallocUsed follow", () => {
    const s = loadScenario("machine: { ram: 1GiB }\nsteps:\n  - vmalloc: { size: 64KiB, as: v }\n", "v.yaml");
    const { results, kernel } = runScenario(s);
    expect(results[0]!.output).toBe("ffffc90000000000 (16 pages + a guard page)\n");
    expect(kernel.cat("/proc/vmallocinfo")).toContain("0xffffc90000000000-0xffffc90000011000   69632 scenario pages=16 vmalloc N0=16\n");
    expect(kernel.cat("/proc/meminfo")).toMatch(/^VmallocUsed: +64 kB$/m);
  });

  it("boots the classic SLAB allocator on request", () => {
    const k = Kernel.boot({ ram: 1024 ** 3, allocator: "slab" });
    expect(k.dmesg.texts()[1]).toContain("slab=classic");
    expect(k.cat("/proc/slabinfo").split("\n")[0]).toBe("slabinfo - version: 2.1");
  });
});

describe("explainSlab", () => {
  it("dumps each slot's regions from RAM and shortens long ones after 48 bytes", () => {
    const k = Kernel.boot({ ram: 1024 ** 3 });
    const e = explainSlab(k, "kmalloc-256", { alloc: 2, free: [1], dump: 1 });
    expect(e.view.cache).toBe("kmalloc-256");
    const lines = e.dump.split("\n");
    expect(lines[0]).toMatch(/^slot #0 at ffff888[0-9a-f]{9} \(cpu-free\):$/);
    // a 256-byte object: 48 bytes shown, then the rest summarised
    expect(e.dump).toContain("  ...   (");
    expect(e.dump).toMatch(/^ {2}\+ {3}0 {2}(00 ){15}00 {2}object$/m);
    expect(e.dump).toContain("  ...   (80 more bytes of object)\n"); // 128 bytes before the free pointer at +128
    expect(e.dump).toMatch(/freeptr = next free object at ffff888[0-9a-f]{9}$/m);
  });
});
