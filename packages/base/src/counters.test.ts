import { describe, expect, it } from "vitest";
import { Bug } from "./errors";
import { Counters, VMSTAT_ITEMS } from "./counters";

describe("VMSTAT_ITEMS", () => {
  // Positions read from /proc/vmstat of a real Linux 6.18 machine (mm/vmstat.c vmstat_text[]:
  // zone stats, NUMA stats, node stats, dirty thresholds, then vm events).
  it("has Linux 6.18's 192 /proc/vmstat names in its order", () => {
    expect(VMSTAT_ITEMS).toHaveLength(192);
    expect(new Set(VMSTAT_ITEMS).size).toBe(192);
    const at: Record<string, number> = {
      nr_free_pages: 0,
      numa_hit: 11,
      nr_inactive_anon: 17,
      nr_dirty_threshold: 68,
      pgpgin: 72,
      pgalloc_normal: 78,
      pgfree: 91,
      pgfault: 95,
      pgmajfault: 96,
      pgsteal_kswapd: 100,
      oom_kill: 124,
      compact_stall: 138,
      thp_fault_alloc: 153,
      swap_ra: 178,
      direct_map_level3_collapses: 190,
      nr_unstable: 191,
    };
    for (const [name, i] of Object.entries(at)) expect([name, VMSTAT_ITEMS.indexOf(name as never)]).toEqual([name, i]);
  });
});

describe("Counters", () => {
  it("registers the vmstat names first, in order, with ids equal to their position", () => {
    const c = new Counters();
    expect(c.entries().map(([n]) => n)).toEqual([...VMSTAT_ITEMS]);
    expect(c.entries().every(([, v]) => v === 0)).toBe(true);
    expect(c.id("nr_free_pages")).toBe(0);
    expect(c.id("pgfault")).toBe(95);
    expect(c.id("nr_unstable")).toBe(191);
  });

  it("keeps ids stable: registering a known name again returns its slot", () => {
    const c = new Counters();
    const a = c.id("pgfault");
    const b = c.id("my_counter");
    expect(b).toBe(192);
    expect(c.id("pgfault")).toBe(a);
    expect(c.id("my_counter")).toBe(b);
    expect(c.entries()).toHaveLength(193);
  });

  it("add bumps by one or by delta through the slot; get and set go by name", () => {
    const c = new Counters();
    const pgfault = c.id("pgfault");
    c.add(pgfault);
    c.add(pgfault);
    c.add(pgfault, 40);
    expect(c.get("pgfault")).toBe(42);
    expect(c.values[pgfault]).toBe(42);
    c.add(c.id("nr_free_pages"), -3);
    expect(c.get("nr_free_pages")).toBe(-3);
    c.set("nr_free_pages", 893534);
    expect(c.get("nr_free_pages")).toBe(893534);
  });

  it("set registers a new name; has reports registration", () => {
    const c = new Counters([]);
    expect(c.has("zone_normal_free")).toBe(false);
    c.set("zone_normal_free", 7);
    expect(c.has("zone_normal_free")).toBe(true);
    expect(c.entries()).toEqual([["zone_normal_free", 7]]);
  });

  it("get of a name never registered is a Bug naming Counters.get", () => {
    const c = new Counters();
    expect(() => c.get("pgfualt")).toThrow(Bug);
    expect(() => c.get("pgfualt")).toThrow("Counters.get: no counter named pgfualt");
  });

  it("grows past its initial size, keeping every value and id", () => {
    const c = new Counters(["a", "b"]);
    expect(c.values.length).toBe(16);
    c.add(c.id("a"), 5);
    c.add(c.id("b"), 6);
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) {
      ids.push(c.id(`extra_${i}`));
      c.add(ids[i], i);
    }
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(c.values.length).toBe(128);
    expect(c.get("a")).toBe(5);
    expect(c.get("b")).toBe(6);
    for (let i = 0; i < 100; i++) expect(c.get(`extra_${i}`)).toBe(i);
    expect(c.entries().slice(0, 3)).toEqual([["a", 5], ["b", 6], ["extra_0", 0]]);
  });

  it("grows the default vmstat set past 192 without losing counts", () => {
    const c = new Counters();
    c.add(c.id("oom_kill"), 3);
    for (let i = 0; i < 300; i++) c.add(c.id(`node0_x${i}`));
    expect(c.get("oom_kill")).toBe(3);
    expect(c.get("node0_x299")).toBe(1);
    expect(c.entries()).toHaveLength(492);
  });

  it("counts exactly past 2^32 (64-bit counters as in Linux)", () => {
    const c = new Counters();
    const i = c.id("pgfree");
    c.add(i, 2 ** 32);
    c.add(i);
    expect(c.get("pgfree")).toBe(2 ** 32 + 1);
  });

  it("reset zeroes every counter but keeps the names", () => {
    const c = new Counters();
    c.add(c.id("pgfault"), 9);
    c.add(c.id("custom"), 9);
    c.reset();
    expect(c.get("pgfault")).toBe(0);
    expect(c.get("custom")).toBe(0);
    expect(c.entries()).toHaveLength(193);
  });

  it("reads a provided counter from its owner in get() and entries(), and refuses set()", () => {
    const c = new Counters();
    let zonePgfree = 5;
    c.provide("pgfree", () => zonePgfree);
    expect(c.get("pgfree")).toBe(5);
    zonePgfree = 7;
    expect(c.get("pgfree")).toBe(7);
    expect(c.entries().find(([n]) => n === "pgfree")).toEqual(["pgfree", 7]);
    c.provide("node0_pgx", () => 2);
    expect(c.get("node0_pgx")).toBe(2);
    expect(() => c.set("pgfree", 1)).toThrow("Counters.set: pgfree is provided by its owner and cannot be set");
    c.reset();
    expect(c.get("pgfree")).toBe(7);
  });
});
