// A trace replayed by one task of a booted kernel: the VMAs made from the touched pages, exact
// fault, TLB, RSS and page-table counts on small traces, the OOM kill of a trace larger than
// RAM (no reclaim or swap yet), and the input errors of addresses the task cannot map.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MiB } from "@mmsim/base";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE } from "@mmsim/hardware";
import { Kernel } from "./kernel";
import { TraceReplay, traceRanges } from "./trace-replay";
import { virtualOf } from "./virtual-kernel";
import { inputError } from "../test/input-error";

const P = 4096;

/** The ranges of a list of [page number, exec] pairs. */
function ranges(list: [number, boolean][]) {
  return traceRanges(Float64Array.from(list.map((x) => x[0])), Uint8Array.from(list.map((x) => (x[1] ? 1 : 0))), list.length);
}

function chunk(list: [number, number][]): [Float64Array, Uint8Array] {
  return [Float64Array.from(list.map((a) => a[0])), Uint8Array.from(list.map((a) => a[1]))];
}

describe("traceRanges", () => {
  it("merges consecutive touched pages into runs, in address order; exec pages make runs of their own", () => {
    //   page:  3 4 5 . . . . 10 11 12 13
    //          rw rw rw      rw x  x  rw
    const r = ranges([[13, false], [5, false], [11, true], [3, false], [10, false], [4, false], [12, true]]);
    expect(r).toEqual([
      { start: 3 * P, end: 6 * P, exec: false },
      { start: 10 * P, end: 11 * P, exec: false },
      { start: 11 * P, end: 13 * P, exec: true },
      { start: 13 * P, end: 14 * P, exec: false },
    ]);
  });
});

describe("TraceReplay", () => {
  const base = 0x7f0000000; // page number of 0x7f0000000000

  it("maps one VMA per run, then 3 pages stored to twice: 3 faults, 6 dTLB misses, 3 hits, 12 kB of RSS, 4 table pages", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const r = TraceReplay.start(k, ranges([[base, false], [base + 1, false], [base + 2, false], [base + 9, true]]));
    expect(k.cat(`/proc/${r.task.pid}/maps`)).toBe(
      "7f0000000000-7f0000003000 rw-p 00000000 00:00 0 \n7f0000009000-7f000000a000 rwxp 00000000 00:00 0 \n",
    );
    const pages = [base * P, (base + 1) * P + 8, (base + 2) * P + 4095];
    const [addrs, kinds] = chunk([...pages, ...pages].map((a) => [a, ACCESS_WRITE]));
    expect(r.run(addrs, kinds, 6)).toBe(true);
    const rep = r.report();
    expect(rep).toMatchObject({
      accesses: 6, pgfault: 3, pgmajfault: 0, pswpin: 0, loads: 0, stores: 6, fetches: 0, pageWalks: 6,
      // 6 stores + 3 retries after their faults; each first touch misses twice
      dtlbStores: 9, dtlbStoreMisses: 6, dtlbLoads: 0, dtlbLoadMisses: 0, itlbLoads: 0, itlbLoadMisses: 0,
      rssKb: 12, rssAnonKb: 12, vmas: 2, mappedKb: 16, signal: null,
    });
    // VmPTE: the pgd, then one pud, pmd and pte table (4-level paging)
    expect(rep.pageTablesKb).toBe(16);
    expect(k.cat(`/proc/${r.task.pid}/status`)).toMatch(/VmRSS:\s+12 kB\n/);
    // 6 walks and 3 faults cost simulated time
    expect(rep.ns).toBeGreaterThan(0);
    k.verify();
  });

  it("a page read twice then written: the zero page, then copy-on-write from it: 2 faults, 4 kB of RSS", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const r = TraceReplay.start(k, ranges([[base, false]]));
    const a = base * P;
    const [addrs, kinds] = chunk([[a, ACCESS_READ], [a + 8, ACCESS_READ], [a + 16, ACCESS_WRITE]]);
    expect(r.run(addrs, kinds, 3)).toBe(true);
    // loads: 2 + 1 retry, 2 misses; the store: its denied hit and the retry both miss
    expect(r.report()).toMatchObject({ accesses: 3, pgfault: 2, dtlbLoads: 3, dtlbLoadMisses: 2, dtlbStores: 2, dtlbStoreMisses: 2, rssKb: 4 });
    k.verify();
  });

  it("instruction fetches count in the iTLB; a fetch from a page the trace only read or wrote is SIGSEGV (its VMA is not executable)", () => {
    const k = Kernel.boot({ ram: 256 * MiB });
    const r = TraceReplay.start(k, ranges([[base, true], [base + 1, false]]));
    const [addrs, kinds] = chunk([[base * P, ACCESS_EXEC], [base * P + 4, ACCESS_EXEC], [(base + 1) * P, ACCESS_WRITE], [(base + 1) * P, ACCESS_EXEC]]);
    expect(r.run(addrs, kinds, 4)).toBe(false);
    expect(r.alive).toBe(false);
    expect(r.report()).toMatchObject({
      accesses: 3, pgfault: 2, fetches: 2, stores: 1, itlbLoads: 4, itlbLoadMisses: 3, dtlbStores: 2, dtlbStoreMisses: 2,
      signal: { access: 3, name: "SIGSEGV", signo: 11, code: 2, codeName: "SEGV_ACCERR", addr: (base + 1) * P, oom: false },
    });
    // the task is gone, its /proc files too, and every page is back
    expect(() => k.cat(`/proc/${r.task.pid}/maps`)).toThrow();
    expect(r.run(addrs, kinds, 4)).toBe(false);
    k.verify();
  });

  it("a trace that writes more pages than RAM holds: the fault finds no page (no reclaim, no swap): OOM kill, counts at that access", () => {
    const k = Kernel.boot({ ram: 64 * MiB });
    const pages = (64 * MiB) / P;
    const list: [number, boolean][] = [];
    for (let i = 0; i < pages; i++) list.push([base + i, false]);
    const r = TraceReplay.start(k, ranges(list));
    const [addrs, kinds] = chunk(list.map(([p]) => [p * P, ACCESS_WRITE]));
    expect(r.run(addrs, kinds, pages)).toBe(false);
    const rep = r.report();
    expect(rep.signal).toMatchObject({ name: "SIGKILL", signo: 9, codeName: "0", oom: true, access: rep.accesses, addr: (base + rep.accesses) * P });
    // every access before the failing one faulted a page in, and the failing one faulted too
    expect(rep.pgfault).toBe(rep.accesses + 1);
    expect(rep.rssKb).toBe(rep.accesses * 4);
    // the kernel and its allocations keep most of a 64 MiB machine; the task got over a third of it
    expect(rep.accesses).toBeGreaterThan(pages / 3);
    expect(rep.accesses).toBeLessThan(pages);
    k.verify();
  });

  it("rejects pages it cannot map: below vm.mmap_min_addr, beyond TASK_SIZE, more runs than vm.max_map_count", () => {
    expect(inputError(() => TraceReplay.start(Kernel.boot({ ram: 256 * MiB }), ranges([[0, false]])))).toBe(
      "the trace touches address 0x0, below vm.mmap_min_addr (4096); allow it with --sysctl vm.mmap_min_addr=0",
    );
    expect(inputError(() => TraceReplay.start(Kernel.boot({ ram: 256 * MiB }), ranges([[2 ** 35, false]])))).toBe(
      "the trace touches address 0x800000000000, beyond the user address space (0x7ffffffff000)",
    );
    const k = Kernel.boot({ ram: 256 * MiB, sysctl: { "vm.max_map_count": "2" } });
    expect(inputError(() => TraceReplay.start(k, ranges([[base, false], [base + 2, false], [base + 4, false]])))).toBe(
      "the trace touches 3 separate runs of pages: more VMAs than vm.max_map_count (2); raise it with --sysctl vm.max_map_count=3",
    );
    // page 0 maps once the sysctl allows it
    const z = TraceReplay.start(Kernel.boot({ ram: 256 * MiB, sysctl: { "vm.mmap_min_addr": "0" } }), ranges([[0, false]]));
    const [addrs, kinds] = chunk([[0, ACCESS_WRITE]]);
    expect(z.run(addrs, kinds, 1)).toBe(true);
    expect(z.report().pgfault).toBe(1);
  });
});

