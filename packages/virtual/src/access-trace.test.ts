// traceAccesses: exact fault, TLB and walk counts on hand-made traces (do_anonymous_page, the
// zero page then wp_page_copy, instruction fetches, signals), and the same counts, clock and
// RSS as the same trace run one access at a time through VirtualMemory.load/store.
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { Clock, Rng } from "@mmsim/base";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, CostModel, Cpu, Mmu, Ram } from "@mmsim/hardware";
import { KernelAlloc } from "@mmsim/kernel-alloc";
import { PhysicalMemory } from "@mmsim/physical";
import { VirtualMemory } from "./virtual-memory";
import { newMm } from "../test/boot";
import { sysMmap } from "./syscalls";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_EXEC, PROT_READ, PROT_WRITE } from "./mm-flags";
import { MM_ANONPAGES } from "./memory";
import { SEGV_ACCERR, SEGV_MAPERR, SIGSEGV } from "./fault";
import { ptePfn } from "./pte";
import { verifyVirtual } from "./verify";
import { TraceAccessCounts, traceAccesses } from "./access-trace";

const RW = PROT_READ | PROT_WRITE;
const ANON = MAP_PRIVATE | MAP_ANONYMOUS;
const P = 4096;

/** A 64 MiB machine whose CPUs have a TLB of `sets` x `ways` 4 KiB entries (default: Skylake's). */
function boot(tlb?: { sets: number; ways: number }): VirtualMemory {
  const bytes = 64 * 1024 * 1024;
  const ram = new Ram({ bytes });
  const clock = new Clock();
  const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, clock, kernelImage: null });
  const ka = KernelAlloc.boot({ phys, ram, clock, rng: new Rng(1) });
  const cfg = tlb ? { tlb: { sets4k: tlb.sets, ways4k: tlb.ways, sets2m: 1, ways2m: 1, sets1g: 1, ways1g: 1 } } : {};
  const cpus = [new Cpu(0, cfg), new Cpu(1, cfg)];
  return new VirtualMemory({ alloc: ka, phys, cpus, mmu: new Mmu(ram, 4, new CostModel(), clock) });
}

/** A chunk of accesses as traceAccesses takes it. */
function chunk(list: [addr: number, kind: number][]): [Float64Array, Uint8Array] {
  return [Float64Array.from(list.map((a) => a[0])), Uint8Array.from(list.map((a) => a[1]))];
}

function counts(vmm: VirtualMemory, cpu: Cpu) {
  const c = vmm.phys.counters;
  return {
    pgfault: c.get("pgfault"), dtlbHits: cpu.dtlbHits, dtlbMisses: cpu.dtlbMisses, itlbHits: cpu.itlbHits, itlbMisses: cpu.itlbMisses,
    pageWalks: cpu.pageWalks, pageFaults: cpu.pageFaults, cycles: cpu.cycles,
  };
}

