// Doubly linked intrusive lists through struct page's lru words (include/linux/list.h): the
// buddy free lists, the PCP lists, and later the LRU and SLUB partial lists all link pages by
// page index through PageArray.lruNext/lruPrev. Not modelled: circular lists with a sentinel
// node (a head here is two slots of its owner's arrays), list poisoning, RCU variants.
//
// A list head is slot `h` of two Int32Arrays owned by whoever owns the lists (FreeArea.head/
// tail by migratetype, PerCpuPages.head/tail by pindex, an lruvec's by LRU list): head[h] is
// the first entry, tail[h] the last, both -1 when the list is empty. An entry's lruPrev of the
// first entry and lruNext of the last are -1, so the list reads the same from either end:
//
//   head[h] ─▶ [a] ⇄ [b] ⇄ [c] ◀─ tail[h]      lruPrev[a] = -1, lruNext[c] = -1
//
// listDel() leaves the removed entry's own links as they were (Linux's __list_del_entry; its
// list_del writes poison there): an entry on no list has meaningless links, and whoever lists
// it next writes both. Iterate without closures:
//
//   for (let i = listFirst(heads, h); i >= 0; i = l.lruNext[i]) { ... }
//   for (let i = listFirst(heads, h), n; i >= 0; i = n) { n = l.lruNext[i]; ...may listDel(i) }
import { BUG } from "@mmsim/base";

/** The link words of the entries: PageArray's lruNext/lruPrev (or any arrays laid out alike). */
export interface ListLinks {
  readonly lruNext: Int32Array;
  readonly lruPrev: Int32Array;
}

/**
 * A set of `n` list heads, as a list owner may keep them (FreeArea and PerCpuPages hold
 * `head`/`tail` arrays of this shape): all lists start empty.
 */
export class ListHeads {
  readonly head: Int32Array;
  readonly tail: Int32Array;

  constructor(n: number) {
    this.head = new Int32Array(n).fill(-1);
    this.tail = new Int32Array(n).fill(-1);
  }
}

/** list_add(): puts entry i first on list h. */
export function listAdd(l: ListLinks, head: Int32Array, tail: Int32Array, h: number, i: number): void {
  const first = head[h];
  l.lruNext[i] = first;
  l.lruPrev[i] = -1;
  if (first >= 0) l.lruPrev[first] = i;
  else tail[h] = i;
  head[h] = i;
}

/** list_add_tail(): puts entry i last on list h. */
export function listAddTail(l: ListLinks, head: Int32Array, tail: Int32Array, h: number, i: number): void {
  const last = tail[h];
  l.lruPrev[i] = last;
  l.lruNext[i] = -1;
  if (last >= 0) l.lruNext[last] = i;
  else head[h] = i;
  tail[h] = i;
}

/**
 * list_del() (as __list_del_entry): unlinks entry i, which must be on list h, leaving i's own
 * links untouched.
 */
export function listDel(l: ListLinks, head: Int32Array, tail: Int32Array, h: number, i: number): void {
  const next = l.lruNext[i];
  const prev = l.lruPrev[i];
  if (prev >= 0) l.lruNext[prev] = next;
  else head[h] = next;
  if (next >= 0) l.lruPrev[next] = prev;
  else tail[h] = prev;
}

/** list_move(): takes entry i off list `from` and puts it first on list `to` (same owner). */
export function listMove(l: ListLinks, head: Int32Array, tail: Int32Array, from: number, to: number, i: number): void {
  listDel(l, head, tail, from, i);
  listAdd(l, head, tail, to, i);
}

/** list_move_tail(): takes entry i off list `from` and puts it last on list `to` (same owner). */
export function listMoveTail(l: ListLinks, head: Int32Array, tail: Int32Array, from: number, to: number, i: number): void {
  listDel(l, head, tail, from, i);
  listAddTail(l, head, tail, to, i);
}

/**
 * list_splice_init(): moves every entry of list `from` to the front of list `to`, in order,
 * and leaves `from` empty (a head here cannot go on naming entries that moved). O(1).
 */
export function listSplice(l: ListLinks, head: Int32Array, tail: Int32Array, from: number, to: number): void {
  const first = head[from];
  if (first < 0 || from === to) return;
  const last = tail[from];
  const at = head[to];
  l.lruNext[last] = at;
  if (at >= 0) l.lruPrev[at] = last;
  else tail[to] = last;
  head[to] = first;
  head[from] = -1;
  tail[from] = -1;
}

/** list_splice_tail_init(): moves every entry of list `from` to the end of list `to`, in order; `from` ends empty. */
export function listSpliceTail(l: ListLinks, head: Int32Array, tail: Int32Array, from: number, to: number): void {
  const first = head[from];
  if (first < 0 || from === to) return;
  const last = tail[from];
  const at = tail[to];
  l.lruPrev[first] = at;
  if (at >= 0) l.lruNext[at] = first;
  else head[to] = first;
  tail[to] = last;
  head[from] = -1;
  tail[from] = -1;
}

/** list_empty(). */
export function listEmpty(head: Int32Array, h: number): boolean {
  return head[h] < 0;
}

/** list_first_entry_or_null(): the first entry of list h, or -1 when it is empty. */
export function listFirst(head: Int32Array, h: number): number {
  return head[h];
}

/** list_last_entry_or_null(): the last entry of list h, or -1 when it is empty. */
export function listLast(tail: Int32Array, h: number): number {
  return tail[h];
}

/** The entry after i on its list, or -1 when i is the last. */
export function listNext(l: ListLinks, i: number): number {
  return l.lruNext[i];
}

/** The entry before i on its list, or -1 when i is the first. */
export function listPrev(l: ListLinks, i: number): number {
  return l.lruPrev[i];
}

/**
 * list_count_nodes() with CONFIG_DEBUG_LIST's checks: walks list h from its head and returns
 * its length. A prev link that does not point back, a tail that is not the last entry, or more
 * than `limit` entries (a cycle) is a Bug naming `who` and `what` (the list).
 */
export function listCheck(l: ListLinks, head: Int32Array, tail: Int32Array, h: number, limit: number, who: string, what: string): number {
  let n = 0;
  let prev = -1;
  for (let i = head[h]; i >= 0; i = l.lruNext[i]) {
    if (l.lruPrev[i] !== prev) BUG(who, `${what}: entry ${i} has prev ${l.lruPrev[i]}, expected ${prev}`);
    if (++n > limit) BUG(who, `${what}: more than ${limit} entries (a cycle?)`);
    prev = i;
  }
  if (tail[h] !== prev) BUG(who, `${what}: tail is ${tail[h]} but the last entry is ${prev}`);
  return n;
}
