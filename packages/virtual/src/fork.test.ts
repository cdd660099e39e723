// fork with copy-on-write: dup_mmap's VMA rules, copy_page_range's refcounts and write
// protection, do_wp_page's copy and reuse, selftests/mm/cow.c's "no leak between parent and
// child", xv6's cowtest "simple", the anon rmap walk, and TLB shootdown across CPUs.
import { describe, expect, test } from "vitest";
import { bootVirtual, freePagesNow, newMm } from "../test/boot";
import { sysMmap } from "./syscalls";
import { doMadvise } from "./madvise";
import { verifyVirtual } from "./verify";
import { MADV_DONTFORK, MADV_WIPEONFORK, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "./mm-flags";
import { ptePfn } from "./pte";
import { rmapWalkAnon } from "./rmap";
import { MM_ANONPAGES } from "./memory";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;

function read(vmm: ReturnType<typeof bootVirtual>, mm: Parameters<typeof ptePfn>[1], addr: number, len: number, cpu = 0): number[] {
  const out = new Uint8Array(len);
  expect(vmm.load(mm, vmm.cpus[cpu], addr, out)).toBeNull();
  return [...out];
}

describe("fork (dup_mmap, copy_page_range)", () => {
  test("parent and child share the page read-only (refcount 2, _mapcount 1) until a write copies it", () => {
    const vmm = bootVirtual();
    const parent = newMm(vmm);
    const cpu = vmm.cpus[0];
    const a = sysMmap(vmm, parent, 0, 4096, RW, ANON, null, 0);
    vmm.store(parent, cpu, a, new Uint8Array([1, 2, 3, 4]));
    const pfn = ptePfn(vmm, parent, a);
    const child = vmm.fork(parent)!;
    expect(child).not.toBeNull();
    expect(ptePfn(vmm, child, a)).toBe(pfn);
    expect(vmm.pages.refCount(pfn)).toBe(2);
    expect(vmm.pages.mapcount[vmm.pages.idx(pfn)]).toBe(1);
    expect(child.rssStat[MM_ANONPAGES]).toBe(1);
    verifyVirtual(vmm, [parent, child]);
    // the rmap walk finds both mappers
    const found: string[] = [];
    expect(rmapWalkAnon(vmm, pfn, (v, addr) => found.push(`${v.vmMm === parent ? "P" : "C"}:${addr.toString(16)}`))).toBe(2);
    expect(found.sort()).toEqual([`C:${a.toString(16)}`, `P:${a.toString(16)}`]);
    // selftests/mm/cow.c "no leak between parent and child": the child's write is its own
    expect(vmm.store(child, vmm.cpus[1], a, new Uint8Array([9]))).toBeNull();
    expect(read(vmm, parent, a, 4)).toEqual([1, 2, 3, 4]);
    expect(read(vmm, child, a, 4, 1)).toEqual([9, 2, 3, 4]);
    expect(ptePfn(vmm, child, a)).not.toBe(pfn);
    expect(vmm.pages.refCount(pfn)).toBe(1);
    verifyVirtual(vmm, [parent, child]);
    // the parent's page is now exclusive again: its write reuses it (wp_can_reuse_anon_folio)
    const reuse = vmm.phys.counters.get("pgreuse");
    expect(vmm.store(parent, cpu, a + 1, new Uint8Array([7]))).toBeNull();
    expect(ptePfn(vmm, parent, a)).toBe(pfn);
    expect(vmm.phys.counters.get("pgreuse")).toBe(reuse + 1);
    expect(read(vmm, child, a, 4, 1)).toEqual([9, 2, 3, 4]);
    verifyVirtual(vmm, [parent, child]);
    vmm.exitMm(child);
    vmm.exitMm(parent);
    verifyVirtual(vmm, []);
  });

  test("the parent's write after fork does not reach the child (its stale writable TLB entry was shot down)", () => {
    const vmm = bootVirtual();
    const parent = newMm(vmm);
    const a = sysMmap(vmm, parent, 0, 2 * 4096, RW, ANON, null, 0);
    // both CPUs run the parent and cache a writable, dirty translation
    vmm.memset(parent, vmm.cpus[0], a, 0x11, 8192);
    vmm.memset(parent, vmm.cpus[1], a, 0x22, 8192);
    const child = vmm.fork(parent)!;
    expect(vmm.store(parent, vmm.cpus[0], a, new Uint8Array([0x33]))).toBeNull();
    expect(vmm.store(parent, vmm.cpus[1], a + 4096, new Uint8Array([0x44]))).toBeNull();
    expect(read(vmm, child, a, 1)).toEqual([0x22]);
    expect(read(vmm, child, a + 4096, 1)).toEqual([0x22]);
    expect(read(vmm, parent, a, 1, 1)).toEqual([0x33]);
    verifyVirtual(vmm, [parent, child]);
  });

  test("VM_DONTCOPY is not in the child; VM_WIPEONFORK comes back empty (zeros); VM_LOCKED is not inherited", () => {
    const vmm = bootVirtual();
    const parent = newMm(vmm);
    const cpu = vmm.cpus[0];
    const keep = sysMmap(vmm, parent, 0, 4096, RW, ANON, null, 0);
    const dont = sysMmap(vmm, parent, 0, 4096, PROT_READ, ANON, null, 0);
    const wipe = sysMmap(vmm, parent, 0, 4096, RW, ANON, null, 0);
    expect(doMadvise(vmm, parent, dont, 4096, MADV_DONTFORK)).toBe(0);
    expect(doMadvise(vmm, parent, wipe, 4096, MADV_WIPEONFORK)).toBe(0);
    vmm.memset(parent, cpu, keep, 5, 4096);
    vmm.memset(parent, cpu, wipe, 6, 4096);
    const child = vmm.fork(parent)!;
    expect(child.mmMt.length).toBe(2);
    expect(child.mmMt.vmaLookup(dont)).toBeNull();
    expect(child.totalVm).toBe(2);
    expect(read(vmm, child, keep, 2)).toEqual([5, 5]);
    expect(read(vmm, child, wipe, 2)).toEqual([0, 0]);
    expect(read(vmm, parent, wipe, 2)).toEqual([6, 6]);
    verifyVirtual(vmm, [parent, child]);
  });

  test("xv6 cowtest 'simple': a process holding more than half of RAM can still fork, and exit gives all back", () => {
    const vmm = bootVirtual({}, 64);
    const boot = freePagesNow(vmm);
    const parent = newMm(vmm);
    const len = Math.floor((boot * 4096 * 0.6) / 4096) * 4096;
    const a = sysMmap(vmm, parent, 0, len, RW, ANON, null, 0);
    expect(vmm.memset(parent, vmm.cpus[0], a, 0xab, len)).toBeNull();
    const child = vmm.fork(parent);
    expect(child).not.toBeNull();
    expect(read(vmm, child!, a + len - 4, 4)).toEqual([0xab, 0xab, 0xab, 0xab]);
    verifyVirtual(vmm, [parent, child!]);
    vmm.exitMm(child!);
    vmm.exitMm(parent);
    verifyVirtual(vmm, []);
    expect(freePagesNow(vmm)).toBe(boot);
  });
});
