// valgrind lackey's memory trace (`valgrind --tool=lackey --trace-mem=yes`), one reference
// per line, as lackey's lk_main.c prints it:
//
//   I  0401ab70,3        instruction fetch: "I", two spaces, hex address, comma, size
//    L 1fff000688,8      data load:         space, "L", space, address, size
//    S 1fff000680,8      data store
//    M 0421a6d0,4        modify (load and store of the same bytes): one reference
//   ==12253== ...        valgrind's own commentary: skipped
//
// Each line references the pages its bytes cover: page = address >> log2(pageSize); an access
// that straddles a page boundary references both pages, in address order. Addresses are parsed
// as two 32-bit halves, so all 64 bits are exact.

import {
  HEX_DIGIT, LineParser, REF_FETCH, REF_LOAD, REF_MODIFY, REF_STORE, TWO_32 as TWO_32_, pageShiftOf, type BatchSink, type TraceOptions,
} from "./trace";
import type { KeyIndex } from "./key-index";

const CH_NL = 0x0a;
const CH_CR = 0x0d;
const CH_SPACE = 0x20;
const CH_COMMA = 0x2c;
const CH_EQ = 0x3d;
const CH_I = 0x49;
const CH_L = 0x4c;
const CH_M = 0x4d;
const CH_S = 0x53;

// Local copies of the shared tables (docs/design/performance.md: an imported binding costs a
// module-cell load on every use in the parse loop).
const TWO_32 = TWO_32_;
const HEX = HEX_DIGIT;

/** Parser of lackey output (see the file header). */
export class LackeyParser extends LineParser {
  readonly format = "lackey";
  private readonly shift: number;
  private readonly instructions: boolean;

  constructor(index: KeyIndex, sink: BatchSink, opts: TraceOptions = {}) {
    super(index, sink, opts.file);
    this.shift = pageShiftOf(opts.pageSize ?? 4096);
    this.instructions = opts.instructions ?? true;
    if (opts.kinds) this.kinds = new Uint8Array(this.batch.length);
  }

  protected parseLines(buf: Uint8Array, start: number, end: number): void {
    const index = this.index;
    const shift = this.shift;
    const batch = this.batch;
    const kinds = this.kinds;
    let n = this.n;
    let line = this.line;
    let p = start;
    while (p < end) {
      const c0 = buf[p]!;
      let keep = true;
      let kind = REF_FETCH;
      if (c0 === CH_I && buf[p + 1] === CH_SPACE && buf[p + 2] === CH_SPACE) {
        keep = this.instructions;
      } else if (c0 === CH_SPACE && buf[p + 2] === CH_SPACE) {
        const c1 = buf[p + 1];
        if (c1 === CH_L) kind = REF_LOAD;
        else if (c1 === CH_S) kind = REF_STORE;
        else if (c1 === CH_M) kind = REF_MODIFY;
        else this.badLine(buf, p, line);
      } else if (c0 === CH_EQ && buf[p + 1] === CH_EQ) {
        while (buf[p] !== CH_NL) p++;
        p++;
        line++;
        continue;
      } else if (c0 === CH_NL) {
        p++;
        line++;
        continue;
      } else {
        this.badLine(buf, p, line);
      }
      const lineStart = p;
      p += 3;
      // address: hex digits into two 32-bit halves
      let hi = 0;
      let lo = 0;
      let digits = 0;
      for (;;) {
        const d = HEX[buf[p]!]!;
        if (d < 0) break;
        if (hi >>> 28 !== 0) this.fail(`address longer than 64 bits in ${this.lineText(buf, lineStart)}`, line);
        hi = ((hi << 4) | (lo >>> 28)) >>> 0;
        lo = ((lo << 4) | d) >>> 0;
        p++;
        digits++;
      }
      if (digits === 0 || buf[p] !== CH_COMMA) this.badLine(buf, lineStart, line);
      p++;
      // size: decimal
      let size = 0;
      let sizeDigits = 0;
      for (;;) {
        const d = buf[p]! - 0x30;
        if (d < 0 || d > 9) break;
        size = size * 10 + d;
        p++;
        sizeDigits++;
      }
      if (buf[p] === CH_CR) p++;
      if (sizeDigits === 0 || sizeDigits > 9 || buf[p] !== CH_NL) this.badLine(buf, lineStart, line);
      p++;
      line++;
      if (!keep) continue;
      // first page: (hi, lo) >> shift
      const pHi = shift === 0 ? hi : hi >>> shift;
      const pLo = shift === 0 ? lo : ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      if (kinds !== null) kinds[n] = kind;
      batch[n++] = index.intern(pHi, pLo);
      if (size > 1) {
        // last byte: address + size - 1, carried into the high half
        let eLo = lo + size - 1;
        let eHi = hi;
        if (eLo >= TWO_32) {
          eLo -= TWO_32;
          eHi = (eHi + 1) >>> 0;
        }
        const qHi = shift === 0 ? eHi : eHi >>> shift;
        const qLo = shift === 0 ? eLo : ((eLo >>> shift) | (eHi << (32 - shift))) >>> 0;
        if (qLo !== pLo || qHi !== pHi) {
          // straddles: every following page up to the one holding the last byte
          let cHi = pHi;
          let cLo = pLo;
          do {
            cLo = (cLo + 1) >>> 0;
            if (cLo === 0) cHi = (cHi + 1) >>> 0;
            if (n === batch.length) {
              this.n = n;
              this.flush();
              n = 0;
            }
            if (kinds !== null) kinds[n] = kind;
            batch[n++] = index.intern(cHi, cLo);
          } while (cLo !== qLo || cHi !== qHi);
        }
      }
      if (n >= batch.length - 1) {
        this.n = n;
        this.flush();
        n = 0;
      }
    }
    this.n = n;
    this.line = line;
  }

  private badLine(buf: Uint8Array, p: number, line: number): never {
    this.fail(`not a lackey line: ${this.lineText(buf, p)} (expected "I  ADDR,SIZE" or " L|S|M ADDR,SIZE")`, line);
  }
}
