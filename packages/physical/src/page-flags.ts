// Page flags and page types (include/linux/page-flags.h, 6.18 x86-64 configuration).
// PG_* are bit numbers in page->flags, in Linux's enum order. Since 6.12 PageBuddy, PageSlab,
// PageTable, ... are not flags but a "page type" held in the top byte of page->page_type, a
// union with _mapcount: a page with a type cannot be mapped, and _mapcount = -1 (0xffffffff)
// means "no type, not mapped". mmsim stores both in PageArray.mapcount the same way, in 16
// bits: the type in the top byte (0xf000 = PGTY_buddy), -1 (0xffff) for none; a mapped page
// holds mapcount − 1 in 0..32766 (DESIGN.md: 16-bit _mapcount).

export const PG_locked = 0;
export const PG_writeback = 1;
export const PG_referenced = 2;
export const PG_uptodate = 3;
export const PG_dirty = 4;
export const PG_lru = 5;
export const PG_head = 6;
export const PG_waiters = 7;
export const PG_active = 8;
export const PG_workingset = 9;
export const PG_owner_priv_1 = 10;
export const PG_owner_2 = 11;
export const PG_arch_1 = 12;
export const PG_reserved = 13;
export const PG_private = 14;
export const PG_private_2 = 15;
export const PG_reclaim = 16;
export const PG_swapbacked = 17;
export const PG_unevictable = 18;
export const PG_dropbehind = 19;
export const PG_mlocked = 20;
export const PG_hwpoison = 21;
export const PG_young = 22;
export const PG_idle = 23;
/** __NR_PAGEFLAGS on x86-64 with MMU, MEMORY_FAILURE and PAGE_IDLE_FLAG. */
export const NR_PAGEFLAGS = 24;
// Aliases Linux defines on top of the enum.
export const PG_readahead = PG_reclaim;
export const PG_swapcache = PG_owner_priv_1;
export const PG_checked = PG_owner_priv_1;
/** anonymous folios: the page is mapped by exactly one process and may be written in place (GUP, COW) */
export const PG_anon_exclusive = PG_owner_2;
/** pagecache folios: all buffer heads are mapped */
export const PG_mappedtodisk = PG_owner_2;
export const PG_fscache = PG_private_2;
export const PG_isolated = PG_reclaim;
export const PG_reported = PG_uptodate;

export const PAGEFLAG_NAMES = [
  "locked", "writeback", "referenced", "uptodate", "dirty", "lru", "head", "waiters",
  "active", "workingset", "owner_priv_1", "owner_2", "arch_1", "reserved", "private",
  "private_2", "reclaim", "swapbacked", "unevictable", "dropbehind", "mlocked", "hwpoison",
  "young", "idle",
] as const;

/**
 * page->flags layout in mmsim (Linux packs node and zone into the top bits the same way):
 *   bit 31..27 node id (up to 32 nodes)  bit 26..24 zone type  bit 23..0 PG_* flags
 */
export const PAGEFLAGS_MASK = (1 << NR_PAGEFLAGS) - 1;
export const ZONES_PGSHIFT = 24;
export const NODES_PGSHIFT = 27;
export const MAX_NUMNODES = 32;

/** Page types (enum pagetype): the top byte of page_type. 0x00-0xef are mapcounts. */
export const PGTY_buddy = 0xf0;
export const PGTY_offline = 0xf1;
export const PGTY_table = 0xf2;
export const PGTY_guard = 0xf3;
export const PGTY_hugetlb = 0xf4;
export const PGTY_slab = 0xf5;
export const PGTY_zsmalloc = 0xf6;
export const PGTY_unaccepted = 0xf7;
export const PGTY_large_kmalloc = 0xf8;
export const PGTY_mapcount_underflow = 0xff;

/** Returns the name of a page type ("buddy", "slab", ...) or null for none. */
export function pageTypeName(ty: number): string | null {
  const names: Record<number, string> = {
    [PGTY_buddy]: "buddy", [PGTY_offline]: "offline", [PGTY_table]: "table", [PGTY_guard]: "guard",
    [PGTY_hugetlb]: "hugetlb", [PGTY_slab]: "slab", [PGTY_zsmalloc]: "zsmalloc",
    [PGTY_unaccepted]: "unaccepted", [PGTY_large_kmalloc]: "large_kmalloc",
  };
  return names[ty] ?? null;
}
