// Full-kernel trace replay (mmsim replay --kernel) benchmarks. A synthetic working set of 4096
// pages (16 MiB: larger than the 1536-entry TLB, inside the 1 GiB machine's RAM), already faulted
// in, replayed in bursts of 64 accesses to one page (3 loads to 1 store), a random page per burst:
// TLB hits dominate, as in real traces. Measured: the in-memory chunk through TraceReplay.run
// (target: 20 M accesses/s), the same page sequence through @mmsim/replay's replacement-only
// LRU, Mmu.translate's and Mmu.translatePa's TLB hit alone (the ratios), and end to end from a
// lackey text file (written once to the temporary directory; both parser passes, VMAs, replay).
// Each case also records its rate per CPU-second (process.cpuUsage): the wall clock of a shared
// machine says little.
import { closeSync, openSync, readSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchCase } from "../../../scripts/run-bench";
import { perCpuSecond } from "../../../scripts/bench-cpu";
import { GiB, Rng } from "@mmsim/base";
import { ACCESS_READ, ACCESS_WRITE, WalkResult } from "@mmsim/hardware";
// @mmsim/replay sits beside the layers (the kernel does not depend on it): the bench reads its source
import { KeyIndex } from "../../replay/src/key-index";
import { LruPolicy } from "../../replay/src/lru";
import { createTraceParser } from "../../replay/src/formats";
import { REF_FETCH } from "../../replay/src/trace";
import { Kernel, TraceReplay, traceRanges } from "../src/index";

/** Pages of the working set, accesses per chunk, accesses per burst on one page. */
const PAGES = 4096;
const ACCESSES = 1 << 20;
const BURST = 64;
/** Where the working set is mapped (page number of 0x7f0000000000). */
const BASE_PAGE = 0x7f0000000;

const rng = new Rng(7);
const addrs = new Float64Array(ACCESSES);
const kinds = new Uint8Array(ACCESSES);
const ids = new Int32Array(ACCESSES);
for (let i = 0; i < ACCESSES; i += BURST) {
  const page = rng.nextInt(PAGES);
  for (let j = i; j < i + BURST; j++) {
    ids[j] = page;
    addrs[j] = (BASE_PAGE + page) * 4096 + rng.nextInt(512) * 8;
    kinds[j] = (j & 3) === 3 ? ACCESS_WRITE : ACCESS_READ;
  }
}

/** A 1 GiB machine with one task that mapped the working set and faulted every page in. */
function start(k: Kernel): TraceReplay {
  const pages = Float64Array.from({ length: PAGES }, (_, i) => BASE_PAGE + i);
  const r = TraceReplay.start(k, traceRanges(pages, new Uint8Array(PAGES), PAGES));
  const warm = Float64Array.from(pages, (p) => p * 4096);
  r.run(warm, new Uint8Array(PAGES).fill(ACCESS_WRITE), PAGES);
  return r;
}

const kernel = Kernel.boot({ ram: GiB });
const replay = start(kernel);
function chunk(): void {
  if (!replay.run(addrs, kinds, ACCESSES)) throw new Error("the bench's task died");
}

const lru = new LruPolicy(1536);
lru.reserve(PAGES);
function lruChunk(): void {
  lru.access(ids, ACCESSES);
}

// the replay task's CPU (user mode, its page tables) and one of its pages: every call hits
const mmu = kernel.hw.mmu;
const cpu = kernel.hw.cpus[replay.task.cpu]!;
const w = new WalkResult();
const va = BASE_PAGE * 4096 + 64;
function translates(): void {
  for (let i = 0; i < ACCESSES; i++) mmu.translate(cpu, va, ACCESS_READ, w);
}
function translatePas(): void {
  for (let i = 0; i < ACCESSES; i++) mmu.translatePa(cpu, va, ACCESS_READ);
}

// ---- end to end: the same accesses as lackey text (" L 7f0000001a38,8" / " S ..."), both passes
const lines: string[] = [];
for (let i = 0; i < ACCESSES; i++) lines.push(`${kinds[i] === ACCESS_WRITE ? " S" : " L"} ${addrs[i]!.toString(16)},8`);
const lackey = new TextEncoder().encode(lines.join("\n") + "\n");
const LACKEY_FILE = join(tmpdir(), "mmsim-kernel-replay-bench.lackey");
writeFileSync(LACKEY_FILE, lackey);
const PIECE = 1 << 20;
const piece = new Uint8Array(PIECE);

