// Property test: random fills, lookups, invlpg, PCID switches and flushes on a small TLB (so
// that sets fill and evict) against a reference model that keeps each set as a list in
// least-recently-used order: every lookup's hit, physical address and rights, every count and
// every eviction must match, and Tlb.verify() holds after each step. Global entries are only
// made for kernel-half addresses, and every kernel-half entry is global, as Linux makes them. 3 * 10^4 operations in CI (30 % of the
// package's 10^5: mmu.property.test.ts has the split); MMSIM_PROPERTY_OPS sets the total.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Tlb } from "../src/tlb";
import type { TlbConfig } from "../src/tlb";
import { RIGHT_DIRTY, RIGHT_GLOBAL, RIGHT_NX, RIGHT_USER, RIGHT_WRITABLE, WalkResult } from "../src/walk";

const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const OPS = Math.ceil(Number(ENV?.MMSIM_PROPERTY_OPS ?? 100_000) * 0.3);
const OPS_PER_RUN = 500;
const RUNS = Math.max(1, Math.ceil(OPS / OPS_PER_RUN));

const CONFIG: TlbConfig = { sets4k: 4, ways4k: 3, sets2m: 2, ways2m: 2, sets1g: 1, ways1g: 2 };
const SIZES = [4096, 2097152, 1073741824];
const SETS = [CONFIG.sets4k, CONFIG.sets2m, CONFIG.sets1g];
const WAYS = [CONFIG.ways4k, CONFIG.ways2m, CONFIG.ways1g];
/** a user region and a kernel-half one (canonical tails), each a few huge pages wide */
const REGIONS = [0x7f0000000000, 0x888000000000];

interface Entry { vpn: number; pcid: number; global: boolean; base: number; rights: number }

type Op = { kind: number; region: number; page: number; off: number; size: number; rights: number; pcid: number; frame: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.integer({ min: 0, max: 9 }),
  region: fc.nat(1),
  page: fc.nat(40),
  off: fc.nat(4095),
  size: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) }),
  rights: fc.nat(63),
  pcid: fc.integer({ min: 1, max: 3 }),
  frame: fc.nat(1000),
});

describe("Tlb against an LRU model", () => {
  it(`matches the model over ${RUNS * OPS_PER_RUN} random operations`, () => {
    let opsRun = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (ops) => {
        const tlb = new Tlb(CONFIG);
        // model[k][set]: entries, least recently used first
        const model: Entry[][][] = SETS.map((n) => Array.from({ length: n }, () => []));
        let pcid = 0;
        let hits = 0;
        let misses = 0;
        const out = new WalkResult();
        const visible = (e: Entry, vpn: number) => e.vpn === vpn && (e.pcid === pcid || e.global);
        for (const o of ops) {
          // pages of a region spread over 4 KiB pages and a few 2 MiB / 1 GiB ones
          const va = REGIONS[o.region] + o.page * (o.page % 3 === 0 ? 2097152 : 4096) + o.off;
          if (o.kind <= 2) {
            // fill after a walk: a page of size k. Every kernel-half entry is global and no user
            // one is, as Linux maps them (PAGE_KERNEL has _PAGE_GLOBAL): one address is never
            // cached both global and not, a state whose lookup x86 leaves undefined.
            const k = o.size;
            const size = SIZES[k];
            const global = o.region === 1;
            const rights = (o.rights & (RIGHT_WRITABLE | RIGHT_USER | RIGHT_NX | RIGHT_DIRTY)) | (global ? RIGHT_GLOBAL : 0);
            const w = new WalkResult();
            w.ok = true;
            w.pageSize = size;
            w.pa = o.frame * size + (va % size);
            w.rights = rights;
            tlb.fill(va, w);
            const vpn = Math.floor(va / size);
            const set = model[k][vpn % SETS[k]];
            const at = set.findIndex((e) => visible(e, vpn));
            if (at >= 0) set.splice(at, 1);
            else if (set.length === WAYS[k]) set.shift();
            set.push({ vpn, pcid, global, base: o.frame * size, rights });
          } else if (o.kind <= 5) {
            const hit = tlb.lookup(va, out);
            let want: Entry | null = null;
            let size = 0;
            for (let k = 0; k < 3 && !want; k++) {
              const vpn = Math.floor(va / SIZES[k]);
              const set = model[k][vpn % SETS[k]];
              const at = set.findIndex((e) => visible(e, vpn));
              if (at >= 0) {
                want = set[at];
                size = SIZES[k];
                set.splice(at, 1);
                set.push(want); // most recently used
              }
            }
            expect(hit).toBe(want !== null);
            if (want) {
              hits++;
              expect(out.pa).toBe(want.base + (va % size));
              expect(out.pageSize).toBe(size);
              expect(out.rights).toBe(want.rights);
            } else misses++;
          } else if (o.kind === 6) {
            tlb.invlpg(va);
            for (let k = 0; k < 3; k++) {
              const vpn = Math.floor(va / SIZES[k]);
              const set = model[k][vpn % SETS[k]];
              for (let i = set.length - 1; i >= 0; i--) if (visible(set[i], vpn)) set.splice(i, 1);
            }
          } else if (o.kind === 7) {
            pcid = o.pcid;
            tlb.pcid = pcid;
          } else if (o.kind === 8) {
            const all = o.rights % 3;
            if (all === 0) tlb.flushPcid(o.pcid);
            else if (all === 1) tlb.flushNonGlobal();
            else tlb.flushAll();
            for (const sets of model) {
              for (const set of sets) {
                for (let i = set.length - 1; i >= 0; i--) {
                  const e = set[i];
                  if (all === 2 || (!e.global && (all === 1 || e.pcid === o.pcid))) set.splice(i, 1);
                }
              }
            }
          } else {
            // lookups from the other half, which share no entry with this one
            expect(tlb.lookup(REGIONS[1 - o.region] + 0x40000000000 + o.off, out)).toBe(false);
            misses++;
          }
          tlb.verify();
          expect(tlb.size).toBe(model.flat().reduce((n, set) => n + set.length, 0));
          expect([tlb.hits, tlb.misses]).toEqual([hits, misses]);
          opsRun++;
        }
      }),
      { numRuns: RUNS },
    );
    console.log(`Tlb property test: ${opsRun} operations in ${RUNS} runs`);
    expect(opsRun).toBe(RUNS * OPS_PER_RUN);
  }, 300_000);
});
