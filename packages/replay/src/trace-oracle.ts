// libCacheSim's oracleGeneral binary trace (traceReader/customizedReader/oracle/
// oracleGeneralBin.h): packed little-endian records of 24 bytes, no header.
//
//   offset  0  uint32  clock_time           (seconds; mmsim writes 0)
//   offset  4  uint64  obj_id               (the page number)
//   offset 12  uint32  obj_size             (bytes; a record of size 0 is skipped, as
//                                            libCacheSim's reader does by default)
//   offset 16  int64   next_access_vtime    (index of the next request to obj_id, -1 if none)
//
// The reader uses obj_id only: mmsim's opt computes next uses itself. The writer fills
// next_access_vtime in one backward pass, so libCacheSim's Belady can run on the same file.

import { TraceParser, type BatchSink, type TraceOptions } from "./trace";
import type { KeyIndex } from "./key-index";
import { nextUses } from "./opt";

/** Bytes per oracleGeneral record (oracleGeneralBin_setup: item_size = 24). */
export const ORACLE_RECORD_BYTES = 24;

/** Parser of oracleGeneral files (see the file header). */
export class OracleParser extends TraceParser {
  readonly format = "oracle";
  private carry = new Uint8Array(ORACLE_RECORD_BYTES);
  private carryLen = 0;

  constructor(index: KeyIndex, sink: BatchSink, opts: TraceOptions = {}) {
    super(index, sink, opts.file);
  }

  push(chunk: Uint8Array): void {
    let p = 0;
    const len = chunk.length;
    if (this.carryLen > 0) {
      const take = Math.min(ORACLE_RECORD_BYTES - this.carryLen, len);
      this.carry.set(chunk.subarray(0, take), this.carryLen);
      this.carryLen += take;
      p = take;
      if (this.carryLen < ORACLE_RECORD_BYTES) {
        this.bytes += len;
        return;
      }
      this.records(this.carry, 0, ORACLE_RECORD_BYTES);
      this.carryLen = 0;
    }
    const whole = p + Math.floor((len - p) / ORACLE_RECORD_BYTES) * ORACLE_RECORD_BYTES;
    this.records(chunk, p, whole);
    if (whole < len) {
      this.carry.set(chunk.subarray(whole, len));
      this.carryLen = len - whole;
    }
    this.bytes += len;
    this.flush();
  }

  end(): void {
    this.flush();
    if (this.carryLen > 0) {
      const offset = this.bytes - this.carryLen;
      this.fail(`truncated oracleGeneral record at byte offset ${offset}: ${this.carryLen} of ${ORACLE_RECORD_BYTES} bytes`);
    }
  }

  private records(buf: Uint8Array, from: number, to: number): void {
    if ((buf.byteOffset + from) % 4 === 0 && LITTLE_ENDIAN) return this.alignedRecords(new Uint32Array(buf.buffer, buf.byteOffset + from, (to - from) >>> 2));
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const index = this.index;
    const batch = this.batch;
    const last = batch.length;
    let n = this.n;
    for (let p = from; p < to; p += ORACLE_RECORD_BYTES) {
      if (view.getUint32(p + 12, true) === 0) continue;
      batch[n++] = index.intern(view.getUint32(p + 8, true), view.getUint32(p + 4, true));
      if (n === last) {
        this.n = n;
        this.flush();
        n = 0;
      }
    }
    this.n = n;
  }

  /** The same over 4-byte-aligned records seen as 6 words: [time, id lo, id hi, size, next lo, next hi]. */
  private alignedRecords(w: Uint32Array): void {
    const index = this.index;
    const batch = this.batch;
    const last = batch.length;
    let n = this.n;
    for (let k = 0; k < w.length; k += 6) {
      if (w[k + 3] === 0) continue;
      batch[n++] = index.intern(w[k + 2]!, w[k + 1]!);
      if (n === last) {
        this.n = n;
        this.flush();
        n = 0;
      }
    }
    this.n = n;
  }
}

/** Whether this host stores a Uint32Array little-endian (every host mmsim runs on; checked). */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Encodes a whole trace of page ids as oracleGeneral records (24 bytes each) with
 * next_access_vtime filled by one backward pass; `keyOf(id)` gives each id's 64-bit key as
 * [hi, lo]. obj_size is `objSize` (the page size, so no record is skipped as size 0).
 */
export function encodeOracle(ids: Int32Array, n: number, keyOf: (id: number) => [number, number], objSize: number): Uint8Array {
  let distinct = 0;
  for (let i = 0; i < n; i++) if (ids[i]! >= distinct) distinct = ids[i]! + 1;
  const trace = ids.subarray(0, n);
  return encodeOracleRange(trace, nextUses(trace, n, distinct), 0, n, keyOf, objSize);
}

/**
 * Records [from, to) of a trace whose next uses are `next` (nextUses(): ids.length = none),
 * so a long trace can be written in pieces.
 */
export function encodeOracleRange(ids: Int32Array, next: Int32Array, from: number, to: number, keyOf: (id: number) => [number, number], objSize: number): Uint8Array {
  const out = new Uint8Array((to - from) * ORACLE_RECORD_BYTES);
  const view = new DataView(out.buffer);
  const none = ids.length;
  for (let i = from; i < to; i++) {
    const [hi, lo] = keyOf(ids[i]!);
    const p = (i - from) * ORACLE_RECORD_BYTES;
    view.setUint32(p + 4, lo, true);
    view.setUint32(p + 8, hi, true);
    view.setUint32(p + 12, objSize, true);
    const nx = next[i]!;
    if (nx >= none) {
      view.setInt32(p + 16, -1, true);
      view.setInt32(p + 20, -1, true);
    } else {
      view.setUint32(p + 16, nx, true);
    }
  }
  return out;
}
