// `pnpm bench` for @mmsim/replay: replacement-only LRU end to end (file read, parse, index,
// replay) on one real lackey page trace of >= 40 M references, against libCacheSim's cachesim
// (-O3) measured in the same run, interleaved, best of RUNS each:
//   - from libCacheSim's oracleGeneral file (the same file in both tools): target >= 2x;
//   - from a text trace (one page number per line), parsing included: target >= 5x;
//   - and, for reference, mmsim's own binary format and the lackey text itself.
// The trace is walk.c (conformance/fixtures) built with 1 000 000 iterations under valgrind
// lackey, generated under MMSIM_REPLAY_BENCH_DIR (default /tmp/mmsim-replay-bench), never in
// git. cachesim comes from LIBCACHESIM_CACHESIM, or is built from LIBCACHESIM_SRC (cmake,
// Release, -O3) into that directory; its figures are written to bench/libcachesim.json, which
// is read instead when cachesim is not available. Writes bench/results.json.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { MmsimEncoder, Replay, encodeOracleRange, nextUses, type TraceFormat } from "../src/index";

const DIR = process.env.MMSIM_REPLAY_BENCH_DIR ?? "/tmp/mmsim-replay-bench";
const HERE = resolve("bench");
const FRAMES = 1024;
const RUNS = Number(process.env.MMSIM_BENCH_RUNS ?? 3);
const MIN_REQUESTS = 40_000_000;
const CHUNK = 1 << 20;
/** bytes per read in the timed runs (two reads in flight) */
const READ_CHUNK = 1 << 22;

mkdirSync(DIR, { recursive: true });
const lackey = join(DIR, "walk.lackey");
if (!existsSync(lackey)) {
  for (const tool of ["gcc", "valgrind"]) {
    if (spawnSync(tool, ["--version"]).status !== 0) {
      console.log(`replay bench skipped: it generates its trace with gcc and valgrind, and ${tool} is not installed (or put a lackey trace at ${lackey})`);
      process.exit(0);
    }
  }
  console.log(`generating ${lackey} (valgrind lackey on walk.c, 1 000 000 iterations; a few minutes)`);
  execFileSync("gcc", ["-O1", "-DITERATIONS=1000000", "-o", join(DIR, "walk"), resolve("conformance/fixtures/walk.c")]);
  execFileSync("valgrind", ["--tool=lackey", "--trace-mem=yes", `--log-file=${lackey}.tmp`, join(DIR, "walk")], { stdio: "ignore" });
  renameSync(`${lackey}.tmp`, lackey);
}

const files = { oracle: join(DIR, "walk.oracleGeneral"), text: join(DIR, "walk.txt"), mmsim: join(DIR, "walk.mmt") };
if (!existsSync(files.oracle) || !existsSync(files.text) || !existsSync(files.mmsim)) convertAll();

/** lackey -> text, mmsim (streamed) and oracleGeneral (next uses need the whole trace). */
function convertAll(): void {
  console.log("converting the lackey trace to text, mmsim and oracleGeneral");
  const text = openSync(files.text + ".tmp", "w");
  const mm = openSync(files.mmsim + ".tmp", "w");
  const enc = new MmsimEncoder();
  writeSync(mm, enc.header(4096));
  const r: Replay = new Replay({
    format: "lackey",
    jobs: [],
    record: true,
    onBatch: (ids, n) => {
      writeSync(mm, enc.encode(ids, n, (id) => r.index.keyHalves(id)));
      let s = "";
      for (let i = 0; i < n; i++) s += r.index.keyOf(ids[i]!) + "\n";
      writeSync(text, s);
    },
  });
  streamFile(lackey, (c) => r.push(c));
  const rep = r.finish();
  closeSync(text);
  closeSync(mm);
  const ids = r.recordedIds();
  const next = nextUses(ids, ids.length, rep.pages);
  const oracle = openSync(files.oracle + ".tmp", "w");
  for (let i = 0; i < ids.length; i += 1 << 18) writeSync(oracle, encodeOracleRange(ids, next, i, Math.min(ids.length, i + (1 << 18)), (id) => r.index.keyHalves(id), 4096));
  closeSync(oracle);
  for (const f of Object.values(files)) renameSync(f + ".tmp", f);
}

