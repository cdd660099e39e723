// S3-FIFO (Yang et al., SOSP '23), as libCacheSim's S3FIFO.c runs it: three FIFO queues.
//
//   S  small FIFO, floor(0.10 c) frames: new pages enter here, a hit only counts (freq++)
//   M  main FIFO, the other frames: a page leaving S with freq >= 2 moves here (freq 0)
//   G  ghost FIFO of ids, floor(0.90 c) entries: a page leaving S with freq < 2 leaves its id
//
// A miss whose id is in G enters M directly. To free a frame: if M is over its share or S is
// empty, take M's tail: with freq >= 1 it is reinserted at M's head with min(freq, 3) - 1,
// else evicted; otherwise take S's tail (to M or out to G) until one page has left the cache.
// libCacheSim quirks kept so counts match: nothing is cached when floor(0.10 c) < 1, and a
// new page enters S only when S has at least 2 frames (S3FIFO_insert: size >= S's size).

import { BUG } from "@mmsim/base";
import { IdLists } from "./list";
import { Policy, grown, type PolicyName } from "./policy";

const S = 0;
const M = 1;
const G = 2;
const HEADS = 3;
const NONE = 255;
/** main-queue frequencies saturate here on reinsertion (S3FIFO_evict_main: MIN(freq, 3) - 1) */
const MAIN_FREQ_CAP = 3;

/** S3-FIFO over `frames` frames (see the file header). */
export class S3FifoPolicy extends Policy {
  readonly name: PolicyName = "s3fifo";
  private lists = new IdLists(HEADS, 1024);
  private where = new Uint8Array(1024).fill(NONE);
  private freq = new Int32Array(1024);
  readonly smallFrames: number;
  readonly mainFrames: number;
  readonly ghostEntries: number;

  constructor(
    frames: number,
    smallRatio = 0.1,
    ghostRatio = 0.9,
    private readonly threshold = 2,
  ) {
    super(frames);
    this.smallFrames = Math.floor(frames * smallRatio);
    this.mainFrames = frames - this.smallFrames;
    this.ghostEntries = Math.floor(frames * ghostRatio);
  }

  reserve(ids: number): void {
    this.lists.reserve(ids);
    const old = this.where.length;
    this.where = grown(this.where, ids + HEADS);
    this.where.fill(NONE, old);
    this.freq = grown(this.freq, ids + HEADS);
  }

  access(ids: Int32Array, n: number): void {
    const lists = this.lists;
    const where = this.where;
    const freq = this.freq;
    const count = lists.count;
    const c = this.frames;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]! + HEADS;
      const w = where[x]!;
      if (w === S || w === M) {
        hits++;
        freq[x]!++;
        continue;
      }
      const ghost = w === G;
      if (ghost) {
        lists.del(G, x);
        where[x] = NONE;
      }
      if (this.smallFrames < 1) continue;
      while (count[S]! + count[M]! + 1 > c) this.evict();
      if (ghost) {
        lists.addHead(M, x);
        where[x] = M;
      } else {
        if (this.smallFrames <= 1) continue;
        lists.addHead(S, x);
        where[x] = S;
      }
      freq[x] = 0;
    }
    this.hits += hits;
    this.misses += n - hits;
  }

  private evict(): void {
    const count = this.lists.count;
    if (count[M]! > this.mainFrames || count[S] === 0) this.evictMain();
    else this.evictSmall();
  }

  /** S's tail moves to M (freq >= threshold) or leaves its id in G; stops after one leaves. */
  private evictSmall(): void {
    const lists = this.lists;
    while (lists.count[S]! > 0) {
      const y = lists.tail(S);
      lists.del(S, y);
      if (this.freq[y]! >= this.threshold) {
        lists.addHead(M, y);
        this.where[y] = M;
        this.freq[y] = 0;
        continue;
      }
      this.where[y] = NONE;
      if (this.ghostEntries > 0) {
        if (lists.count[G]! + 1 > this.ghostEntries) {
          const g = lists.tail(G);
          lists.del(G, g);
          this.where[g] = NONE;
        }
        lists.addHead(G, y);
        this.where[y] = G;
      }
      return;
    }
  }

  /** M's tail is reinserted while it has been used, else evicted. */
  private evictMain(): void {
    const lists = this.lists;
    while (lists.count[M]! > 0) {
      const y = lists.tail(M);
      const f = this.freq[y]!;
      if (f >= 1) {
        lists.moveHead(M, y);
        this.freq[y] = Math.min(f, MAIN_FREQ_CAP) - 1;
        continue;
      }
      lists.del(M, y);
      this.where[y] = NONE;
      return;
    }
  }

  resident(): number {
    return this.lists.count[S]! + this.lists.count[M]!;
  }

  verify(): void {
    const count = this.lists.count;
    for (const l of [S, M, G]) {
      const k = this.lists.walk(l, (x) => {
        if (this.where[x] !== l) BUG("s3fifo.verify", `node ${x} on list ${l} but where says ${this.where[x]}`);
      });
      if (k !== count[l]) BUG("s3fifo.verify", `list ${l} has ${k} nodes, count ${count[l]}`);
    }
    if (this.resident() > this.frames) BUG("s3fifo.verify", `${this.resident()} resident pages in ${this.frames} frames`);
    if (count[G]! > this.ghostEntries) BUG("s3fifo.verify", `G holds ${count[G]} ids, limit ${this.ghostEntries}`);
  }
}
