import { describe, expect, test } from "vitest";
import { KernelBug } from "@mmsim/base";
import { GFP_DMA, GFP_KERNEL, GFP_KERNEL_ACCOUNT, __GFP_RECLAIMABLE, PGTY_large_kmalloc } from "@mmsim/physical";
import { bootKa } from "../test/boot";
import { ZERO_SIZE_PTR } from "./slab-flags";

describe("kmalloc", () => {
  test("kmalloc(0) is ZERO_SIZE_PTR (16); kfree of it and of NULL does nothing", () => {
    const { ka } = bootKa();
    expect(ka.kmalloc(0)).toBe(ZERO_SIZE_PTR);
    ka.kfree(ZERO_SIZE_PTR);
    ka.kfree(0);
    expect(ka.ksize(ZERO_SIZE_PTR)).toBe(0);
  });

  test("objects come from the class cache of their GFP type", () => {
    const { ka } = bootKa();
    const name = (p: number) => ka.slab.cacheOf(p)!.name;
    expect(name(ka.kmalloc(100))).toBe("kmalloc-128");
    expect(name(ka.kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE))).toBe("kmalloc-rcl-128");
    expect(name(ka.kmalloc(100, GFP_KERNEL_ACCOUNT))).toBe("kmalloc-cg-128");
    expect(name(ka.kmalloc(100, GFP_KERNEL | GFP_DMA))).toBe("dma-kmalloc-128");
    expect(ka.meminfo().SReclaimable).toBe(4);
  });

  test("ksize is the slot size (kmalloc(100) → 128), object_size under slub_debug red zones", () => {
    const plain = bootKa().ka;
    expect(plain.ksize(plain.kmalloc(100))).toBe(128);
    const { ka } = bootKa({ slubDebug: "Z" });
    expect(ka.ksize(ka.kmalloc(100))).toBe(128);
    expect(ka.ksize(ka.kmalloc(20))).toBe(32);
  });

  test("kzalloc zeroes the object; krealloc grows by moving and keeps the contents", () => {
    const { ka, m } = bootKa();
    const p = ka.kmalloc(64);
    m.ram.fill(p, 64, 0x77);
    ka.kfree(p);
    const z = ka.kzalloc(64);
    expect(z).toBe(p);
    expect([...m.ram.read(z, 64)].every((b) => b === 0)).toBe(true);
    m.ram.fill(z, 64, 0x42);
    expect(ka.krealloc(z, 60)).toBe(z);
    const big = ka.krealloc(z, 300);
    expect(ka.slab.cacheOf(big)!.name).toBe("kmalloc-512");
    expect([...m.ram.read(big, 64)].every((b) => b === 0x42)).toBe(true);
    expect(ka.krealloc(big, 0)).toBe(ZERO_SIZE_PTR);
    ka.verify();
  });

  test("above 8 KiB kmalloc takes compound pages from the buddy allocator, counted in SUnreclaim but not in slabinfo", () => {
    const { ka, m } = bootKa();
    const before = ka.meminfo().SUnreclaim;
    const p = ka.kmalloc(20000);
    expect(p % 4096).toBe(0);
    expect(m.phys.pages.getType(p / 4096)).toBe(PGTY_large_kmalloc);
    expect(ka.ksize(p)).toBe(32768);
    expect(ka.meminfo().SUnreclaim - before).toBe(32);
    ka.kfree(p);
    expect(ka.meminfo().SUnreclaim).toBe(before);
    expect(ka.kmalloc(4 * 1024 * 1024 + 1)).toBe(0);
  });

  test("kfree of an address kmalloc never returned warns as free_large_kmalloc does and throws KernelBug", () => {
    const { ka, m } = bootKa();
    const pfn = m.phys.allocPages(GFP_KERNEL, 0);
    const p = pfn * 4096;
    let e: unknown;
    try {
      ka.kfree(p + 8, "drv_remove");
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(KernelBug);
    const bug = e as KernelBug;
    const report = [
      "------------[ cut here ]------------",
      "WARNING: CPU: 0 PID: 0 at free_large_kmalloc",
      `page: refcount:1 pfn:0x${pfn.toString(16)}`,
      "page dumped because: Not a kmalloc allocation",
    ];
    expect(bug.report).toEqual(report);
    expect(ka.printk.lines).toEqual(report);
    expect(bug.message).toBe(`kfree of 0x${(0xffff888000000000n + BigInt(p + 8)).toString(16)}, which kmalloc did not return (from drv_remove)`);
    expect(bug.fn).toBe("free_large_kmalloc");
    // Nothing was freed: the page is still allocated, and the W taint is set.
    expect(m.phys.pages.refCount(pfn)).toBe(1);
    expect(ka.printk.printTainted()).toBe("Tainted: G        W          ");
    ka.verify();
  });
});

describe("boot log", () => {
  // mm/slub.c kmem_cache_init(): pr_info("SLUB: HWalign=%d, Order=%u-%u, MinObjects=%u, CPUs=%u, Nodes=%u\n",
  // cache_line_size(), slub_min_order, slub_max_order, slub_min_objects, nr_cpu_ids, nr_node_ids);
  // the reference machine (2 CPUs, one node, defaults) prints the first line.
  test("kmem_cache_init's SLUB line with the machine's CPUs and nodes and the slub_* parameters", () => {
    expect(bootKa().ka.bootLog()).toEqual(["SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs=2, Nodes=1"]);
    expect(bootKa({ nrCpus: 4, nrNodes: 2 }).ka.bootLog()).toEqual(["SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs=4, Nodes=2"]);
    expect(bootKa({ slubMinOrder: 1, slubMinObjects: 8 }).ka.bootLog()).toEqual(["SLUB: HWalign=64, Order=1-3, MinObjects=8, CPUs=2, Nodes=1"]);
    expect(bootKa({ slubMinOrder: 5 }).ka.bootLog()).toEqual(["SLUB: HWalign=64, Order=5-5, MinObjects=0, CPUs=2, Nodes=1"]);
    expect(bootKa({ allocator: "slab" }).ka.bootLog()).toEqual([]);
  });
});
