// /proc/meminfo against fs/proc/meminfo.c (6.18) and the reference machine's file
// (reference/real-proc/meminfo.txt): same labels in the same order, same column layout, and
// the identities Linux's numbers obey.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GiB } from "@mmsim/base";
import { WMARK_LOW, totalReservePages } from "@mmsim/physical";
import { Kernel } from "../src/index";

const real = readFileSync(new URL("../../../reference/real-proc/meminfo.txt", import.meta.url), "utf8");
const labels = (text: string) => text.trimEnd().split("\n").map((l) => l.slice(0, l.indexOf(":") + 1));
const field = (text: string, name: string) => Number(new RegExp(`^${name.replace(/[()]/g, "\\$&")}:\\s+(\\d+)`, "m").exec(text)![1]);

describe("/proc/meminfo", () => {
  const k = Kernel.boot({ ram: 8 * GiB });
  const text = k.cat("/proc/meminfo");

  it("has the 6.18 reference machine's labels in its order", () => {
    expect(labels(text)).toEqual(labels(real));
  });

  it("lays every line out as show_val_kb: label in 16 columns, value right-aligned in 8, ' kB'", () => {
    for (const line of text.trimEnd().split("\n")) {
      if (line.startsWith("HugePages_")) expect(line).toMatch(/^HugePages_\w+:\s+\d+$/);
      else expect(line).toMatch(/^.{16}[ \d]{8,} kB$/);
      expect(line.indexOf(":")).toBeLessThan(16);
    }
    expect(text).toContain("VmallocTotal:   34359738367 kB\n"); // 32 TiB - 1 byte, in kB, 4-level
    expect(text).toContain("Hugepagesize:       2048 kB\n");
  });

  it("reports MemTotal as the managed pages and MemFree as the buddy allocator's free pages", () => {
    const zones = k.phys.nodes.flatMap((n) => n.zones);
    expect(field(text, "MemTotal")).toBe(zones.reduce((s, z) => s + z.managedPages, 0) * 4);
    expect(field(text, "MemFree")).toBe(zones.reduce((s, z) => s + z.nrFreePages, 0) * 4);
  });

  it("computes MemAvailable as si_mem_available() does (mm/show_mem.c)", () => {
    const zones = k.phys.nodes.flatMap((n) => n.zones);
    const free = zones.reduce((s, z) => s + z.nrFreePages, 0);
    const wmarkLow = zones.reduce((s, z) => s + z.wmark(WMARK_LOW), 0);
    const srecl = field(text, "SReclaimable") / 4;
    const expected = free - totalReservePages(k.phys.nodes) + srecl - Math.min(Math.floor(srecl / 2), wmarkLow);
    expect(field(text, "MemAvailable")).toBe(expected * 4);
  });

  it("keeps Slab = SReclaimable + SUnreclaim and KReclaimable = SReclaimable", () => {
    expect(field(text, "Slab")).toBe(field(text, "SReclaimable") + field(text, "SUnreclaim"));
    expect(field(text, "KReclaimable")).toBe(field(text, "SReclaimable"));
    expect(field(text, "Slab")).toBeGreaterThan(0);
  });

  it("sets CommitLimit to totalram * overcommit_ratio (50) / 100 + swap pages (mm/util.c)", () => {
    const withSwap = Kernel.boot({ ram: 2 * GiB, swap: GiB });
    const t = withSwap.cat("/proc/meminfo");
    const swapPages = GiB / 4096 - 1; // mkswap's header page is not swap space
    expect(field(t, "SwapTotal")).toBe(swapPages * 4);
    expect(field(t, "CommitLimit")).toBe((Math.floor(field(t, "MemTotal") / 4 / 2) + swapPages) * 4);
  });

  it("splits the direct map into 4k/2M/1G pages as split_mem_range() does", () => {
    // 8 GiB: usable [0, 0x9fc00) [1 MiB, 0xbffe0000) [4 GiB, 9 GiB)
    //   [0, 1 MiB) in 4k (the ISA range, always); [1M, 2M) 4k; [2M, 1G) 2M; [1G, 2G) 1G;
    //   [2G, 3G-2M) 2M; [3G-2M, 3G-128K) 4k; [4G, 9G) 1G pages (5)
    expect([field(text, "DirectMap4k"), field(text, "DirectMap2M"), field(text, "DirectMap1G")]).toEqual([
      1024 + 1024 + (2048 - 128),
      (1024 - 2) * 1024 + (1024 - 2) * 1024,
      6 * 1024 * 1024,
    ]);
  });

  it("adds HighTotal/HighFree/LowTotal/LowFree on i386 (CONFIG_HIGHMEM)", () => {
    const t = Kernel.boot({ arch: "i386", ram: 2 * GiB }).cat("/proc/meminfo");
    expect(labels(t).slice(14, 18)).toEqual(["HighTotal:", "HighFree:", "LowTotal:", "LowFree:"]);
    expect(field(t, "HighTotal") + field(t, "LowTotal")).toBe(field(t, "MemTotal"));
    expect(field(t, "HighTotal")).toBeGreaterThan(0);
  });
});
