// verify() of the physical layer (CONFIG_DEBUG_VM-style): recounts the free lists, PCP lists
// and per-page state from scratch and throws a Bug naming the first broken invariant.
import { BUG } from "@mmsim/base";
import { BUDDY_TYPE } from "../buddy";
import { maxReservedHighatomic } from "../highatomic";
import { MAX_ORDER_NR_PAGES, MAX_PAGE_ORDER, MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_TYPES, NR_PCP_LISTS, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, pindexToOrder } from "../mmzone";
import type { Zone } from "../mmzone";
import type { PhysicalMemory } from "../page-alloc";
import { PAGEFLAGS_MASK, PG_reserved } from "../page-flags";
import type { PageArray } from "../mm-types";

/**
 * Invariants:
 *  1. every block on free list (order, mt) of a zone is a PGTY_buddy head with private = order,
 *     refcount 0, inside the zone, aligned to its order, and its pageblock's migratetype is mt;
 *  2. list links are consistent (prev/next agree) and count[mt], nrFree match the lists;
 *  3. nrFreePages / nrFreeCma / nrFreeHighatomic equal the recount (Isolate not counted);
 *  4. PCP lists hold non-buddy pages of the zone with refcount 0, and pcp.count matches;
 *  5. no page is in two free blocks or PCP entries; no PGTY_buddy page outside the lists;
 *  6. pgfree − pgalloc − freeTaken = free + isolated + pcp (every page freed into the zone, boot
 *     frees included, and neither allocated nor taken by __isolate_free_page since is on a
 *     list); present − managed = pages still PG_reserved;
 *  7. the other pages of a free or PCP block are clean: refcount 0, mapcount -1, no PG_* flags
 *     (without debugPageChecks, a tail freed while referenced or mapped is caught here);
 *  8. each zone's fastMark equals its recomputation from watermarks, boost and reserves, and
 *     thisCpuPcp is the current CPU's pcp;
 *  9. highatomic reserve: nr_reserved_highatomic = pageblock_nr_pages × the zone's HighAtomic
 *     pageblocks (the relation reserve/unreserve_highatomic_pageblock keep), none of which
 *     straddles the zone's ends; a zone has some only if 1% of it is at least a pageblock, and
 *     then reserves less than its cap + MAX_ORDER_NR_PAGES (a reservation is made below the
 *     cap and adds at most one MAX_PAGE_ORDER block; managed pages do not change after boot);
 *     every pageblock of a free block larger than a pageblock has the type of its list, so
 *     nr_free_highatomic ≤ nr_reserved_highatomic.
 */
