// Page faults through a task's accesses: do_anonymous_page (zero page on read, zeroed page on
// write), the page-table levels they allocate (PageTables), the counters (pgfault, AnonPages,
// rss), the signals of do_user_addr_fault, stack growth, and teardown giving every page back.
import { describe, expect, test } from "vitest";
import { bootVirtual, freePagesNow, newMm } from "../test/boot";
import { sysMmap, sysMunmap } from "./syscalls";
import { doMprotect } from "./mprotect";
import { verifyVirtual } from "./verify";
import { MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "./mm-flags";
import { MM_ANONPAGES } from "./memory";
import { BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR, SIGBUS, SIGSEGV } from "./fault";
import { ptePfn } from "./pte";
import { VmFile } from "./mm-types";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;


describe("do_anonymous_page", () => {
  test("a write fault maps a zeroed page: four table levels, pgfault, AnonPages, rss, refcount 1, _mapcount 0", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    // mm_alloc_pgd: the pgd is one table page from the start
    expect(mm.pgtablesBytes).toBe(4096);
    const a = sysMmap(vmm, mm, 0, 8192, RW, ANON, null, 0);
    const cpu = vmm.cpus[0];
    expect(vmm.store(mm, cpu, a + 5, new Uint8Array([1, 2, 3]))).toBeNull();
    // pud + pmd + pte tables below the pgd (4-level paging, arch/x86/include/asm/pgtable_64_types.h)
    expect(mm.pgtablesBytes).toBe(4 * 4096);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(4);
    expect(vmm.phys.counters.get("pgfault")).toBe(1);
    expect(vmm.phys.counters.get("nr_anon_pages")).toBe(1);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(1);
    const pfn = ptePfn(vmm, mm, a);
    expect(vmm.pages.refCount(pfn)).toBe(1);
    expect(vmm.pages.mapcount[vmm.pages.idx(pfn)]).toBe(0);
    const out = new Uint8Array(8);
    expect(vmm.load(mm, cpu, a + 4, out)).toBeNull();
    expect([...out]).toEqual([0, 1, 2, 3, 0, 0, 0, 0]);
    // the second access hit the TLB: no second fault
    expect(vmm.phys.counters.get("pgfault")).toBe(1);
    verifyVirtual(vmm, [mm]);
  });

  test("a read fault maps the shared zero page read-only; the write that follows copies it (wp_page_copy)", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 4096, RW, ANON, null, 0);
    const cpu = vmm.cpus[0];
    const out = new Uint8Array(16).fill(9);
    expect(vmm.load(mm, cpu, a, out)).toBeNull();
    expect([...out]).toEqual(new Array(16).fill(0));
    expect(ptePfn(vmm, mm, a)).toBe(vmm.zeroPfn);
    expect(vmm.phys.counters.get("nr_anon_pages")).toBe(0);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(0);
    verifyVirtual(vmm, [mm]);
    expect(vmm.store(mm, cpu, a, new Uint8Array([7]))).toBeNull();
    expect(ptePfn(vmm, mm, a)).not.toBe(vmm.zeroPfn);
    expect(vmm.phys.counters.get("pgfault")).toBe(2);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(1);
    verifyVirtual(vmm, [mm]);
  });
});

