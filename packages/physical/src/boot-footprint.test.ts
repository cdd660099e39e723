// Which struct page words boot writes (mm/mm_init.c memmap_init, reserve_bootmem_region;
// mm/page_alloc.c __free_one_page via memblock_free_all). A boot's host cost is the memory it
// first-touches (docs/design/performance.md, "Booting a 64 GiB machine"): boot must write
// mapping, index and the refcount of no free page (their host pages stay untouched), and list
// links, private and page_type only on the heads of free blocks.
import { describe, expect, it } from "vitest";
import { pageTypeValue } from "./mm-types";
import { PG_reserved, PGTY_buddy } from "./page-flags";
import { pciHole, tiny } from "../test/machines";
import type { PhysicalMemory } from "./page-alloc";

/** Counts, over every struct page, the words boot wrote that it should not have; all must be 0. */
function strayWrites(m: PhysicalMemory): Record<string, number> {
  const p = m.pages;
  const buddy = pageTypeValue(PGTY_buddy);
  const stray = { mapping: 0, index: 0, refcountFree: 0, linksOffHead: 0, privateOffHead: 0, typeOffHead: 0 };
  for (let i = 0; i < p.length; i++) {
    const head = p.mapcount[i] === buddy;
    const reserved = (p.flags[i] & (1 << PG_reserved)) !== 0;
    if (p.mapping[i] !== 0) stray.mapping++;
    if (p.index[i] !== 0) stray.index++;
    if (!reserved && p.refcount[i] !== 0) stray.refcountFree++;
    if (!head && (p.lruNext[i] !== -1 || p.lruPrev[i] !== -1)) stray.linksOffHead++;
    if (!head && p.private[i] !== 0) stray.privateOffHead++;
    if (!head && p.mapcount[i] !== -1) stray.typeOffHead++;
  }
  return stray;
}

describe("boot footprint: the struct page words boot writes", () => {
  it("a 64 MiB machine: mapping, index, refcount of free pages, and off-head links/private/type untouched", () => {
    expect(strayWrites(tiny())).toEqual({ mapping: 0, index: 0, refcountFree: 0, linksOffHead: 0, privateOffHead: 0, typeOffHead: 0 });
  });

  it("an 8 GiB PC with a PCI hole and a kernel image: the same", () => {
    expect(strayWrites(pciHole())).toEqual({ mapping: 0, index: 0, refcountFree: 0, linksOffHead: 0, privateOffHead: 0, typeOffHead: 0 });
  });
});
