// LRU and FIFO, the two one-list policies. LRU moves a hit page to the head and evicts the
// tail; FIFO leaves hits where they are. LRU's loop is written out with local typed arrays:
// it is the hot path the replay benchmark measures against libCacheSim's LRU.c.
//
//   head(0) <-> MRU <-> ... <-> LRU <-> head(0)        node of page id = id + 1

import { BUG } from "@mmsim/base";
import { Policy, grown, type PolicyName } from "./policy";

/** Least recently used: hit -> head, miss -> evict the tail. */
export class LruPolicy extends Policy {
  readonly name: PolicyName = "lru";
  protected prev = new Int32Array(1024);
  protected next = new Int32Array(1024);
  /** 1 when the page is resident, by node */
  protected present = new Uint8Array(1024);
  protected size = 0;

  reserve(ids: number): void {
    this.prev = grown(this.prev, ids + 1);
    this.next = grown(this.next, ids + 1);
    this.present = grown(this.present, ids + 1);
  }

  access(ids: Int32Array, n: number): void {
    const prev = this.prev;
    const next = this.next;
    const present = this.present;
    const frames = this.frames;
    let size = this.size;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]! + 1;
      if (present[x] === 1) {
        hits++;
        if (next[0] === x) continue;
        const p = prev[x]!;
        const nx = next[x]!;
        next[p] = nx;
        prev[nx] = p;
      } else {
        if (size === frames) {
          const t = prev[0]!;
          const tp = prev[t]!;
          next[tp] = 0;
          prev[0] = tp;
          present[t] = 0;
        } else {
          if (size === 0) {
            next[0] = 0;
            prev[0] = 0;
          }
          size++;
        }
        present[x] = 1;
      }
      const first = next[0]!;
      next[0] = x;
      prev[x] = 0;
      next[x] = first;
      prev[first] = x;
    }
    this.size = size;
    this.hits += hits;
    this.misses += n - hits;
  }

  resident(): number {
    return this.size;
  }

  verify(): void {
    let k = 0;
    for (let x = this.next[0]!; x !== 0; x = this.next[x]!) {
      if (this.present[x] !== 1) BUG(`${this.name}.verify`, `node ${x} on the list but not present`);
      if (this.next[this.prev[x]!] !== x) BUG(`${this.name}.verify`, `broken link at node ${x}`);
      if (++k > this.size) BUG(`${this.name}.verify`, `list longer than ${this.size}`);
    }
    if (k !== this.size || this.size > this.frames) BUG(`${this.name}.verify`, `list has ${k} pages, size says ${this.size} (frames ${this.frames})`);
  }
}

/** First in, first out: a hit changes nothing; a miss evicts the oldest page. */
export class FifoPolicy extends LruPolicy {
  override readonly name: PolicyName = "fifo";

  override access(ids: Int32Array, n: number): void {
    const prev = this.prev;
    const next = this.next;
    const present = this.present;
    const frames = this.frames;
    let size = this.size;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]! + 1;
      if (present[x] === 1) {
        hits++;
        continue;
      }
      if (size === frames) {
        const t = prev[0]!;
        const tp = prev[t]!;
        next[tp] = 0;
        prev[0] = tp;
        present[t] = 0;
      } else {
        if (size === 0) {
          next[0] = 0;
          prev[0] = 0;
        }
        size++;
      }
      present[x] = 1;
      const first = next[0]!;
      next[0] = x;
      prev[x] = 0;
      next[x] = first;
      prev[first] = x;
    }
    this.size = size;
    this.hits += hits;
    this.misses += n - hits;
  }
}
