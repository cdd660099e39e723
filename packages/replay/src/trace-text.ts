// Plain text traces: one reference per line, a page number (or, with `textAddresses`, a byte
// address divided by the page size), decimal or 0x-prefixed hex, up to 2^64 - 1, as
// libCacheSim's txt reader (strtoull) reads object ids. Blank lines and lines starting with
// '#' are skipped; spaces, tabs and a '\r' around the number are allowed.
//
//   4096          page 4096
//   0x7ffd1000    page 0x7ffd1000 (or page 0x7ffd1 with --text-addresses and 4 KiB pages)

import { HEX_DIGIT, LineParser, TWO_32 as TWO_32_, pageShiftOf, type BatchSink, type TraceOptions } from "./trace";
import type { KeyIndex } from "./key-index";

const CH_NL = 0x0a;
const CH_CR = 0x0d;
const CH_TAB = 0x09;
const CH_SPACE = 0x20;
const CH_HASH = 0x23;
const CH_0 = 0x30;
const CH_X = 0x78;

// Local copies of the shared tables (docs/design/performance.md: an imported binding costs a
// module-cell load on every use in the parse loop).
const TWO_32 = TWO_32_;
const HEX = HEX_DIGIT;

/** Parser of one-number-per-line traces (see the file header). */
export class TextParser extends LineParser {
  readonly format = "text";
  private readonly shift: number;

  constructor(index: KeyIndex, sink: BatchSink, opts: TraceOptions = {}) {
    super(index, sink, opts.file);
    this.shift = opts.textAddresses ? pageShiftOf(opts.pageSize ?? 4096) : 0;
  }

  protected parseLines(buf: Uint8Array, start: number, end: number): void {
    const index = this.index;
    const shift = this.shift;
    const batch = this.batch;
    const last = batch.length;
    let n = this.n;
    let line = this.line;
    let p = start;
    while (p < end) {
      let c = buf[p]!;
      const lineStart = p;
      while (c === CH_SPACE || c === CH_TAB) c = buf[++p]!;
      if (c === CH_NL || c === CH_HASH || (c === CH_CR && buf[p + 1] === CH_NL)) {
        while (buf[p] !== CH_NL) p++;
        p++;
        line++;
        continue;
      }
      let hi = 0;
      let lo = 0;
      let digits = 0;
      if (c === CH_0 && (buf[p + 1] === CH_X || buf[p + 1] === 0x58)) {
        p += 2;
        for (;;) {
          const d = HEX[buf[p]!]!;
          if (d < 0) break;
          if (hi >>> 28 !== 0) this.fail(`number larger than 2^64 - 1: ${this.lineText(buf, lineStart)}`, line);
          hi = ((hi << 4) | (lo >>> 28)) >>> 0;
          lo = ((lo << 4) | d) >>> 0;
          p++;
          digits++;
        }
      } else {
        for (;;) {
          const d = buf[p]! - CH_0;
          if (d < 0 || d > 9) break;
          const t = lo * 10 + d;
          if (t < TWO_32) {
            lo = t;
            hi *= 10;
          } else {
            const carry = Math.floor(t / TWO_32);
            lo = t - carry * TWO_32;
            hi = hi * 10 + carry;
          }
          if (hi >= TWO_32) this.fail(`number larger than 2^64 - 1: ${this.lineText(buf, lineStart)}`, line);
          p++;
          digits++;
        }
      }
      c = buf[p]!;
      while (c === CH_SPACE || c === CH_TAB || c === CH_CR) c = buf[++p]!;
      if (digits === 0 || c !== CH_NL) {
        this.fail(`not a page number or address: ${this.lineText(buf, lineStart)} (expected one decimal or 0x-hex number per line)`, line);
      }
      p++;
      line++;
      if (shift !== 0) {
        lo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
        hi = hi >>> shift;
      }
      batch[n++] = index.intern(hi, lo);
      if (n === last) {
        this.n = n;
        this.flush();
        n = 0;
      }
    }
    this.n = n;
    this.line = line;
  }
}
