// Slab geometry against Linux: calculate_order (mm/slub.c) at several CPU counts, and every
// cache mmsim creates at boot against /proc/slabinfo of the 6.18 reference machine (2 CPUs).
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { calculateAlignment, calculateSizes, minObjectsFor } from "../src/slub-layout";
import { kmallocBootOrder, kmallocIndexSize } from "../src/slab-common";
import { SLAB_KMALLOC } from "../src/slab-flags";
import { KernelAlloc } from "../src/kernel-alloc";
import { testMachine } from "../test/machine";

function geometry(size: number, align: number, flags: number, nrCpus: number): string {
  const l = calculateSizes(size, calculateAlignment(flags, align, size), flags, false, { nrCpus })!;
  return `${l.objects}/${2 ** l.order}`;
}

// kmalloc caches keep the alignment of the largest power of two dividing their size
// (mm/slab_common.c create_boot_cache).
function kmallocGeometry(size: number, nrCpus: number): string {
  return geometry(size, size & -size, SLAB_KMALLOC, nrCpus);
}

// Worked table of linux-facts.md §4 (objperslab/pagesperslab from calculate_order, mm/slub.c;
// the 2-CPU column checked against the 6.18 reference). Columns: 1, 2, 4 and 64 CPUs.
const KMALLOC_TABLE: Record<string, [string, string, string, string]> = {
  "kmalloc-8": ["512/1", "512/1", "512/1", "512/1"],
  "kmalloc-16": ["256/1", "256/1", "256/1", "256/1"],
  "kmalloc-32": ["128/1", "128/1", "128/1", "128/1"],
  "kmalloc-64": ["64/1", "64/1", "64/1", "64/1"],
  "kmalloc-96": ["42/1", "42/1", "42/1", "42/1"],
  "kmalloc-128": ["32/1", "32/1", "32/1", "32/1"],
  "kmalloc-192": ["21/1", "21/1", "21/1", "42/2"],
  "kmalloc-256": ["16/1", "16/1", "16/1", "32/2"],
  "kmalloc-512": ["8/1", "16/2", "16/2", "32/4"],
  "kmalloc-1k": ["8/2", "16/4", "16/4", "32/8"],
  "kmalloc-2k": ["8/4", "16/8", "16/8", "16/8"],
  "kmalloc-4k": ["8/8", "8/8", "8/8", "8/8"],
  "kmalloc-8k": ["4/8", "4/8", "4/8", "4/8"],
};

describe("calculate_order (mm/slub.c)", () => {
  test("min_objects is 4 * (fls(nr_cpus) + 1): 8, 12, 16, 32 for 1, 2, 4, 64 CPUs", () => {
    expect([1, 2, 4, 64].map((n) => minObjectsFor({ nrCpus: n }))).toEqual([8, 12, 16, 32]);
  });

  test.each([1, 2, 4, 64].map((n, col) => [n, col] as const))("kmalloc caches at %i CPUs", (nrCpus, col) => {
    const got: Record<string, string> = {};
    for (const { index, name } of kmallocBootOrder().filter((c) => c.type === 0)) got[name] = kmallocGeometry(kmallocIndexSize(index), nrCpus);
    const want = Object.fromEntries(Object.entries(KMALLOC_TABLE).map(([k, v]) => [k, v[col]]));
    expect(got).toEqual(want);
  });

  test("task_struct (5888), mm_struct (1600), vm_area_struct (192) at 1, 2, 4, 64 CPUs", () => {
    const row = (size: number) => [1, 2, 4, 64].map((n) => geometry(size, 8, 0, n));
    expect(row(5888)).toEqual(["5/8", "5/8", "5/8", "5/8"]);
    expect(row(1600)).toEqual(["10/4", "20/8", "20/8", "20/8"]);
    expect(row(192)).toEqual(["21/1", "21/1", "21/1", "42/2"]);
  });

  test("an object larger than slub_max_order falls back to get_order(size): kvm_vcpu 51472 is 1/16", () => {
    expect(geometry(51472, 8, 0, 2)).toBe("1/16");
  });
});

describe("boot caches against the 6.18 reference /proc/slabinfo (2 CPUs)", () => {
  const real = new Map<string, string>();
  for (const line of readFileSync(new URL("../../../reference/real-proc/slabinfo.txt", import.meta.url), "utf8").split("\n").slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 5) real.set(f[0], `${f[3]} ${f[4]} ${f[5]}`);
  }

  test("every cache created at boot has the reference objsize, objperslab and pagesperslab", () => {
    const m = testMachine();
    const ka = KernelAlloc.boot({ phys: m.phys, ram: m.ram, nrCpus: 2 });
    const rows = ka.slab.slabinfoRows();
    expect(rows.length).toBe(2 + 52 + 21);
    for (const r of rows) {
      expect(real.has(r.name), r.name).toBe(true);
      expect(`${r.objsize} ${r.objperslab} ${r.pagesperslab}`, r.name).toBe(real.get(r.name));
    }
  });

  test("slabinfo lists the boot caches newest first, ending ... kmalloc-192, kmalloc-96, kmem_cache_node, kmem_cache", () => {
    const m = testMachine();
    const ka = KernelAlloc.boot({ phys: m.phys, ram: m.ram, nrCpus: 2, kernelCaches: false });
    const names = ka.slab.slabinfoRows().map((r) => r.name);
    const realOrder = [...real.keys()].filter((n) => names.includes(n));
    expect(names).toEqual(realOrder);
    expect(names.slice(-4)).toEqual(["kmalloc-192", "kmalloc-96", "kmem_cache_node", "kmem_cache"]);
  });
});

describe("min_partial and cpu_partial (mm/slub.c set_min_partial, set_cpu_partial; /sys/kernel/slab on 6.18)", () => {
  test("kmalloc-8..2k keep 5 partial slabs, kmalloc-4k/8k and task_struct 6; cpu_partial 120/52/24/6 by size", () => {
    const m = testMachine();
    const ka = KernelAlloc.boot({ phys: m.phys, ram: m.ram, nrCpus: 2 });
    const get = (n: string) => {
      const c = ka.cache(n) as unknown as { minPartial: number; cpuPartial: number };
      return [c.minPartial, c.cpuPartial];
    };
    expect(["kmalloc-8", "kmalloc-64", "kmalloc-192", "kmalloc-256", "kmalloc-1k", "kmalloc-2k", "kmalloc-4k", "kmalloc-8k", "task_struct"].map(get)).toEqual([
      [5, 120], [5, 120], [5, 120], [5, 52], [5, 24], [5, 24], [6, 6], [6, 6], [6, 6],
    ]);
  });
});
