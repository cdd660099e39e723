// struct page as struct-of-arrays (include/linux/mm_types.h), with SPARSEMEM sections: only
// 128 MiB sections that contain present memory get a mem_map, so holes cost no host memory.
// Not modelled: folios as a separate type (a folio is its head page here), memcg_data,
// _last_cpupid, virtual.
import { BUG } from "@mmsim/base";
import { PAGEBLOCK_ORDER, PAGES_PER_SECTION, PFN_SECTION_SHIFT } from "./mmzone";
import { NODES_PGSHIFT, PAGEFLAGS_MASK, PGTY_buddy, PGTY_mapcount_underflow, ZONES_PGSHIFT } from "./page-flags";

// Local copies for idx()/pfn(), called on every allocation and free: an imported binding
// costs a module-cell load and a TDZ check on every use.
const SECTION_MASK = PAGES_PER_SECTION - 1;
const SECTION_SHIFT = PFN_SECTION_SHIFT;
const SECTION_PAGES = PAGES_PER_SECTION;
/** Byte skew between consecutive page-array fields in their shared buffer (3 cache lines). */
const SKEW = 192;

/**
 * The 16-bit page_type value of type `ty` (PGTY_*): the type in the top byte, as Linux keeps
 * it in the top byte of its 32-bit page_type. Signed, as Int16Array stores it.
 */
export function pageTypeValue(ty: number): number {
  return ((ty << 8) << 16) >> 16;
}

/** The 16-bit page_type/_mapcount word as 4 hex digits (0xffff = no type, not mapped). */
function pageTypeHex(v: number): string {
  return (v & 0xffff).toString(16).padStart(4, "0");
}

/**
 * The mem_map. Typed arrays are indexed by a *page index* (`idx(pfn)`), not by pfn: present
 * sections are packed one after another, and the low 15 bits of an index equal those of its
 * pfn, so buddy arithmetic (`idx ^ (1 << order)`) works on indices inside a section.
 *
 * Fields (30 bytes per frame): flags (PG_* bits | zone | node), refcount (_refcount),
 * mapcount (16-bit _mapcount in union with page_type: the type in the top byte, -1 = no type
 * and not mapped), private (buddy order on free pages), lruNext/lruPrev (list links: buddy,
 * PCP or LRU lists, by page index), mapping (an owner id chosen by the upper layer), index
 * (pgoff). Plus one byte per pageblock: its migratetype.
 *
 * Invariants (checked by PhysicalMemory.verify):
 *   - a page with type PGTY_buddy is the head of a free block of order `private`, on exactly
 *     one free list of its zone, with refcount 0;
 *   - node and zone bits of every present page name the zone whose span holds it.
 */
export class PageArray {
  // `declare`d fields, assigned in the constructor: see Zone for why (no undefined first).
  declare readonly flags: Uint32Array;
  declare readonly refcount: Int32Array;
  /** _mapcount (mapcount − 1, −1 = unmapped) in union with page_type: 16 bits, see DESIGN.md */
  declare readonly mapcount: Int16Array;
  declare readonly private: Int32Array;
  declare readonly lruNext: Int32Array;
  declare readonly lruPrev: Int32Array;
  declare readonly mapping: Int32Array;
  declare readonly index: Uint32Array;
  /** migratetype of each pageblock, indexed by idx >>> PAGEBLOCK_ORDER */
  declare readonly pageblockMt: Uint8Array;
  /** section number → slot of its mem_map, or -1 when the section has none */
  declare readonly sectionSlot: Int32Array;
  /** slot → first pfn of that section */
  declare readonly slotPfn: Uint32Array;
  declare readonly nrSlots: number;

  declare readonly maxPfn: number;

  constructor(maxPfn: number, presentSections: readonly number[]) {
    this.maxPfn = maxPfn;
    const nrSections = Math.ceil(maxPfn / PAGES_PER_SECTION);
    this.sectionSlot = new Int32Array(nrSections).fill(-1);
    this.slotPfn = new Uint32Array(presentSections.length);
    for (let slot = 0; slot < presentSections.length; slot++) {
      this.sectionSlot[presentSections[slot]] = slot;
      this.slotPfn[slot] = presentSections[slot] * PAGES_PER_SECTION;
    }
    this.nrSlots = presentSections.length;
    const n = this.nrSlots * PAGES_PER_SECTION;
    // All eight fields share one buffer. Each 32-bit array is n × 4 bytes, a multiple of
    // 128 KiB, so laid end to end the same pfn of every field would fall in the same L1 cache
    // set (and alias at 4 KiB); a skew of SKEW bytes per field spreads them over distinct sets.
    // The 16-bit mapcount comes last, so every 32-bit view stays 4-byte aligned.
    const stride = n * 4 + SKEW;
    const buf = new ArrayBuffer(stride * 7 + n * 2);
    this.flags = new Uint32Array(buf, 0, n);
    this.refcount = new Int32Array(buf, stride, n);
    this.private = new Int32Array(buf, stride * 2, n);
    this.lruNext = new Int32Array(buf, stride * 3, n).fill(-1);
    this.lruPrev = new Int32Array(buf, stride * 4, n).fill(-1);
    this.mapping = new Int32Array(buf, stride * 5, n);
    this.index = new Uint32Array(buf, stride * 6, n);
    this.mapcount = new Int16Array(buf, stride * 7, n).fill(-1);
    this.pageblockMt = new Uint8Array(n >>> PAGEBLOCK_ORDER);
  }

