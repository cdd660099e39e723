// mmsim's own compact binary trace: the page ids are stored already dense, so a replay reads
// them without hashing, and each page's 64-bit number is stored once, where it first appears.
//
//   header (16 bytes):  "MMSIMTR1"  u32 pageSize (0: object ids, not pages)  u32 0 (reserved)
//   then per request:   u32 id      ids are numbered 0, 1, 2... in order of first appearance;
//                                   an id equal to the number of ids seen so far is new and is
//                                   followed by u32 lo, u32 hi: its page number
//
// All little-endian. 4 bytes per request against 24 for oracleGeneral and ~15 for lackey text.

import { TraceParser, type BatchSink, type TraceOptions } from "./trace";
import type { KeyIndex } from "./key-index";

/** The 8 magic bytes that open an mmsim trace ("MMSIMTR1"). */
export const MMSIM_MAGIC = Uint8Array.from([0x4d, 0x4d, 0x53, 0x49, 0x4d, 0x54, 0x52, 0x31]);
/** Bytes of the header: magic, page size, reserved word. */
export const MMSIM_HEADER_BYTES = 16;

/** Parser of mmsim binary traces (see the file header). */
export class MmsimParser extends TraceParser {
  readonly format = "mmsim";
  /** the page size recorded in the header (0 until the header is read, or for object ids) */
  pageSize = 0;
  private header = new Uint8Array(MMSIM_HEADER_BYTES);
  private headerLen = 0;
  private carry = new Uint8Array(12);
  private carryLen = 0;

  constructor(index: KeyIndex, sink: BatchSink, opts: TraceOptions = {}) {
    super(index, sink, opts.file);
  }

  push(chunk: Uint8Array): void {
    let p = 0;
    if (this.headerLen < MMSIM_HEADER_BYTES) {
      const take = Math.min(MMSIM_HEADER_BYTES - this.headerLen, chunk.length);
      this.header.set(chunk.subarray(0, take), this.headerLen);
      this.headerLen += take;
      p = take;
      if (this.headerLen < MMSIM_HEADER_BYTES) {
        this.bytes += chunk.length;
        return;
      }
      for (let i = 0; i < MMSIM_MAGIC.length; i++) {
        if (this.header[i] !== MMSIM_MAGIC[i]) this.fail(`not an mmsim trace: the file does not start with "MMSIMTR1"`);
      }
      this.pageSize = new DataView(this.header.buffer).getUint32(8, true);
    }
    // a record split by the previous chunk: complete it byte by byte
    while (this.carryLen > 0 && p < chunk.length) {
      this.carry[this.carryLen++] = chunk[p++]!;
      if (this.carryLen >= 4) {
        const need = this.recordBytes(this.carry, 0);
        if (this.carryLen === need) {
          this.records(this.carry, 0, need, this.bytes + p - need);
          this.carryLen = 0;
        }
      }
    }
    const end = this.records(chunk, p, chunk.length, this.bytes + p);
    if (end < chunk.length) {
      this.carry.set(chunk.subarray(end));
      this.carryLen = chunk.length - end;
    }
    this.bytes += chunk.length;
    this.flush();
  }

  end(): void {
    this.flush();
    if (this.headerLen < MMSIM_HEADER_BYTES) this.fail(`truncated mmsim trace: ${this.headerLen} of ${MMSIM_HEADER_BYTES} header bytes`);
    if (this.carryLen > 0) {
      this.fail(`truncated mmsim trace record at byte offset ${this.bytes - this.carryLen}: ${this.carryLen} bytes left over`);
    }
  }

  /** Bytes of the record at p (4, or 12 for a new id), given its first 4 bytes. */
  private recordBytes(buf: Uint8Array, p: number): number {
    const id = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
    return id === this.index.size ? 12 : 4;
  }

  /** Parses whole records in [from, to); returns where the first incomplete one starts. */
  private records(buf: Uint8Array, from: number, to: number, fileOffset: number): number {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const index = this.index;
    const batch = this.batch;
    const last = batch.length;
    let n = this.n;
    let distinct = index.size;
    let p = from;
    while (p + 4 <= to) {
      const id = view.getUint32(p, true);
      if (id >= distinct) {
        if (id > distinct) this.fail(`bad mmsim trace record at byte offset ${fileOffset + p - from}: id ${id} but only ${distinct} ids seen so far`);
        if (p + 12 > to) break;
        if (index.intern(view.getUint32(p + 8, true), view.getUint32(p + 4, true)) !== id) {
          this.fail(`bad mmsim trace record at byte offset ${fileOffset + p - from}: page of new id ${id} was already given another id`);
        }
        distinct++;
        p += 12;
      } else {
        p += 4;
      }
      batch[n++] = id;
      if (n === last) {
        this.n = n;
        this.flush();
        n = 0;
      }
    }
    this.n = n;
    return p;
  }
}

/** Streaming writer of the mmsim format: feed it ids and keys, collect the bytes it returns. */
export class MmsimEncoder {
  private seen = 0;

  /** The 16 header bytes for a trace of `pageSize`-byte pages (0: object ids). */
  header(pageSize: number): Uint8Array {
    const h = new Uint8Array(MMSIM_HEADER_BYTES);
    h.set(MMSIM_MAGIC);
    new DataView(h.buffer).setUint32(8, pageSize, true);
    return h;
  }

  /** Encodes n ids (dense, first-appearance order as KeyIndex gives them). */
  encode(ids: Int32Array, n: number, keyOf: (id: number) => [number, number]): Uint8Array {
    let bytes = n * 4;
    for (let i = 0, s = this.seen; i < n; i++) {
      if (ids[i] === s) {
        bytes += 8;
        s++;
      }
    }
    const out = new Uint8Array(bytes);
    const view = new DataView(out.buffer);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      view.setUint32(p, id, true);
      p += 4;
      if (id === this.seen) {
        const [hi, lo] = keyOf(id);
        view.setUint32(p, lo, true);
        view.setUint32(p + 4, hi, true);
        p += 8;
        this.seen++;
      }
    }
    return out;
  }
}
