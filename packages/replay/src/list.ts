// Intrusive doubly linked lists by index, as Linux's include/linux/list.h links struct page by
// its lru field: every page id owns one prev/next slot, so a page is on at most one list at a
// time. Node 0..heads-1 are the list heads (sentinels, empty when linked to themselves); the
// node of page id is id + heads. Head side = most recently added, tail side = oldest.
//
//   head <-> newest <-> ... <-> oldest <-> head          (circular through the sentinel)

import { BUG } from "@mmsim/base";

/** Several circular lists over one pair of Int32Array links. */
export class IdLists {
  prev: Int32Array;
  next: Int32Array;
  /** number of nodes of each list, by head */
  readonly count: Int32Array;

  constructor(
    /** number of lists (sentinel nodes 0..heads-1) */
    readonly heads: number,
    capacity: number,
  ) {
    this.prev = new Int32Array(heads + capacity);
    this.next = new Int32Array(heads + capacity);
    this.count = new Int32Array(heads);
    for (let h = 0; h < heads; h++) {
      this.prev[h] = h;
      this.next[h] = h;
    }
  }

  /** Makes room for page ids below `ids`. */
  reserve(ids: number): void {
    const need = this.heads + ids;
    if (need <= this.prev.length) return;
    const size = Math.max(need, this.prev.length * 2);
    const prev = new Int32Array(size);
    const next = new Int32Array(size);
    prev.set(this.prev);
    next.set(this.next);
    this.prev = prev;
    this.next = next;
  }

  /** Adds node x at the head of list h (list_add). */
  addHead(h: number, x: number): void {
    const next = this.next;
    const first = next[h]!;
    next[h] = x;
    this.prev[x] = h;
    next[x] = first;
    this.prev[first] = x;
    this.count[h]!++;
  }

  /** Unlinks node x from list h (list_del). */
  del(h: number, x: number): void {
    const p = this.prev[x]!;
    const n = this.next[x]!;
    this.next[p] = n;
    this.prev[n] = p;
    this.count[h]!--;
  }

  /** Moves node x, on list h, to the head of list h (list_move). */
  moveHead(h: number, x: number): void {
    if (this.next[h] === x) return;
    const prev = this.prev;
    const next = this.next;
    const p = prev[x]!;
    const n = next[x]!;
    next[p] = n;
    prev[n] = p;
    const first = next[h]!;
    next[h] = x;
    prev[x] = h;
    next[x] = first;
    prev[first] = x;
  }

  /** The oldest node of list h, or h itself when the list is empty. */
  tail(h: number): number {
    return this.prev[h]!;
  }

  /** Counts list h by walking it, and checks the links both ways (for verify()). */
  walk(h: number, visit?: (x: number) => void): number {
    let k = 0;
    for (let x = this.next[h]!; x !== h; x = this.next[x]!) {
      if (this.next[this.prev[x]!] !== x) BUG("IdLists.walk", `broken link at node ${x}`);
      visit?.(x);
      if (++k > this.prev.length) BUG("IdLists.walk", `list ${h} has a cycle`);
    }
    return k;
  }
}
