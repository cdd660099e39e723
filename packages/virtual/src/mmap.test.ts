// mmap and munmap at the VMA level: placement (get_unmapped_area), errnos at Linux's places
// (man 2 mmap/munmap, mm/mmap.c do_mmap), file mappings, overcommit, slab objects.
import { describe, expect, test } from "vitest";
import { activeObjs, bootVirtual, newMm, ranges } from "../test/boot";
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED, MAP_NORESERVE, MAP_PRIVATE, MAP_SHARED, PROT_EXEC, PROT_READ, PROT_WRITE, VM_ACCOUNT, VM_LOCKED, VM_NORESERVE, formatVmFlags } from "./mm-flags";
import { sysMmap, sysMunmap, exitMmap } from "./syscalls";

import { mmapBase } from "./mmap";
import { verifyVirtual } from "./verify";
import { VmFile } from "./mm-types";
import type { MmStruct } from "./mm-types";
import type { VirtualMemory } from "./virtual-memory";

const KiB = 1024, MiB = 1024 * 1024;
const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const BASE = 0x7ffff7fff000;

function anon(vmm: VirtualMemory, mm: MmStruct, len: number, prot = RW, flags = ANON, addr = 0): number {
  return sysMmap(vmm, mm, addr, len, prot, flags, null, 0);
}

describe("get_unmapped_area: top-down below mmap_base", () => {
  test("mmap_base without randomization is 0x7ffff7fff000 (TASK_SIZE - 128 MiB, arch/x86/mm/mmap.c)", () => {
    expect(mmapBase(2 ** 47 - 4096, 8 * MiB, 1 * MiB)).toBe(BASE);
  });

  test("successive anonymous mappings go down from mmap_base and merge into one VMA", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    expect(anon(vmm, mm, 40 * KiB)).toBe(BASE - 40 * KiB);
    expect(anon(vmm, mm, 8 * KiB)).toBe(BASE - 48 * KiB);
    expect(ranges(mm)).toEqual(["7ffff7ff3000-7ffff7fff000"]);
    expect(mm.totalVm).toBe(12);
    expect(vmm.committedAs).toBe(12);
    verifyVirtual(vmm, [mm]);
  });

  test("a free hint is used as is; a taken one falls back to the top-down search", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    expect(anon(vmm, mm, 4096, RW, ANON, 0x10000000)).toBe(0x10000000);
    expect(anon(vmm, mm, 4096, RW, ANON, 0x10000000)).toBe(BASE - 4096);
    // a hint below mmap_min_addr is rounded up to it (round_hint_to_min)
    expect(anon(vmm, mm, 4096, RW, ANON, 0x100)).toBe(BASE - 8192);
    verifyVirtual(vmm, [mm]);
  });

  test("an anonymous mapping whose length is a multiple of 2 MiB is 2 MiB-aligned (thp_get_unmapped_area)", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    anon(vmm, mm, 4096, PROT_READ);
    const a = anon(vmm, mm, 4 * MiB);
    expect(a % (2 * MiB)).toBe(0);
    // searched 6 MiB below 0x7ffff7ffe000 (0x7ffff79fe000), then rounded up to 2 MiB
    expect(a).toBe(0x7ffff7a00000);
    verifyVirtual(vmm, [mm]);
  });

  test("the gap search keeps stack_guard_gap (1 MiB) below a VM_GROWSDOWN VMA", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const stack = sysMmap(vmm, mm, BASE - 64 * KiB, 64 * KiB, RW, ANON | MAP_FIXED | MAP_GROWSDOWN, null, 0);
    expect(stack).toBe(BASE - 64 * KiB);
    expect(anon(vmm, mm, 4096)).toBe(BASE - 64 * KiB - MiB - 4096);
    // a hint inside the guard gap is not taken (addr + len > vm_start_gap): top-down instead
    expect(anon(vmm, mm, 4096, RW, ANON, BASE - 64 * KiB - 4096)).toBe(BASE - 64 * KiB - MiB - 8192);
    verifyVirtual(vmm, [mm]);
  });
});

