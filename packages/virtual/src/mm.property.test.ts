// Random mmap/munmap/mprotect/mremap/brk/madvise/mlock sequences over several mms against a
// shadow model (a page-granular map of protections), with verifyVirtual after every step (tree
// sorted and disjoint, map_count, counters, rmap, slab objects, Committed_AS) and a check that no
// two adjacent VMAs are left that Linux would have merged. The exception is Linux's own: a call
// failing with ENOMEM at max_map_count after its first split keeps that split (vma_modify does
// not undo it), and later calls need not merge there (mprotect to the same flags changes
// nothing; munmap never merges), so a boundary left by a failed call is exempt while both sides
// stay mergeable. At
// the end every mm exits and every object is back in the slab. A second run has THP always on a
// 256 KiB unit (0.25-3 MiB ranges, non-fixed maps of 2-24 MiB), so mlock's populate makes huge
// PMDs that the VMA operations then zap, split (vma_adjust_trans_huge) or copy. Two more runs
// have i386 tasks (2-level 32-bit tables, then PAE) under the 3 GiB TASK_SIZE. MMSIM_PROPERTY_OPS
// sets the total number of operations (the THP and i386 runs do a tenth each).
import { expect, test } from "vitest";
import fc from "fast-check";
import { bootVirtual, newMm } from "../test/boot";
import type { MmStruct, VmAreaStruct } from "./mm-types";
import { VmFile } from "./mm-types";
import {
  MADV_DOFORK, MADV_DONTFORK, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED, MREMAP_MAYMOVE,
  VM_IGNORE_MERGE, VM_LOCKED, VM_SPECIAL,
} from "./mm-flags";
import { sysMmap, sysMunmap, exitMmap } from "./syscalls";
import { doMprotect } from "./mprotect";
import { doMremap } from "./mremap";
import { doBrk } from "./brk";
import { doMadvise } from "./madvise";
import { doMlock, doMunlock } from "./mlock";
import { anonVmaPrepare } from "./rmap";
import { verifyVirtual } from "./verify";
import type { VirtualMemory } from "./virtual-memory";

/** the unit of addresses and lengths: a page, or 256 KiB in the THP run */
const PAGE = 4096;
const THP_UNIT = 262144;
const MIB2 = 2097152;
const WIN = 0x10000000;
const WIN_PAGES = 64;
const HEAP = 0x20000000;
/** mmap_base of an i386 task without randomization: TASK_SIZE - 128 MiB (arch/x86/mm/mmap.c) */
const MMAP_BASE_I386 = 0xb8000000;
const NR_MMS = 3;
const OPS_PER_RUN = 400;
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
/** 10^5 operations in CI; MMSIM_PROPERTY_OPS asks for more. */
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 100_000);
const RUNS = Math.max(1, Math.ceil(TOTAL / OPS_PER_RUN));

type Op = { kind: number; mm: number; a: number; b: number; c: number; d: number };
const opArb = fc.record({
  kind: fc.integer({ min: 0, max: 10 }),
  mm: fc.integer({ min: 0, max: NR_MMS - 1 }),
  a: fc.integer({ min: 0, max: WIN_PAGES - 1 }),
  b: fc.integer({ min: 1, max: 12 }),
  c: fc.integer({ min: 0, max: 7 }),
  d: fc.integer({ min: 0, max: WIN_PAGES - 1 }),
});

/** Shadow: page number → prot | 8 if shared | 16 * file id. */
type Shadow = Map<number, number>;

function realPages(mm: MmStruct, P: number): Shadow {
  const m: Shadow = new Map();
  for (const v of mm.mmMt.vmas) {
    const tag = (v.vmFlags & 3) | (v.vmFlags & 8 ? 8 : 0) | (v.vmFile && v.vmFile.path !== "/dev/zero (deleted)" ? 16 * Number(v.vmFile.path.slice(-1)) : 0);
    for (let a = v.vmStart; a < v.vmEnd; a += P) m.set(a / P, tag);
  }
  return m;
}

/** Adjacent VMAs Linux would have merged (vma_merge_new_range's criteria). */
function mergeablePair(l: VmAreaStruct, r: VmAreaStruct): boolean {
  if (l.vmEnd !== r.vmStart) return false;
  if (((l.vmFlags ^ r.vmFlags) & ~VM_IGNORE_MERGE) !== 0 || l.vmFlags & VM_SPECIAL) return false;
  if (l.vmFile !== r.vmFile || l.anonName !== r.anonName) return false;
  if (l.vmPgoff + l.pages !== r.vmPgoff) return false;
  if (r.vmOps?.close) return false;
  if (l.anonVma !== null && r.anonVma !== null) return l.anonVma === r.anonVma;
  return true;
}

