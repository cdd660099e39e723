import { describe, expect, test } from "vitest";
import { lookupPte, PAGE_KERNEL } from "@mmsim/hardware";
import { GFP_KERNEL, __GFP_HIGHMEM } from "@mmsim/physical";
import type { PageAllocator } from "./deps";
import { KernelAlloc } from "./kernel-alloc";
import { bootKa } from "../test/boot";
import { freeByOrder, testMachine } from "../test/machine";

function recordingTlb() {
  const log: string[] = [];
  return { log, tlb: { invlpg: (va: number) => log.push(`invlpg ${va.toString(16)}`), flushAll: () => log.push("flushAll") } };
}

describe("vmalloc areas", () => {
  test("areas are handed out lowest address first, each followed by an unmapped guard page", () => {
    const { ka, m } = bootKa();
    const a = ka.vmalloc(4096, GFP_KERNEL, "test_a+0x1/0x2");
    const b = ka.vmalloc(3 * 4096, GFP_KERNEL, "test_b+0x3/0x4");
    expect(a.toString(16)).toBe("c90000000000");
    expect(b - a).toBe(8192);
    expect(ka.vmallocinfo()).toBe(
      "0xffffc90000000000-0xffffc90000002000    8192 test_a+0x1/0x2 pages=1 vmalloc N0=1\n" +
      "0xffffc90000002000-0xffffc90000006000   16384 test_b+0x3/0x4 pages=3 vmalloc N0=3\n",
    );
    const pte = lookupPte(m.ram, ka.vm.pgd, a, 4)!;
    expect(pte.lo & 0xfff).toBe(PAGE_KERNEL.lo);
    expect(pte.hi).toBe(PAGE_KERNEL.hi);
    expect(Math.floor(pte.lo / 4096)).toBe(ka.vm.findVmArea(a)!.pages[0]);
    const guard = lookupPte(m.ram, ka.vm.pgd, a + 4096, 4)!;
    expect([guard.lo, guard.hi]).toEqual([0, 0]);
    ka.verify();
  });

  test("kernel page tables: PGD plus 64 preallocated PUD pages at boot, PMD and PTE pages on the first vmalloc", () => {
    const { ka, m } = bootKa();
    expect(ka.meminfo().PageTables).toBe(65 * 4);
    ka.vmalloc(4096);
    expect(ka.meminfo().PageTables).toBe(67 * 4);
    expect(m.phys.pages.getType(ka.vm.pgd / 4096)).toBe(0xf2);
    expect(ka.meminfo().VmallocTotal).toBe(34359738367);
  });

  test("5-level paging puts vmalloc at 0xffa0000000000000 and preallocates 50 P4D pages", () => {
    const { ka } = bootKa({ levels: 5 });
    expect(ka.meminfo().PageTables).toBe(51 * 4);
    ka.vmalloc(4096, GFP_KERNEL, "x+0x0/0x1");
    expect(ka.vmallocinfo()).toBe("0xffa0000000000000-0xffa0000000002000    8192 x+0x0/0x1 pages=1 vmalloc N0=1\n");
  });

  test("kernel stacks are 16 KiB, THREAD_SIZE-aligned areas shown as the reference shows them", () => {
    const { ka } = bootKa();
    ka.vmalloc(4096);
    const s1 = ka.allocKernelStack();
    const s2 = ka.allocKernelStack();
    expect([s1 % 16384, s2 % 16384]).toEqual([0, 0]);
    expect(ka.vmallocinfo().split("\n")[1]).toBe("0xffffc90000004000-0xffffc90000009000   20480 kernel_clone+0x94/0x3e0 pages=4 vmalloc N0=4");
    expect(ka.meminfo().KernelStack).toBe(32);
    expect(ka.meminfo().VmallocUsed).toBe(36);
  });

  test("vmalloc's bookkeeping lives in slab caches: vmap_area, and kmalloc for vm_struct and the page array", () => {
    const { ka } = bootKa();
    const row = (n: string) => ka.slab.slabinfoRows().find((r) => r.name === n)!;
    ka.vmalloc(64 * 4096);
    expect(row("vmap_area").numSlabs).toBe(1);
    expect(row("kmalloc-96").numSlabs).toBe(1);
    expect(row("kmalloc-512").numSlabs).toBe(1);
  });

  test("vmap maps pages it does not own; vunmap leaves them to the caller", () => {
    const { ka, m } = bootKa();
    const pfns = [m.phys.allocPages(GFP_KERNEL, 0), m.phys.allocPages(GFP_KERNEL, 0)];
    const va = ka.vmap(pfns, "map_it+0x5/0x10");
    expect(ka.vmallocinfo()).toBe("0xffffc90000000000-0xffffc90000003000   12288 map_it+0x5/0x10 vmap\n");
    expect(Math.floor(lookupPte(m.ram, ka.vm.pgd, va + 4096, 4)!.lo / 4096)).toBe(pfns[1]);
    ka.verify();
    ka.vunmap(va);
    expect(m.phys.pages.refCount(pfns[0])).toBe(1);
    ka.verify();
  });

  test("a vmalloc that cannot get its pages fails with 0 and gives everything back", () => {
    const { ka, m } = bootKa({}, 16);
    ka.vmalloc(4096);
    m.phys.drainAllPages();
    const before = freeByOrder(m.phys);
    expect(ka.vmalloc(32 * 1024 * 1024)).toBe(0);
    m.phys.drainAllPages();
    expect(freeByOrder(m.phys)).toEqual(before);
    expect(ka.vm.busy.length).toBe(1);
  });
});

