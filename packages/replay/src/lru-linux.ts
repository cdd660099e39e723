// Linux's two-list LRU (classic, without MGLRU) reduced to replacement: every access is
// folio_mark_accessed() (mm/swap.c) on a page-cache folio, every miss reads the page in.
//
//   inactive: head <-> new ... old <-> head      active: head <-> promoted ... old <-> head
//
// - A miss adds the page at the inactive head with PG_referenced set, as filemap_read()
//   marks a folio accessed when it reads it (mm/filemap.c).
// - A hit on an inactive page without PG_referenced sets it; with it set, the page is
//   activated (to the active head) and PG_referenced cleared; a hit on an active page sets
//   PG_referenced (folio_mark_accessed).
// - To free a frame, while the inactive list is low (inactive_is_low() in mm/vmscan.c:
//   inactive * ratio < active, ratio = int_sqrt(10 * gb) with gb the lists' size in GiB,
//   1 below 1 GiB) the active tail is deactivated to the inactive head, PG_referenced kept
//   (shrink_active_list); then the inactive tail is reclaimed: an unmapped clean page-cache
//   folio is freed whether referenced or not (folio_check_references).
// Not modelled: batches of SWAP_CLUSTER_MAX (one page is freed per miss), refault detection
// by shadow entries (mm/workingset.c), mapped pages and their PTE accessed bits.

import { BUG } from "@mmsim/base";
import { IdLists } from "./list";
import { Policy, grown, type PolicyName } from "./policy";

const INACTIVE = 0;
const ACTIVE = 1;
const HEADS = 2;
const NONE = 255;
/** 4 KiB pages: PAGE_SHIFT on x86-64 (arch/x86/include/asm/page_types.h) */
const PAGE_SHIFT = 12;
/** pages per GiB: 1 << (30 - PAGE_SHIFT), as inactive_is_low() shifts the list sizes */
const PAGES_PER_GIB = 2 ** (30 - PAGE_SHIFT);

/** int_sqrt (lib/math/int_sqrt.c): the integer square root, rounded down. */
export function intSqrt(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** The inactive_ratio of inactive_is_low() for lists holding `pages` pages in total. */
export function inactiveRatio(pages: number): number {
  const gb = Math.floor(pages / PAGES_PER_GIB);
  return gb ? intSqrt(10 * gb) : 1;
}

/** Active/inactive LRU with PG_referenced (see the file header). */
export class LruLinuxPolicy extends Policy {
  readonly name: PolicyName = "lru-linux";
  private lists = new IdLists(HEADS, 1024);
  private where = new Uint8Array(1024).fill(NONE);
  private referenced = new Uint8Array(1024);
  /** pages deactivated from the active list (pgdeactivate) */
  deactivated = 0;
  /** pages activated by a second access (pgactivate) */
  activated = 0;

  reserve(ids: number): void {
    this.lists.reserve(ids);
    const old = this.where.length;
    this.where = grown(this.where, ids + HEADS);
    this.where.fill(NONE, old);
    this.referenced = grown(this.referenced, ids + HEADS);
  }

  access(ids: Int32Array, n: number): void {
    const lists = this.lists;
    const where = this.where;
    const referenced = this.referenced;
    const count = lists.count;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const x = ids[i]! + HEADS;
      const w = where[x]!;
      if (w === INACTIVE) {
        hits++;
        if (referenced[x] === 0) {
          referenced[x] = 1;
        } else {
          lists.del(INACTIVE, x);
          lists.addHead(ACTIVE, x);
          where[x] = ACTIVE;
          referenced[x] = 0;
          this.activated++;
        }
        continue;
      }
      if (w === ACTIVE) {
        hits++;
        referenced[x] = 1;
        continue;
      }
      if (count[INACTIVE]! + count[ACTIVE]! === this.frames) this.reclaimOne();
      lists.addHead(INACTIVE, x);
      where[x] = INACTIVE;
      referenced[x] = 1;
    }
    this.hits += hits;
    this.misses += n - hits;
  }

  /** inactive_is_low(): inactive * inactive_ratio < active. */
  inactiveIsLow(): boolean {
    const count = this.lists.count;
    const inactive = count[INACTIVE]!;
    const active = count[ACTIVE]!;
    return inactive * inactiveRatio(inactive + active) < active;
  }

  private reclaimOne(): void {
    const lists = this.lists;
    while (this.inactiveIsLow()) {
      const y = lists.tail(ACTIVE);
      lists.del(ACTIVE, y);
      lists.addHead(INACTIVE, y);
      this.where[y] = INACTIVE;
      this.deactivated++;
    }
    const y = lists.tail(INACTIVE);
    lists.del(INACTIVE, y);
    this.where[y] = NONE;
    this.referenced[y] = 0;
  }

  resident(): number {
    return this.lists.count[INACTIVE]! + this.lists.count[ACTIVE]!;
  }

  verify(): void {
    const count = this.lists.count;
    for (const l of [INACTIVE, ACTIVE]) {
      const k = this.lists.walk(l, (x) => {
        if (this.where[x] !== l) BUG("lru-linux.verify", `node ${x} on list ${l} but where says ${this.where[x]}`);
      });
      if (k !== count[l]) BUG("lru-linux.verify", `list ${l} has ${k} nodes, count ${count[l]}`);
    }
    if (this.resident() > this.frames) BUG("lru-linux.verify", `${this.resident()} resident pages in ${this.frames} frames`);
  }
}