describe("traceAccesses on hand-made traces", () => {
  test("3 pages stored to in order, twice: 3 faults; each first touch misses the TLB twice (fault, then the retry's walk)", () => {
    const vmm = boot();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 3 * P, RW, ANON, null, 0);
    const cpu = vmm.cpus[0]!;
    const tc = new TraceAccessCounts();
    const pages = [a, a + P, a + 2 * P];
    const [addrs, kinds] = chunk([...pages, ...pages].map((x) => [x + 8, ACCESS_WRITE]));
    expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 0, 6, tc)).toBe(6);
    expect(counts(vmm, cpu)).toMatchObject({ pgfault: 3, dtlbMisses: 6, dtlbHits: 3, pageWalks: 6, pageFaults: 3, itlbHits: 0, itlbMisses: 0 });
    expect(mm.rssStat[MM_ANONPAGES]).toBe(3);
    // per type: 6 stores made, 3 faults (so 9 translations), 6 misses
    expect([tc.accesses[ACCESS_WRITE], tc.faults[ACCESS_WRITE], tc.misses[ACCESS_WRITE], tc.accesses[ACCESS_READ]]).toEqual([6, 3, 6, 0]);
    // pgd at mm_alloc, then pud + pmd + pte below it: 4 table pages
    expect(mm.pgtablesBytes).toBe(4 * P);
    expect(cpu.mode).toBe("user");
    verifyVirtual(vmm, [mm]);
  });

  test("two loads then a store of one page: the zero page on the read (do_anonymous_page), a second fault copies it (do_wp_page)", () => {
    const vmm = boot();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, P, RW, ANON, null, 0);
    const cpu = vmm.cpus[0]!;
    const tc = new TraceAccessCounts();
    const [addrs, kinds] = chunk([[a, ACCESS_READ], [a + 64, ACCESS_READ], [a + 128, ACCESS_WRITE]]);
    expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 0, 2, tc)).toBe(2);
    expect(ptePfn(vmm, mm, a)).toBe(vmm.zeroPfn);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(0);
    expect(counts(vmm, cpu)).toMatchObject({ pgfault: 1, dtlbMisses: 2, dtlbHits: 1 });
    expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 2, 3, tc)).toBe(3);
    // the TLB entry is read-only: the store's hit is denied and recounted as a miss, the walk
    // faults (present, write: do_wp_page on the zero page, wp_page_copy), the retry walks again
    expect(counts(vmm, cpu)).toMatchObject({ pgfault: 2, dtlbMisses: 4, dtlbHits: 1, pageWalks: 4, pageFaults: 2 });
    // perf's split: 2 loads (1 fault, 2 misses), 1 store (1 fault, 2 misses)
    expect([tc.accesses[ACCESS_READ], tc.faults[ACCESS_READ], tc.misses[ACCESS_READ]]).toEqual([2, 1, 2]);
    expect([tc.accesses[ACCESS_WRITE], tc.faults[ACCESS_WRITE], tc.misses[ACCESS_WRITE]]).toEqual([1, 1, 2]);
    expect(ptePfn(vmm, mm, a)).not.toBe(vmm.zeroPfn);
    expect(mm.rssStat[MM_ANONPAGES]).toBe(1);
    expect(vmm.phys.counters.get("pgreuse")).toBe(0);
    verifyVirtual(vmm, [mm]);
  });

  test("instruction fetches go through the TLB as exec accesses: iTLB counters, one fault per page of an r-x mapping", () => {
    const vmm = boot();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 2 * P, PROT_READ | PROT_EXEC, ANON, null, 0);
    const cpu = vmm.cpus[0]!;
    const tc = new TraceAccessCounts();
    const [addrs, kinds] = chunk([[a, ACCESS_EXEC], [a + 4, ACCESS_EXEC], [a + P, ACCESS_EXEC], [a + 8, ACCESS_READ]]);
    expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 0, 4, tc)).toBe(4);
    expect(counts(vmm, cpu)).toMatchObject({ pgfault: 2, itlbMisses: 4, itlbHits: 1, dtlbMisses: 0, dtlbHits: 1 });
    // both pages are the zero page, mapped executable
    expect(ptePfn(vmm, mm, a + P)).toBe(vmm.zeroPfn);
  });

  test("a fetch from a non-executable mapping: the page is mapped NX, the retry's walk faults again, SIGSEGV/SEGV_ACCERR", () => {
    const vmm = boot();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, P, RW, ANON, null, 0);
    const cpu = vmm.cpus[0]!;
    const tc = new TraceAccessCounts();
    const [addrs, kinds] = chunk([[a, ACCESS_WRITE], [a + 16, ACCESS_EXEC], [a, ACCESS_WRITE]]);
    expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 0, 3, tc)).toBe(1);
    expect(vmm.lastSignal).toEqual({ signo: SIGSEGV, code: SEGV_ACCERR, addr: a + 16, oom: false });
    expect(counts(vmm, cpu)).toMatchObject({ pgfault: 1, dtlbMisses: 2, itlbMisses: 1 });
    // the fetch that got the signal is not counted as made; its fault and miss are
    expect([tc.accesses[ACCESS_EXEC], tc.faults[ACCESS_EXEC], tc.misses[ACCESS_EXEC], tc.accesses[ACCESS_WRITE]]).toEqual([0, 1, 1, 1]);
  });

  test("an address outside every VMA stops the chunk at that access with SIGSEGV/SEGV_MAPERR; the accesses before it were made", () => {
    const vmm = boot();
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, P, RW, ANON, null, 0);
    const cpu = vmm.cpus[1]!;
    const tc = new TraceAccessCounts();
    const [addrs, kinds] = chunk([[a, ACCESS_WRITE], [a + P + 5, ACCESS_READ], [a, ACCESS_READ]]);
    expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 0, 3, tc)).toBe(1);
    expect(vmm.lastSignal).toEqual({ signo: SIGSEGV, code: SEGV_MAPERR, addr: a + P + 5, oom: false });
    expect(counts(vmm, cpu)).toMatchObject({ pgfault: 1, dtlbHits: 0 });
    expect(mm.rssStat[MM_ANONPAGES]).toBe(1);
  });

  test("mms whose pgd reuses an exited mm's page never hit a predecessor's TLB entries", () => {
    // each generation writes the same address: every one must fault its own page in. __mmdrop
    // moves the CPU to init_mm's pgd, so the next mm (same pgd frame) gets switch_mm, joins
    // mm_cpumask, and its exit's flush reaches the CPU; were CR3 left on the dead pgd, switch_mm
    // would be skipped and the third mm would hit the second one's freed page.
    const vmm = boot();
    const cpu = vmm.cpus[0]!;
    const tc = new TraceAccessCounts();
    let pgd = -1;
    for (let gen = 0; gen < 3; gen++) {
      const mm = newMm(vmm);
      if (gen > 0) {
        expect(mm.pgd).toBe(pgd);
        expect(cpu.cr3).toBe(vmm.ka.vm.pgd);
      }
      pgd = mm.pgd;
      const a = sysMmap(vmm, mm, 0, P, RW, ANON, null, 0);
      const [addrs, kinds] = chunk([[a, ACCESS_WRITE]]);
      const before = vmm.phys.counters.get("pgfault");
      expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 0, 1, tc)).toBe(1);
      expect(vmm.phys.counters.get("pgfault") - before).toBe(1);
      expect(mm.rssStat[MM_ANONPAGES]).toBe(1);
      expect(mm.cpuMask[cpu.id]).toBe(1);
      verifyVirtual(vmm, [mm]);
      vmm.exitMm(mm);
    }
  });

  test("more pages than TLB entries: a cyclic sweep misses on every access once the TLB is full (LRU ways)", () => {
    // 2 sets x 2 ways: 4 entries; 8 pages cycled 3 times
    const vmm = boot({ sets: 2, ways: 2 });
    const mm = newMm(vmm);
    const a = sysMmap(vmm, mm, 0, 8 * P, RW, ANON, null, 0);
    const cpu = vmm.cpus[0]!;
    const tc = new TraceAccessCounts();
    const list: [number, number][] = [];
    for (let r = 0; r < 3; r++) for (let p = 0; p < 8; p++) list.push([a + p * P, ACCESS_WRITE]);
    const [addrs, kinds] = chunk(list);
    expect(traceAccesses(vmm, mm, cpu, addrs, kinds, 0, list.length, tc)).toBe(list.length);
    // round 1: 8 faults x 2 misses; rounds 2 and 3: 16 misses, no hit
    expect(counts(vmm, cpu)).toMatchObject({ pgfault: 8, dtlbMisses: 32, dtlbHits: 0, pageWalks: 32 });
  });
});