/** Streams the lackey file into `push` in 1 MiB reads, as the CLI does (synchronously here). */
function streamFile(push: (chunk: Uint8Array) => void): void {
  const fd = openSync(LACKEY_FILE, "r");
  try {
    for (let n; (n = readSync(fd, piece, 0, PIECE, null)) > 0; ) push(piece.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}
const ACCESS_OF_REF = Uint8Array.of(ACCESS_READ, ACCESS_WRITE, ACCESS_WRITE, 16);
function endToEnd(): void {
  const index = new KeyIndex();
  let exec = new Uint8Array(PAGES);
  const scan = createTraceParser("lackey", index, (b, n, kd) => {
    if (index.size > exec.length) {
      const bigger = new Uint8Array(index.size * 2);
      bigger.set(exec);
      exec = bigger;
    }
    for (let i = 0; i < n; i++) if (kd![i] === REF_FETCH) exec[b[i]!] = 1;
  }, { kinds: true });
  streamFile((c) => scan.push(c));
  scan.end();
  const pageAddr = new Float64Array(index.size);
  for (let id = 0; id < index.size; id++) pageAddr[id] = index.keyOf(id) * 4096;
  const r = TraceReplay.start(Kernel.boot({ ram: GiB }), traceRanges(pageAddr.map((a) => a / 4096), exec, index.size));
  const a = new Float64Array(1 << 14);
  const acc = new Uint8Array(1 << 14);
  const run = createTraceParser("lackey", index, (b, n, kd) => {
    for (let i = 0; i < n; i++) {
      a[i] = pageAddr[b[i]!]!;
      acc[i] = ACCESS_OF_REF[kd![i]!]!;
    }
    r.run(a, acc, n);
  }, { kinds: true });
  streamFile((c) => run.push(c));
  run.end();
  if (r.report().accesses !== ACCESSES) throw new Error("end to end replay lost accesses");
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

export const cases: BenchCase[] = [
  {
    name: "kernel replay: in-memory chunk, 4096-page working set",
    ops: ACCESSES,
    minOpsPerSec: 20e6,
    fn: chunk,
    extra: () => {
      const replayCpu = perCpuSecond(chunk, ACCESSES, 5);
      const lruCpu = perCpuSecond(lruChunk, ACCESSES, 5);
      const translateCpu = perCpuSecond(translates, ACCESSES, 5);
      const translatePaCpu = perCpuSecond(translatePas, ACCESSES, 5);
      const r = replay.report();
      return {
        accessesPerCpuSecond: replayCpu, lruPerCpuSecond: lruCpu, mmuTranslatePerCpuSecond: translateCpu, mmuTranslatePaPerCpuSecond: translatePaCpu,
        ratioToLru: ratio(replayCpu, lruCpu), ratioToTranslate: ratio(replayCpu, translateCpu), ratioToTranslatePa: ratio(replayCpu, translatePaCpu),
        dtlbMissRate: Math.round(((r.dtlbLoadMisses + r.dtlbStoreMisses) / (r.dtlbLoads + r.dtlbStores)) * 1e6) / 1e6,
      };
    },
  },
  {
    name: "replacement-only LRU, 1536 frames, same page sequence",
    ops: ACCESSES,
    fn: lruChunk,
  },
  {
    name: "Mmu.translate TLB hit (for the ratio)",
    ops: ACCESSES,
    fn: translates,
  },
  {
    name: "Mmu.translatePa TLB hit (what the replay calls)",
    ops: ACCESSES,
    fn: translatePas,
  },
  {
    name: "kernel replay end to end from a lackey file (2 passes)",
    ops: ACCESSES,
    fn: endToEnd,
    extra: () => ({ accessesPerCpuSecond: perCpuSecond(endToEnd, ACCESSES, 2), lackeyBytes: lackey.length }),
  },
];
