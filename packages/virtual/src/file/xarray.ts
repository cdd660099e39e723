// The page cache's index (lib/xarray.c, i_pages of struct address_space) reduced to what the page
// cache asks of it: pgoff -> pfn with lookups, stores, erases, ordered walks and the gap searches
// of readahead (page_cache_prev_miss/next_miss). A radix tree of 64-slot nodes as the xarray's
// (XA_CHUNK_SHIFT 6); leaves hold pfns in an Int32Array. Not modelled: value entries (shadows,
// swap), multi-index entries (large folios), marks (write-back scans PG_dirty instead), RCU.
import { BUG } from "@mmsim/base";

/** XA_CHUNK_SHIFT (include/linux/xarray.h, CONFIG_BASE_SMALL=n): 64 slots per node. */
export const XA_CHUNK_SHIFT = 6;
const XA_CHUNK_SIZE = 1 << XA_CHUNK_SHIFT;
const XA_CHUNK_MASK = XA_CHUNK_SIZE - 1;
/** Indices are pgoffs below 2^32 (files up to 16 TiB): bit operations on them stay exact. */
export const XA_MAX_INDEX = 2 ** 32 - 1;

/** struct xa_node: an inner node holds child nodes, a leaf (shift 0) holds pfns (-1 = empty). */
class XaNode {
  count = 0;
  readonly slots: (XaNode | null)[] | null;
  readonly pfns: Int32Array | null;
  /** the indices this node covers when it is the root: 2^(shift + 6) (precomputed: load is hot) */
  readonly cap: number;

  constructor(readonly shift: number) {
    this.cap = 2 ** (shift + XA_CHUNK_SHIFT);
    if (shift === 0) {
      this.slots = null;
      this.pfns = new Int32Array(XA_CHUNK_SIZE).fill(-1);
    } else {
      this.slots = new Array<XaNode | null>(XA_CHUNK_SIZE).fill(null);
      this.pfns = null;
    }
  }
}

/**
 * An xarray of pfns keyed by page index. Invariants (verifyFileSystem walks them): every node's
 * count equals its occupied slots; no empty node stays linked; `size` counts the leaves' pfns.
 */
export class XArray {
  private root: XaNode | null = null;
  /** entries stored (mapping->nrpages) */
  size = 0;

  /** xa_load: the pfn at index, or -1. */
  load(index: number): number {
    let n = this.root;
    if (n === null || index >= n.cap) return -1;
    while (n.shift !== 0) {
      n = n.slots![(index >>> n.shift) & XA_CHUNK_MASK]!;
      if (n === null) return -1;
    }
    return n.pfns![index & XA_CHUNK_MASK]!;
  }

  /** xa_store into an empty slot (the page cache never replaces a page: a Bug if occupied). */
  store(index: number, pfn: number): void {
    if (!(index >= 0 && index <= XA_MAX_INDEX) || pfn < 0) BUG("xa_store", `index ${index} pfn ${pfn}`);
    let n: XaNode;
    if (this.root === null) {
      // an empty array gets a root tall enough for index at once: no empty node is linked below it
      n = new XaNode(0);
      while (index >= n.cap) n = new XaNode(n.shift + XA_CHUNK_SHIFT);
    } else {
      n = this.root;
      while (index >= n.cap) {
        const up: XaNode = new XaNode(n.shift + XA_CHUNK_SHIFT);
        up.slots![0] = n;
        up.count = 1;
        n = up;
      }
    }
    this.root = n;
    while (n.shift !== 0) {
      const off = (index >>> n.shift) & XA_CHUNK_MASK;
      let c = n.slots![off]!;
      if (c === null) {
        c = new XaNode(n.shift - XA_CHUNK_SHIFT);
        n.slots![off] = c;
        n.count++;
      }
      n = c;
    }
    const off = index & XA_CHUNK_MASK;
    if (n.pfns![off] !== -1) BUG("xa_store", `index ${index} is occupied by pfn ${n.pfns![off]}`);
    n.pfns![off] = pfn;
    n.count++;
    this.size++;
  }

