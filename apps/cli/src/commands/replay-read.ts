// Reading a trace file for mmsim replay: chunks of its bytes, decompressed when it starts with
// gzip's or zstd's magic, with the bytes read reported for the progress bar; and that bar, one
// line on stderr.
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";
import { InputError } from "@mmsim/base";
import type { CliIo } from "../io";

/** Bytes read from the trace file per chunk. */
const CHUNK_BYTES = 1 << 20;
/** gzip's magic bytes (RFC 1952 section 2.3.1). */
const GZIP_MAGIC = [0x1f, 0x8b];
/** A Zstandard frame's magic number 0xFD2FB528, little-endian (RFC 8878 section 3.1.1). */
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Reads the first bytes of trace `file` into `magic` and returns how many it got: an InputError
 * naming the file when it cannot be read (missing, a directory, no permission), so a command can
 * check its trace before it sizes a progress bar or boots a machine.
 */
export function traceMagic(file: string, magic = new Uint8Array(4)): number {
  try {
    if (file === "") bad("cannot read trace \"\": an empty file name");
    if (statSync(file).isDirectory()) bad(`cannot read trace ${file}: is a directory`);
    const fd = openSync(file, "r");
    const got = readSync(fd, magic, 0, magic.length, 0);
    closeSync(fd);
    return got;
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    return bad(`cannot read trace ${file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
}

/** Yields the trace's bytes in chunks, decompressed when the file starts with gzip's or zstd's magic. */
export async function* readTrace(file: string, progress: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  const magic = new Uint8Array(4);
  const got = traceMagic(file, magic);
  const raw = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  let read = 0;
  raw.on("data", (c) => progress((read += c.length)));
  const is = (m: number[]) => got >= m.length && m.every((b, i) => magic[i] === b);
  let produced = 0;
  try {
    if (is(GZIP_MAGIC)) {
      for await (const chunk of raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES }))) {
        produced += (chunk as Uint8Array).length;
        yield chunk as Uint8Array;
      }
    } else if (is(ZSTD_MAGIC)) {
      const out: Uint8Array[] = [];
      const z = new Decompress((chunk) => out.push(chunk));
      for await (const chunk of raw) {
        z.push(chunk as Uint8Array);
        for (const c of out.splice(0)) {
          produced += c.length;
          yield c;
        }
      }
      z.push(new Uint8Array(0), true);
      for (const c of out.splice(0)) yield c;
    } else {
      for await (const chunk of raw) yield chunk as Uint8Array;
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    const kind = is(GZIP_MAGIC) ? "gzip" : "zstd";
    const why = (e as NodeJS.ErrnoException).code === "Z_BUF_ERROR" ? "unexpected end of file" : (e as Error).message;
    bad(`${file}: truncated or corrupt ${kind} file (${why}) after ${produced} uncompressed bytes`);
  } finally {
    raw.destroy();
  }
}

/** A one-line progress bar on stderr, redrawn at most every 100 ms. */
export class ProgressBar {
  private last = 0;
  private drawn = false;
  constructor(
    private readonly io: CliIo,
    private readonly total: number,
    private readonly on: boolean,
  ) {}
  update(bytes: number): void {
    const now = Date.now();
    if (!this.on || now - this.last < 100) return;
    this.last = now;
    const frac = this.total ? Math.min(1, bytes / this.total) : 1;
    const width = 30;
    const full = Math.round(frac * width);
    this.io.err(`\rreplay [${"#".repeat(full)}${".".repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%`);
    this.drawn = true;
  }
  done(): void {
    if (this.drawn) this.io.err(`\r${" ".repeat(48)}\r`);
    this.drawn = false;
  }
}

function bad(message: string): never {
  throw new InputError(message);
}
