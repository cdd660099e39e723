// The parts of the physical layer's verify() off its success path: the highatomic check (per
// pageblock, not per page) and the messages of checkPages(), which find the block a bad page
// belongs to only once a check has failed.
import { BUG } from "@mmsim/base";
import { maxReservedHighatomic } from "../highatomic";
import { MAX_ORDER_NR_PAGES, MIGRATE_HIGHATOMIC, MIGRATE_TYPES, NR_PCP_LISTS, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER } from "../mmzone";
import type { Zone } from "../mmzone";
import type { PhysicalMemory } from "../page-alloc";
import { PAGEFLAGS_MASK } from "../page-flags";

/** Scratch mark of a free-list head: FREE_HEAD + 1 + order (0 = not a head). */
export const FREE_HEAD = 0;
/** Scratch mark of a PCP-list head: PCP_HEAD + 1 + order (so a block has 1 << ((mark & 31) - 1) pages). */
export const PCP_HEAD = 32;

/** Where free block i is, for messages: zone, order, migratetype, pfn. */
export function freeWhere(z: Zone, o: number, mt: number, i: number): string {
  return `${z.name} order ${o} ${mt} pfn ${z.pages.pfn(i)}`;
}

/** Where PCP block i is, for messages: zone, CPU, list, pfn. */
export function pcpWhere(z: Zone, cpu: number, k: number, i: number): string {
  return `${z.name} cpu ${cpu} pcp list ${k} pfn ${z.pages.pfn(i)}`;
}

/** The list that holds head i (the walks found it there, so the search ends). */
function whereIs(m: PhysicalMemory, mark: Uint8Array, i: number): string {
  const next = m.pages.lruNext;
  const limit = m.pages.length;
  for (const z of m.zones()) {
    if (mark[i] < PCP_HEAD) {
      const o = mark[i] - FREE_HEAD - 1;
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        for (let j = z.freeArea[o].head[mt], n = 0; j >= 0 && n < limit; j = next[j], n++) if (j === i) return freeWhere(z, o, mt, i);
      }
    } else {
      for (let cpu = 0; cpu < z.pcp.length; cpu++) {
        for (let k = 0; k < NR_PCP_LISTS; k++) {
          for (let j = z.pcp[cpu].head[k], n = 0; j >= 0 && n < limit; j = next[j], n++) if (j === i) return pcpWhere(z, cpu, k, i);
        }
      }
    }
  }
  return `pfn ${m.pages.pfn(i)}`;
}

/** Invariants 5, 7 broken at tail j of the block whose head is i. */
export function reportBadTail(m: PhysicalMemory, mark: Uint8Array, i: number, j: number): never {
  const p = m.pages;
  const where = whereIs(m, mark, i);
  if (mark[j] !== 0) BUG("verify", `page counted twice (overlapping free blocks): ${where} covers ${whereIs(m, mark, j)}`);
  BUG("verify", `free tail pfn ${p.pfn(j)} in bad state (refcount ${p.refcount[j]}, mapcount ${p.mapcount[j] + 1}, flags 0x${(p.flags[j] & PAGEFLAGS_MASK).toString(16)}): ${where}`);
}

/** Invariant 5 broken: page i is PGTY_buddy but heads no listed block (nor lies in one). */
export function reportStrayBuddy(m: PhysicalMemory, i: number): never {
  BUG("verify", `PageBuddy page pfn ${m.pages.pfn(i)} (order ${m.pages.private[i]}) is on no free list`);
}

/** Invariant 9: the highatomic reserve of zone z matches its HighAtomic pageblocks. */
export function verifyHighatomic(z: Zone): void {
  const p = z.pages;
  const blockPages = PAGEBLOCK_NR_PAGES, blockOrder = PAGEBLOCK_ORDER, haType = MIGRATE_HIGHATOMIC; // imported: read once
  const start = z.zoneStartPfn, end = z.zoneEndPfn;
  let blocks = 0;
  for (let pfn = start - (start % blockPages); pfn < end; pfn += blockPages) {
    const i = p.idx(Math.max(pfn, start));
    if (i < 0 || p.pageblockMt[i >>> blockOrder] !== haType) continue;
    if (pfn < start || pfn + blockPages > end) BUG("verify", `${z.name}: HighAtomic pageblock at pfn ${pfn} straddles the zone`);
    blocks++;
  }
  const reserved = z.nrReservedHighatomic;
  if (reserved !== blocks * PAGEBLOCK_NR_PAGES) {
    BUG("verify", `${z.name}: nr_reserved_highatomic ${reserved} but ${blocks} HighAtomic pageblocks (${blocks * PAGEBLOCK_NR_PAGES} pages)`);
  }
  const max = maxReservedHighatomic(z);
  if (reserved > 0 && (max === 0 || reserved >= max + MAX_ORDER_NR_PAGES)) {
    BUG("verify", `${z.name}: nr_reserved_highatomic ${reserved} beyond what reserve_highatomic_pageblock allows (cap ${max})`);
  }
  if (z.nrFreeHighatomic > reserved) BUG("verify", `${z.name}: nr_free_highatomic ${z.nrFreeHighatomic} > nr_reserved_highatomic ${reserved}`);
}