  /** xa_erase: removes the entry at index and returns its pfn (-1 if none); empty nodes go. */
  erase(index: number): number {
    const root = this.root;
    if (root === null || index >= root.cap) return -1;
    const pfn = this.eraseIn(root, index);
    if (pfn >= 0 && root.count === 0) this.root = null;
    return pfn;
  }

  private eraseIn(n: XaNode, index: number): number {
    if (n.shift === 0) {
      const off = index & XA_CHUNK_MASK;
      const pfn = n.pfns![off]!;
      if (pfn < 0) return -1;
      n.pfns![off] = -1;
      n.count--;
      this.size--;
      return pfn;
    }
    const off = (index >>> n.shift) & XA_CHUNK_MASK;
    const c = n.slots![off]!;
    if (c === null) return -1;
    const pfn = this.eraseIn(c, index);
    if (pfn >= 0 && c.count === 0) {
      n.slots![off] = null;
      n.count--;
    }
    return pfn;
  }

  /**
   * Calls visit(index, pfn) for every entry with first <= index <= last, in index order; stops
   * when visit returns false. The walk reads each node once (xas_for_each); visit must not
   * store or erase.
   */
  forEach(first: number, last: number, visit: (index: number, pfn: number) => boolean | void): void {
    if (this.root !== null && first <= last) this.walk(this.root, 0, first, last, visit);
  }

  private walk(n: XaNode, base: number, first: number, last: number, visit: (index: number, pfn: number) => boolean | void): boolean {
    const span = 2 ** n.shift;
    let off = first > base ? Math.floor((first - base) / span) : 0;
    for (; off < XA_CHUNK_SIZE; off++) {
      const start = base + off * span;
      if (start > last) return true;
      if (n.shift === 0) {
        const pfn = n.pfns![off]!;
        if (pfn >= 0 && visit(start, pfn) === false) return false;
      } else {
        const c = n.slots![off]!;
        if (c !== null && !this.walk(c, start, first, last, visit)) return false;
      }
    }
    return true;
  }

  /** The entries in index order as [index, pfn] (tests and verify). */
  entries(): [number, number][] {
    const out: [number, number][] = [];
    this.forEach(0, XA_MAX_INDEX, (i, p) => {
      out.push([i, p]);
    });
    return out;
  }

  /**
   * page_cache_prev_miss: the highest index in [index - maxScan + 1, index] with no entry, looking
   * down from index; index - maxScan when all are present; -1 (ULONG_MAX) when the walk passed 0.
   */
  prevMiss(index: number, maxScan: number): number {
    for (let k = 0; k < maxScan; k++) {
      const i = index - k;
      if (i < 0) return -1;
      if (this.load(i) < 0) return i;
    }
    return index - maxScan;
  }

  /** page_cache_next_miss: the lowest index in [index, index + maxScan) with no entry; index + maxScan when all are present. */
  nextMiss(index: number, maxScan: number): number {
    for (let k = 0; k < maxScan; k++) if (this.load(index + k) < 0) return index + k;
    return index + maxScan;
  }

  /** Recounts nodes and entries; returns the entry count (a Bug on a wrong node count or an empty node). */
  recount(): number {
    return this.root === null ? 0 : recountNode(this.root, true);
  }
}

function recountNode(n: XaNode, isRoot: boolean): number {
  let used = 0;
  let entries = 0;
  for (let off = 0; off < XA_CHUNK_SIZE; off++) {
    if (n.shift === 0) {
      if (n.pfns![off]! >= 0) {
        used++;
        entries++;
      }
    } else {
      const c = n.slots![off]!;
      if (c !== null) {
        if (c.shift !== n.shift - XA_CHUNK_SHIFT) BUG("xarray verify", `child shift ${c.shift} under ${n.shift}`);
        used++;
        entries += recountNode(c, false);
      }
    }
  }
  if (used !== n.count) BUG("xarray verify", `node count ${n.count}, ${used} slots used`);
  if (used === 0 && !isRoot) BUG("xarray verify", "an empty node is still linked");
  return entries;
}