/** The mergeable neighbour pairs of mm. */
function mergeablePairs(mm: MmStruct): [VmAreaStruct, VmAreaStruct][] {
  const v = mm.mmMt.vmas;
  const out: [VmAreaStruct, VmAreaStruct][] = [];
  for (let j = 1; j < v.length; j++) if (mergeablePair(v[j - 1], v[j])) out.push([v[j - 1], v[j]]);
  return out;
}

type Run = "x86_64" | "thp" | "i386" | "i386-pae";

function runMm(run: Run): void {
  const thp = run === "thp";
  const i386 = run === "i386" || run === "i386-pae";
  let ops = 0;
  let thpFaults = 0;
  let thpSplits = 0;
  /** huge PMDs present, summed over the operations (how much the VMA operations met them) */
  let hugePmdOps = 0;
  const P = thp ? THP_UNIT : PAGE;
  const runs = run !== "x86_64" ? Math.max(1, Math.ceil(TOTAL / 10 / OPS_PER_RUN)) : RUNS;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (seq: Op[]) => {
      const vmm: VirtualMemory = thp ? bootVirtual({ sysctls: { maxMapCount: 40 }, thpEnabled: "always" }, 128)
        : bootVirtual({ sysctls: { maxMapCount: 40 }, ...(i386 ? { arch: "i386" as const, pae: run === "i386-pae" } : {}) }, 32);
      const files = [new VmFile("/f1", { writable: true }), new VmFile("/f2", { writable: true })];
      const mms = Array.from({ length: NR_MMS }, () => {
        const mm = newMm(vmm);
        if (i386) mm.mmapBase = MMAP_BASE_I386;
        mm.startBrk = mm.brk = HEAP;
        if (thp) mm.rlimits.memlock = Infinity; // populate as much as the ops ask
        return mm;
      });
      const shadows: Shadow[] = mms.map(() => new Map());
      // boundaries a failed call left unmerged, as Linux leaves them
      const exempt = mms.map(() => new Set<number>());
      for (const op of seq) {
        let failed = false;
        const mm = mms[op.mm];
        const sh = shadows[op.mm];
        // the THP run aligns half of its ranges to 2 MiB and makes them at least 2 MiB long
        const align = thp && (op.d & 1) !== 0;
        const addr = align ? WIN + Math.floor((op.a * P) / MIB2) * MIB2 : WIN + op.a * P;
        const len = align ? Math.max(op.b * P, MIB2) : op.b * P;
        const prot = op.c & 3;
        switch (op.kind) {
          case 0:
          case 1: {
            // 0,1 private anon; 2 shared anon; 3 private file (the THP run's aligned maps: private anon, read-write)
            const kind = align ? 0 : op.c >> 1;
            const mprot = align ? 3 : prot;
            const file = kind === 3 ? files[op.d & 1] : null;
            const flags = MAP_FIXED | (kind === 2 ? MAP_SHARED : MAP_PRIVATE) | (file ? 0 : MAP_ANONYMOUS);
            const r = sysMmap(vmm, mm, addr, len, mprot, flags, file, file ? op.d * P : 0);
            if (r >= 0) for (let i = 0; i < len / P; i++) sh.set(addr / P + i, mprot | (kind === 2 ? 8 : 0) | (file ? 16 * (1 + (op.d & 1)) : 0));
            else expect(r).toBe(-12); // max_map_count
            failed = r < 0;
            break;
          }
          case 2: {
            const r = sysMunmap(vmm, mm, addr, len);
            if (r === 0) for (let i = 0; i < len / P; i++) sh.delete(addr / P + i);
            else expect(r).toBe(-12);
            failed = r < 0;
            break;
          }
          case 3: {
            const r = doMprotect(vmm, mm, addr, len, prot);
            failed = r < 0;
            // applied page by page up to the first hole (or the whole range)
            if (r === 0 || r === -12) {
              for (let i = 0; i < len / P; i++) {
                const pg = addr / P + i;
                const t = sh.get(pg);
                if (t === undefined) break;
                if (r === -12 && realPages(mm, P).get(pg) !== ((t & ~3) | prot)) break;
                sh.set(pg, (t & ~3) | prot);
              }
            }
            break;
          }
          case 4: {
            // mremap of a range inside one VMA to a free place in the window (MREMAP_FIXED) or anywhere
            const vma = mm.mmMt.vmaLookup(addr);
            if (vma === null) break;
            const oldLen = Math.min(len, vma.vmEnd - addr);
            const newLen = (1 + (op.d % 8)) * P;
            const fixed = op.c & 1;
            const dest = WIN + ((op.d * 7) % WIN_PAGES) * P;
            if (fixed && addr + oldLen > dest && dest + newLen > addr) break;
            const tag = sh.get(addr / P)!;
            const r = doMremap(vmm, mm, addr, oldLen, newLen, MREMAP_MAYMOVE | (fixed ? MREMAP_FIXED : 0), dest);
            if (r < 0) {
              failed = true;
              expect([-12, -14, -11]).toContain(r);
              // failures after the destination was unmapped: resync the shadow from what is mapped
              shadows[op.mm] = realPages(mm, P);
              break;
            }
            if (fixed) for (let i = 0; i < newLen / P; i++) sh.delete(dest / P + i);
            const keep = Math.min(oldLen, newLen) / P;
            for (let i = 0; i < oldLen / P; i++) sh.delete(addr / P + i);
            for (let i = 0; i < newLen / P; i++) sh.set(r / P + i, tag);
            expect(keep).toBeGreaterThan(0);
            break;
          }
          case 5: {
            if (thp) break; // the heap's page-granular end does not fit the THP run's unit
            const target = HEAP + ((op.a * 3) % 48) * P + (op.c * 512);
            const old = mm.brk;
            const r = doBrk(vmm, mm, target);
            const oldEnd = Math.ceil(old / P);
            const newEnd = Math.ceil(r / P);
            for (let pg = HEAP / P; pg < Math.max(oldEnd, newEnd); pg++) if (pg < newEnd) sh.set(pg, 3); else sh.delete(pg);
            break;
          }
          case 6: {
            const r = doMadvise(vmm, mm, addr, len, op.c & 1 ? MADV_DONTFORK : MADV_DOFORK);
            expect([0, -12]).toContain(r);
            failed = r < 0;
            break;
          }
          case 7: {
            const r = op.c & 1 || align ? doMlock(vmm, mm, addr, len, VM_LOCKED) : doMunlock(vmm, mm, addr, len);
            expect([0, -12]).toContain(r);
            failed = r < 0;
            break;
          }
          case 8: {
            // a first anonymous fault: the VMA gets its anon_vma (changes what may merge)
            const vma = mm.mmMt.vmaLookup(addr);
            if (vma !== null && vma.vmFile === null) expect(anonVmaPrepare(vmm, vma)).toBe(0);
            break;
          }
          default: {
            // a non-fixed anonymous mapping (top-down below mmap_base)
            const n = thp ? op.b * MIB2 : len; // 2 MiB multiples are 2 MiB-aligned (thp_get_unmapped_area)
            const r = sysMmap(vmm, mm, 0, n, prot, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
            if (r >= 0) for (let i = 0; i < n / P; i++) sh.set(r / P + i, prot);
            else expect(r).toBe(-12);
          }
        }
        ops++;
        if (thp) for (const m of mms) hugePmdOps += m.pmdHugePte.size;
        verifyVirtual(vmm, mms);
        for (let i = 0; i < NR_MMS; i++) {
          expect(realPages(mms[i], P)).toEqual(shadows[i]);
          const pairs = mergeablePairs(mms[i]);
          const ex = exempt[i];
          if (failed && i === op.mm) for (const [l] of pairs) ex.add(l.vmEnd);
          const still = new Set<number>();
          for (const [l, r] of pairs) {
            if (!ex.has(l.vmEnd)) throw new Error(`VMAs ${l.vmStart.toString(16)} and ${r.vmStart.toString(16)} left unmerged`);
            still.add(l.vmEnd);
          }
          exempt[i] = still;
        }
      }
      for (const mm of mms) exitMmap(vmm, mm);
      verifyVirtual(vmm, []);
      if (thp) thpFaults += vmm.phys.counters.get("thp_fault_alloc") + vmm.phys.counters.get("thp_zero_page_alloc");
      if (thp) thpSplits += vmm.phys.counters.get("thp_split_pmd");
      expect(vmm.committedAs).toBe(0);
      expect(files.map((f) => [f.fCount, f.mapping.iMmap.length])).toEqual([[1, 0], [1, 0]]);
    }),
    { numRuns: runs, seed: 16 },
  );
  console.log(`virtual property test${thp ? ` (THP always): ${ops} operations, ${thpFaults} huge faults and huge zero folios, ${thpSplits} PMD splits, ${hugePmdOps} huge PMDs present summed over the operations` : `${i386 ? ` (${run})` : ""}: ${ops} operations`}`);
  expect(ops).toBe(runs * OPS_PER_RUN);
  if (thp) expect(hugePmdOps).toBeGreaterThan(0);
}

test("random VMA syscalls over three mms agree with a page-granular shadow and stay merged", () => {
  runMm("x86_64");
}, 600_000);

test("the same with THP always on a 256 KiB unit: populated huge PMDs survive every VMA operation", () => {
  runMm("thp");
}, 600_000);

test("the same for i386 tasks in 2-level 32-bit tables", () => {
  runMm("i386");
}, 600_000);

test("the same for i386 tasks in PAE tables", () => {
  runMm("i386-pae");
}, 600_000);
