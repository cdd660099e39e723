// CLOCK (second chance) and SIEVE, the two one-bit policies.
//
// CLOCK as libCacheSim's Clock.c builds it: a FIFO whose head is the newest page; to evict,
// look at the tail: a page with its use bit set gets the bit cleared and moves to the head
// (the hand passes it), the first page found with the bit clear is evicted. A hit sets the
// bit. A newly loaded page's bit is 0 in libCacheSim (Clock_insert) or 1 if asked: the
// textbook clock, where the fault itself is a use.
//
// SIEVE (Zhang et al., NSDI '24) as libCacheSim's Sieve.c: new pages enter at the head and
// never move; a hand walks from the tail toward the head, clearing visited bits, and evicts
// the first unvisited page; the hand stays where it stopped and wraps to the tail.
//
//   head <-> newest ... oldest <-> head        hand: node, or 0 = start again from the tail

import { BUG } from "@mmsim/base";
import { IdLists } from "./list";
import { Policy, grown, type PolicyName } from "./policy";

const LIST = 0;
const HEADS = 1;

/** CLOCK: one use bit per page, the hand at the list's tail. */
export class ClockPolicy extends Policy {
  readonly name: PolicyName = "clock";
  private lists = new IdLists(HEADS, 1024);
  private used = new Uint8Array(1024);
  private present = new Uint8Array(1024);

  constructor(
    frames: number,
    /** use bit of a newly loaded page */
    private readonly initialUse: 0 | 1 = 0,
  ) {
    super(frames);
  }

  reserve(ids: number): void {
    this.lists.reserve(ids);
    this.used = grown(this.used, ids + HEADS);
    this.present = grown(this.present, ids + HEADS);
  }

  access(ids: Int32Array, n: number): void {
    const lists = this.lists;
    const used = this.used;
    const present = this.present;
    const count = lists.count;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]! + HEADS;
      if (present[x] === 1) {
        hits++;
        used[x] = 1;
        continue;
      }
      if (count[LIST] === this.frames) {
        let t = lists.tail(LIST);
        while (used[t] === 1) {
          used[t] = 0;
          lists.moveHead(LIST, t);
          t = lists.tail(LIST);
        }
        lists.del(LIST, t);
        present[t] = 0;
      }
      lists.addHead(LIST, x);
      present[x] = 1;
      used[x] = this.initialUse;
    }
    this.hits += hits;
    this.misses += n - hits;
  }

  resident(): number {
    return this.lists.count[LIST]!;
  }

  verify(): void {
    const k = this.lists.walk(LIST, (x) => {
      if (this.present[x] !== 1) BUG("clock.verify", `node ${x} listed but not present`);
    });
    if (k !== this.lists.count[LIST] || k > this.frames) BUG("clock.verify", `${k} pages listed, count ${this.lists.count[LIST]}, frames ${this.frames}`);
  }
}

/** SIEVE: a visited bit per page and a hand that remembers where it stopped. */
export class SievePolicy extends Policy {
  readonly name: PolicyName = "sieve";
  private lists = new IdLists(HEADS, 1024);
  private visited = new Uint8Array(1024);
  private present = new Uint8Array(1024);
  /** the node the hand points at; LIST (the sentinel) means "start at the tail" */
  private hand = LIST;

  reserve(ids: number): void {
    this.lists.reserve(ids);
    this.visited = grown(this.visited, ids + HEADS);
    this.present = grown(this.present, ids + HEADS);
  }

  access(ids: Int32Array, n: number): void {
    const lists = this.lists;
    const visited = this.visited;
    const present = this.present;
    const count = lists.count;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]! + HEADS;
      if (present[x] === 1) {
        hits++;
        visited[x] = 1;
        continue;
      }
      if (count[LIST] === this.frames) {
        const prev = lists.prev;
        let o = this.hand === LIST ? prev[LIST]! : this.hand;
        while (visited[o] === 1) {
          visited[o] = 0;
          o = prev[o] === LIST ? prev[LIST]! : prev[o]!;
        }
        this.hand = prev[o]!;
        lists.del(LIST, o);
        present[o] = 0;
      }
      lists.addHead(LIST, x);
      present[x] = 1;
      visited[x] = 0;
    }
    this.hits += hits;
    this.misses += n - hits;
  }

  resident(): number {
    return this.lists.count[LIST]!;
  }

  verify(): void {
    let handSeen = this.hand === LIST;
    const k = this.lists.walk(LIST, (x) => {
      if (this.present[x] !== 1) BUG("sieve.verify", `node ${x} listed but not present`);
      if (x === this.hand) handSeen = true;
    });
    if (!handSeen) BUG("sieve.verify", `hand ${this.hand} is not on the list`);
    if (k !== this.lists.count[LIST] || k > this.frames) BUG("sieve.verify", `${k} pages listed, count ${this.lists.count[LIST]}, frames ${this.frames}`);
  }
}
