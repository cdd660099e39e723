// Trace parsing shared by every format: a parser takes the trace as Uint8Array chunks of any
// size (a file streamed by the CLI, a fetch body in a browser), turns each reference into the
// dense id of its page (KeyIndex) and hands the ids on in batches, so memory stays flat however
// long the trace is. Line formats carry a partial last line from one chunk to the next and
// count lines, so a bad line is reported with its number.

import { InputError } from "@mmsim/base";
import type { KeyIndex } from "./key-index";

/** The trace formats mmsim reads (docs/design/replay.md describes each one). */
export type TraceFormat = "lackey" | "text" | "oracle" | "mmsim";

/** Every format, in the order the help text lists them. */
export const TRACE_FORMATS: readonly TraceFormat[] = ["lackey", "text", "oracle", "mmsim"];

/**
 * Receives page ids in batches; `ids` is reused after the call returns. `kinds` (parallel to
 * ids, REF_* values) is given when the parser was asked for kinds and its format has them
 * (lackey), else null.
 */
export type BatchSink = (ids: Int32Array, n: number, kinds: Uint8Array | null) => void;

/** Reference kinds a lackey trace tells apart (TraceOptions.kinds): a data load ( L). */
export const REF_LOAD = 0;
/** A data store ( S). */
export const REF_STORE = 1;
/** A modify ( M): an instruction that loads and stores the same bytes. */
export const REF_MODIFY = 2;
/** An instruction fetch (I). */
export const REF_FETCH = 3;

/** Requests per batch handed to the sink: large enough to amortise the call, small enough for L2. */
export const BATCH_REQUESTS = 1 << 14;

/** What a parser needs besides its bytes. */
export interface TraceOptions {
  /** bytes per page for address formats (lackey; text with `textAddresses`); a power of two */
  pageSize?: number;
  /** text format: the values are byte addresses (divided by pageSize), not page numbers */
  textAddresses?: boolean;
  /** lackey: count instruction fetches (`I` lines); default true */
  instructions?: boolean;
  /** the name shown in error messages */
  file?: string;
  /** hand the sink each reference's kind (REF_*) too; only lackey traces have kinds */
  kinds?: boolean;
}

/** A streaming trace parser: push chunks, then end(). */
export abstract class TraceParser {
  abstract readonly format: TraceFormat;
  /** references parsed so far (one per id handed to the sink) */
  requests = 0;
  /** bytes consumed so far */
  bytes = 0;
  protected batch = new Int32Array(BATCH_REQUESTS);
  /** the kind of each reference in batch, when asked for and the format has kinds */
  protected kinds: Uint8Array | null = null;
  protected n = 0;

  constructor(
    protected readonly index: KeyIndex,
    protected readonly sink: BatchSink,
    protected readonly file: string | undefined,
  ) {}

  /** Parses one chunk; throws InputError naming the line or byte offset of bad input. */
  abstract push(chunk: Uint8Array): void;

  /** Ends the trace: parses a last line without newline, rejects a truncated record. */
  abstract end(): void;

  /** Hands the ids parsed so far to the sink. */
  protected flush(): void {
    if (this.n > 0) {
      this.requests += this.n;
      this.sink(this.batch, this.n, this.kinds);
      this.n = 0;
    }
  }

  protected fail(problem: string, line?: number): never {
    throw new InputError(problem, { file: this.file ?? "trace", line });
  }
}

/** 2^32: the weight of the high 32-bit half when a 64-bit number is parsed as two halves. */
export const TWO_32 = 0x1_0000_0000;

/** The value of a hex digit by byte (0-9, A-F, a-f), -1 for any other byte: the text readers' table. */
export const HEX_DIGIT: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0; c < 10; c++) t[0x30 + c] = c;
  for (let c = 0; c < 6; c++) {
    t[0x41 + c] = 10 + c;
    t[0x61 + c] = 10 + c;
  }
  return t;
})();

/**
 * Base of the line formats: chunks are cut at their last newline, complete lines parsed in
 * place, the tail kept for the next chunk. `parseLines` sees only whole lines, each ended by
 * '\n', and returns nothing; it advances `line`.
 */
export abstract class LineParser extends TraceParser {
  /** number of the next line to parse (1-based) */
  protected line = 1;
  private carry = new Uint8Array(256);
  private carryLen = 0;

  push(chunk: Uint8Array): void {
    let start = 0;
    const len = chunk.length;
    if (this.carryLen > 0) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        this.keep(chunk, 0, len);
        this.bytes += len;
        return;
      }
      this.keep(chunk, 0, nl + 1);
      this.parseLines(this.carry, 0, this.carryLen);
      this.carryLen = 0;
      start = nl + 1;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last >= start) {
      this.parseLines(chunk, start, last + 1);
      start = last + 1;
    }
    if (start < len) this.keep(chunk, start, len);
    this.bytes += len;
    this.flush();
  }

  end(): void {
    if (this.carryLen > 0) {
      this.keep(Uint8Array.of(0x0a), 0, 1);
      this.parseLines(this.carry, 0, this.carryLen);
      this.carryLen = 0;
    }
    this.flush();
  }

  protected abstract parseLines(buf: Uint8Array, start: number, end: number): void;

  private keep(src: Uint8Array, from: number, to: number): void {
    const need = this.carryLen + (to - from);
    if (need > this.carry.length) {
      const bigger = new Uint8Array(Math.max(need, this.carry.length * 2));
      bigger.set(this.carry.subarray(0, this.carryLen));
      this.carry = bigger;
    }
    this.carry.set(src.subarray(from, to), this.carryLen);
    this.carryLen = need;
  }

  /** The text of the line starting at `p` (for error messages), at most 60 characters. */
  protected lineText(buf: Uint8Array, p: number): string {
    let e = p;
    while (e < buf.length && buf[e] !== 0x0a && e - p < 60) e++;
    let s = "";
    for (let i = p; i < e; i++) s += String.fromCharCode(buf[i]!);
    return JSON.stringify(s.replace(/\r$/, ""));
  }
}

/** log2 of a page size, or an InputError if it is not a power of two from 1 to 2^30. */
export function pageShiftOf(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 2 ** 30 || (pageSize & (pageSize - 1)) !== 0) {
    throw new InputError(`invalid page size ${pageSize}: expected a power of two from 1 to 1G`);
  }
  return 31 - Math.clz32(pageSize);
}
