// Random syscalls, accesses, forks and exits over several mms against a shadow of every byte
// written: loads return what was stored (zeros elsewhere), a fork's child sees the parent's
// bytes and later writes leak neither way (selftests/mm/cow.c), munmap/MADV_DONTNEED/MAP_FIXED
// give zeros, mremap moves the bytes; an access fails exactly when the VMAs forbid it, with the
// right si_code. verifyVirtual (the page level included) runs every 25 operations and
// at the end of each run, when every mm exits and every page and table page is back. A second
// run has THP enabled ("always") with 64 KiB units and 0.5-4 MiB mappings, often 2 MiB-aligned,
// so huge faults, the huge zero folio, PMD splits, copy_huge_pmd and zap_huge_pmd all happen.
// Two more runs have i386 tasks (2-level 32-bit tables, then PAE) in a window across the 1 GiB
// line at 0x40000000, so accesses use two PTE tables and, with PAE, two of the four PMDs.
// MMSIM_PROPERTY_OPS sets the total number of operations (the THP and i386 runs do a tenth each).
import { expect, test } from "vitest";
import fc from "fast-check";
import { bootVirtual, freePagesNow, newMm } from "../test/boot";
import type { MmStruct } from "./mm-types";
import { MADV_DONTNEED, MADV_FREE, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MREMAP_FIXED, MREMAP_MAYMOVE, VM_READ, VM_WRITE, VM_EXEC } from "./mm-flags";
import { sysMmap, sysMunmap } from "./syscalls";
import { doMprotect } from "./mprotect";
import { doMremap } from "./mremap";
import { doMadvise } from "./madvise";
import { verifyVirtual } from "./verify";
import { SEGV_ACCERR, SEGV_MAPERR, SIGSEGV } from "./fault";
import type { FaultSignal } from "./fault";
import { shrinkHugeZeroFolio } from "./huge-memory";

const P = 4096;
const WIN_X86_64 = 0x10000000;
/** the i386 runs' window: 48 pages from 0x3ffe0000, across a PTE table's and a PAE PMD's end */
const WIN_I386 = 0x3ffe0000;
/** mmap_base of an i386 task without randomization: TASK_SIZE - 128 MiB (arch/x86/mm/mmap.c) */
const MMAP_BASE_I386 = 0xb8000000;
const WIN_PAGES = 48;
/** the THP run's unit (addresses and lengths) and mmap length unit */
const THP_UNIT = 65536;
const THP_MAP_UNIT = 524288;
const MIB2 = 2097152;
const SLOTS = 4;
const OPS_PER_RUN = 500;
/** verifyVirtual walks every table of every mm: after every 10th operation (and at each run's end) */
const ENV = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
/** verifyVirtual walks every table of every mm: after every 25th operation (and at each run's end), to keep 10^5 operations near a minute; MMSIM_VERIFY_EVERY=1 for every step */
const VERIFY_EVERY = Number(ENV?.MMSIM_VERIFY_EVERY ?? 25);
/** 10^5 operations in CI; MMSIM_PROPERTY_OPS asks for more. */
const TOTAL = Number(ENV?.MMSIM_PROPERTY_OPS ?? 100_000);
const PROTS = [1, 3, 3, 3, 0, 1 | 4];

type Op = { kind: number; slot: number; a: number; b: number; c: number; d: number };
const opArb = fc.record({
  kind: fc.integer({ min: 0, max: 13 }),
  slot: fc.integer({ min: 0, max: SLOTS - 1 }),
  a: fc.integer({ min: 0, max: WIN_PAGES - 1 }),
  b: fc.integer({ min: 1, max: 8 }),
  c: fc.integer({ min: 0, max: 4095 }),
  d: fc.integer({ min: 0, max: 255 }),
});

/** The bytes an mm's pages hold: page address → contents (absent: zeros). */
type Bytes = Map<number, Uint8Array>;

function clearRange(s: Bytes, start: number, len: number): void {
  for (let a = start; a < start + len; a += P) s.delete(a);
}

function writeShadow(s: Bytes, addr: number, data: Uint8Array): void {
  for (let k = 0; k < data.length; k++) {
    const pa = addr + k - ((addr + k) % P);
    let pg = s.get(pa);
    if (pg === undefined) s.set(pa, (pg = new Uint8Array(P)));
    pg[(addr + k) % P] = data[k];
  }
}

function readShadow(s: Bytes, addr: number, len: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < len; k++) out.push(s.get(addr + k - ((addr + k) % P))?.[(addr + k) % P] ?? 0);
  return out;
}

/** What the VMAs say about an access at addr: null (allowed) or the si_code it must fail with. */
function expectedCode(mm: MmStruct, addr: number, write: boolean): number | null {
  const v = mm.mmMt.findVma(addr);
  if (v === null || v.vmStart > addr) return SEGV_MAPERR;
  if (write ? (v.vmFlags & VM_WRITE) === 0 : (v.vmFlags & (VM_READ | VM_WRITE | VM_EXEC)) === 0) return SEGV_ACCERR;
  return null;
}