/** 2 x 10^4 accesses in CI; MMSIM_PROPERTY_OPS asks for more. */
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 20_000);
const PER_RUN = 1000;

describe("TraceReplay on random traces", () => {
  it("faults once per page plus once per zero page written later; RSS = written pages; VmPTE = the tables the pages need; verify() holds", () => {
    // pages drawn from 3 clusters (a 2 MiB region apart, a GiB apart) so several tables are needed
    const CLUSTERS = [0x7f0000000, 0x7f0000200, 0x7f0040000];
    const page = fc.tuple(fc.constantFrom(...CLUSTERS), fc.integer({ min: 0, max: 40 })).map(([c, i]) => c + i);
    const access = fc.record({ page, kind: fc.constantFrom(ACCESS_READ, ACCESS_WRITE, ACCESS_WRITE, ACCESS_EXEC) });
    let ran = 0;
    const k = Kernel.boot({ ram: 256 * MiB });
    fc.assert(
      fc.property(fc.array(access, { minLength: PER_RUN / 2, maxLength: PER_RUN }), (list) => {
        // the ranges as the CLI makes them: a page is executable when any access fetched from it
        const exec = new Map<number, boolean>();
        for (const a of list) exec.set(a.page, (exec.get(a.page) ?? false) || a.kind === ACCESS_EXEC);
        const r = TraceReplay.start(k, ranges([...exec]));
        const [addrs, kinds] = chunk(list.map((a) => [a.page * P + 8, a.kind]));
        expect(r.run(addrs, kinds, list.length)).toBe(true);
        const first = new Map<number, number>();
        const written = new Set<number>();
        for (const a of list) {
          if (!first.has(a.page)) first.set(a.page, a.kind);
          if (a.kind === ACCESS_WRITE) written.add(a.page);
        }
        const cowOfZero = [...first].filter(([p, kind]) => kind !== ACCESS_WRITE && written.has(p)).length;
        const pages = [...first.keys()];
        const tables = (shift: number) => new Set(pages.map((p) => Math.floor(p / 2 ** shift))).size;
        const rep = r.report();
        expect(rep.accesses).toBe(list.length);
        expect(rep.pgfault).toBe(pages.length + cowOfZero);
        expect(rep.rssKb).toBe(written.size * 4);
        expect(rep.pageTablesKb).toBe((1 + tables(27) + tables(18) + tables(9)) * 4);
        expect(rep.dtlbLoads + rep.dtlbStores + rep.itlbLoads).toBe(list.length + rep.pgfault);
        expect([rep.loads, rep.stores, rep.fetches]).toEqual([ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC].map((kd) => list.filter((a) => a.kind === kd).length));
        k.verify();
        virtualOf(k).exit(r.task);
        ran += list.length;
      }),
      { numRuns: Math.max(1, Math.ceil(TOTAL / (0.75 * PER_RUN))) },
    );
    // every task exited: the machine's memory is back
    k.verify();
    console.log(`TraceReplay on random traces: ${ran} accesses`);
  }, 300_000);
});
