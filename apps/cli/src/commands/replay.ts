// mmsim replay: a memory trace through page-replacement policies, with exact counts. This file
// owns what a browser cannot do: files, gzip (node:zlib), worker threads for sweeps, the
// progress bar. Parsing and every policy live in @mmsim/replay.
import { realpathSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { Command } from "commander";
import { createUserFile, writeUserFile, type CliIo } from "../io";
import { ProgressBar, readTrace, traceMagic } from "./replay-read";
import { kernelReplay } from "./replay-kernel";
import { addMachineFlags, type MachineFlags } from "./machine-flags";
import { InputError } from "@mmsim/base";
import {
  MmsimEncoder, POLICY_NAMES, Replay, TRACE_FORMATS, detectFormat, encodeOracleRange, formatReplay, missRatioSvg, nextUses, replayJson,
  type PolicyName, type PolicyOptions, type ReplayJob, type ReplayResult, type ReplaySummary, type TraceFormat,
} from "@mmsim/replay";

/** The hidden command a sweep's worker threads run (they load this same CLI file). */
const WORKER_COMMAND = "__replay-worker";
/** oracleGeneral records encoded per write when converting (6 MiB). */
const ORACLE_PIECE = 1 << 18;

interface ReplayFlags extends MachineFlags {
  kernel?: boolean;
  policy: string;
  frames?: string;
  format?: string;
  pageSize: string;
  textAddresses?: boolean;
  instructions: boolean;
  clockUse: string;
  kin: string;
  kout: string;
  s3fifoSmall: string;
  s3fifoGhost: string;
  s3fifoThreshold: string;
  json?: boolean;
  plot?: string;
  threads?: string;
  progress?: boolean;
  convert?: string;
  output?: string;
}

/** What one thread replays: the trace, how to read it, its runs. */
interface Task {
  file: string;
  format: TraceFormat;
  pageSize: number;
  textAddresses: boolean;
  instructions: boolean;
  options: PolicyOptions;
  jobs: ReplayJob[];
  lruCurve: boolean;
}

interface TaskOutcome {
  requests: number;
  pages: number;
  results: ReplayResult[];
  lruCurve?: Float64Array;
}

export function registerReplay(program: Command, io: CliIo): void {
  program
    .command(WORKER_COMMAND, { hidden: true })
    .action(async () => {
      if (isMainThread || !parentPort) throw new InputError(`${WORKER_COMMAND} is internal to mmsim replay`);
      const port = parentPort;
      try {
        const out = await runTask(workerData as Task, (b) => port.postMessage({ kind: "progress", bytes: b }));
        port.postMessage({ kind: "done", out });
      } catch (e) {
        port.postMessage({ kind: "error", input: e instanceof InputError, message: (e as Error).message });
      }
    });

  const cmd = program
    .command("replay")
    .description("replay a memory trace through page-replacement policies and print exact hit and miss counts, or (--kernel) as a task of the simulated kernel")
    .argument("<trace>", "the trace file (plain, gzip or zstd)")
    .option("--kernel", "replay the trace as one task of a booted kernel: MMU, TLB and page faults (the machine flags below apply)")
    .option("-p, --policy <list>", `policies, comma-separated: ${POLICY_NAMES.join(", ")}`, "lru")
    .option("-f, --frames <list>", 'numbers of page frames, comma-separated, or "all" (lru: every size in one pass)')
    .option("--format <name>", `trace format: ${TRACE_FORMATS.join(", ")} (default: detected from the first bytes)`)
    .option("--page-size <bytes>", "page size for address traces (a power of two)", "4096")
    .option("--text-addresses", "text traces hold byte addresses, not page numbers")
    .option("--no-instructions", "lackey: leave out instruction fetches (I lines)")
    .option("--clock-use <0|1>", "clock: use bit of a newly loaded page (0 as libCacheSim)", "0")
    .option("--kin <fraction>", "2q: A1in's share of the frames", "0.25")
    .option("--kout <fraction>", "2q: A1out's share of the frames (ghost entries)", "0.5")
    .option("--s3fifo-small <fraction>", "s3fifo: the small FIFO's share of the frames", "0.1")
    .option("--s3fifo-ghost <fraction>", "s3fifo: the ghost FIFO's share of the frames", "0.9")
    .option("--s3fifo-threshold <n>", "s3fifo: hits in the small FIFO that promote a page to main", "2")
    .option("--json", "print the counts as JSON")
    .option("--plot <file.svg>", "draw the miss-ratio curves of the policies in one SVG")
    .option("--threads <n>", "worker threads for a sweep (default: one per core)")
    .option("--progress", "show a progress bar on stderr even when it is not a terminal")
    .option("--convert <format>", "instead of replaying, write the trace in another format: text, mmsim, oracle")
    .option("-o, --output <file>", "the file --convert writes");
  addMachineFlags(cmd)
    .addHelpText("after", HELP)
    .action(async (trace: string, flags: ReplayFlags) => {
      const base = await baseTask(trace, flags);
      const machine = MACHINE_FLAGS.filter((m) => flags[m] !== undefined);
      if (flags.kernel) {
        const other = flags.frames !== undefined ? "--frames" : flags.policy !== "lru" ? "--policy" : flags.plot !== undefined ? "--plot" : flags.convert !== undefined ? "--convert" : null;
        if (other !== null) bad(`${other} is for the replacement-only replay: --kernel replays through the kernel's MMU and page faults`);
        const input = { file: base.file, format: base.format, pageSize: base.pageSize, textAddresses: base.textAddresses, instructions: base.instructions, progress: !!flags.progress };
        return kernelReplay(input, flags, !!flags.json, io);
      }
      if (machine.length > 0) bad(`--${machine[0]} describes the machine of a --kernel replay: add --kernel`);
      if (flags.convert !== undefined) return convert(base, flags, io);
      const { jobs, lruCurve } = parseRuns(flags);
      const outcome = await runSweep({ ...base, jobs, lruCurve }, flags, io);
      const summary: ReplaySummary = {
        trace,
        format: base.format,
        pageSize: base.format === "lackey" || base.textAddresses ? base.pageSize : 0,
        requests: outcome.requests,
        pages: outcome.pages,
        results: outcome.results,
        lruCurve: outcome.lruCurve,
      };
      io.out(flags.json ? JSON.stringify(replayJson(summary)) + "\n" : formatReplay(summary));
      if (flags.plot) writeUserFile(io, flags.plot, "--plot file", plot(summary));
    });
}

/** The machine flags (machine-flags.ts), which only a --kernel replay takes. */
const MACHINE_FLAGS = ["ram", "cpus", "nodes", "swap", "paging", "arch", "sysctl", "config", "seed"] as const;

const HELP = `
Formats (gzip and zstd of each are read too; --format picks one, else the first bytes tell):
  lackey   valgrind --tool=lackey --trace-mem=yes output; each line references the pages its
           bytes cover (--page-size, default 4096); valgrind's "==PID==" lines are skipped
             I  0401ab70,3
              L 1fff000688,8
  text     one page number per line, decimal or 0x hex (byte addresses with --text-addresses)
             4097
             0x7ffd1
  oracle   libCacheSim's oracleGeneral binary: 24-byte records (u32 time, u64 obj_id, u32 size,
           i64 next access); the same file runs in libCacheSim's cachesim
             mmsim replay t.lackey --convert oracle -o t.oracleGeneral
  mmsim    mmsim's compact binary: "MMSIMTR1" header, then a u32 page id per request (a new
           page's id is followed by its 64-bit page number); fastest to replay
             mmsim replay t.lackey --convert mmsim -o t.mmt

Policies: fifo, lru, clock, opt (Belady's MIN), arc (Megiddo & Modha), 2q (Johnson & Shasha),
lru-linux (Linux's active/inactive lists, mm/vmscan.c), s3fifo, sieve. Counts are exact and
equal libCacheSim's for the policies it has (docs/design/replay.md).

--kernel: the trace is run by one task of a simulated Linux machine (--ram, --swap, --cpus,
--sysctl...): every access is translated by the MMU through the TLB of the task's CPU, and
pages are faulted in on first touch (the zero page on a read, a new page on a write). Before
the replay the task maps each run of pages the trace touches as one private anonymous
read-write VMA (executable where lackey's I lines fetch from); the program's real layout (text,
heap, stack, files) is not modelled. Lackey's L is a load, S a store, M one write access (a
read-modify-write is checked for writing), I an instruction fetch through the TLB (counted as
iTLB; --no-instructions drops them); text, oracle and mmsim references are stores to 4 KiB page
numbers (or byte addresses with --text-addresses). Two passes over the file. Prints pgfault,
pgmajfault, pswpin, dTLB and iTLB accesses and misses, page walks, the task's VmRSS and VmPTE,
and the simulated time. Without reclaim (not built yet) a trace larger than RAM ends with the
OOM kill of the task at the access that found no page; a page below vm.mmap_min_addr needs
--sysctl vm.mmap_min_addr=0.

Examples:
  valgrind --tool=lackey --trace-mem=yes --log-file=ls.lackey ls /usr/share/doc
  mmsim replay ls.lackey --policy fifo,lru,opt --frames 16,32,64
  mmsim replay ls.lackey --frames all                    exact LRU misses at every size
  mmsim replay ls.lackey -p lru,arc,s3fifo -f 8,16,32,64,128 --plot curves.svg
  mmsim replay ls.lackey --kernel --ram 1GiB             faults, TLB misses, RSS of the task`;

async function baseTask(file: string, f: ReplayFlags): Promise<Omit<Task, "jobs" | "lruCurve">> {
  const pageSize = positiveInt("--page-size", f.pageSize);
  const clockUse = f.clockUse === "0" ? 0 : f.clockUse === "1" ? 1 : bad(`invalid --clock-use "${f.clockUse}": expected 0 or 1`);
  const options: PolicyOptions = {
    clockInitialUse: clockUse,
    twoQKin: fraction("--kin", f.kin),
    twoQKout: fraction("--kout", f.kout),
    s3fifoSmall: fraction("--s3fifo-small", f.s3fifoSmall),
    s3fifoGhost: fraction("--s3fifo-ghost", f.s3fifoGhost),
    s3fifoThreshold: positiveInt("--s3fifo-threshold", f.s3fifoThreshold),
  };
  let format = f.format as TraceFormat | undefined;
  if (format !== undefined && !TRACE_FORMATS.includes(format)) bad(`invalid --format "${format}": expected one of ${TRACE_FORMATS.join(", ")}`);
  traceMagic(file); // a trace that cannot be read is named now, with or without --format
  if (format === undefined) {
    for await (const head of readTrace(file, () => {})) {
      format = detectFormat(head) ?? bad(`cannot tell the format of ${file}: give --format (${TRACE_FORMATS.join(", ")})`);
      break;
    }
    format ??= "text";
  }
  return { file, format, pageSize, textAddresses: !!f.textAddresses, instructions: f.instructions, options };
}

function parseRuns(f: ReplayFlags): { jobs: ReplayJob[]; lruCurve: boolean } {
  const policies = f.policy.split(",").map((p) => p.trim());
  for (const p of policies) if (!POLICY_NAMES.includes(p as PolicyName)) bad(`invalid --policy "${p}": expected ${POLICY_NAMES.join(", ")}`);
  if (f.frames === undefined) bad(`missing --frames: give numbers of page frames (e.g. --frames 16,64) or "all"`);
  if (f.frames.trim() === "all") {
    if (policies.length !== 1 || policies[0] !== "lru") bad(`--frames all computes LRU's curve in one pass: use it with --policy lru`);
    return { jobs: [], lruCurve: true };
  }
  const frames = f.frames.split(",").map((s) => positiveInt("--frames", s.trim()));
  return { jobs: policies.flatMap((policy) => frames.map((n) => ({ policy: policy as PolicyName, frames: n }))), lruCurve: false };
}

async function runTask(t: Task, progress: (bytes: number) => void): Promise<TaskOutcome> {
  const r = new Replay({ format: t.format, pageSize: t.pageSize, textAddresses: t.textAddresses, instructions: t.instructions, file: t.file, jobs: t.jobs, options: t.options, lruCurve: t.lruCurve });
  for await (const chunk of readTrace(t.file, progress)) r.push(chunk);
  const rep = r.finish();
  return { requests: rep.requests, pages: rep.pages, results: rep.results, lruCurve: rep.lruCurve };
}

/** Runs the task on the main thread, or split over worker threads when there are several runs. */
async function runSweep(task: Task, f: ReplayFlags, io: CliIo): Promise<TaskOutcome> {
  const cores = f.threads !== undefined ? positiveInt("--threads", f.threads) : availableParallelism();
  // workers run the bin again (its hidden worker command): only when this process is the
  // built bin; in-process (tests, from source) the sweep runs on this thread
  const bin = builtBin();
  const threads = bin ? Math.min(cores, task.jobs.length) : 1;
  const total = statSync(task.file).size;
  const bar = new ProgressBar(io, total * Math.max(1, threads), !!f.progress || io.isTTY);
  if (threads <= 1) {
    try {
      return await runTask(task, (b) => bar.update(b));
    } finally {
      bar.done();
    }
  }
  // deal the runs round-robin so every thread gets a mix of policies and sizes
  const parts: ReplayJob[][] = Array.from({ length: threads }, () => []);
  task.jobs.forEach((j, i) => parts[i % threads]!.push(j));
  const seen = new Array<number>(threads).fill(0);
  try {
    const outs = await Promise.all(
      parts.map(
        (jobs, k) =>
          new Promise<TaskOutcome>((resolve, reject) => {
            const w = new Worker(bin!, { argv: [WORKER_COMMAND], workerData: { ...task, jobs } satisfies Task });
            w.on("message", (m: { kind: string; bytes?: number; out?: TaskOutcome; input?: boolean; message?: string }) => {
              if (m.kind === "progress") {
                seen[k] = m.bytes!;
                bar.update(seen.reduce((a, b) => a + b, 0));
              } else if (m.kind === "done") resolve(m.out!);
              else reject(m.input ? new InputError(m.message!) : new Error(m.message));
            });
            w.on("error", reject);
            w.on("exit", (code) => reject(new Error(`replay worker ${k} exited (code ${code}) without a result`)));
          }),
      ),
    );
    // put the results back in the order the runs were asked for
    const results: ReplayResult[] = [];
    task.jobs.forEach((_, i) => results.push(outs[i % threads]!.results[Math.floor(i / threads)]!));
    return { requests: outs[0]!.requests, pages: outs[0]!.pages, results };
  } finally {
    bar.done();
  }
}

async function convert(base: Omit<Task, "jobs" | "lruCurve">, f: ReplayFlags, io: CliIo): Promise<void> {
  const to = f.convert as TraceFormat;
  if (!["text", "mmsim", "oracle"].includes(to)) bad(`invalid --convert "${f.convert}": expected text, mmsim or oracle`);
  if (!f.output) bad(`--convert needs --output FILE`);
  const out = createUserFile(io, f.output, "--output file");
  try {
    const enc = new MmsimEncoder();
    const pageSize = base.format === "lackey" || base.textAddresses ? base.pageSize : 0;
    if (to === "mmsim") out.write(enc.header(pageSize));
    const r: Replay = new Replay({
      ...base,
      jobs: [],
      record: to === "oracle",
      onBatch: (ids, n) => {
        if (to === "mmsim") out.write(enc.encode(ids, n, (id) => r.index.keyHalves(id)));
        else if (to === "text") {
          let s = "";
          for (let i = 0; i < n; i++) s += r.index.keyOf(ids[i]!) + "\n";
          out.write(s);
        }
      },
    });
    for await (const chunk of readTrace(base.file, () => {})) r.push(chunk);
    const rep = r.finish();
    if (to === "oracle") {
      // next uses need the whole trace (4 + 4 bytes per request); the records go out in pieces
      const ids = r.recordedIds();
      const next = nextUses(ids, ids.length, rep.pages);
      for (let i = 0; i < ids.length; i += ORACLE_PIECE) {
        out.write(encodeOracleRange(ids, next, i, Math.min(ids.length, i + ORACLE_PIECE), (id) => r.index.keyHalves(id), pageSize || 1));
      }
    }
    io.err(`mmsim: wrote ${rep.requests} requests (${rep.pages} distinct pages) to ${f.output} (${to})\n`);
  } finally {
    out.close();
  }
}

function plot(s: ReplaySummary): string {
  const byPolicy = new Map<string, { frames: number; ratio: number }[]>();
  for (const r of s.results) {
    if (!byPolicy.has(r.policy)) byPolicy.set(r.policy, []);
    byPolicy.get(r.policy)!.push({ frames: r.frames, ratio: r.requests ? r.misses / r.requests : 0 });
  }
  if (s.lruCurve) byPolicy.set("lru", Array.from({ length: s.pages }, (_, i) => ({ frames: i + 1, ratio: s.requests ? s.lruCurve![i + 1]! / s.requests : 0 })));
  return missRatioSvg(`miss ratio: ${s.trace}`, [...byPolicy].map(([label, points]) => ({ label, points })));
}

/** The path of the running mmsim bin (dist/cli.js), or null when mmsim runs some other way. */
function builtBin(): string | null {
  const script = process.argv[1];
  if (!script) return null;
  try {
    const real = realpathSync(script);
    return /[\\/]cli\.js$/.test(real) ? real : null;
  } catch {
    return null;
  }
}

function positiveInt(flag: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) bad(`invalid ${flag} "${v}": expected a whole number >= 1`);
  return Number(v);
}

function fraction(flag: string, v: string): number {
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x) || x < 0) bad(`invalid ${flag} "${v}": expected a fraction such as 0.25`);
  return x;
}

function bad(message: string): never {
  throw new InputError(message);
}