describe("mmap errnos (man 2 mmap, mm/mmap.c do_mmap)", () => {
  const vmm = bootVirtual();
  const mm = newMm(vmm);
  test.each([
    ["length 0", () => anon(vmm, mm, 0), -22],
    ["unaligned offset", () => sysMmap(vmm, mm, 0, 4096, RW, MAP_PRIVATE, new VmFile("/f"), 100), -22],
    ["neither MAP_SHARED nor MAP_PRIVATE", () => sysMmap(vmm, mm, 0, 4096, RW, MAP_ANONYMOUS, null, 0), -22],
    ["no file without MAP_ANONYMOUS", () => sysMmap(vmm, mm, 0, 4096, RW, MAP_PRIVATE, null, 0), -9],
    ["MAP_FIXED at an unaligned address", () => anon(vmm, mm, 4096, RW, ANON | MAP_FIXED, 0x10001), -22],
    ["MAP_FIXED below mmap_min_addr", () => anon(vmm, mm, 4096, RW, ANON | MAP_FIXED, 0), -1],
    ["MAP_FIXED beyond TASK_SIZE", () => anon(vmm, mm, 8192, RW, ANON | MAP_FIXED, 2 ** 47 - 4096), -12],
    ["longer than TASK_SIZE", () => anon(vmm, mm, 2 ** 48), -12],
    ["MAP_SHARED|PROT_WRITE of a read-only file", () => sysMmap(vmm, mm, 0, 4096, RW, MAP_SHARED, new VmFile("/ro"), 0), -13],
    ["a file opened without read", () => sysMmap(vmm, mm, 0, 4096, PROT_READ, MAP_PRIVATE, new VmFile("/wo", { readable: false, writable: true }), 0), -13],
    ["PROT_EXEC on a noexec mount", () => sysMmap(vmm, mm, 0, 4096, PROT_EXEC, MAP_PRIVATE, new VmFile("/x", { noexec: true }), 0), -1],
    ["a file without ->mmap", () => sysMmap(vmm, mm, 0, 4096, PROT_READ, MAP_PRIVATE, new VmFile("/proc/x", { mmap: false }), 0), -19],
    ["MAP_GROWSDOWN on a shared anonymous map", () => anon(vmm, mm, 4096, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN), -22],
  ])("%s", (_name, call, errno) => {
    expect(call()).toBe(errno);
    expect(mm.mapCount).toBe(0);
  });

  test("MAP_FIXED_NOREPLACE over an existing mapping fails with EEXIST; MAP_FIXED replaces it", () => {
    const v = bootVirtual();
    const m = newMm(v);
    const a = anon(v, m, 3 * 4096);
    expect(anon(v, m, 4096, PROT_READ, ANON | MAP_FIXED_NOREPLACE, a + 4096)).toBe(-17);
    expect(anon(v, m, 4096, PROT_READ, ANON | MAP_FIXED, a + 4096)).toBe(a + 4096);
    expect(m.mmMt.vmas.map((x) => formatVmFlags(x.vmFlags))).toEqual(["rd wr mr mw me ac ", "rd mr mw me ", "rd wr mr mw me ac "]);
    expect(v.committedAs).toBe(2);
    verifyVirtual(v, [m]);
  });

  test("MAP_LOCKED beyond RLIMIT_MEMLOCK fails with EAGAIN; MAP_NORESERVE maps without charging", () => {
    const v = bootVirtual();
    const m = newMm(v);
    expect(anon(v, m, 9 * MiB, RW, ANON | MAP_LOCKED)).toBe(-11);
    const a = anon(v, m, 4096, RW, ANON | MAP_NORESERVE);
    expect(m.mmMt.vmaLookup(a)!.vmFlags & (VM_NORESERVE | VM_ACCOUNT)).toBe(VM_NORESERVE);
    expect(v.committedAs).toBe(0);
    const l = anon(v, m, 4096, RW, ANON | MAP_LOCKED);
    expect(m.mmMt.vmaLookup(l)!.vmFlags & VM_LOCKED).toBe(VM_LOCKED);
    expect(m.lockedVm).toBe(1);
    verifyVirtual(v, [m]);
  });

  test("a shared anonymous mapping is /dev/zero (deleted) and never merges with its neighbour", () => {
    const v = bootVirtual();
    const m = newMm(v);
    anon(v, m, 4096, RW, MAP_SHARED | MAP_ANONYMOUS);
    anon(v, m, 4096, RW, MAP_SHARED | MAP_ANONYMOUS);
    expect(m.mapCount).toBe(2);
    expect(m.mmMt.vmas[0].vmFile!.path).toBe("/dev/zero (deleted)");
    expect(formatVmFlags(m.mmMt.vmas[0].vmFlags)).toBe("rd wr sh mr mw me ms ");
    verifyVirtual(v, [m]);
  });
});