  /** Number of page slots (present sections × pages per section). */
  get length(): number {
    return this.flags.length;
  }

  /** The page index of `pfn`, or -1 when pfn has no struct page (a hole section or ≥ maxPfn). */
  idx(pfn: number): number {
    if (!(pfn >= 0 && pfn < this.maxPfn)) return -1;
    const slot = this.sectionSlot[pfn >>> SECTION_SHIFT];
    return slot < 0 ? -1 : slot * SECTION_PAGES + (pfn & SECTION_MASK);
  }

  /** The pfn of page index `i`. */
  pfn(i: number): number {
    return this.slotPfn[i >>> SECTION_SHIFT] + (i & SECTION_MASK);
  }

  /** pfn_valid(): true when pfn has a struct page. */
  valid(pfn: number): boolean {
    return this.idx(pfn) >= 0;
  }

  private at(pfn: number, fn: string): number {
    const i = this.idx(pfn);
    if (i < 0) BUG(fn, `pfn ${pfn} has no struct page`);
    return i;
  }

  /** True when PG_<bit> is set on pfn. */
  testFlag(pfn: number, bit: number): boolean {
    return (this.flags[this.at(pfn, "PageFlag")] & (1 << bit)) !== 0;
  }

  setFlag(pfn: number, bit: number): void {
    const i = this.at(pfn, "SetPageFlag");
    this.flags[i] = (this.flags[i] | (1 << bit)) >>> 0;
  }

  clearFlag(pfn: number, bit: number): void {
    const i = this.at(pfn, "ClearPageFlag");
    this.flags[i] = (this.flags[i] & ~(1 << bit)) >>> 0;
  }

  /** The PG_* bits of pfn (node and zone bits masked off). */
  pageFlags(pfn: number): number {
    return this.flags[this.at(pfn, "page_flags")] & PAGEFLAGS_MASK;
  }

  /** page_zonenum(): the zone type (ZONE_*) of pfn. */
  zoneType(pfn: number): number {
    return (this.flags[this.at(pfn, "page_zonenum")] >>> ZONES_PGSHIFT) & 7;
  }

  /** page_to_nid(). */
  nid(pfn: number): number {
    return this.flags[this.at(pfn, "page_to_nid")] >>> NODES_PGSHIFT;
  }

  /** The page type (PGTY_*) of pfn, or 0 when it has none. */
  getType(pfn: number): number {
    const t = (this.mapcount[this.at(pfn, "page_type")] >>> 8) & 0xff;
    return t >= PGTY_buddy && t < PGTY_mapcount_underflow ? t : 0;
  }

  /**
   * __SetPage<Type>(): gives pfn a page type. A page that already has a type or is mapped is
   * a Bug (VM_BUG_ON_PAGE in Linux). PGTY_buddy is reserved to the buddy allocator.
   */
  setType(pfn: number, ty: number): void {
    const i = this.at(pfn, "__SetPageType");
    if (ty === PGTY_buddy) BUG("__SetPageType", `pfn ${pfn}: PGTY_buddy belongs to the buddy allocator`);
    if (this.mapcount[i] !== -1) BUG("__SetPageType", `pfn ${pfn}: page_type 0x${pageTypeHex(this.mapcount[i])} is not empty`);
    this.mapcount[i] = pageTypeValue(ty);
  }

  /** __ClearPage<Type>(): removes type `ty` from pfn; a different or absent type is a Bug. */
  clearType(pfn: number, ty: number): void {
    const i = this.at(pfn, "__ClearPageType");
    if (this.mapcount[i] !== pageTypeValue(ty)) {
      BUG("__ClearPageType", `pfn ${pfn}: page_type 0x${pageTypeHex(this.mapcount[i])} is not 0x${ty.toString(16)}`);
    }
    this.mapcount[i] = -1;
  }

  /** page_ref_count(). */
  refCount(pfn: number): number {
    return this.refcount[this.at(pfn, "page_ref_count")];
  }

  /** get_pageblock_migratetype() of the pageblock holding pfn. */
  pageblockMigratetype(pfn: number): number {
    return this.pageblockMt[this.at(pfn, "get_pageblock_migratetype") >>> PAGEBLOCK_ORDER];
  }

  /** Host bytes held by the mem_map and pageblock bitmap. */
  hostBytes(): number {
    return this.flags.buffer.byteLength + this.pageblockMt.length + this.sectionSlot.byteLength + this.slotPfn.byteLength;
  }
}
