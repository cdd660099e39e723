// 2Q, the full version (Johnson & Shasha, VLDB '94, section 2.2), as libCacheSim's TwoQ.c:
//
//   A1in  FIFO of pages seen once, Kin frames            hit: nothing moves
//   A1out FIFO of the ids (ghosts) of pages pushed out of A1in, Kout entries
//   Am    LRU of pages re-referenced while in A1out, c - Kin frames
//
// A miss first frees a frame when all c are in use ("reclaimfor"): from A1in's tail when A1in
// holds more than Kin pages (its id goes to A1out, whose oldest id falls off when full), else
// from Am's tail. The page then enters Am's head if its id was in A1out, else A1in's head.
// Kin = floor(c * 0.25) and Kout = floor(c * 0.5) by default, the paper's recommendations and
// libCacheSim's Ain-size-ratio / Aout-size-ratio. Like libCacheSim, nothing is cached when
// Kin is 0 (its TwoQ_can_insert: size <= Kin); with Kin = c, Am has no frames.

import { BUG } from "@mmsim/base";
import { IdLists } from "./list";
import { Policy, grown, type PolicyName } from "./policy";

const A1IN = 0;
const A1OUT = 1;
const AM = 2;
const HEADS = 3;
const NONE = 255;

/** Full 2Q with A1in, A1out and Am (see the file header). */
export class TwoQPolicy extends Policy {
  readonly name: PolicyName = "2q";
  private lists = new IdLists(HEADS, 1024);
  private where = new Uint8Array(1024).fill(NONE);
  /** frames of A1in */
  readonly kin: number;
  /** entries of A1out */
  readonly kout: number;
  /** frames of Am: c - Kin */
  readonly amFrames: number;

  constructor(frames: number, kinRatio = 0.25, koutRatio = 0.5) {
    super(frames);
    this.kin = Math.floor(frames * kinRatio);
    this.kout = Math.floor(frames * koutRatio);
    this.amFrames = frames - this.kin;
  }

  reserve(ids: number): void {
    this.lists.reserve(ids);
    const old = this.where.length;
    this.where = grown(this.where, ids + HEADS);
    this.where.fill(NONE, old);
  }

  access(ids: Int32Array, n: number): void {
    const lists = this.lists;
    const where = this.where;
    const count = lists.count;
    const c = this.frames;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]! + HEADS;
      const w = where[x]!;
      if (w === A1IN) {
        hits++;
        continue;
      }
      if (w === AM) {
        hits++;
        lists.moveHead(AM, x);
        continue;
      }
      const ghost = w === A1OUT;
      if (ghost) {
        lists.del(A1OUT, x);
        where[x] = NONE;
      }
      if (this.kin < 1) continue;
      if (count[A1IN]! + count[AM]! + 1 > c) {
        if (count[A1IN]! > this.kin) {
          const y = lists.tail(A1IN);
          lists.del(A1IN, y);
          where[y] = NONE;
          if (this.kout >= 1) {
            if (count[A1OUT]! + 1 > this.kout) this.dropTail(A1OUT);
            lists.addHead(A1OUT, y);
            where[y] = A1OUT;
          }
        } else {
          this.dropTail(AM);
        }
      }
      if (ghost) {
        if (this.amFrames < 1) continue;
        if (count[AM]! + 1 > this.amFrames) this.dropTail(AM);
        lists.addHead(AM, x);
        where[x] = AM;
      } else {
        lists.addHead(A1IN, x);
        where[x] = A1IN;
      }
    }
    this.hits += hits;
    this.misses += n - hits;
  }

  private dropTail(list: number): void {
    const y = this.lists.tail(list);
    this.lists.del(list, y);
    this.where[y] = NONE;
  }

  resident(): number {
    return this.lists.count[A1IN]! + this.lists.count[AM]!;
  }

  verify(): void {
    const count = this.lists.count;
    for (const l of [A1IN, A1OUT, AM]) {
      const k = this.lists.walk(l, (x) => {
        if (this.where[x] !== l) BUG("2q.verify", `node ${x} on list ${l} but where says ${this.where[x]}`);
      });
      if (k !== count[l]) BUG("2q.verify", `list ${l} has ${k} nodes, count ${count[l]}`);
    }
    if (this.resident() > this.frames) BUG("2q.verify", `${this.resident()} resident pages in ${this.frames} frames`);
    if (count[A1OUT]! > this.kout) BUG("2q.verify", `A1out holds ${count[A1OUT]} ids, Kout is ${this.kout}`);
    if (count[AM]! > this.amFrames) BUG("2q.verify", `Am holds ${count[AM]} pages in ${this.amFrames} frames`);
  }
}
