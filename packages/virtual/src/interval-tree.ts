// The i_mmap interval tree (mm/interval_tree.c, include/linux/interval_tree_generic.h): every VMA
// mapping a file, keyed by the file pages it maps, [vm_pgoff, vm_pgoff + vma_pages - 1], so that
// the rmap walk and unmap_mapping_range visit only the VMAs overlapping a pgoff range, in
// O(log n + k). Linux augments a red-black tree; this is an AVL tree with the same augmentation
// (each node keeps the largest `last` of its subtree), its nodes in typed arrays indexed by node.
//
//                    [8,11] sub 40          ordered by start (ties go right, as Linux's insert);
//                   /           \           a subtree whose `sub` is below the query's start
//          [2,5] sub 5        [20,40] sub 40  holds no overlap and is skipped, so a lookup
//                                             descends one path per VMA found
//
// Invariants (verify): in-order starts never decrease; every node's height and `sub` are
// recomputed from its children; heights of siblings differ by at most one; parent links match;
// a VMA's iMmapNode names its node, and the node's keys equal the VMA's current pgoff range
// (every change of vm_start/vm_end/vm_pgoff goes through vmaIntervalTreeUpdate).
import { BUG } from "@mmsim/base";
import type { VmAreaStruct } from "./mm-types";

/** The first node arrays' size; they double when full. */
const INITIAL_NODES = 4;

/** An augmented balanced tree of VMAs keyed by their file page range. Lookups allocate nothing. */
export class VmaIntervalTree {
  private left = new Int32Array(INITIAL_NODES);
  private right = new Int32Array(INITIAL_NODES);
  private parent = new Int32Array(INITIAL_NODES);
  private height = new Int32Array(INITIAL_NODES);
  private start = new Float64Array(INITIAL_NODES);
  private last = new Float64Array(INITIAL_NODES);
  /** the largest `last` in the node's subtree (ITLAST's augmentation, subtree_last) */
  private sub = new Float64Array(INITIAL_NODES);
  private vmas: (VmAreaStruct | null)[] = [];
  private root = -1;
  private freeHead = -1;
  private used = 0;
  /** VMAs in the tree */
  length = 0;

  /** vma_interval_tree_insert: links `vma` under its current [vmPgoff, vmPgoff + pages - 1]. */
  insert(vma: VmAreaStruct): void {
    if (vma.iMmapNode >= 0) BUG("vma_interval_tree_insert", `VMA ${vma.vmStart.toString(16)} is already in an i_mmap`);
    const n = this.allocNode();
    this.start[n] = vma.vmPgoff;
    this.last[n] = vma.vmPgoff + vma.pages - 1;
    this.sub[n] = this.last[n];
    this.left[n] = this.right[n] = -1;
    this.height[n] = 1;
    this.vmas[n] = vma;
    vma.iMmapNode = n;
    this.length++;
    let p = this.root;
    if (p < 0) {
      this.parent[n] = -1;
      this.root = n;
      return;
    }
    const s = this.start[n];
    for (;;) {
      const next = s < this.start[p] ? this.left[p] : this.right[p];
      if (next < 0) break;
      p = next;
    }
    if (s < this.start[p]) this.left[p] = n;
    else this.right[p] = n;
    this.parent[n] = p;
    this.retrace(p);
  }

  /** vma_interval_tree_remove: unlinks `vma`. */
  remove(vma: VmAreaStruct): void {
    const n = vma.iMmapNode;
    if (n < 0 || this.vmas[n] !== vma) BUG("vma_interval_tree_remove", `VMA ${vma.vmStart.toString(16)} is not in this i_mmap`);
    vma.iMmapNode = -1;
    let t = n;
    if (this.left[n] >= 0 && this.right[n] >= 0) {
      // two children: the in-order successor's VMA moves into n, and the successor's node goes
      t = this.right[n];
      while (this.left[t] >= 0) t = this.left[t];
      const moved = this.vmas[t]!;
      this.start[n] = this.start[t];
      this.last[n] = this.last[t];
      this.vmas[n] = moved;
      moved.iMmapNode = n;
    }
    const c = this.left[t] >= 0 ? this.left[t] : this.right[t];
    const p = this.parent[t];
    if (c >= 0) this.parent[c] = p;
    this.replaceChild(p, t, c);
    this.freeNode(t);
    this.length--;
    this.retrace(p);
  }

