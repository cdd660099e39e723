// Property test: random map / unmap / access / CR3-write sequences through the real MMU (walk +
// TLB, with invlpg after every unmap as the kernel does) against a plain reference model, a JS
// Map from virtual page to frame and rights. Every translation's physical address and every
// fault's error code must match, through translate() and translatePa() alike; Ram and Tlb
// invariants and the derived hit counters (hits + walks = translations, by kind) are checked
// after each step.
// The hardware package's property tests run 10^5 operations in CI: this one 50 %,
// tlb.property.test.ts 30 %, ram.property.test.ts 20 %; MMSIM_PROPERTY_OPS sets the total.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MiB } from "@mmsim/base";
import { Ram } from "../src/ram";
import { Cpu } from "../src/cpu";
import { Mmu } from "../src/mmu";
import { CostModel } from "../src/cost";
import { mapPage, unmapPage } from "../src/map";
import type { PteFlags } from "../src/pgtable";
import { PAGE_KERNEL, PAGE_KERNEL_RO, PAGE_READONLY, PAGE_READONLY_EXEC, PAGE_SHARED, PAGE_SHARED_EXEC, PMD_SIZE, _PAGE_NX_HI, _PAGE_RW, _PAGE_USER } from "../src/pgtable";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, WalkResult, X86_PF_INSTR, X86_PF_PROT, X86_PF_USER, X86_PF_WRITE } from "../src/walk";

const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const OPS = Math.ceil(Number(ENV?.MMSIM_PROPERTY_OPS ?? 100_000) * 0.5);
const OPS_PER_RUN = 500;
const RUNS = Math.max(1, Math.ceil(OPS / OPS_PER_RUN));

const PROTS: PteFlags[] = [PAGE_SHARED, PAGE_READONLY, PAGE_SHARED_EXEC, PAGE_READONLY_EXEC, PAGE_KERNEL, PAGE_KERNEL_RO];
/** 2 MiB regions spread over different PGD and PUD entries */
const REGIONS = [0x0, 0x200000, 0x40000000, 0x7f0000000000, 0x8000000000, 0x888000000000];
const KINDS = [ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC];

type Op =
  | { op: "map4k"; region: number; page: number; frame: number; prot: number }
  | { op: "map2m"; region: number; frame: number; prot: number }
  | { op: "unmap"; region: number; page: number }
  | { op: "access"; region: number; page: number; offset: number; kind: number; user: boolean; pa: boolean }
  | { op: "cr3"; pcid: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("map4k" as const), region: fc.nat(5), page: fc.nat(7), frame: fc.nat(255), prot: fc.nat(5) }),
  fc.record({ op: fc.constant("map2m" as const), region: fc.nat(5), frame: fc.nat(7), prot: fc.nat(5) }),
  fc.record({ op: fc.constant("unmap" as const), region: fc.nat(5), page: fc.nat(7) }),
  fc.record({ op: fc.constant("access" as const), region: fc.nat(5), page: fc.nat(9), offset: fc.nat(4095), kind: fc.nat(2), user: fc.boolean(), pa: fc.boolean() }),
  fc.record({ op: fc.constant("cr3" as const), pcid: fc.integer({ min: 1, max: 3 }) }),
);

interface Mapping { pa: number; size: number; prot: PteFlags }