export function verifyPhysical(m: PhysicalMemory): void {
  const p = m.pages;
  const seen = new Uint8Array(p.length);
  let buddyHeads = 0;
  for (const z of m.zones()) {
    let free = 0, cma = 0, ha = 0;
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
      const area = z.freeArea[o];
      let total = 0;
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        // the messages are built only on failure: verify() runs after every step of the tests
        let n = 0;
        let prev = -1;
        for (let i = area.head[mt]; i >= 0; i = p.lruNext[i]) {
          if (p.lruPrev[i] !== prev) BUG("verify", `free list links broken at ${freeWhere(z, o, mt, i)}`);
          // a corrupted list could cycle
          if (n > z.spannedPages) BUG("verify", `free list longer than its zone (a cycle?) at ${freeWhere(z, o, mt, i)}`);
          if (p.mapcount[i] !== BUDDY_TYPE || p.private[i] !== o) BUG("verify", `free block not marked PageBuddy order ${o}: ${freeWhere(z, o, mt, i)}`);
          if (p.refcount[i] !== 0) BUG("verify", `free block has refcount ${p.refcount[i]}: ${freeWhere(z, o, mt, i)}`);
          const pfn = p.pfn(i);
          if (!z.spans(pfn) || !z.spans(pfn + (1 << o) - 1)) BUG("verify", `free block outside its zone: ${freeWhere(z, o, mt, i)}`);
          if (pfn % (1 << o) !== 0) BUG("verify", `free block misaligned: ${freeWhere(z, o, mt, i)}`);
          for (let b = i >>> PAGEBLOCK_ORDER; b < (i + (1 << o)) / PAGEBLOCK_NR_PAGES; b++) {
            if (p.pageblockMt[b] !== mt) BUG("verify", `free block on list ${mt} in pageblock of type ${p.pageblockMt[b]}: ${freeWhere(z, o, mt, i)}`);
          }
          if (!markRange(p, seen, i, 1 << o)) badRange(p, i, 1 << o, freeWhere(z, o, mt, i));
          prev = i;
          n++;
          buddyHeads++;
        }
        if (area.tail[mt] !== prev) BUG("verify", `${z.name} order ${o} type ${mt}: tail pointer wrong`);
        if (n !== area.count[mt]) BUG("verify", `${z.name} order ${o} type ${mt}: count ${area.count[mt]} but ${n} on list`);
        total += n;
        if (mt !== MIGRATE_ISOLATE) free += n << o;
        if (mt === MIGRATE_CMA) cma += n << o;
        if (mt === MIGRATE_HIGHATOMIC) ha += n << o;
      }
      if (total !== area.nrFree) BUG("verify", `${z.name} order ${o}: nr_free ${area.nrFree} but ${total} blocks`);
    }
    if (free !== z.nrFreePages) BUG("verify", `${z.name}: NR_FREE_PAGES ${z.nrFreePages} but ${free} free`);
    if (cma !== z.nrFreeCma || ha !== z.nrFreeHighatomic) BUG("verify", `${z.name}: free CMA/HighAtomic counters wrong`);
    const pcp = verifyPcp(z, seen);
    let isolate = 0;
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) isolate += z.freeArea[o].count[MIGRATE_ISOLATE] << o;
    if (z.pgfree - z.pgalloc - z.freeTaken !== free + isolate + pcp) {
      BUG("verify", `${z.name}: pgfree ${z.pgfree} − pgalloc ${z.pgalloc} − taken by isolation ${z.freeTaken} != free ${free} + isolated ${isolate} + pcp ${pcp}`);
    }
    if (z.thisCpuPcp !== z.pcp[m.cpu]) BUG("verify", `${z.name}: thisCpuPcp is not the pcp of CPU ${m.cpu}`);
    const fastMark = Array.from(z.fastMark);
    z.updateFastMark();
    if (fastMark.some((v, hi) => v !== z.fastMark[hi])) BUG("verify", `${z.name}: fastMark [${fastMark}] is stale (recomputed [${Array.from(z.fastMark)}])`);
    verifyHighatomic(z);
    let reserved = 0;
    for (const r of m.boot.memblock.memory.regions) {
      const a = Math.max(z.zoneStartPfn, Math.ceil(r.base / 4096));
      const b = Math.min(z.zoneEndPfn, Math.floor((r.base + r.size) / 4096));
      for (let pfn = a; pfn < b; pfn++) if (p.flags[p.idx(pfn)] & (1 << PG_reserved)) reserved++;
    }
    if (reserved !== z.presentPages - z.managedPages) {
      BUG("verify", `${z.name}: ${reserved} reserved present pages but present − managed = ${z.presentPages - z.managedPages}`);
    }
  }
  let marked = 0;
  for (let i = 0; i < p.length; i++) if (p.mapcount[i] === BUDDY_TYPE) marked++;
  if (marked !== buddyHeads) BUG("verify", `${marked} PageBuddy pages but ${buddyHeads} on free lists`);
}

