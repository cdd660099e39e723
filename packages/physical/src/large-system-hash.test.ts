// alloc_large_system_hash() sizing (mm/mm_init.c) against its formula and real boot lines.
import { describe, expect, it } from "vitest";
import { Bug } from "@mmsim/base";
import { allocLargeSystemHash, largeSystemHashLine, largeSystemHashSize } from "./large-system-hash";
import { Memblock } from "./memblock";
import type { MemblockAllocator } from "./memblock";

const dentry = { bucketsize: 8, numentries: 0, scale: 13, lowLimit: 0, highLimit: 0 };
const inode = { ...dentry, scale: 14 };
const pages = (n: number): { nrKernelPages: number; nrAllPages: number } => ({ nrKernelPages: n, nrAllPages: n });

describe("largeSystemHashSize", () => {
  it("a 128 MiB i386 boot (4-byte buckets) prints Dentry 16384 (order 4) and Inode-cache 8192 (order 3)", () => {
    // real boot log: "Total pages: 32382", "Dentry cache hash table entries: 16384 (order: 4,
    // 65536 bytes, linear)", "Inode-cache hash table entries: 8192 (order: 3, 32768 bytes,
    // linear)"; the result is the same for any nr_kernel_pages in (16384, 32768]
    for (const n of [16385, 30000, 32382]) {
      expect(largeSystemHashLine("Dentry cache", largeSystemHashSize({ ...dentry, bucketsize: 4, ...pages(n) }), "linear")).toBe(
        "Dentry cache hash table entries: 16384 (order: 4, 65536 bytes, linear)",
      );
      expect(largeSystemHashLine("Inode-cache", largeSystemHashSize({ ...inode, bucketsize: 4, ...pages(n) }), "linear")).toBe(
        "Inode-cache hash table entries: 8192 (order: 3, 32768 bytes, linear)",
      );
    }
  });
  it("rounds nr_kernel_pages up to a megabyte, scales by 2^(scale - PAGE_SHIFT), rounds up to a power of two", () => {
    // 24 GiB: 6.1 M pages → /2 → 3.05 M → 2^22 dentry buckets; /4 → 2^21 inode buckets
    expect(largeSystemHashSize({ ...dentry, ...pages(6_100_000) })).toEqual({ log2qty: 22, entries: 4194304, size: 33554432, order: 13 });
    expect(largeSystemHashSize({ ...inode, ...pages(6_100_000) })).toEqual({ log2qty: 21, entries: 2097152, size: 16777216, order: 12 });
    // exactly 2^22 pages (16 GiB) stays at 2^21 dentry buckets; one page more rounds up
    expect(largeSystemHashSize({ ...dentry, ...pages(2 ** 22) }).entries).toBe(2 ** 21);
    expect(largeSystemHashSize({ ...dentry, ...pages(2 ** 22 + 1) }).entries).toBe(2 ** 22);
  });
  it("above 64 GiB the scale grows by one per quadrupling (ADAPT_SCALE_BASE), unless a high limit is given", () => {
    const gib128 = pages(128 * 262144);
    // 2^25 pages: scale 13 + 1 → 2^25 / 4 = 2^23 buckets (64 MiB), not 2^24
    expect(largeSystemHashSize({ ...dentry, ...gib128 }).entries).toBe(2 ** 23);
    expect(largeSystemHashSize({ ...dentry, ...pages(64 * 262144) }).entries).toBe(2 ** 23);
    expect(largeSystemHashSize({ ...dentry, ...pages(1024 * 262144) }).entries).toBe(2 ** 25);
    expect(largeSystemHashSize({ ...dentry, highLimit: 2 ** 30, ...gib128 }).entries).toBe(2 ** 24);
  });
  it("clamps to [lowLimit, highLimit or 1/16 of memory], gives at least a page of buckets, honours numentries", () => {
    expect(largeSystemHashSize({ ...dentry, highLimit: 1024, ...pages(6_100_000) }).entries).toBe(1024);
    expect(largeSystemHashSize({ ...dentry, lowLimit: 2 ** 23, ...pages(6_100_000) }).entries).toBe(2 ** 23);
    // scale 20 on 256 pages: 256 >> 8 = 1 bucket, raised to PAGE_SIZE / bucketsize = 512
    expect(largeSystemHashSize({ ...dentry, scale: 20, ...pages(256) }).entries).toBe(512);
    // max = 1/16 of 1024 pages = 256 KiB of 8-byte buckets = 32768
    expect(largeSystemHashSize({ ...dentry, numentries: 1 << 20, nrKernelPages: 1024, nrAllPages: 1024 }).entries).toBe(32768);
    expect(largeSystemHashSize({ ...dentry, numentries: 1000, ...pages(6_100_000) }).entries).toBe(1024);
  });
});

describe("allocLargeSystemHash", () => {
  function allocator(limit: number): { mb: MemblockAllocator; lines: string[]; tried: number[] } {
    const lines: string[] = [];
    const tried: number[] = [];
    const memblock = new Memblock();
    memblock.addNode(0, 1 << 30, 0);
    return {
      lines,
      tried,
      mb: {
        memblock,
        nrKernelPages: 6_100_000,
        nrAllPages: 6_100_000,
        nrMemoryNodes: 1,
        alloc: (size, align) => (tried.push(size), size <= limit ? memblock.allocTopDown(size, align, -1) : -1),
        free: (base, size) => memblock.free(base, size),
        printk: (line) => lines.push(line),
      },
    };
  }
  it("allocates from memblock with SMP_CACHE_BYTES alignment and prints the line", () => {
    const { mb, lines } = allocator(1 << 30);
    const t = allocLargeSystemHash(mb, "Dentry cache", dentry);
    expect(t.addr).toBe((1 << 30) - 32 * 2 ** 20);
    expect(lines).toEqual(["Dentry cache hash table entries: 4194304 (order: 13, 33554432 bytes, linear)"]);
  });
  it("halves the table until memblock can give it (the do-while retry), printing the size it got", () => {
    const { mb, lines, tried } = allocator(8 << 20);
    expect(allocLargeSystemHash(mb, "Dentry cache", dentry).entries).toBe(2 ** 20);
    expect(tried).toEqual([32 << 20, 16 << 20, 8 << 20]);
    expect(lines).toEqual(["Dentry cache hash table entries: 1048576 (order: 11, 8388608 bytes, linear)"]);
  });
  it("panics (a Bug) when not even a page can be had", () => {
    const { mb } = allocator(0);
    expect(() => allocLargeSystemHash(mb, "Dentry cache", dentry)).toThrow(Bug);
  });
});