describe("do_user_addr_fault signals", () => {
  test("SEGV_MAPERR outside every VMA, SEGV_ACCERR on a write to a read-only VMA, SIGBUS for a file fault (part 2)", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const cpu = vmm.cpus[1];
    expect(vmm.load(mm, cpu, 0x10000, new Uint8Array(4))).toEqual({ signo: SIGSEGV, code: SEGV_MAPERR, addr: 0x10000, oom: false });
    const ro = sysMmap(vmm, mm, 0, 4096, PROT_READ, ANON, null, 0);
    expect(vmm.store(mm, cpu, ro + 8, new Uint8Array(4))).toEqual({ signo: SIGSEGV, code: SEGV_ACCERR, addr: ro + 8, oom: false });
    const f = new VmFile("/data", { readable: true });
    const fa = sysMmap(vmm, mm, 0, 4096, PROT_READ, MAP_PRIVATE, f, 0);
    expect(vmm.load(mm, cpu, fa, new Uint8Array(1))?.signo).toBe(SIGBUS);
    expect(vmm.load(mm, cpu, fa, new Uint8Array(1))?.code).toBe(BUS_ADRERR);
    verifyVirtual(vmm, [mm]);
  });

  test("mprotect(PROT_READ) write-protects mapped pages (ACCERR), PROT_READ|PROT_WRITE makes an exclusive page writable at once", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const cpu = vmm.cpus[0];
    const a = sysMmap(vmm, mm, 0, 4096, RW, ANON, null, 0);
    expect(vmm.memset(mm, cpu, a, 0x5a, 4096)).toBeNull();
    expect(doMprotect(vmm, mm, a, 4096, PROT_READ)).toBe(0);
    expect(vmm.store(mm, cpu, a, new Uint8Array(1))?.code).toBe(SEGV_ACCERR);
    expect(doMprotect(vmm, mm, a, 4096, RW)).toBe(0);
    const faults = vmm.phys.counters.get("pgfault");
    expect(vmm.store(mm, cpu, a, new Uint8Array([1]))).toBeNull();
    expect(vmm.phys.counters.get("pgfault")).toBe(faults);
    const out = new Uint8Array(2);
    vmm.load(mm, cpu, a, out);
    expect([...out]).toEqual([1, 0x5a]);
    verifyVirtual(vmm, [mm]);
  });

  test("a VM_GROWSDOWN stack grows down to a faulting address; inside another mapping's guard gap it does not", () => {
    const vmm = bootVirtual();
    const mm = newMm(vmm);
    const cpu = vmm.cpus[0];
    const top = 0x7fff00000000;
    const s = sysMmap(vmm, mm, top - 4096, 4096, RW, ANON | MAP_GROWSDOWN, null, 0);
    expect(s).toBe(top - 4096);
    expect(vmm.store(mm, cpu, top - 3 * 4096, new Uint8Array([1]))).toBeNull();
    expect(mm.mmMt.vmas[0].vmStart).toBe(top - 3 * 4096);
    expect(mm.stackVm).toBe(3);
    // a mapping 16 pages below: the stack may not come within stack_guard_gap (256 pages) of it
    const low = sysMmap(vmm, mm, top - 20 * 4096, 4096, RW, ANON | 0x10 /* MAP_FIXED */, null, 0);
    expect(low).toBe(top - 20 * 4096);
    expect(vmm.store(mm, cpu, top - 10 * 4096, new Uint8Array([1]))?.code).toBe(SEGV_MAPERR);
    verifyVirtual(vmm, [mm]);
  });
});

describe("teardown", () => {
  test("munmap frees pages and the tables of the range; exit gives back every page and table page", () => {
    const vmm = bootVirtual();
    const boot = freePagesNow(vmm);
    const mm = newMm(vmm);
    const cpu = vmm.cpus[0];
    const a = sysMmap(vmm, mm, 0, 64 * 4096, RW, ANON, null, 0);
    expect(vmm.memset(mm, cpu, a, 1, 64 * 4096)).toBeNull();
    expect(vmm.phys.counters.get("nr_anon_pages")).toBe(64);
    expect(sysMunmap(vmm, mm, a, 64 * 4096)).toBe(0);
    expect(vmm.phys.counters.get("nr_anon_pages")).toBe(0);
    expect(mm.pgtablesBytes).toBe(4096);
    // the stale TLB entry is gone: the old address faults
    expect(vmm.load(mm, cpu, a, new Uint8Array(1))?.code).toBe(SEGV_MAPERR);
    const b = sysMmap(vmm, mm, 0, 16 * 4096, RW, ANON, null, 0);
    vmm.memset(mm, cpu, b, 3, 16 * 4096);
    verifyVirtual(vmm, [mm]);
    vmm.exitMm(mm);
    verifyVirtual(vmm, []);
    expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(0);
    expect(freePagesNow(vmm)).toBe(boot);
  });
});