describe("munmap", () => {
  test("EINVAL for an unaligned address or zero length; 0 for a range with nothing mapped", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    expect(sysMunmap(vmm, mm, 0x10001, 4096)).toBe(-22);
    expect(sysMunmap(vmm, mm, 0x10000, 0)).toBe(-22);
    expect(sysMunmap(vmm, mm, 0x10000, 4096)).toBe(0);
  });

  test("unmapping the middle splits in two; at max_map_count the split fails with ENOMEM", () => {
    const vmm = bootVirtual({ sysctls: { maxMapCount: 2 } });
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 6 * 4096);
    expect(sysMunmap(vmm, mm, a + 4096, 4096)).toBe(0);
    expect(mm.mapCount).toBe(2);
    expect(sysMunmap(vmm, mm, a + 3 * 4096, 4096)).toBe(-12);
    expect(mm.mapCount).toBe(2);
    // an edge needs no new VMA: allowed at the limit
    expect(sysMunmap(vmm, mm, a + 5 * 4096, 4096)).toBe(0);
    expect(mm.totalVm).toBe(4);
    verifyVirtual(vmm, [mm]);
  });

  test("VMAs live in the vm_area_struct cache: /proc/slabinfo moves, and every object is freed at exit", () => {
    const vmm = bootVirtual();
    expect([activeObjs(vmm, "vm_area_struct"), activeObjs(vmm, "mm_struct")]).toEqual([0, 0]);
    const mm = newMm(vmm);
    const a = anon(vmm, mm, 4 * 4096);
    anon(vmm, mm, 4096, PROT_READ);
    // SLUB's slabinfo counts the CPU slab's objects as active: one slab of 21 (192-byte objects)
    // and one of 20 mm_structs (1600 bytes, 8 pages), as on the 6.18 reference machine
    expect([activeObjs(vmm, "vm_area_struct"), activeObjs(vmm, "mm_struct")]).toEqual([21, 20]);
    expect(vmm.live.vmAreaStruct).toBe(2);
    expect(sysMunmap(vmm, mm, a + 4096, 4096)).toBe(0);
    expect(vmm.live.vmAreaStruct).toBe(3);
    exitMmap(vmm, mm);
    expect(vmm.live).toEqual({ mmStruct: 0, vmAreaStruct: 0, anonVma: 0, anonVmaChain: 0 });
    verifyVirtual(vmm, []);
  });
});

describe("file mappings", () => {
  test("adjacent private mappings of one file merge only when their offsets are contiguous", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const f = new VmFile("/usr/lib/libc.so.6", { dev: [0xfe, 0], ino: 339380 });
    sysMmap(vmm, mm, 0x10000000, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0);
    sysMmap(vmm, mm, 0x10002000, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 2 * 4096);
    expect(mm.mapCount).toBe(1);
    sysMmap(vmm, mm, 0x10003000, 4096, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 8 * 4096);
    expect(mm.mapCount).toBe(2);
    expect(mm.mmMt.vmas.map((v) => v.vmPgoff)).toEqual([0, 8]);
    // every VMA holds a reference and sits in i_mmap; a private read-only map is not charged
    expect([f.fCount, f.mapping.iMmap.length, vmm.committedAs]).toEqual([3, 2, 0]);
    expect(formatVmFlags(mm.mmMt.vmas[0].vmFlags)).toBe("rd mr mw me ");
    exitMmap(vmm, mm);
    expect([f.fCount, f.mapping.iMmap.length]).toEqual([1, 0]);
    verifyVirtual(vmm, []);
  });

  test("MAP_FIXED over a VMA with ->close calls it once; the replaced range is gone", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    let closed = 0;
    const f = new VmFile("/dev/foo", { vmOps: { name: "foo", close: () => void closed++ } });
    const a = sysMmap(vmm, mm, 0, 4096, PROT_READ, MAP_SHARED, f, 0);
    expect(anon(vmm, mm, 4096, RW, ANON | MAP_FIXED, a)).toBe(a);
    expect(closed).toBe(1);
    expect(mm.mmMt.vmas[0].vmFile).toBe(null);
    expect(f.fCount).toBe(1);
    verifyVirtual(vmm, [mm]);
  });
});
describe("overcommit (mm/util.c __vm_enough_memory)", () => {
  test("OVERCOMMIT_GUESS refuses one request larger than RAM + swap, nothing less", () => {
    const vmm = bootVirtual({ totalramPages: 1000 });
    const mm = newMm(vmm);
    expect(anon(vmm, mm, 1001 * 4096)).toBe(-12);
    expect(vmm.committedAs).toBe(0);
    expect(anon(vmm, mm, 1000 * 4096)).toBeGreaterThan(0);
    expect(anon(vmm, mm, 1000 * 4096)).toBeGreaterThan(0);
    expect(vmm.committedAs).toBe(2000);
    verifyVirtual(vmm, [mm]);
  });

  test("OVERCOMMIT_NEVER stops at CommitLimit = RAM * overcommit_ratio / 100 + swap", () => {
    const vmm = bootVirtual({ totalramPages: 1000, sysctls: { overcommitMemory: 2, adminReserveKbytes: 0, userReserveKbytes: 0 } });
    const mm = newMm(vmm);
    expect(vmm.vmCommitLimit()).toBe(500);
    expect(anon(vmm, mm, 499 * 4096)).toBeGreaterThan(0);
    expect(anon(vmm, mm, 2 * 4096)).toBe(-12);
    // MAP_NORESERVE is not honoured in mode 2: still charged, still refused
    expect(anon(vmm, mm, 2 * 4096, RW, ANON | MAP_NORESERVE)).toBe(-12);
    // read-only private and shared mappings are not charged
    expect(anon(vmm, mm, 2 * 4096, PROT_READ)).toBeGreaterThan(0);
    expect(vmm.committedAs).toBe(499);
    verifyVirtual(vmm, [mm]);
  });
});
