// Per-page state of the upper layers, in the role of Linux's page_ext (mm/page_ext.c): what
// struct page does not hold (an LRU generation, a swap slot, a page-cache owner, ...) lives in
// typed arrays parallel to PageArray's fields, indexed by the same page index, each owned and
// written by the one layer that needs it. Not modelled: page_ext's boot-time registration of
// clients and memory hotplug (the mem_map never grows after boot, so neither do these arrays).

import type { PageArray } from "./mm-types";

/** The typed arrays a per-page array may be. */
export type PageExtArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/**
 * A typed array with one element per struct page of `pages`, filled with `fill`: element
 * pages.idx(pfn) belongs to pfn, as in PageArray's own fields. It is sized like the mem_map,
 * by present SPARSEMEM sections (pages.length = present sections × PAGES_PER_SECTION), so
 * holes cost no host memory.
 */
export function pageExtArray<T extends PageExtArray>(pages: PageArray, ctor: new (length: number) => T, fill = 0): T {
  const a = new ctor(pages.length);
  if (fill !== 0) a.fill(fill);
  return a;
}