function checkSignal(sig: FaultSignal | null, code: number | null): void {
  if (code === null) expect(sig).toBeNull();
  else {
    expect(sig?.signo).toBe(SIGSEGV);
    expect(sig?.code).toBe(code);
  }
}

type Run = "x86_64" | "thp" | "i386" | "i386-pae";

function runPages(run: Run): void {
  let ops = 0;
  const thp = run === "thp";
  const i386 = run === "i386" || run === "i386-pae";
  const WIN = i386 ? WIN_I386 : WIN_X86_64;
  const total = run === "x86_64" ? TOTAL : Math.ceil(TOTAL / 10);
  const runs = Math.max(1, Math.ceil(total / OPS_PER_RUN));
  const unit = thp ? THP_UNIT : P;
  // one machine for all runs: each run ends with every page back, which the next run relies on
  const vmm = thp ? bootVirtual({ thpEnabled: "always" }, 64) : i386 ? bootVirtual({ arch: "i386", pae: run === "i386-pae" }, 32) : bootVirtual({}, 32);
  const newTask = (): MmStruct => {
    const mm = newMm(vmm);
    if (i386) mm.mmapBase = MMAP_BASE_I386;
    return mm;
  };
  const boot = freePagesNow(vmm);
  const done = { stores: 0, loads: 0, signals: 0, forks: 0, faults: 0 };
  fc.assert(
    fc.property(fc.array(opArb, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), (seq: Op[]) => {
      const mms: (MmStruct | null)[] = [newTask(), null, null, null];
      const shadows: (Bytes | null)[] = [new Map(), null, null, null];
      const live = (): MmStruct[] => mms.filter((m): m is MmStruct => m !== null);
      for (const op of seq) {
        ops++;
        let k = op.slot;
        if (mms[k] === null) k = 0;
        const mm = mms[k]!;
        const sh = shadows[k]!;
        const cpu = vmm.cpus[op.d & 1];
        const addr = WIN + op.a * unit;
        const len = op.b * unit;
        switch (op.kind) {
          case 0:
          case 1: {
            // the THP run maps 0.5-4 MiB, 2 MiB-aligned half of the time
            const at = thp && (op.d & 4) !== 0 ? WIN + (op.a % 2) * MIB2 : addr;
            const n = thp ? op.b * THP_MAP_UNIT : len;
            const r = sysMmap(vmm, mm, at, n, op.kind === 0 ? PROTS[op.d % PROTS.length] : 3, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, null, 0);
            if (r >= 0) clearRange(sh, r, n);
            break;
          }
          case 2:
            if (sysMunmap(vmm, mm, addr, len) === 0) clearRange(sh, addr, len);
            break;
          case 3:
            doMprotect(vmm, mm, addr, len, PROTS[op.d % PROTS.length]);
            break;
          case 4: {
            const newLen = ((op.c % 8) + 1) * unit;
            const dest = WIN + ((op.c >> 3) % WIN_PAGES) * unit;
            const fixed = (op.d & 2) !== 0 && (dest >= addr + len || dest + newLen <= addr);
            // the pages that move (addresses and lengths are page-aligned)
            const keep = Math.min(len, newLen);
            const saved: [number, Uint8Array][] = [];
            for (let off = 0; off < keep; off += P) {
              const pg = sh.get(addr + off);
              if (pg !== undefined) saved.push([off, pg]);
            }
            const r = doMremap(vmm, mm, addr, len, newLen, MREMAP_MAYMOVE | (fixed ? MREMAP_FIXED : 0), dest);
            if (r >= 0) {
              clearRange(sh, addr, len);
              clearRange(sh, r, newLen);
              for (const [off, pg] of saved) sh.set(r + off, pg);
            }
            break;
          }
          case 5: {
            const r = doMadvise(vmm, mm, addr, len, op.d & 1 ? MADV_DONTNEED : MADV_FREE);
            // a hole in the range is -ENOMEM after the advice was applied to every VMA in it
            if ((r === 0 || r === -12) && op.d & 1) clearRange(sh, addr, len);
            break;
          }
          case 6:
          case 7: {
            // a store inside one page: all or nothing
            const off = op.c % P;
            const n = Math.min(1 + (op.d % 16), P - off);
            const data = new Uint8Array(n).map((_, i) => (op.c + i * 7 + op.d) & 0xff);
            const sig = vmm.store(mm, cpu, addr + off, data);
            checkSignal(sig, expectedCode(mm, addr + off, true));
            if (sig === null) {
              writeShadow(sh, addr + off, data);
              done.stores++;
            } else done.signals++;
            break;
          }
          case 8: {
            // memset over pages: the pages before the failing one are written
            const off = op.c % P;
            const n = op.b * 1000;
            const sig = vmm.memset(mm, cpu, addr + off, op.d, n);
            const upto = sig === null ? addr + off + n : Math.max(addr + off, sig.addr - (sig.addr % P));
            if (sig !== null) checkSignal(sig, expectedCode(mm, sig.addr, true));
            writeShadow(sh, addr + off, new Uint8Array(upto - addr - off).fill(op.d));
            break;
          }
          case 9:
          case 10: {
            const off = op.c % P;
            const n = Math.min(1 + op.d, P - off);
            const out = new Uint8Array(n);
            const sig = vmm.load(mm, cpu, addr + off, out);
            checkSignal(sig, expectedCode(mm, addr + off, false));
            if (sig === null) {
              expect([...out]).toEqual(readShadow(sh, addr + off, n));
              done.loads++;
            } else done.signals++;
            break;
          }
          case 11: {
            const free = mms.indexOf(null);
            if (free < 0) break;
            const child = vmm.fork(mm);
            if (child === null) break;
            mms[free] = child;
            shadows[free] = new Map([...sh].map(([a, pg]) => [a, pg.slice()]));
            done.forks++;
            break;
          }
          case 12:
            if (k === 0) break;
            vmm.exitMm(mm);
            mms[k] = null;
            shadows[k] = null;
            break;
          case 13: {
            // memcpy of up to a page between two pages of the window
            const src = WIN + (op.c % WIN_PAGES) * unit + (op.d % 64);
            const n = 1 + op.d * 8;
            if (src < addr + n && addr < src + n) break;
            const data = readShadow(sh, src, n);
            const sig = vmm.memcpy(mm, cpu, addr, src, n);
            if (sig === null) writeShadow(sh, addr, new Uint8Array(data));
            else {
              const c1 = expectedCode(mm, sig.addr, sig.addr >= addr && sig.addr < addr + n);
              expect(c1).not.toBeNull();
              // bytes of the chunks before the failing one were copied: re-read them from the task
              const got = new Uint8Array(Math.max(0, Math.min(n, sig.addr >= addr && sig.addr < addr + n ? sig.addr - addr : sig.addr - src)));
              if (got.length > 0 && vmm.load(mm, cpu, addr, got) === null) writeShadow(sh, addr, got);
            }
            break;
          }
        }
        if (ops % VERIFY_EVERY === 0) verifyVirtual(vmm, live());
      }
      verifyVirtual(vmm, live());
      // every page of every mm reads back as the shadow says
      for (let i = 0; i < SLOTS; i++) {
        const mm = mms[i];
        if (mm === null) continue;
        for (const v of mm.mmMt.vmas) {
          if ((v.vmFlags & (VM_READ | VM_WRITE | VM_EXEC)) === 0) continue;
          const out = new Uint8Array(v.vmEnd - v.vmStart);
          expect(vmm.load(mm, vmm.cpus[0], v.vmStart, out)).toBeNull();
          // page by page against the shadow (absent pages: zeros)
          for (let off = 0; off < out.length; off += P) {
            const want = shadows[i]!.get(v.vmStart + off);
            const got = out.subarray(off, off + P);
            const bad = want === undefined ? got.findIndex((b) => b !== 0) : got.findIndex((b, j) => b !== want[j]);
            if (bad >= 0) expect(`byte at 0x${(v.vmStart + off + bad).toString(16)}: ${got[bad]}`).toBe(`byte at 0x${(v.vmStart + off + bad).toString(16)}: ${want?.[bad] ?? 0}`);
          }
        }
      }
      for (const mm of live()) vmm.exitMm(mm);
      verifyVirtual(vmm, []);
      shrinkHugeZeroFolio(vmm);
      expect(vmm.phys.counters.get("nr_page_table_pages")).toBe(0);
      expect(vmm.phys.counters.get("nr_anon_pages")).toBe(0);
      expect(freePagesNow(vmm)).toBe(boot);
    }),
    { numRuns: runs, seed: 1618, endOnFailure: true },
  );
  done.faults = vmm.phys.counters.get("pgfault");
  const c = (name: string) => vmm.phys.counters.get(name);
  const thpDone = thp ? `; THP: ${c("thp_fault_alloc")} huge faults, ${c("thp_zero_page_alloc")} huge zero folios, ${c("thp_split_pmd")} PMD splits, ${c("thp_deferred_split_page")} deferred splits, ${c("thp_fault_fallback")} fallbacks` : "";
  console.log(`virtual pages property test${run === "x86_64" ? "" : ` (${run === "thp" ? "THP always" : run})`}: ${ops} operations (${done.stores} stores and ${done.loads} loads that succeeded, ${done.signals} signals, ${done.forks} forks, ${done.faults} page faults${thpDone})`);
  expect(ops).toBeGreaterThanOrEqual(Math.min(total, runs * OPS_PER_RUN));
  if (thp) {
    expect(c("thp_fault_alloc")).toBeGreaterThan(0);
    expect(c("thp_split_pmd")).toBeGreaterThan(0);
  }
}

test("random syscalls, accesses, forks and exits keep every byte, every refcount and every page", () => {
  runPages("x86_64");
}, 600_000);

test("the same with THP always and 2 MiB-sized mappings: huge faults, splits, fork and exit of THPs", () => {
  runPages("thp");
}, 600_000);

test("the same for i386 tasks in 2-level 32-bit tables (4-byte entries, 4 MiB per PTE table)", () => {
  runPages("i386");
}, 600_000);

test("the same for i386 tasks in PAE tables (the 4-entry PDPT, 8-byte entries)", () => {
  runPages("i386-pae");
}, 600_000);
