// Choosing a trace parser: by name, or by looking at the first bytes of the trace.

import { InputError } from "@mmsim/base";
import type { KeyIndex } from "./key-index";
import { LackeyParser } from "./trace-lackey";
import { MMSIM_MAGIC, MmsimParser } from "./trace-mmsim";
import { OracleParser } from "./trace-oracle";
import { TextParser } from "./trace-text";
import { TRACE_FORMATS, type BatchSink, type TraceFormat, type TraceOptions, type TraceParser } from "./trace";

/** A parser of `format` feeding `sink` with ids from `index`. */
export function createTraceParser(format: TraceFormat, index: KeyIndex, sink: BatchSink, opts: TraceOptions = {}): TraceParser {
  switch (format) {
    case "lackey":
      return new LackeyParser(index, sink, opts);
    case "text":
      return new TextParser(index, sink, opts);
    case "oracle":
      return new OracleParser(index, sink, opts);
    case "mmsim":
      return new MmsimParser(index, sink, opts);
    default:
      throw new InputError(`unknown trace format "${format as string}": expected one of ${TRACE_FORMATS.join(", ")}`);
  }
}

/**
 * Guesses the format from the first bytes of the (decompressed) trace: the mmsim magic; a
 * valgrind or lackey line ("==", "I  ", " L ", " S ", " M "); digits or "0x" on text lines;
 * anything else with bytes outside printable ASCII is taken as oracleGeneral. Returns null
 * when it cannot tell.
 */
export function detectFormat(head: Uint8Array): TraceFormat | null {
  if (head.length >= MMSIM_MAGIC.length && MMSIM_MAGIC.every((b, i) => head[i] === b)) return "mmsim";
  const s = String.fromCharCode(...head.subarray(0, Math.min(head.length, 256)));
  if (/^(==\d+==|I {2}[0-9a-fA-F]| [LSM] [0-9a-fA-F])/.test(s)) return "lackey";
  if (/^(\s*(#[^\n]*|0[xX][0-9a-fA-F]+|\d+)?\s*\n)*\s*(0[xX][0-9a-fA-F]*|\d*)$/.test(s) && /\d/.test(s)) return "text";
  // eslint-disable-next-line no-control-regex
  if (head.length >= 24 && /[^\x09\x0a\x0d\x20-\x7e]/.test(s)) return "oracle";
  return null;
}
