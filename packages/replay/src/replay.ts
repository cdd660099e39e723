// One replay: a trace parser feeding every requested (policy, frames) run and, optionally,
// the one-pass LRU curve. Each batch of page ids goes to every run in turn, so a sweep parses
// the trace once. OPT needs the whole trace: its runs make the replay record every id (4 bytes
// per request) and are simulated at the end with next uses from one backward pass.

import { InputError } from "@mmsim/base";
import { KeyIndex } from "./key-index";
import { MattsonLru } from "./mattson";
import { OptPolicy, nextUses } from "./opt";
import { createPolicy } from "./policies";
import type { Policy, PolicyName, PolicyOptions } from "./policy";
import { createTraceParser } from "./formats";
import type { TraceFormat, TraceOptions, TraceParser } from "./trace";

/** One run of a sweep: a policy at a number of frames. */
export interface ReplayJob {
  policy: PolicyName;
  frames: number;
}

/** The exact counts of one run. */
export interface ReplayResult {
  policy: PolicyName;
  frames: number;
  requests: number;
  hits: number;
  misses: number;
  /** first references to a page: misses at any number of frames */
  coldMisses: number;
}

/** What a replay needs: the trace's format and options, the runs, and what else to compute. */
export interface ReplayConfig extends TraceOptions {
  format: TraceFormat;
  jobs: readonly ReplayJob[];
  options?: PolicyOptions;
  /** also compute the exact LRU miss curve for every number of frames (Mattson) */
  lruCurve?: boolean;
  /** record every page id (for conversions that need the whole trace) */
  record?: boolean;
  /** called with every batch after the runs saw it (conversions, progress) */
  onBatch?: (ids: Int32Array, n: number) => void;
}

/** The outcome of a replay. */
export interface ReplayReport {
  requests: number;
  /** distinct pages: the cold misses of every run */
  pages: number;
  results: ReplayResult[];
  /** misses at 0..pages frames when lruCurve was asked (index = frames; more frames than pages miss only the cold misses) */
  lruCurve?: Float64Array;
}

/** A streaming replay (see the file header): push() trace chunks, then finish(). */
export class Replay {
  readonly index = new KeyIndex();
  readonly parser: TraceParser;
  private readonly policies: Policy[];
  private readonly mattson: MattsonLru | null;
  private recorded = new Int32Array(0);
  private nRecorded = 0;
  private readonly record: boolean;

  constructor(private readonly config: ReplayConfig) {
    for (const j of config.jobs) {
      if (!Number.isSafeInteger(j.frames) || j.frames < 1) throw new InputError(`invalid number of frames ${j.frames}: expected a whole number >= 1`);
    }
    this.policies = config.jobs.map((j) => createPolicy(j.policy, j.frames, config.options));
    this.mattson = config.lruCurve ? new MattsonLru() : null;
    this.record = !!config.record || this.policies.some((p) => p.name === "opt");
    if (this.record) this.recorded = new Int32Array(1 << 16);
    this.parser = createTraceParser(config.format, this.index, (ids, n) => this.batch(ids, n), config);
  }

  /** Parses and replays one chunk of the trace. */
  push(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  /** Ends the trace and returns the exact counts. */
  finish(): ReplayReport {
    this.parser.end();
    const pages = this.index.size;
    const opts = this.policies.filter((p): p is OptPolicy => p instanceof OptPolicy);
    if (opts.length > 0) {
      const next = nextUses(this.recorded, this.nRecorded, pages);
      for (const p of opts) p.simulate(this.recorded, this.nRecorded, next, pages);
    }
    const requests = this.parser.requests;
    return {
      requests,
      pages,
      results: this.policies.map((p) => ({ policy: p.name, frames: p.frames, requests, hits: p.hits, misses: p.misses, coldMisses: pages })),
      lruCurve: this.mattson?.missCurve(pages),
    };
  }

  /** The recorded page ids (record: true, or an opt run). */
  recordedIds(): Int32Array {
    return this.recorded.subarray(0, this.nRecorded);
  }

  /** Checks every run's invariants. */
  verify(): void {
    for (const p of this.policies) p.verify();
  }

  private batch(ids: Int32Array, n: number): void {
    const pages = this.index.size;
    for (const p of this.policies) {
      p.reserve(pages);
      p.access(ids, n);
    }
    if (this.mattson) {
      this.mattson.reserve(pages);
      this.mattson.access(ids, n);
    }
    if (this.record) {
      if (this.nRecorded + n > this.recorded.length) {
        const bigger = new Int32Array(Math.max(this.nRecorded + n, this.recorded.length * 2));
        bigger.set(this.recorded.subarray(0, this.nRecorded));
        this.recorded = bigger;
      }
      this.recorded.set(ids.subarray(0, n), this.nRecorded);
      this.nRecorded += n;
    }
    this.config.onBatch?.(ids, n);
  }
}

/** Replays a whole in-memory trace (tests, the docs): one push and finish. */
export function replayBytes(bytes: Uint8Array, config: ReplayConfig): ReplayReport {
  const r = new Replay(config);
  r.push(bytes);
  return r.finish();
}
