// mmsim replay --kernel: the trace drives one task of a booted kernel (the machine flags), through
// the MMU, the TLB and the page faults (@mmsim/kernel TraceReplay). Two passes over the file:
// the first finds the distinct pages (and which ones instructions were fetched from) to map them
// before the replay, the second replays every access in batches. Memory stays flat in the trace
// length: the page index and one address per distinct page.
import { statSync } from "node:fs";
import { InputError, formatSize } from "@mmsim/base";
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE } from "@mmsim/hardware";
import { TraceReplay, traceRanges, type Kernel, type TraceReplayReport } from "@mmsim/kernel";
import { BATCH_REQUESTS, KeyIndex, REF_FETCH, createTraceParser, type TraceFormat } from "@mmsim/replay";
import type { CliIo } from "../io";
import { bootMachine, type MachineFlags } from "./machine-flags";
import { ProgressBar, readTrace } from "./replay-read";

/** The x86-64 base page: the kernel replay maps and translates 4 KiB pages. */
const PAGE = 4096;

/** The hardware access of each lackey reference kind (REF_LOAD, REF_STORE, REF_MODIFY, REF_FETCH). */
const ACCESS_OF_REF = Uint8Array.of(ACCESS_READ, ACCESS_WRITE, ACCESS_WRITE, ACCESS_EXEC);

/** How the trace is read (the replay command's parsed flags). */
export interface KernelReplayInput {
  file: string;
  format: TraceFormat;
  pageSize: number;
  textAddresses: boolean;
  instructions: boolean;
  progress: boolean;
}

/** What a kernel replay prints. */
interface KernelReplaySummary {
  trace: string;
  format: string;
  references: number;
  pages: number;
  machine: { ram: number; swap: number; cpus: number };
  pid: number;
  cpu: number;
  report: TraceReplayReport;
}

/** Runs the replay and prints its report (text or --json). */
export async function kernelReplay(t: KernelReplayInput, machine: MachineFlags, json: boolean, io: CliIo): Promise<void> {
  const addresses = t.format === "lackey" || t.textAddresses;
  if (addresses && t.pageSize !== PAGE) throw new InputError(`--kernel translates 4096-byte pages: --page-size ${t.pageSize} cannot be used with it`);
  const opts = { pageSize: PAGE, textAddresses: t.textAddresses, instructions: t.instructions, file: t.file, kinds: true };
  const total = statSync(t.file).size * 2;
  const bar = new ProgressBar(io, total, t.progress || io.isTTY);
  try {
    // the machine first: a bad machine flag is reported before the trace is read
    const k: Kernel = bootMachine(io, machine);
    // pass 1: the distinct pages, and the ones instructions were fetched from
    const index = new KeyIndex();
    let exec = new Uint8Array(1 << 12);
    const scan = createTraceParser(t.format, index, (ids, n, kinds) => {
      if (index.size > exec.length) {
        const bigger = new Uint8Array(Math.max(index.size, exec.length * 2));
        bigger.set(exec);
        exec = bigger;
      }
      if (kinds !== null) for (let i = 0; i < n; i++) if (kinds[i] === REF_FETCH) exec[ids[i]!] = 1;
    }, opts);
    for await (const chunk of readTrace(t.file, (b) => bar.update(b))) scan.push(chunk);
    scan.end();
    const pages = index.size;
    const pageAddr = new Float64Array(pages);
    for (let id = 0; id < pages; id++) pageAddr[id] = index.keyOf(id) * PAGE;
    const ranges = traceRanges(Float64Array.from(pageAddr, (a) => a / PAGE), exec, pages);

    // the task with the trace's pages mapped
    const replay = TraceReplay.start(k, ranges);

    // pass 2: every access, a batch at a time
    const addrs = new Float64Array(BATCH_REQUESTS);
    const acc = new Uint8Array(BATCH_REQUESTS);
    const run = createTraceParser(t.format, index, (ids, n, kinds) => {
      if (!replay.alive) return;
      for (let i = 0; i < n; i++) addrs[i] = pageAddr[ids[i]!]!;
      if (kinds !== null) for (let i = 0; i < n; i++) acc[i] = ACCESS_OF_REF[kinds[i]!]!;
      else acc.fill(ACCESS_WRITE, 0, n);
      replay.run(addrs, acc, n);
    }, opts);
    const half = total / 2;
    for await (const chunk of readTrace(t.file, (b) => bar.update(half + b))) {
      run.push(chunk);
      if (!replay.alive) break;
    }
    if (replay.alive) run.end();
    const c = k.config;
    const s: KernelReplaySummary = {
      trace: t.file, format: t.format, references: scan.requests, pages,
      machine: { ram: c.ram, swap: c.swap, cpus: c.cpus }, pid: replay.task.pid, cpu: replay.task.cpu, report: replay.report(),
    };
    bar.done();
    io.out(json ? JSON.stringify(kernelJson(s)) + "\n" : formatKernelReplay(s));
  } finally {
    bar.done();
  }
}