/** Invariant 9: the highatomic reserve of zone z matches its HighAtomic pageblocks. */
function verifyHighatomic(z: Zone): void {
  const p = z.pages;
  let blocks = 0;
  const first = z.zoneStartPfn - (z.zoneStartPfn % PAGEBLOCK_NR_PAGES);
  for (let pfn = first; pfn < z.zoneEndPfn; pfn += PAGEBLOCK_NR_PAGES) {
    const i = p.idx(Math.max(pfn, z.zoneStartPfn));
    if (i < 0 || p.pageblockMt[i >>> PAGEBLOCK_ORDER] !== MIGRATE_HIGHATOMIC) continue;
    if (pfn < z.zoneStartPfn || pfn + PAGEBLOCK_NR_PAGES > z.zoneEndPfn) BUG("verify", `${z.name}: HighAtomic pageblock at pfn ${pfn} straddles the zone`);
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

/** Marks the n pages at i as seen; false when one was seen already or a tail is not clean. */
function markRange(p: PageArray, seen: Uint8Array, i: number, n: number): boolean {
  let ok = seen[i] === 0;
  seen[i] = 1;
  for (let j = i + 1; j < i + n; j++) {
    if (seen[j] !== 0 || p.refcount[j] !== 0 || p.mapcount[j] !== -1 || (p.flags[j] & PAGEFLAGS_MASK) !== 0) ok = false;
    seen[j] = 1;
  }
  return ok;
}

/** Reports what markRange() found wrong (the pages are marked by then, so seen twice = 2 marks). */
function badRange(p: PageArray, i: number, n: number, where: string): never {
  for (let j = i; j < i + n; j++) {
    if (j > i && (p.refcount[j] !== 0 || p.mapcount[j] !== -1 || (p.flags[j] & PAGEFLAGS_MASK) !== 0)) {
      BUG("verify", `free tail pfn ${p.pfn(j)} in bad state (refcount ${p.refcount[j]}, mapcount ${p.mapcount[j] + 1}, flags 0x${(p.flags[j] & PAGEFLAGS_MASK).toString(16)}): ${where}`);
    }
  }
  BUG("verify", `page counted twice (overlapping free blocks): ${where}`);
}

function verifyPcp(z: Zone, seen: Uint8Array): number {
  const p = z.pages;
  let total = 0;
  z.pcp.forEach((pcp, cpu) => {
    let count = 0;
    for (let k = 0; k < NR_PCP_LISTS; k++) {
      const order = pindexToOrder(k);
      let prev = -1;
      let n = 0;
      for (let i = pcp.head[k]; i >= 0; i = p.lruNext[i]) {
        if (p.lruPrev[i] !== prev) BUG("verify", `pcp list links broken at ${pcpWhere(z, cpu, k, i)}`);
        if (n++ > z.spannedPages) BUG("verify", `pcp list longer than its zone (a cycle?) at ${pcpWhere(z, cpu, k, i)}`);
        if (p.mapcount[i] === BUDDY_TYPE || p.refcount[i] !== 0) BUG("verify", `pcp page in bad state: ${pcpWhere(z, cpu, k, i)}`);
        if (!z.spans(p.pfn(i))) BUG("verify", `pcp page outside its zone: ${pcpWhere(z, cpu, k, i)}`);
        if (!markRange(p, seen, i, 1 << order)) badRange(p, i, 1 << order, pcpWhere(z, cpu, k, i));
        prev = i;
        count += 1 << order;
      }
      if (pcp.tail[k] !== prev) BUG("verify", `${z.name} cpu ${cpu} pcp list ${k}: tail pointer wrong`);
    }
    if (count !== pcp.count) BUG("verify", `${z.name} cpu ${cpu}: pcp count ${pcp.count} but ${count} pages on lists`);
    total += count;
  });
  return total;
}

function freeWhere(z: Zone, o: number, mt: number, i: number): string {
  return `${z.name} order ${o} ${mt} pfn ${z.pages.pfn(i)}`;
}

function pcpWhere(z: Zone, cpu: number, k: number, i: number): string {
  return `${z.name} cpu ${cpu} pcp list ${k} pfn ${z.pages.pfn(i)}`;
}