  /** Re-keys `vma` after its range or pgoff changed (vma_prepare's remove, vma_complete's insert). */
  update(vma: VmAreaStruct): void {
    const n = vma.iMmapNode;
    if (n < 0) return;
    if (this.start[n] === vma.vmPgoff && this.last[n] === vma.vmPgoff + vma.pages - 1) return;
    this.remove(vma);
    this.insert(vma);
  }

  /** Whether `vma` is in this tree. */
  contains(vma: VmAreaStruct): boolean {
    return vma.iMmapNode >= 0 && this.vmas[vma.iMmapNode] === vma;
  }

  /** vma_interval_tree_iter_first: the node of the leftmost VMA overlapping pgoffs [first, last], or -1. */
  iterFirst(first: number, last: number): number {
    const r = this.root;
    if (r < 0 || this.sub[r] < first) return -1;
    return this.subtreeSearch(r, first, last);
  }

  /** vma_interval_tree_iter_next: the node of the next VMA after node n overlapping [first, last], or -1. */
  iterNext(n: number, first: number, last: number): number {
    let r = this.right[n];
    for (;;) {
      if (r >= 0 && first <= this.sub[r]) return this.subtreeSearch(r, first, last);
      // climb until we come up from a left child: that parent is next in order
      let from: number;
      do {
        from = n;
        n = this.parent[n];
        if (n < 0) return -1;
        r = this.right[n];
      } while (from === r);
      if (last < this.start[n]) return -1;
      if (first <= this.last[n]) return n;
    }
  }

  /** The VMA of node n (from iterFirst/iterNext). */
  vmaAt(n: number): VmAreaStruct {
    return this.vmas[n]!;
  }

  /** Every VMA in pgoff order (verify, tests and callers off the hot path). */
  *[Symbol.iterator](): IterableIterator<VmAreaStruct> {
    let n = this.root;
    if (n < 0) return;
    while (this.left[n] >= 0) n = this.left[n];
    while (n >= 0) {
      yield this.vmas[n]!;
      if (this.right[n] >= 0) {
        n = this.right[n];
        while (this.left[n] >= 0) n = this.left[n];
      } else {
        let from: number;
        do {
          from = n;
          n = this.parent[n];
        } while (n >= 0 && this.right[n] === from);
      }
    }
  }

  /** Checks the invariants above; throws Bug on the first broken one. */
  verify(): void {
    let count = 0;
    let prevStart = -Infinity;
    const walk = (n: number, p: number): number => {
      if (n < 0) return 0;
      if (this.parent[n] !== p) BUG("vma_interval_tree", `node ${n}: parent ${this.parent[n]}, expected ${p}`);
      const hl = walk(this.left[n], n);
      const vma = this.vmas[n];
      if (vma === null || vma === undefined || vma.iMmapNode !== n) BUG("vma_interval_tree", `node ${n} has no VMA pointing back at it`);
      if (this.start[n] < prevStart) BUG("vma_interval_tree", `node ${n} out of order`);
      prevStart = this.start[n];
      if (this.start[n] !== vma.vmPgoff || this.last[n] !== vma.vmPgoff + vma.pages - 1) {
        BUG("vma_interval_tree", `VMA ${vma.vmStart.toString(16)} keyed [${this.start[n]}, ${this.last[n]}] maps pgoffs [${vma.vmPgoff}, ${vma.vmPgoff + vma.pages - 1}]`);
      }
      count++;
      const hr = walk(this.right[n], n);
      if (Math.abs(hl - hr) > 1 || this.height[n] !== 1 + Math.max(hl, hr)) BUG("vma_interval_tree", `node ${n} unbalanced or its height stale`);
      let s = this.last[n];
      if (this.left[n] >= 0) s = Math.max(s, this.sub[this.left[n]]);
      if (this.right[n] >= 0) s = Math.max(s, this.sub[this.right[n]]);
      if (this.sub[n] !== s) BUG("vma_interval_tree", `node ${n}: subtree_last ${this.sub[n]}, recount ${s}`);
      return this.height[n];
    };
    walk(this.root, -1);
    if (count !== this.length) BUG("vma_interval_tree", `${count} nodes, length ${this.length}`);
  }