describe("pages and page tables of an area", () => {
  test("an area crossing a 2 MiB boundary gets its PTEs in two PTE tables; vfree clears all of them", () => {
    const { ka, m } = bootKa();
    ka.vmalloc(510 * 4096); // 510 pages + guard: the next area starts at page 511 of the first 2 MiB
    const va = ka.vmalloc(4 * 4096);
    expect((va - 0xc90000000000) / 4096).toBe(511);
    const vm = ka.vm.findVmArea(va)!;
    const ptes = [0, 1, 2, 3].map((i) => lookupPte(m.ram, ka.vm.pgd, va + i * 4096, 4)!);
    expect(ptes.map((p) => Math.floor(p.lo / 4096))).toEqual(vm.pages);
    expect(Math.floor(ptes[1].entryPa / 4096)).not.toBe(Math.floor(ptes[0].entryPa / 4096));
    expect(ptes[1].entryPa % 4096).toBe(0);
    ka.verify();
    ka.vfree(va);
    expect([0, 1, 2, 3].map((i) => lookupPte(m.ram, ka.vm.pgd, va + i * 4096, 4)!.lo)).toEqual([0, 0, 0, 0]);
    ka.verify();
  });

  test("with alloc_pages_bulk_node, pages come at most 100 per call; a short bulk call falls back to single pages", () => {
    const m = testMachine(64, 2);
    const bulkCalls: number[] = [];
    let singles = 0;
    let bulkLimit = Infinity;
    // The physical layer's page allocator plus a bulk interface that stops after bulkLimit pages.
    const phys: PageAllocator = {
      allocPages: (gfp, order, nid) => {
        if (order === 0 && gfp & __GFP_HIGHMEM) singles++; // vmalloc's pages, not slab pages
        return m.phys.allocPages(gfp, order, nid);
      },
      freePages: (pfn, order) => m.phys.freePages(pfn, order),
      maxPfn: m.phys.maxPfn,
      pages: m.phys.pages,
      allocPagesBulk: (gfp, nid, nrPages, out) => {
        bulkCalls.push(nrPages);
        const n = Math.min(nrPages, bulkLimit);
        for (let k = 0; k < n; k++) out[k] = m.phys.allocPages(gfp, 0, nid < 0 ? undefined : nid);
        bulkLimit -= n;
        return n;
      },
    };
    const ka = KernelAlloc.boot({ phys, ram: m.ram, rng: m.rng, clock: m.clock, kernelCaches: false });
    singles = 0;
    const a = ka.vmalloc(250 * 4096);
    expect(bulkCalls).toEqual([100, 100, 50]);
    expect(singles).toBe(0);
    expect(ka.vm.findVmArea(a)!.pages.length).toBe(250);
    bulkCalls.length = 0;
    bulkLimit = 30;
    const b = ka.vmalloc(40 * 4096);
    expect(bulkCalls).toEqual([40]);
    expect(singles).toBe(10);
    expect(new Set(ka.vm.findVmArea(b)!.pages).size).toBe(40);
    ka.verify();
    ka.vfree(a);
    ka.vfree(b);
    ka.verify();
  });
});

