// ARC, the Adaptive Replacement Cache (Megiddo & Modha, FAST '03), as libCacheSim's ARC.c
// runs it. Two resident LRU lists and their two ghost lists:
//
//     B1 (ghosts of T1) | T1 (seen once recently)   T2 (seen twice or more) | B2 (ghosts of T2)
//          ^ tail ...   head ... tail  <-- p -->  tail ... head   ... tail ^
//
// T1 aims at p pages, a real-valued target: a hit in ghost B1 says T1 was too small, and p
// grows by max(|B2|/|B1|, 1) (at most c); a hit in B2 shrinks it by max(|B1|/|B2|, 1) (at least
// 0). REPLACE evicts T1's tail to B1 when |T1| > p, or |T1| = p and the request hit B2, or T2 is
// empty; otherwise T2's tail goes to B2. A complete miss with |T1| + |B1| = c drops B1's tail
// then REPLACEs, or drops T1's tail outright when B1 is empty (case IV.A); with the directory
// holding 2c pages it drops B2's tail first (case IV.B). As in libCacheSim, eviction runs only
// when the c frames are full, and a ghost hit is re-inserted at T2's head.

import { BUG } from "@mmsim/base";
import { IdLists } from "./list";
import { Policy, grown, type PolicyName } from "./policy";

const T1 = 0;
const T2 = 1;
const B1 = 2;
const B2 = 3;
const HEADS = 4;
/** where[] value of a page on no list */
const NONE = 255;

/** ARC over `frames` frames, with ghost lists of up to `frames` entries. */
export class ArcPolicy extends Policy {
  readonly name: PolicyName = "arc";
  private lists = new IdLists(HEADS, 1024);
  /** the list each node is on (T1, T2, B1, B2) or NONE */
  private where = new Uint8Array(1024).fill(NONE);
  /** the target size of T1, real-valued as in the paper */
  p = 0;

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
      if (w === T1) {
        hits++;
        lists.del(T1, x);
        lists.addHead(T2, x);
        where[x] = T2;
        continue;
      }
      if (w === T2) {
        hits++;
        lists.moveHead(T2, x);
        continue;
      }
      let ghost = NONE;
      if (w === B1) {
        this.p = Math.min(this.p + Math.max(count[B2]! / count[B1]!, 1), c);
        lists.del(B1, x);
        ghost = B1;
      } else if (w === B2) {
        this.p = Math.max(this.p - Math.max(count[B1]! / count[B2]!, 1), 0);
        lists.del(B2, x);
        ghost = B2;
      }
      if (count[T1]! + count[T2]! + 1 > c) {
        if (ghost !== NONE) {
          this.replace(ghost === B2);
        } else if (count[T1]! + count[B1]! + 1 > c) {
          if (count[B1]! > 0) {
            this.dropTail(B1);
            this.replace(false);
          } else {
            this.dropTail(T1);
          }
        } else {
          if (count[T1]! + count[T2]! + count[B1]! + count[B2]! >= 2 * c && count[B2]! > 0) this.dropTail(B2);
          this.replace(false);
        }
      }
      const to = ghost === NONE ? T1 : T2;
      lists.addHead(to, x);
      where[x] = to;
    }
    this.hits += hits;
    this.misses += n - hits;
  }

  /** REPLACE(x, p): T1's tail to B1, or T2's tail to B2. */
  private replace(inB2: boolean): void {
    const count = this.lists.count;
    const t1 = count[T1]!;
    if ((t1 > 0 && (t1 > this.p || (t1 === this.p && inB2))) || count[T2] === 0) this.demote(T1, B1);
    else this.demote(T2, B2);
  }

  private demote(from: number, to: number): void {
    const y = this.lists.tail(from);
    this.lists.del(from, y);
    this.lists.addHead(to, y);
    this.where[y] = to;
  }

  private dropTail(list: number): void {
    const y = this.lists.tail(list);
    this.lists.del(list, y);
    this.where[y] = NONE;
  }

  resident(): number {
    return this.lists.count[T1]! + this.lists.count[T2]!;
  }

  verify(): void {
    const count = this.lists.count;
    for (const l of [T1, T2, B1, B2]) {
      const k = this.lists.walk(l, (x) => {
        if (this.where[x] !== l) BUG("arc.verify", `node ${x} on list ${l} but where says ${this.where[x]}`);
      });
      if (k !== count[l]) BUG("arc.verify", `list ${l} has ${k} nodes, count ${count[l]}`);
    }
    if (count[T1]! + count[T2]! > this.frames) BUG("arc.verify", `${count[T1]! + count[T2]!} resident pages in ${this.frames} frames`);
    if (this.p < 0 || this.p > this.frames) BUG("arc.verify", `target p = ${this.p} outside [0, ${this.frames}]`);
  }
}