describe("MMU against a reference model", () => {
  it(`every translation and error code matches the model over ${RUNS * OPS_PER_RUN} random operations`, () => {
    let opsRun = 0;
    let faults = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (ops) => {
        const ram = new Ram({ bytes: 64 * MiB });
        let nextTable = 0x100; // tables from 1 MiB up; data frames from 8 MiB up
        const alloc = () => nextTable++;
        const mmu = new Mmu(ram, 4, new CostModel());
        const cpu = new Cpu(0);
        const root = alloc() * 4096;
        cpu.writeCr3(root, 1);
        const model = new Map<number, Mapping>(); // key: va of the mapping's first byte
        const huge = new Set<number>(); // regions mapped with 2 MiB
        const hasPteTable = new Set<number>(); // regions whose PMD entry points to a PTE table
        const out = new WalkResult();
        // what the CPU's counters must add up to: translations by kind, walks, cycles
        let fetches = 0, dataAccesses = 0, walks = 0, hits = 0, faultsSeen = 0;
        const find = (va: number): Mapping | undefined => {
          const r = va - (va % PMD_SIZE);
          return huge.has(r) ? model.get(r) : model.get(va - (va % 4096));
        };
        for (const o of ops) {
          const base = REGIONS[o.region];
          // A map of a page (or region) already mapped unmaps it instead: every operation runs.
          const page = "page" in o ? o.page : 0;
          const taken = (o.op === "map4k" && (huge.has(base) || model.has(base + page * 4096))) || (o.op === "map2m" && (huge.has(base) || hasPteTable.has(base)));
          if (taken) {
            const va = huge.has(base) ? base : base + page * 4096;
            const old = unmapPage(ram, root, va, 4);
            expect(old !== null).toBe(model.has(va));
            model.delete(va);
            huge.delete(va);
            cpu.tlb.invlpg(va);
          } else if (o.op === "map4k") {
            const va = base + o.page * 4096;
            const pa = 8 * MiB + o.frame * 4096;
            expect(mapPage(ram, root, va, pa, 4096, PROTS[o.prot], 4, alloc)).toBe(true);
            model.set(va, { pa, size: 4096, prot: PROTS[o.prot] });
            hasPteTable.add(base);
          } else if (o.op === "map2m") {
            const pa = 16 * MiB + o.frame * PMD_SIZE;
            expect(mapPage(ram, root, base, pa, PMD_SIZE, PROTS[o.prot], 4, alloc)).toBe(true);
            model.set(base, { pa, size: PMD_SIZE, prot: PROTS[o.prot] });
            huge.add(base);
          } else if (o.op === "unmap") {
            const va = huge.has(base) ? base : base + o.page * 4096;
            const old = unmapPage(ram, root, va, 4);
            expect(old !== null).toBe(model.has(va));
            model.delete(va);
            huge.delete(va);
            cpu.tlb.invlpg(va);
          } else if (o.op === "cr3") {
            cpu.writeCr3(root, o.pcid);
          } else {
            const va = base + o.page * 4096 + o.offset;
            const access = KINDS[o.kind];
            cpu.mode = o.user ? "user" : "kernel";
            const walks0 = cpu.pageWalks, faults0 = cpu.pageFaults;
            // both APIs: translatePa (the hit path tasks use) and translate (details in `out`)
            const pa = o.pa ? mmu.translatePa(cpu, va, access) : -2;
            const ok = o.pa ? pa >= 0 : mmu.translate(cpu, va, access, out);
            if (o.pa) {
              out.pa = pa;
              out.errorCode = ok ? 0 : cpu.lastFaultCode;
            }
            if (access === ACCESS_EXEC) fetches++;
            else dataAccesses++;
            if (cpu.pageWalks !== walks0) walks++;
            else hits++;
            if (cpu.pageFaults !== faults0) faultsSeen++;
            const m = find(va);
            const acc = access | (o.user ? X86_PF_USER : 0);
            let want = -1;
            if (!m) want = acc;
            else {
              // kernel-half tables are _KERNPG_TABLE (no US), so nothing there is user-accessible
              const rw = (m.prot.lo & _PAGE_RW) !== 0, us = (m.prot.lo & _PAGE_USER) !== 0 && va < 2 ** 47, nx = (m.prot.hi & _PAGE_NX_HI) !== 0;
              const write = (acc & X86_PF_WRITE) !== 0, fetch = (acc & X86_PF_INSTR) !== 0;
              const denied = (o.user && !us) || (write && !rw) || (fetch && nx);
              if (denied) want = X86_PF_PROT | acc;
            }
            if (want < 0) {
              expect(ok).toBe(true);
              expect(out.pa).toBe(m!.pa + (va % m!.size));
            } else {
              expect(ok).toBe(false);
              expect(out.errorCode).toBe(want);
              faults++;
            }
          }
          ram.verify();
          cpu.tlb.verify();
          // derived counters (cpu.ts): every translation is a hit or a walk, by kind
          expect(cpu.dtlbHits + cpu.dtlbMisses).toBe(dataAccesses);
          expect(cpu.itlbHits + cpu.itlbMisses).toBe(fetches);
          expect(cpu.pageWalks).toBe(walks);
          expect([cpu.tlb.hits, cpu.tlb.misses, cpu.pageFaults]).toEqual([hits, walks, faultsSeen]);
          opsRun++;
        }
      }),
      { numRuns: RUNS, seed: 20240601 },
    );
    console.log(`MMU property test: ${opsRun} operations (${faults} page faults) in ${RUNS} runs`);
    expect(opsRun).toBe(RUNS * OPS_PER_RUN);
  }, 300_000);
});
