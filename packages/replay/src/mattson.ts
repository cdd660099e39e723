// The exact LRU miss-ratio curve for every number of frames in one pass: Mattson, Gecsei,
// Slutz & Traiger's stack algorithm (IBM Systems Journal, 1970). LRU has the inclusion
// property, so a request hits in c frames iff its stack distance (the number of distinct pages
// referenced since the previous reference to the same page, plus one) is at most c:
//
//   misses(c) = cold misses + #{requests with stack distance > c}
//
// Distances come from a Fenwick (binary indexed) tree over time: each page keeps one marker at
// the time of its latest reference, and the distance is the number of markers after the
// page's previous one, so each request costs O(log n). Time positions are renumbered densely
// when the tree fills, so memory follows the number of distinct pages, not the trace length.

import { BUG } from "@mmsim/base";
import { grown } from "./policy";

/** Smallest Fenwick tree (positions); doubled while more than half holds live markers. */
const MIN_POSITIONS = 1 << 16;

/** Stack-distance histogram of a trace, fed in batches like a policy. */
export class MattsonLru {
  /** requests seen */
  requests = 0;
  /** first references (misses at every size) */
  cold = 0;
  /** hist[d] = requests with stack distance d (d >= 1) */
  hist = new Float64Array(1024);
  private tree = new Int32Array(MIN_POSITIONS + 1);
  /** time position (1-based) of each page's latest reference, 0 = never referenced */
  private last = new Int32Array(1024);
  /** page at each position, for renumbering */
  private pageAt = new Int32Array(MIN_POSITIONS + 1);
  private t = 1;

  reserve(ids: number): void {
    this.last = grown(this.last, ids);
    this.hist = grown(this.hist, ids + 2);
  }

  access(ids: Int32Array, n: number): void {
    let tree = this.tree;
    const last = this.last;
    const hist = this.hist;
    let size = tree.length - 1;
    let t = this.t;
    let cold = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]!;
      const p = last[x]!;
      if (p === 0) {
        cold++;
      } else {
        // markers in (p, t): prefix(t - 1) - prefix(p); then drop the marker at p
        let s = 0;
        for (let j = t - 1; j > 0; j -= j & -j) s += tree[j]!;
        for (let j = p; j > 0; j -= j & -j) s -= tree[j]!;
        hist[s + 1]++;
        for (let j = p; j <= size; j += j & -j) tree[j]!--;
      }
      for (let j = t; j <= size; j += j & -j) tree[j]!++;
      last[x] = t;
      this.pageAt[t] = x;
      if (++t > size) {
        t = this.renumber(t);
        tree = this.tree;
        size = tree.length - 1;
      }
    }
    this.t = t;
    this.cold += cold;
    this.requests += n;
  }

  /** Gives the live markers positions 1..live in time order; returns the next free position. */
  private renumber(t: number): number {
    const last = this.last;
    const pageAt = this.pageAt;
    let live = 0;
    for (let pos = 1; pos < t; pos++) {
      const x = pageAt[pos]!;
      if (last[x] === pos) {
        live++;
        last[x] = live;
        pageAt[live] = x;
      }
    }
    let size = this.tree.length - 1;
    while (live * 2 > size) size *= 2;
    if (size + 1 !== this.pageAt.length) {
      const bigger = new Int32Array(size + 1);
      bigger.set(pageAt.subarray(0, live + 1));
      this.pageAt = bigger;
    }
    // a tree of `live` ones, built in O(size)
    const tree = new Int32Array(size + 1);
    for (let j = 1; j <= live; j++) tree[j] = 1;
    for (let j = 1; j <= size; j++) {
      const up = j + (j & -j);
      if (up <= size) tree[up] += tree[j]!;
    }
    this.tree = tree;
    return live + 1;
  }

  /** misses[c] for c = 0..maxFrames (misses[0] = requests): cold + requests with distance > c. */
  missCurve(maxFrames: number): Float64Array {
    const out = new Float64Array(maxFrames + 1);
    let beyond = 0;
    for (let d = this.hist.length - 1; d > maxFrames; d--) beyond += this.hist[d]!;
    for (let c = maxFrames; c >= 1; c--) {
      out[c] = this.cold + beyond;
      beyond += this.hist[c]!;
    }
    out[0] = this.requests;
    if (this.cold + beyond !== this.requests) BUG("MattsonLru.missCurve", `histogram sums to ${this.cold + beyond}, ${this.requests} requests`);
    return out;
  }
}
