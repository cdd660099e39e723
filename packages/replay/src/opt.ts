// OPT, Belady's MIN (1966): on a miss with every frame full, evict the page whose next use is
// farthest in the future (or never comes). It needs the whole trace: the next use of every
// request is computed in one backward pass (nextUses), then a max-heap keyed by each resident
// page's next use picks the victim in O(log frames). Pages never used again tie at "never";
// which of them goes does not change any count. libCacheSim's Belady.c does the same with
// the next_access_vtime field of oracleGeneral records.
//
//   heap[0] = page used farthest in the future     pos[id] = its slot in heap, -1 if absent

import { BUG } from "@mmsim/base";
import { Policy, type PolicyName } from "./policy";

/**
 * next[i] = index of the next request to the same page as request i, or n if there is none;
 * one backward pass with the last position of each of the `distinct` ids.
 */
export function nextUses(ids: Int32Array, n: number, distinct: number): Int32Array {
  const next = new Int32Array(n);
  const seen = new Int32Array(distinct).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    const id = ids[i]!;
    next[i] = seen[id]!;
    seen[id] = i;
  }
  return next;
}

/** Belady's OPT; access() only counts requests, simulate() replays the recorded trace. */
export class OptPolicy extends Policy {
  readonly name: PolicyName = "opt";
  private requests = 0;
  private size = 0;
  private heap = new Int32Array(0);
  private pos = new Int32Array(0);
  private key = new Int32Array(0);

  reserve(): void {}

  /** Counts the requests; the replay records the ids and calls simulate() at the end. */
  access(_ids: Int32Array, n: number): void {
    this.requests += n;
  }

  /** Replays ids[0..n) with their next uses (nextUses()), counting hits and misses. */
  simulate(ids: Int32Array, n: number, next: Int32Array, distinct: number): void {
    if (n !== this.requests) BUG("opt.simulate", `recorded ${n} requests, counted ${this.requests}`);
    const frames = this.frames;
    const heap = (this.heap = new Int32Array(Math.min(frames, distinct) + 1));
    const pos = (this.pos = new Int32Array(distinct).fill(-1));
    const key = (this.key = new Int32Array(distinct));
    let size = 0;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]!;
      const k = next[i]!;
      let at: number;
      if (pos[x]! >= 0) {
        hits++;
        at = pos[x]!;
        key[x] = k; // the key only grows: sift up
      } else {
        if (size === frames) {
          // replace the root (the farthest next use) by x and sift down
          pos[heap[0]!] = -1;
          heap[0] = x;
          pos[x] = 0;
          key[x] = k;
          let j = 0;
          for (;;) {
            const l = 2 * j + 1;
            if (l >= size) break;
            const r = l + 1;
            const c = r < size && key[heap[r]!]! > key[heap[l]!]! ? r : l;
            if (key[heap[c]!]! <= k) break;
            heap[j] = heap[c]!;
            pos[heap[j]!] = j;
            j = c;
          }
          heap[j] = x;
          pos[x] = j;
          continue;
        }
        at = size++;
        heap[at] = x;
        key[x] = k;
      }
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (key[heap[parent]!]! >= k) break;
        heap[at] = heap[parent]!;
        pos[heap[at]!] = at;
        at = parent;
      }
      heap[at] = x;
      pos[x] = at;
    }
    this.size = size;
    this.hits = hits;
    this.misses = n - hits;
  }

  resident(): number {
    return this.size;
  }

  verify(): void {
    for (let j = 1; j < this.size; j++) {
      if (this.key[this.heap[j]!]! > this.key[this.heap[(j - 1) >> 1]!]!) BUG("opt.verify", `heap order broken at slot ${j}`);
      if (this.pos[this.heap[j]!] !== j) BUG("opt.verify", `pos of page ${this.heap[j]} is not ${j}`);
    }
    if (this.size > this.frames) BUG("opt.verify", `${this.size} resident pages in ${this.frames} frames`);
  }
}