/** 2 x 10^4 accesses in CI; MMSIM_PROPERTY_OPS asks for more. */
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 20_000);
const PER_RUN = 400;
const WIN_PAGES = 24;
const MAPPED_PAGES = 20;

test("traceAccesses counts what the same trace run through VirtualMemory.load/store counts, access by access", () => {
  // page slots 0..23 from the mapping's start: 0..19 mapped rw, 20..23 above it unmapped (a
  // SIGSEGV stops both runs at the same access); a 4 x 2 TLB so that entries are evicted
  const page = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: MAPPED_PAGES - 1 }), weight: 400 },
    { arbitrary: fc.integer({ min: MAPPED_PAGES, max: WIN_PAGES - 1 }), weight: 1 },
  );
  const access = fc.record({ page, off: fc.integer({ min: 0, max: P - 1 }), write: fc.boolean() });
  let ran = 0;
  let generated = 0;
  fc.assert(
    fc.property(fc.array(access, { minLength: PER_RUN / 2, maxLength: PER_RUN }), (list) => {
      const fast = boot({ sets: 4, ways: 2 });
      const slow = boot({ sets: 4, ways: 2 });
      const fmm = newMm(fast);
      const smm = newMm(slow);
      const base = sysMmap(fast, fmm, 0, MAPPED_PAGES * P, RW, ANON, null, 0);
      expect(sysMmap(slow, smm, 0, MAPPED_PAGES * P, RW, ANON, null, 0)).toBe(base);
      const [addrs, kinds] = chunk(list.map((x) => [base + x.page * P + x.off, x.write ? ACCESS_WRITE : ACCESS_READ]));
      const fcpu = fast.cpus[0]!;
      const scpu = slow.cpus[0]!;
      const tc = new TraceAccessCounts();
      const stop = traceAccesses(fast, fmm, fcpu, addrs, kinds, 0, list.length, tc);
      const byte = new Uint8Array(1);
      let slowStop = list.length;
      for (let i = 0; i < list.length; i++) {
        const sig = kinds[i] === ACCESS_WRITE ? slow.store(smm, scpu, addrs[i]!, byte) : slow.load(smm, scpu, addrs[i]!, byte);
        if (sig !== null) {
          slowStop = i;
          expect(fast.lastSignal).toEqual(sig);
          break;
        }
      }
      ran += stop;
      generated += list.length;
      expect(stop).toBe(slowStop);
      expect(counts(fast, fcpu)).toEqual(counts(slow, scpu));
      expect(tc.accesses[ACCESS_READ]! + tc.accesses[ACCESS_WRITE]!).toBe(stop);
      expect(tc.misses[ACCESS_READ]! + tc.misses[ACCESS_WRITE]!).toBe(fcpu.dtlbMisses);
      expect(tc.faults[ACCESS_READ]! + tc.faults[ACCESS_WRITE]!).toBe(fcpu.pageFaults);
      expect(fast.phys.counters.get("pgreuse")).toBe(slow.phys.counters.get("pgreuse"));
      expect(fmm.rssStat).toEqual(smm.rssStat);
      expect(fmm.pgtablesBytes).toBe(smm.pgtablesBytes);
      expect(fast.mmu!.clock!.ns).toBe(slow.mmu!.clock!.ns);
      verifyVirtual(fast, [fmm]);
    }),
    { numRuns: Math.max(1, Math.ceil(TOTAL / PER_RUN)) },
  );
  console.log(`traceAccesses against load/store: ${generated} accesses generated, ${ran} compared (a run stops at its SIGSEGV)`);
  expect(ran).toBeGreaterThan(0);
}, 120_000);
