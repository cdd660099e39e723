// memmap_init() (mm/mm_init.c): gives every struct page its node and zone and every pageblock
// that starts inside a memory range its migratetype (MIGRATE_MOVABLE); struct pages of holes
// (init_unavailable_range) become PG_reserved and are counted in the boot log. Pageblocks
// whose first pfn lies in a hole keep type 0, MIGRATE_UNMOVABLE, as in Linux.
import type { PageArray } from "./mm-types";
import { MIGRATE_MOVABLE, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, PAGES_PER_SECTION, ZONE_TYPE_NAMES } from "./mmzone";
import type { Pglist, Zone } from "./mmzone";
import { NODES_PGSHIFT, PG_reserved, ZONES_PGSHIFT } from "./page-flags";

/** One memory range of memblock.memory in pfns (for_each_mem_pfn_range), end exclusive. */
export interface PfnRange {
  nid: number;
  start: number;
  end: number;
}

/** The node and zone bits of page->flags (set_page_links) for a zone type on a node. */
export function zoneBits(nid: number, type: number): number {
  return ((nid << NODES_PGSHIFT) | (type << ZONES_PGSHIFT)) >>> 0;
}

/**
 * The page index of pfn when its section has a mem_map, else -1. Unlike PageArray.idx this
 * also answers for the struct pages past max_pfn in the last present section.
 */
function sectionIdx(pages: PageArray, pfn: number): number {
  const sec = Math.floor(pfn / PAGES_PER_SECTION);
  const slot = sec < pages.sectionSlot.length ? pages.sectionSlot[sec] : -1;
  return slot < 0 ? -1 : slot * PAGES_PER_SECTION + (pfn % PAGES_PER_SECTION);
}

/**
 * memmap_init(): walks the memory ranges in address order and, for each populated zone of
 * the range's node, the part of the range inside the zone (memmap_init_zone_range). Every
 * struct page of a zone span gets the zone's links; each pageblock whose aligned first pfn
 * is inside a range becomes MIGRATE_MOVABLE (memmap_init_range sets the type only at
 * pageblock_aligned(pfn)). The holes before each piece and after the last range up to its
 * section end go to init_unavailable_range with the zone of the piece that follows them (the
 * last populated zone for the tail). Prints one line per hole that has struct pages.
 */
export function memmapInit(nodes: readonly Pglist[], pages: PageArray, ranges: readonly PfnRange[], log: string[]): void {
  for (const node of nodes) {
    for (const z of node.zones) {
      if (!z.spannedPages) continue;
      const bits = zoneBits(z.nid, z.type);
      for (let pfn = z.zoneStartPfn; pfn < z.zoneEndPfn; ) {
        const end = Math.min(z.zoneEndPfn, (Math.floor(pfn / PAGES_PER_SECTION) + 1) * PAGES_PER_SECTION);
        const i = pages.idx(pfn);
        if (i >= 0) pages.flags.fill(bits, i, i + (end - pfn));
        pfn = end;
      }
    }
  }
  let holePfn = 0;
  let zoneType = 0;
  let nid = 0;
  let endPfn = 0;
  for (const r of ranges) {
    nid = r.nid;
    endPfn = r.end;
    for (const z of nodes[r.nid].zones) {
      if (!z.populated) continue;
      zoneType = z.type;
      holePfn = memmapInitZoneRange(pages, z, r.start, r.end, holePfn, log);
    }
  }
  const tailEnd = Math.ceil(endPfn / PAGES_PER_SECTION) * PAGES_PER_SECTION;
  if (holePfn < tailEnd) initUnavailableRange(pages, holePfn, tailEnd, zoneType, nid, log);
}

/** memmap_init_zone_range(): one range clamped to one zone; returns the new hole_pfn. */
function memmapInitZoneRange(pages: PageArray, z: Zone, start: number, end: number, holePfn: number, log: string[]): number {
  const s = Math.min(Math.max(start, z.zoneStartPfn), z.zoneEndPfn);
  const e = Math.min(Math.max(end, z.zoneStartPfn), z.zoneEndPfn);
  if (s >= e) return holePfn;
  // memmap_init_range(): the migratetype of each pageblock whose first pfn is in [s, e)
  for (let pfn = Math.ceil(s / PAGEBLOCK_NR_PAGES) * PAGEBLOCK_NR_PAGES; pfn < e; pfn += PAGEBLOCK_NR_PAGES) {
    pages.pageblockMt[pages.idx(pfn) >>> PAGEBLOCK_ORDER] = MIGRATE_MOVABLE;
  }
  if (holePfn < s) initUnavailableRange(pages, holePfn, s, z.type, z.nid, log);
  return e;
}

/**
 * init_unavailable_range(): struct pages of [spfn, epfn) in pageblocks that have a mem_map
 * get the given zone and node and PG_reserved with one reference (__init_single_page); the
 * count is printed with pr_info when not zero.
 */
function initUnavailableRange(pages: PageArray, spfn: number, epfn: number, zoneType: number, nid: number, log: string[]): void {
  const bits = (zoneBits(nid, zoneType) | (1 << PG_reserved)) >>> 0;
  let pgcnt = 0;
  for (let pfn = spfn; pfn < epfn; pfn++) {
    const i = sectionIdx(pages, pfn - (pfn % PAGEBLOCK_NR_PAGES));
    if (i < 0) {
      pfn += PAGEBLOCK_NR_PAGES - 1 - (pfn % PAGEBLOCK_NR_PAGES);
      continue;
    }
    const j = i + (pfn % PAGEBLOCK_NR_PAGES);
    pages.flags[j] = bits;
    pages.refcount[j] = 1;
    pgcnt++;
  }
  if (pgcnt) log.push(`On node ${nid}, zone ${ZONE_TYPE_NAMES[zoneType]}: ${pgcnt} pages in unavailable ranges`);
}