function streamFile(file: string, push: (c: Uint8Array) => void): void {
  const fd = openSync(file, "r");
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    const n = readSync(fd, buf, 0, CHUNK, null);
    if (n === 0) break;
    push(buf.subarray(0, n));
  }
  closeSync(fd);
}

/**
 * Reads `file` in READ_CHUNK pieces with the next read in flight (on libuv's thread pool) while
 * the current piece is parsed, as the CLI's read stream does.
 */
async function streamFileOverlapped(file: string, push: (c: Uint8Array) => void): Promise<void> {
  const fh = await open(file, "r");
  const bufs = [new Uint8Array(READ_CHUNK), new Uint8Array(READ_CHUNK)];
  let cur = 0;
  let pending = fh.read(bufs[0]!, 0, READ_CHUNK, null);
  for (;;) {
    const { bytesRead } = await pending;
    if (bytesRead === 0) break;
    const b = bufs[cur]!;
    cur ^= 1;
    pending = fh.read(bufs[cur]!, 0, READ_CHUNK, null);
    push(b.subarray(0, bytesRead));
  }
  await fh.close();
}

/** mmsim: LRU at FRAMES frames, end to end from the file; returns requests/s and counts. */
async function mmsimRun(file: string, format: TraceFormat): Promise<{ rate: number; requests: number; misses: number }> {
  const t0 = performance.now();
  const r = new Replay({ format, jobs: [{ policy: "lru", frames: FRAMES }] });
  await streamFileOverlapped(file, (c) => r.push(c));
  const rep = r.finish();
  const s = (performance.now() - t0) / 1000;
  return { rate: rep.requests / s, requests: rep.requests, misses: rep.results[0]!.misses };
}

/** libCacheSim's cachesim: its own throughput line ("throughput X MQPS") and miss ratio. */
function cachesimRun(bin: string, file: string, type: string): { rate: number; requests: number; missRatio: number; line: string } {
  // cwd: cachesim appends its result to FILE.cachesim in the working directory
  const r = spawnSync(bin, [file, type, "lru", String(FRAMES), "--ignore-obj-size", "1"], { encoding: "utf8", maxBuffer: 1 << 26, cwd: DIR });
  const line = r.stdout.split("\n").find((l) => l.includes("throughput")) ?? "";
  const m = /(\d+) req, miss ratio ([\d.]+), throughput ([\d.]+) MQPS/.exec(line);
  if (!m) throw new Error(`cachesim printed no throughput line: ${r.stdout.slice(-500)} ${r.stderr.slice(-500)}`);
  return { rate: Number(m[3]) * 1e6, requests: Number(m[1]), missRatio: Number(m[2]), line: line.trim() };
}

function findCachesim(): string | null {
  if (process.env.LIBCACHESIM_CACHESIM && existsSync(process.env.LIBCACHESIM_CACHESIM)) return process.env.LIBCACHESIM_CACHESIM;
  const built = join(DIR, "libCacheSim-build", "bin", "cachesim");
  if (existsSync(built)) return built;
  const src = process.env.LIBCACHESIM_SRC;
  if (!src || !existsSync(join(src, "CMakeLists.txt"))) return null;
  console.log(`building libCacheSim's cachesim from ${src} (Release, -O3)`);
  const b = join(DIR, "libCacheSim-build");
  mkdirSync(b, { recursive: true });
  execFileSync("cmake", ["-S", src, "-B", b, "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_C_FLAGS_RELEASE=-O3 -DNDEBUG", "-DCMAKE_CXX_FLAGS_RELEASE=-O3 -DNDEBUG"], { stdio: "ignore" });
  execFileSync("make", ["-C", b, "-j2", "cachesim"], { stdio: "ignore" });
  return existsSync(built) ? built : null;
}