  /** The leftmost node of n's subtree overlapping [first, last], or -1 (interval_tree_generic.h's subtree_search). */
  private subtreeSearch(n: number, first: number, last: number): number {
    for (;;) {
      const l = this.left[n];
      if (l >= 0 && first <= this.sub[l]) {
        n = l;
        continue;
      }
      if (this.start[n] > last) return -1;
      if (first <= this.last[n]) return n;
      const r = this.right[n];
      if (r < 0 || first > this.sub[r]) return -1;
      n = r;
    }
  }

  private h(n: number): number {
    return n < 0 ? 0 : this.height[n];
  }

  /** Recomputes n's height and subtree_last from its children (the augment callback). */
  private fix(n: number): void {
    const l = this.left[n];
    const r = this.right[n];
    this.height[n] = 1 + Math.max(this.h(l), this.h(r));
    let s = this.last[n];
    if (l >= 0 && this.sub[l] > s) s = this.sub[l];
    if (r >= 0 && this.sub[r] > s) s = this.sub[r];
    this.sub[n] = s;
  }

  private replaceChild(p: number, old: number, by: number): void {
    if (p < 0) this.root = by;
    else if (this.left[p] === old) this.left[p] = by;
    else this.right[p] = by;
  }

  private rotateLeft(x: number): number {
    const y = this.right[x];
    const b = this.left[y];
    this.right[x] = b;
    if (b >= 0) this.parent[b] = x;
    const p = this.parent[x];
    this.parent[y] = p;
    this.replaceChild(p, x, y);
    this.left[y] = x;
    this.parent[x] = y;
    this.fix(x);
    this.fix(y);
    return y;
  }

  private rotateRight(x: number): number {
    const y = this.left[x];
    const b = this.right[y];
    this.left[x] = b;
    if (b >= 0) this.parent[b] = x;
    const p = this.parent[x];
    this.parent[y] = p;
    this.replaceChild(p, x, y);
    this.right[y] = x;
    this.parent[x] = y;
    this.fix(x);
    this.fix(y);
    return y;
  }

  /** Restores balance and the augmentation from n up to the root. */
  private retrace(n: number): void {
    while (n >= 0) {
      const l = this.left[n];
      const r = this.right[n];
      const bf = this.h(l) - this.h(r);
      if (bf > 1) {
        if (this.h(this.left[l]) < this.h(this.right[l])) this.rotateLeft(l);
        n = this.rotateRight(n);
      } else if (bf < -1) {
        if (this.h(this.right[r]) < this.h(this.left[r])) this.rotateRight(r);
        n = this.rotateLeft(n);
      } else this.fix(n);
      n = this.parent[n];
    }
  }

  private allocNode(): number {
    if (this.freeHead >= 0) {
      const n = this.freeHead;
      this.freeHead = this.left[n];
      return n;
    }
    if (this.used === this.left.length) this.grow();
    return this.used++;
  }

  private freeNode(n: number): void {
    this.vmas[n] = null;
    this.left[n] = this.freeHead;
    this.freeHead = n;
  }

  private grow(): void {
    const cap = this.left.length * 2;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.left = i32(this.left);
    this.right = i32(this.right);
    this.parent = i32(this.parent);
    this.height = i32(this.height);
    this.start = f64(this.start);
    this.last = f64(this.last);
    this.sub = f64(this.sub);
  }
}
