/**
 * The CS:APP cache lab's reference simulator, csim-ref: replays a valgrind lackey trace
 * (" L addr,size", " S ...", " M ..." = load then store; "I" lines ignored) through a cache of
 * 2^s sets x E lines x 2^b bytes (@mmsim/hardware's CpuCache) and prints
 * "hits:H misses:M evictions:E". Reproduced from the lab's binary: getopt("s:E:b:t:vh") with
 * atoi values, 0 for s, E or b counting as missing, usage text then exit status 0 on every
 * usage path, lines read by fgets into a 1000-byte buffer and parsed by
 * sscanf(buf + 3, "%llx,%u") (a failed parse keeps the previous address), and the
 * ".csim_results" file its test driver reads.
 */
import { InputError } from "@mmsim/base";
import { CACHE_EVICT, CACHE_HIT, CpuCache } from "@mmsim/hardware";
import type { ProgramResult } from "./py-io";

/** fgets' buffer in csim-ref's replayTrace: lines are read 999 bytes at a time. */
const LINE_BUF = 1000;
const TWO_32 = 4294967296;
const INT32_MAX = 2147483647;

/** What runCsim leaves: the streams and status, and the text of .csim_results (null if none). */
export interface CsimResult extends ProgramResult {
  csimResults: string | null;
}

/** The usage text csim-ref prints for -h, a bad option or a missing argument. */
export function csimUsage(argv0: string): string {
  return (
    `Usage: ${argv0} [-hv] -s <num> -E <num> -b <num> -t <file>\n` +
    "Options:\n" +
    "  -h         Print this help message.\n" +
    "  -v         Optional verbose flag.\n" +
    "  -s <num>   Number of set index bits.\n" +
    "  -E <num>   Number of lines per set.\n" +
    "  -b <num>   Number of block offset bits.\n" +
    "  -t <file>  Trace file.\n" +
    "\nExamples:\n" +
    `  linux>  ${argv0} -s 4 -E 1 -b 4 -t traces/yi.trace\n` +
    `  linux>  ${argv0} -v -s 8 -E 2 -b 4 -t traces/yi.trace\n`
  );
}

/** C's atoi on glibc: leading space, a sign, digits; saturates at the int range. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s)!;
  let v = 0;
  for (const d of m[2]) {
    v = v * 10 + (d.charCodeAt(0) - 48);
    if (v > INT32_MAX + 1) break;
  }
  if (m[1] === "-") return v > INT32_MAX + 1 ? -INT32_MAX - 1 : -v;
  return v > INT32_MAX ? INT32_MAX : v;
}

/**
 * Runs csim-ref on `argv` (the arguments after the program name). `readTrace` returns the
 * trace file's bytes, or an error string as strerror() gives it ("No such file or directory").
 * `argv0` is the name printed in usage and errors. Throws InputError for a geometry the
 * original has undefined behaviour on (negative s, E or b) or that is too large to model.
 */
export function runCsim(argv: readonly string[], readTrace: (path: string) => Uint8Array | string, argv0 = "./csim-ref", sink?: (text: string) => void): CsimResult {
  let s = 0;
  let E = 0;
  let b = 0;
  let trace: string | null = null;
  let verbose = false;
  let stdout = "";
  const usage = (stderr = ""): CsimResult => ({ stdout: stdout + csimUsage(argv0), stderr, status: 0, csimResults: null });

  // GNU getopt: options anywhere (non-options skipped), clusters, "--" ends the options
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg.length < 2 || arg[0] !== "-") continue;
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j];
      if (c === "v") verbose = true;
      else if (c === "h") return usage();
      else if (c === "s" || c === "E" || c === "b" || c === "t") {
        let value: string;
        if (j + 1 < arg.length) value = arg.slice(j + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        else return usage(`${argv0}: option requires an argument -- '${c}'\n`);
        if (c === "s") s = atoi(value);
        else if (c === "E") E = atoi(value);
        else if (c === "b") b = atoi(value);
        else trace = value;
        break;
      } else return usage(`${argv0}: invalid option -- '${c}'\n`);
    }
  }
  if (s === 0 || E === 0 || b === 0 || trace === null) {
    stdout = `${argv0}: Missing required command line argument\n`;
    return usage();
  }
  if (s < 0 || E < 0 || b < 0) throw new InputError(`csim-ref's behaviour is undefined for negative -s, -E or -b (got -s ${s} -E ${E} -b ${b})`);
  const cache = new CpuCache({ setBits: s, ways: E, blockBits: b });

  const data = readTrace(trace);
  if (typeof data === "string") return { stdout: "", stderr: `${trace}: ${data}\n`, status: 1, csimResults: null };
  stdout = replay(cache, data, verbose, sink);
  const h = cache.hits | 0;
  const m = cache.misses | 0;
  const e = cache.evictions | 0;
  stdout += `hits:${h} misses:${m} evictions:${e}\n`;
  if (sink) {
    sink(stdout);
    stdout = "";
  }
  return { stdout, stderr: "", status: 0, csimResults: `${h} ${m} ${e}\n` };
}

/** The parse state sscanf leaves between lines: csim-ref's address and size are not reset. */
interface Scan {
  hi: number;
  lo: number;
  size: number;
}

/** Bytes of the verbose words (ASCII). */
const HIT = [104, 105, 116, 32]; // "hit "
const MISS = [109, 105, 115, 115, 32]; // "miss "
const EVICTION = [101, 118, 105, 99, 116, 105, 111, 110, 32]; // "eviction "
const OUT_BLOCK = 1 << 16;

/**
 * stdout as csim-ref's stdio buffer: ASCII bytes in a block, decoded to text when the block
 * fills (to `sink`, or kept), so a verbose replay builds no string per line.
 */
