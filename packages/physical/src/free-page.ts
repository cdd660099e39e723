// __free_pages() in full (mm/page_alloc.c __free_pages, free_pages_prepare, free_frozen_pages)
// behind PhysicalMemory.freePages()'s inlined order-0 fast path: every check and Bug, compound
// and split blocks, page types, tail pages, any order. Functions of the machine `m`; not part
// of the package API.
import { BUG } from "@mmsim/base";
import { BUDDY_TYPE, freeOnePage } from "./buddy";
import { MAX_PAGE_ORDER, MIGRATE_ISOLATE, MIGRATE_MOVABLE, MIGRATE_PCPTYPES, PAGE_ALLOC_COSTLY_ORDER, PAGEBLOCK_ORDER } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { PAGEFLAGS_MASK, PG_active, PG_head, PG_locked, PG_lru, PG_mlocked, PG_private, PG_private_2, PG_reserved, PG_unevictable, PG_writeback } from "./page-flags";
import { freeToPcp } from "./pcp";

const BUDDY = BUDDY_TYPE;
const HEAD_BIT = 1 << PG_head;
const PB_ORDER = PAGEBLOCK_ORDER;
const ISOLATE = MIGRATE_ISOLATE;
const MOVABLE = MIGRATE_MOVABLE;
const PCPTYPES = MIGRATE_PCPTYPES;
const COSTLY_ORDER = PAGE_ALLOC_COSTLY_ORDER;
const MAX_ORDER = MAX_PAGE_ORDER;
const FLAGS_MASK = PAGEFLAGS_MASK;

/** PAGE_FLAGS_CHECK_AT_FREE: flags a page may not carry when it is freed. */
export const CHECK_AT_FREE = (1 << PG_lru) | (1 << PG_locked) | (1 << PG_private) | (1 << PG_private_2) | (1 << PG_writeback) | (1 << PG_reserved) | (1 << PG_active) | (1 << PG_unevictable) | (1 << PG_mlocked);

/** __free_pages() in full: every check, compound and split blocks, any order. */
export function freePagesFull(m: PhysicalMemory, pfn: number, order: number): void {
  const p = m.pages;
  const i = p.idx(pfn);
  if (i < 0) BUG("__free_pages", `pfn ${pfn} has no struct page`);
  if (!(order >= 0 && order <= MAX_ORDER)) BUG("__free_pages", `bad order ${order}`);
  const flags = p.flags;
  const mapcount = p.mapcount;
  const ref = p.refcount[i];
  const mc = mapcount[i];
  if (ref <= 0 || mc === BUDDY) doubleFree(m, pfn, ref);
  const f = flags[i];
  const head = f & HEAD_BIT;
  if (head !== 0 && p.index[i + 1] !== order) compoundOrderMismatch(m, pfn, order);
  p.refcount[i] = ref - 1;
  if (ref !== 1) {
    if (head === 0 && order > 0) freeOtherSubblocks(m, i, order);
    return;
  }
  // free_pages_prepare(): free_page_is_bad() on the first page. A page type (slab, table,
  // ...) is cleared here, as 6.12+ does, but a mapped page or one still in use (PG_lru, ...)
  // is a Bug.
  if (mc >= 0 || (f & CHECK_AT_FREE) !== 0) badPage(m, i, i);
  const zoneBits = (f & ~FLAGS_MASK) >>> 0;
  flags[i] = zoneBits;
  mapcount[i] = -1;
  p.mapping[i] = 0;
  if (order > 0) freeTailPages(m, i, order, zoneBits);
  const zone = m.zoneByBits[f >>> 24]!;
  zone.pgfree += 1 << order;
  if (m.trace.on === true) m.trace.emit("mm_page_free", { pfn, order });
  // free_frozen_pages(): orders 0..3 and THP to this CPU's PCP list, the rest to the buddy lists
  let mt = p.pageblockMt[i >>> PB_ORDER];
  if ((order <= COSTLY_ORDER || order === PB_ORDER) && mt !== ISOLATE) {
    if (mt >= PCPTYPES) mt = MOVABLE;
    freeToPcp(m, zone, zone.thisCpuPcp, i, order, mt);
  } else {
    p.private[i] = 0;
    freeOnePage(zone, i, order, mt, false);
  }
}

/**
 * __free_pages() of a non-compound block whose first page is still referenced: every other
 * sub-block (order-1, order-2, ... halves) is freed now. Their pages must be unreferenced.
 */
export function freeOtherSubblocks(m: PhysicalMemory, i: number, order: number): void {
  const p = m.pages;
  while (order-- > 0) {
    const j = i + (1 << order);
    if (p.refcount[j] !== 0 || p.mapcount[j] === BUDDY) badPage(m, j, i);
    p.refcount[j] = 1;
    freePagesFull(m, p.pfn(j), order);
  }
}

export function doubleFree(m: PhysicalMemory, pfn: number, ref: number): never {
  BUG("__free_pages", `pfn ${pfn}: page is free (refcount ${ref}): double free or never allocated`);
}

export function compoundOrderMismatch(m: PhysicalMemory, pfn: number, order: number): never {
  BUG("free_pages_prepare", `pfn ${pfn}: compound order ${m.pages.index[m.pages.idx(pfn) + 1]} freed as order ${order}`);
}

/**
 * The tail pages of a freed block. With debugPageChecks (CONFIG_DEBUG_VM), each is checked as
 * free_page_is_bad() does and fully reset. Without, as Linux's default: PG_* flags, the
 * compound head link (private), mapping and index are reset without looking; refcount and
 * mapcount are left alone, so a tail still referenced or mapped stays wrong inside the free
 * block, where verify() reports it.
 */
export function freeTailPages(m: PhysicalMemory, i: number, order: number, zoneBits: number): void {
  const p = m.pages;
  const { flags, private: priv, mapping, index } = p;
  const end = i + (1 << order);
  if (m.debugPageChecks) {
    const { mapcount, refcount } = p;
    for (let j = i + 1; j < end; j++) {
      const mc = mapcount[j];
      if (mc >= 0 || mc === BUDDY || (flags[j] & CHECK_AT_FREE) !== 0 || refcount[j] !== 0) badPage(m, j, i);
      mapcount[j] = -1;
    }
  }
  // A block never spans zones, so every tail has the head's node and zone bits.
  for (let j = i + 1; j < end; j++) {
    flags[j] = zoneBits;
    priv[j] = 0;
    mapping[j] = 0;
    index[j] = 0;
  }
}

/** free_page_is_bad(): reports the first bad page state found at page index j (block at i). */
export function badPage(m: PhysicalMemory, j: number, i: number): never {
  const p = m.pages;
  if (p.mapcount[j] === BUDDY_TYPE) BUG("free_pages_prepare", `pfn ${p.pfn(j)} is already in the buddy allocator`);
  if (p.mapcount[j] >= 0) BUG("free_pages_prepare", `bad page state: pfn ${p.pfn(j)} still mapped (mapcount ${p.mapcount[j] + 1})`);
  if (j !== i && p.refcount[j] !== 0) BUG("free_pages_prepare", `bad page state: tail pfn ${p.pfn(j)} has refcount ${p.refcount[j]}`);
  BUG("free_pages_prepare", `bad page state: pfn ${p.pfn(j)} flags 0x${(p.flags[j] & PAGEFLAGS_MASK).toString(16)}`);
}
