// The ordered index of an mm's VMAs, standing in for the maple tree (mm->mm_mt, lib/maple_tree.c).
// VMAs are disjoint, so one array sorted by vmStart is also sorted by vmEnd: every lookup is a
// binary search (O(log n)); insert and erase move the tail of the array (a memmove, like a
// maple node rewrite but of the whole range). The gap search of get_unmapped_area walks gaps
// from the top (mm/mmap.c unmapped_area_topdown) instead of using the maple tree's gap tracking.
//
// Invariants (verify()): sorted by vmStart, vmStart < vmEnd, vmas[i].vmEnd <= vmas[i+1].vmStart.
import {
  BUG,
} from "@mmsim/base";
import type { VmAreaStruct } from "./mm-types";

// Local copies of imported bindings: an import is a getter call on the hot path (docs/design/performance.md, rule 2).

export class VmaTree {
  /** the VMAs in address order; read-only for users of the tree */
  readonly vmas: VmAreaStruct[] = [];

  get length(): number {
    return this.vmas.length;
  }

  /** Index of the first VMA with vmEnd > addr (vmas.length if none). */
  indexAfter(addr: number): number {
    const v = this.vmas;
    let lo = 0;
    let hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v[mid].vmEnd > addr) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index of `vma` in the tree; a VMA not in it is a Bug. */
  indexOf(vma: VmAreaStruct): number {
    const i = this.indexAfter(vma.vmStart);
    if (this.vmas[i] !== vma) BUG("vma_iter_index", `VMA ${vma.vmStart.toString(16)}-${vma.vmEnd.toString(16)} is not in the tree`);
    return i;
  }

  /** find_vma: the first VMA with vmEnd > addr, or null. */
  findVma(addr: number): VmAreaStruct | null {
    return this.vmas[this.indexAfter(addr)] ?? null;
  }

  /** vma_lookup: the VMA containing addr, or null. */
  vmaLookup(addr: number): VmAreaStruct | null {
    const v = this.vmas[this.indexAfter(addr)];
    return v !== undefined && v.vmStart <= addr ? v : null;
  }

  /** find_vma_intersection: the first VMA overlapping [start, end), or null. */
  findVmaIntersection(start: number, end: number): VmAreaStruct | null {
    const v = this.vmas[this.indexAfter(start)];
    return v !== undefined && v.vmStart < end ? v : null;
  }

  /** The last VMA with vmStart < addr... precisely: the VMA before find_vma(addr) (find_vma_prev's pprev), or null. */
  prevOf(addr: number): VmAreaStruct | null {
    const i = this.indexAfter(addr);
    return i > 0 ? this.vmas[i - 1] : null;
  }

  /** vma_next relative to a VMA in the tree. */
  vmaNext(vma: VmAreaStruct): VmAreaStruct | null {
    return this.vmas[this.indexOf(vma) + 1] ?? null;
  }

  /** vma_prev relative to a VMA in the tree. */
  vmaPrev(vma: VmAreaStruct): VmAreaStruct | null {
    const i = this.indexOf(vma);
    return i > 0 ? this.vmas[i - 1] : null;
  }

  /** The first VMA starting at or after addr, or null (the "next" of a gap at addr). */
  nextFrom(addr: number): VmAreaStruct | null {
    const i = this.indexAfter(addr);
    const v = this.vmas[i];
    if (v === undefined) return null;
    return v.vmStart >= addr ? v : (this.vmas[i + 1] ?? null);
  }

  /** vma_iter_store_new: links a VMA whose range is free; overlap is a Bug. */
  insert(vma: VmAreaStruct): void {
    const i = this.indexAfter(vma.vmStart);
    const at = this.vmas[i];
    if (at !== undefined && at.vmStart < vma.vmEnd) BUG("vma_iter_store", `${vma.vmStart.toString(16)}-${vma.vmEnd.toString(16)} overlaps ${at.vmStart.toString(16)}-${at.vmEnd.toString(16)}`);
    if (i === this.vmas.length) this.vmas.push(vma);
    else this.vmas.splice(i, 0, vma);
  }

  /** Unlinks a VMA that is in the tree. */
  remove(vma: VmAreaStruct): void {
    const i = this.indexOf(vma);
    if (i === this.vmas.length - 1) this.vmas.pop();
    else this.vmas.splice(i, 1);
  }

  /** Checks the tree's invariants; the function name in a Bug is `validate_mm`. */
  verify(): void {
    const v = this.vmas;
    for (let i = 0; i < v.length; i++) {
      if (!(v[i].vmStart < v[i].vmEnd)) BUG("validate_mm", `empty or inverted VMA ${v[i].vmStart.toString(16)}-${v[i].vmEnd.toString(16)}`);
      if (v[i].detached) BUG("validate_mm", `detached VMA ${v[i].vmStart.toString(16)} in the tree`);
      if (i > 0 && v[i - 1].vmEnd > v[i].vmStart) BUG("validate_mm", `VMAs ${v[i - 1].vmStart.toString(16)}-${v[i - 1].vmEnd.toString(16)} and ${v[i].vmStart.toString(16)} overlap or are unordered`);
    }
  }
}