describe("lazy purge", () => {
  test("vfree unmaps at once; the range waits as 'unpurged vm_area' and a small purge flushes page by page", () => {
    const { tlb, log } = recordingTlb();
    const { ka, m } = bootKa({ tlbs: [tlb] });
    const a = ka.vmalloc(4096, GFP_KERNEL, "t+0x0/0x1");
    ka.vfree(a);
    expect(lookupPte(m.ram, ka.vm.pgd, a, 4)!.lo).toBe(0);
    expect(ka.vmallocinfo()).toBe("0xffffc90000000000-0xffffc90000002000    8192 unpurged vm_area\n");
    // Not reused before the purge:
    expect(ka.vmalloc(4096)).toBe(a + 8192);
    expect(log).toEqual([]);
    ka.verify();
    expect(ka.vm.purgeLazy()).toBe(1);
    expect(log).toEqual(["invlpg c90000000000", "invlpg c90000001000"]);
    expect(ka.vmalloc(4096)).toBe(a);
  });

  test("once more than lazy_max_pages (fls(2) * 8192 = 16384) are lazily freed, one full TLB flush purges them all", () => {
    const { tlb, log } = recordingTlb();
    const { ka } = bootKa({ tlbs: [tlb, tlb] });
    expect(ka.vm.lazyMaxPages).toBe(16384);
    // 64 pages + guard = 65 pages per area: the 253rd vfree crosses 16384.
    let first = 0;
    for (let i = 1; i <= 252; i++) {
      const va = ka.vmalloc(64 * 4096);
      if (i === 1) first = va;
      ka.vfree(va);
    }
    expect([ka.vm.lazyPages, ka.vm.purges, log.length]).toEqual([252 * 65, 0, 0]);
    ka.vfree(ka.vmalloc(64 * 4096));
    expect([ka.vm.lazyPages, ka.vm.purges, ka.vm.tlbFullFlushes]).toEqual([0, 1, 1]);
    expect(log).toEqual(["flushAll", "flushAll"]);
    expect(ka.vmallocinfo()).toBe("");
    expect(ka.vmalloc(4096)).toBe(first);
    expect(ka.vm.freeRanges().length).toBe(1);
    ka.verify();
  });

  test("hashed %pK pointers print as 0x00000000 and eight hex digits", () => {
    const { ka } = bootKa({ pointers: "hashed" });
    ka.vmalloc(4096, GFP_KERNEL, "h+0x0/0x1");
    expect(ka.vmallocinfo()).toMatch(/^0x00000000[0-9a-f]{8}-0x00000000[0-9a-f]{8} {4}8192 h\+0x0\/0x1 pages=1 vmalloc N0=1\n$/);
  });
});

describe("bad frees", () => {
  test("vfree of an address that starts no area WARNs in Linux's words and changes nothing", () => {
    const { ka } = bootKa();
    const a = ka.vmalloc(8192);
    ka.vfree(a + 4096);
    expect(ka.printk.lines).toEqual(["------------[ cut here ]------------", "Trying to vfree() nonexistent vm area (ffffc90000001000)"]);
    expect(ka.vm.busy.length).toBe(1);
  });
});