/** The text report: what was mapped, then one count per line. */
function formatKernelReplay(s: KernelReplaySummary): string {
  const r = s.report;
  const swap = s.machine.swap ? `, ${formatSize(s.machine.swap)} swap` : "";
  const lines = [
    `${s.trace} (${s.format}): ${s.references} references, ${s.pages} distinct pages`,
    `task ${s.pid} on CPU ${s.cpu} of ${s.machine.cpus}, ${formatSize(s.machine.ram)} RAM${swap}: ${r.vmas} VMAs, ${r.mappedKb} kB mapped`,
  ];
  const rows: [string, string, string?][] = [
    ["accesses", `${r.accesses}`, `(loads ${r.loads}, stores ${r.stores}, instruction fetches ${r.fetches})`],
    ["pgfault", `${r.pgfault}`],
    ["pgmajfault", `${r.pgmajfault}`],
    ["pswpin", `${r.pswpin}`],
    ["dTLB-loads", `${r.dtlbLoads}`, "(translations: an access, and once more after its page fault)"],
    ["dTLB-load-misses", `${r.dtlbLoadMisses}`],
    ["dTLB-stores", `${r.dtlbStores}`],
    ["dTLB-store-misses", `${r.dtlbStoreMisses}`],
    ["iTLB-loads", `${r.itlbLoads}`],
    ["iTLB-load-misses", `${r.itlbLoadMisses}`],
    ["page-walks", `${r.pageWalks}`],
    ["VmRSS", `${r.rssKb} kB`],
    ["VmPTE", `${r.pageTablesKb} kB`],
    ["time", `${(r.ns / 1e9).toFixed(9)} s`, "(simulated)"],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  for (const [name, value, note] of rows) lines.push(`${name.padEnd(w0)}  ${value.padStart(w1)}${note ? `  ${note}` : ""}`);
  const sig = r.signal;
  if (sig !== null) {
    const at = `access ${sig.access} (page 0x${sig.addr.toString(16)})`;
    if (sig.oom) {
      lines.push(`out of memory at ${at}: no free page${s.machine.swap ? "" : " and no swap"}, and reclaim is not built yet: the OOM kill ends the task (+++ killed by SIGKILL +++)`);
    } else {
      lines.push(`--- ${sig.name} {si_signo=${sig.name}, si_code=${sig.codeName}, si_addr=0x${sig.addr.toString(16)}} --- at ${at}`);
      lines.push(`+++ killed by ${sig.name} +++`);
    }
  }
  return lines.join("\n") + "\n";
}

/** The JSON report: the same counts as numbers. */
function kernelJson(s: KernelReplaySummary): object {
  const { signal, ...counts } = s.report;
  return { trace: s.trace, format: s.format, mode: "kernel", references: s.references, pages: s.pages, machine: s.machine, pid: s.pid, cpu: s.cpu, ...counts, signal };
}