class OutBuf {
  private readonly buf = new Uint8Array(OUT_BLOCK);
  private pos = 0;
  private kept = "";
  private readonly decoder = new TextDecoder("latin1");

  constructor(private readonly sink?: (text: string) => void) {}

  /** room for one verbose line (at most 60 bytes) */
  reserve(): void {
    if (this.pos > OUT_BLOCK - 64) this.flush();
  }

  byte(c: number): void {
    this.buf[this.pos++] = c;
  }

  bytes(a: readonly number[]): void {
    for (let k = 0; k < a.length; k++) this.buf[this.pos++] = a[k];
  }

  /** %llx of hi * 2^32 + lo */
  hex64(hi: number, lo: number): void {
    if (hi !== 0) {
      this.hex32(hi, false);
      this.hex32(lo, true);
    } else this.hex32(lo, false);
  }

  private hex32(v: number, pad: boolean): void {
    let shift = 28;
    if (!pad) while (shift > 0 && (v >>> shift) === 0) shift -= 4;
    for (; shift >= 0; shift -= 4) {
      const d = (v >>> shift) & 15;
      this.buf[this.pos++] = d < 10 ? 48 + d : 87 + d;
    }
  }

  /** %u */
  dec(v: number): void {
    if (v >= 10) this.dec(Math.floor(v / 10));
    this.buf[this.pos++] = 48 + (v % 10);
  }

  flush(): void {
    if (this.pos === 0) return;
    const text = this.decoder.decode(this.buf.subarray(0, this.pos));
    this.pos = 0;
    if (this.sink) this.sink(text);
    else this.kept += text;
  }

  /** Everything written and not handed to the sink. */
  text(): string {
    this.flush();
    return this.kept;
  }
}

/** replayTrace: every fgets chunk whose second byte is S, L or M is one or two accesses. */
function replay(cache: CpuCache, data: Uint8Array, verbose: boolean, sink?: (text: string) => void): string {
  const buf = new Uint8Array(LINE_BUF);
  const st: Scan = { hi: 0, lo: 0, size: 0 };
  const out = new OutBuf(sink);
  let pos = 0;
  while (pos < data.length) {
    // fgets: up to 999 bytes, through the newline, then a NUL; the rest of buf keeps old bytes
    let n = 0;
    while (n < LINE_BUF - 1 && pos < data.length) {
      const c = data[pos++];
      buf[n++] = c;
      if (c === 10) break;
    }
    buf[n] = 0;
    const op = buf[1];
    if (op !== 83 && op !== 76 && op !== 77) continue; // 'S' 'L' 'M'
    scanAddrSize(buf, 3, st);
    if (verbose) {
      out.reserve();
      out.byte(op);
      out.byte(32);
      out.hex64(st.hi, st.lo);
      out.byte(44);
      out.dec(st.size);
      out.byte(32);
    }
    let r = cache.access(st.hi, st.lo);
    if (verbose) describe(out, r);
    if (op === 77) {
      r = cache.access(st.hi, st.lo);
      if (verbose) describe(out, r);
    }
    if (verbose) out.byte(10);
  }
  return out.text();
}

function describe(out: OutBuf, r: number): void {
  if (r === CACHE_HIT) out.bytes(HIT);
  else {
    out.bytes(MISS);
    if (r & CACHE_EVICT) out.bytes(EVICTION);
  }
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
/** Hex digit values by byte, -1 for a non-digit (byte 256: the guard past a 1000-byte buffer). */
const HEX = new Int8Array(257).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;
const hexVal = (c: number) => HEX[c];

/**
 * sscanf(buf + at, "%llx,%u", &addr, &size) on glibc: each conversion skips space, takes a
 * sign, (for %llx) an optional 0x, and digits, saturating as strtoull/strtoul (32-bit) do; a
 * conversion that finds no digits stops the scan and leaves its variable (and the rest) as is.
 */
function scanAddrSize(buf: Uint8Array, at: number, st: Scan): void {
  let i = at;
  while (isSpace(buf[i])) i++;
  let neg = false;
  if (buf[i] === 43 || buf[i] === 45) neg = buf[i++] === 45;
  if (buf[i] === 48 && (buf[i + 1] | 0x20) === 120 && hexVal(buf[i + 2]) >= 0) i += 2;
  if (hexVal(buf[i]) < 0) return;
  let hi = 0;
  let lo = 0;
  let over = false;
  for (let d = hexVal(buf[i]); d >= 0; d = hexVal(buf[++i])) {
    if (hi >= 0x10000000) over = true;
    hi = ((hi << 4) | (lo >>> 28)) >>> 0;
    lo = ((lo << 4) | d) >>> 0;
  }
  if (over) hi = lo = 0xffffffff;
  else if (neg && (hi | lo) !== 0) {
    // two's complement negation mod 2^64
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  st.hi = hi;
  st.lo = lo;
  if (buf[i] !== 44) return; // ','
  i++;
  while (isSpace(buf[i])) i++;
  let sneg = false;
  if (buf[i] === 43 || buf[i] === 45) sneg = buf[i++] === 45;
  if (!(buf[i] >= 48 && buf[i] <= 57)) return;
  let v = 0;
  for (; buf[i] >= 48 && buf[i] <= 57; i++) v = Math.min(v * 10 + (buf[i] - 48), TWO_32);
  // strtoul on a 32-bit long: out of range gives ULONG_MAX; "-n" is 2^32 - n
  st.size = v >= TWO_32 ? TWO_32 - 1 : sneg ? (TWO_32 - v) % TWO_32 : v;
}