const mib = (n: number) => `${(n / 1e6).toFixed(1)} M/s`;
const cachesim = findCachesim();
const best = { oracle: 0, text: 0, mmsim: 0, lackey: 0, lcsOracle: 0, lcsText: 0 };
let requests = 0;
let misses = 0;
let lcsLines: string[] = [];
for (let run = 0; run < RUNS; run++) {
  for (const format of ["oracle", "text", "mmsim", "lackey"] as const) {
    const r = await mmsimRun(format === "lackey" ? lackey : files[format], format);
    best[format] = Math.max(best[format], r.rate);
    requests = r.requests;
    misses = r.misses;
  }
  if (cachesim) {
    const o = cachesimRun(cachesim, files.oracle, "oracleGeneral");
    const t = cachesimRun(cachesim, files.text, "txt");
    best.lcsOracle = Math.max(best.lcsOracle, o.rate);
    best.lcsText = Math.max(best.lcsText, t.rate);
    lcsLines = [o.line, t.line];
    if (o.requests !== requests || Math.abs(o.missRatio - misses / requests) > 1e-4) throw new Error(`cachesim disagrees: ${o.line} vs mmsim ${requests} requests, ${misses} misses`);
  }
  console.log(`run ${run + 1}/${RUNS}: mmsim oracle ${mib(best.oracle)}, text ${mib(best.text)}, mmsim ${mib(best.mmsim)}, lackey ${mib(best.lackey)}; cachesim oracle ${mib(best.lcsOracle)}, txt ${mib(best.lcsText)}`);
}

const figuresFile = join(HERE, "libcachesim.json");
let lcs: { oracleGeneral: number; txt: number; measured: string; lines: string[] };
if (cachesim) {
  lcs = { oracleGeneral: best.lcsOracle, txt: best.lcsText, measured: "this run", lines: lcsLines };
  writeFileSync(figuresFile, JSON.stringify({ cachesim, frames: FRAMES, requests, ...lcs, measured: new Date().toISOString() }, null, 2) + "\n");
} else {
  if (!existsSync(figuresFile)) throw new Error(`no cachesim (set LIBCACHESIM_CACHESIM or LIBCACHESIM_SRC) and no ${figuresFile}`);
  lcs = { ...(JSON.parse(readFileSync(figuresFile, "utf8")) as typeof lcs), measured: `read from ${figuresFile}` };
}

const results = [
  { name: `replay lru ${FRAMES} frames, oracleGeneral, end to end`, opsPerSec: Math.round(best.oracle), libCacheSim: Math.round(lcs.oracleGeneral), ratio: best.oracle / lcs.oracleGeneral, target: 2, met: best.oracle >= 2 * lcs.oracleGeneral },
  { name: `replay lru ${FRAMES} frames, text trace, parsing included`, opsPerSec: Math.round(best.text), libCacheSim: Math.round(lcs.txt), ratio: best.text / lcs.txt, target: 5, met: best.text >= 5 * lcs.txt },
  { name: `replay lru ${FRAMES} frames, mmsim binary trace`, opsPerSec: Math.round(best.mmsim) },
  { name: `replay lru ${FRAMES} frames, lackey text trace`, opsPerSec: Math.round(best.lackey) },
];
for (const r of results) {
  const vs = "libCacheSim" in r ? `  libCacheSim ${mib(r.libCacheSim!)}  x${r.ratio!.toFixed(2)} (target x${r.target}) ${r.met ? "ok" : "MISSED"}` : "";
  console.log(`${r.name.padEnd(52)} ${mib(r.opsPerSec).padStart(10)}${vs}`);
}
writeFileSync(join(HERE, "results.json"), JSON.stringify({ node: process.version, trace: lackey, requests, frames: FRAMES, runs: RUNS, libCacheSim: lcs, results }, null, 2) + "\n");
console.log(`wrote ${join(HERE, "results.json")} (${requests} requests${requests < MIN_REQUESTS ? `, FEWER than the ${MIN_REQUESTS} asked` : ""})`);
