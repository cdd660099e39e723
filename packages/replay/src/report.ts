// How a replay is shown: a table of exact counts (the CLI's text output), the same as a JSON
// object for scripts, and the sizes at which a whole LRU curve is tabulated.

import type { ReplayResult } from "./replay";

/** Everything the report shows about one trace and its runs. */
export interface ReplaySummary {
  trace: string;
  format: string;
  /** bytes per page for address formats, 0 for page numbers/object ids */
  pageSize: number;
  requests: number;
  pages: number;
  results: ReplayResult[];
  /** misses at 0..pages frames (index = frames), from the one-pass LRU curve */
  lruCurve?: ArrayLike<number>;
}

/** Miss ratio as printed: 6 decimals, as a fraction of requests (0 for an empty trace). */
export function missRatio(misses: number, requests: number): string {
  return requests === 0 ? "0.000000" : (misses / requests).toFixed(6);
}

/**
 * Frame counts at which to tabulate a whole curve: 1, 2, 3, 4, then about four per octave
 * (rounded), always ending with `pages` (where only cold misses remain).
 */
export function curveSizes(pages: number): number[] {
  const out: number[] = [];
  for (let f = 1; f <= Math.min(4, pages); f++) out.push(f);
  for (let x = 4; x < pages; x *= 2 ** 0.25) {
    const f = Math.round(x);
    if (f > out[out.length - 1]! && f < pages) out.push(f);
  }
  if (pages > 0 && out[out.length - 1] !== pages) out.push(pages);
  return out;
}

/** The text report: a header line, then one row per run (or per tabulated curve size). */
export function formatReplay(s: ReplaySummary): string {
  const unit = s.pageSize ? `${s.pageSize}-byte pages` : "page numbers";
  const lines = [`${s.trace} (${s.format}, ${unit}): ${s.requests} requests, ${s.pages} distinct pages`];
  const rows: string[][] = [["policy", "frames", "requests", "hits", "misses", "cold", "miss-ratio"]];
  for (const r of s.results) rows.push([r.policy, `${r.frames}`, `${r.requests}`, `${r.hits}`, `${r.misses}`, `${r.coldMisses}`, missRatio(r.misses, r.requests)]);
  if (s.lruCurve) {
    for (const f of curveSizes(s.pages)) {
      const m = s.lruCurve[f]!;
      rows.push(["lru", `${f}`, `${s.requests}`, `${s.requests - m}`, `${m}`, `${s.pages}`, missRatio(m, s.requests)]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) lines.push(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
  if (s.results.some((r) => r.policy === "s3fifo" && Math.floor(r.frames * 0.1) < 2)) {
    lines.push("(s3fifo caches nothing below 20 frames with the default 10 % small queue: as in libCacheSim, a page enters the small FIFO only when it has 2 frames or more)");
  }
  if (s.results.some((r) => r.policy === "2q" && Math.floor(r.frames * 0.25) < 1)) {
    lines.push("(2q caches nothing below 4 frames with the default Kin of 25 %: A1in needs a frame, as in libCacheSim)");
  }
  if (s.lruCurve) lines.push(`(exact LRU misses at every size from 1 to ${s.pages} frames in one pass, Mattson's stack algorithm; all of them with --json)`);
  return lines.join("\n") + "\n";
}

/** The JSON report: counts as numbers, the whole curve as arrays. */
export function replayJson(s: ReplaySummary): object {
  const curve = s.lruCurve;
  return {
    trace: s.trace,
    format: s.format,
    pageSize: s.pageSize,
    requests: s.requests,
    pages: s.pages,
    results: s.results.map((r) => ({ ...r, missRatio: r.requests ? r.misses / r.requests : 0 })),
    ...(curve ? { lruCurve: { frames: Array.from({ length: s.pages }, (_, i) => i + 1), misses: Array.from({ length: s.pages }, (_, i) => curve[i + 1]!) } } : {}),
  };
}
