// verify() of the physical layer (CONFIG_DEBUG_VM-style): recounts the free lists, PCP lists
// and per-page state from scratch and throws a Bug naming the first broken invariant. It is
// cheap enough to run after every step: list walks touch only block heads, then one pass over
// the page arrays checks every tail; messages are built only once a check has failed.
import { BUG } from "@mmsim/base";
import { BUDDY_TYPE } from "../buddy";
import { MAX_NR_ZONES, MAX_PAGE_ORDER, MIGRATE_CMA, MIGRATE_HIGHATOMIC, MIGRATE_ISOLATE, MIGRATE_TYPES, NR_PCP_LISTS, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, PAGES_PER_SECTION, pindexToOrder } from "../mmzone";
import type { Zone } from "../mmzone";
import type { PhysicalMemory } from "../page-alloc";
import { PAGEFLAGS_MASK, PG_reserved } from "../page-flags";
import type { PageArray } from "../mm-types";
import { FREE_HEAD, PCP_HEAD, freeWhere, pcpWhere, reportBadTail, reportStrayBuddy, verifyHighatomic } from "./verify-report";

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
 *
 * How: the list walks (1-4) mark each block head in a scratch byte array (FREE_HEAD or
 * PCP_HEAD + 1 + order; a head marked twice breaks 5), then one pass over all page indices
 * checks each marked block's tails (7, and 5: a tail must carry no mark) and that every
 * unmarked page is not PGTY_buddy (5). Cost: O(pages) typed-array reads, one allocation.
 */
export function verifyPhysical(m: PhysicalMemory): void {
  const p = m.pages;
  const mark = scratchOf(p);
  const nrZones = MAX_NR_ZONES; // imported bindings: read once (see walkFreeLists)
  const savedMark = new Int32Array(nrZones);
  const sums = new Int32Array(SUMS);
  for (const z of m.zones()) {
    walkFreeLists(z, mark, sums);
    const free = sums[FREE], isolate = sums[ISOLATED];
    if (free !== z.nrFreePages) BUG("verify", `${z.name}: NR_FREE_PAGES ${z.nrFreePages} but ${free} free`);
    if (sums[CMA] !== z.nrFreeCma) BUG("verify", `${z.name}: NR_FREE_CMA_PAGES ${z.nrFreeCma} but ${sums[CMA]} free on CMA lists`);
    if (sums[HIGHATOMIC] !== z.nrFreeHighatomic) BUG("verify", `${z.name}: nr_free_highatomic ${z.nrFreeHighatomic} but ${sums[HIGHATOMIC]} free on HighAtomic lists`);
    let pcp = 0;
    for (let cpu = 0; cpu < z.pcp.length; cpu++) pcp += walkPcp(z, cpu, mark);
    if (z.pgfree - z.pgalloc - z.freeTaken !== free + isolate + pcp) {
      BUG("verify", `${z.name}: pgfree ${z.pgfree} − pgalloc ${z.pgalloc} − taken by isolation ${z.freeTaken} != free ${free} + isolated ${isolate} + pcp ${pcp}`);
    }
    if (z.thisCpuPcp !== z.pcp[m.cpu]) BUG("verify", `${z.name}: thisCpuPcp is not the pcp of CPU ${m.cpu}`);
    savedMark.set(z.fastMark);
    z.updateFastMark();
    for (let hi = 0; hi < nrZones; hi++) {
      if (savedMark[hi] !== z.fastMark[hi]) BUG("verify", `${z.name}: fastMark [${Array.from(savedMark)}] is stale (recomputed [${Array.from(z.fastMark)}])`);
    }
    verifyHighatomic(z);
    const reserved = countReserved(m, z);
    if (reserved !== z.presentPages - z.managedPages) {
      BUG("verify", `${z.name}: ${reserved} reserved present pages but present − managed = ${z.presentPages - z.managedPages}`);
    }
  }
  checkPages(m, mark);
}

/** Slots of the per-zone sums walkFreeLists() fills: pages free (Isolate not counted), on CMA, HighAtomic and Isolate lists. */
const FREE = 0, CMA = 1, HIGHATOMIC = 2, ISOLATED = 3, SUMS = 4;

/**
 * verify()'s mark bytes for a mem_map, kept with it between calls (a fresh 2 MiB array per
 * call at 8 GiB costs more in page faults and GC than the checks): zeroed before each use.
 */
const scratch = new WeakMap<PageArray, Uint8Array>();

function scratchOf(p: PageArray): Uint8Array {
  let mark = scratch.get(p);
  if (mark === undefined) {
    mark = new Uint8Array(p.length);
    scratch.set(p, mark);
  } else {
    mark.fill(0);
  }
  return mark;
}

/**
 * Walks every free list of z (invariants 1, 2), marking each head, and fills `sums`. Imported
 * bindings are read into locals first: under a test runner or tsx each read of one is a
 * module-object getter call, which costs more than the check it feeds.
 */
function walkFreeLists(z: Zone, mark: Uint8Array, sums: Int32Array): void {
  const maxOrder = MAX_PAGE_ORDER, types = MIGRATE_TYPES, isolateType = MIGRATE_ISOLATE, cmaType = MIGRATE_CMA, haType = MIGRATE_HIGHATOMIC;
  const blockOrder = PAGEBLOCK_ORDER, blockPages = PAGEBLOCK_NR_PAGES, buddy = BUDDY_TYPE, freeHead = FREE_HEAD;
  const p = z.pages;
  const { lruNext, lruPrev, mapcount, refcount, pageblockMt } = p;
  const start = z.zoneStartPfn;
  const end = z.zoneEndPfn;
  sums.fill(0);
  for (let o = 0; o <= maxOrder; o++) {
    const area = z.freeArea[o];
    const size = 1 << o;
    const head = freeHead + 1 + o;
    let total = 0;
    for (let mt = 0; mt < types; mt++) {
      let n = 0;
      let prev = -1;
      for (let i = area.head[mt]; i >= 0; i = lruNext[i]) {
        if (lruPrev[i] !== prev) BUG("verify", `free list links broken at ${freeWhere(z, o, mt, i)}`);
        // a corrupted list could cycle
        if (n > z.spannedPages) BUG("verify", `free list longer than its zone (a cycle?) at ${freeWhere(z, o, mt, i)}`);
        if (mapcount[i] !== buddy || p.private[i] !== o) BUG("verify", `free block not marked PageBuddy order ${o}: ${freeWhere(z, o, mt, i)}`);
        if (refcount[i] !== 0) BUG("verify", `free block has refcount ${refcount[i]}: ${freeWhere(z, o, mt, i)}`);
        const pfn = p.pfn(i);
        if (pfn < start || pfn + size > end) BUG("verify", `free block outside its zone: ${freeWhere(z, o, mt, i)}`);
        if (pfn % size !== 0) BUG("verify", `free block misaligned: ${freeWhere(z, o, mt, i)}`);
        for (let b = i >>> blockOrder; b < (i + size) / blockPages; b++) {
          if (pageblockMt[b] !== mt) BUG("verify", `free block on list ${mt} in pageblock of type ${pageblockMt[b]}: ${freeWhere(z, o, mt, i)}`);
        }
        if (mark[i] !== 0) BUG("verify", `page counted twice (overlapping free blocks): ${freeWhere(z, o, mt, i)}`);
        mark[i] = head;
        prev = i;
        n++;
      }
      if (area.tail[mt] !== prev) BUG("verify", `${z.name} order ${o} type ${mt}: tail pointer wrong`);
      if (n !== area.count[mt]) BUG("verify", `${z.name} order ${o} type ${mt}: count ${area.count[mt]} but ${n} on list`);
      total += n;
      if (mt === isolateType) sums[ISOLATED] += n << o;
      else sums[FREE] += n << o;
      if (mt === cmaType) sums[CMA] += n << o;
      if (mt === haType) sums[HIGHATOMIC] += n << o;
    }
    if (total !== area.nrFree) BUG("verify", `${z.name} order ${o}: nr_free ${area.nrFree} but ${total} blocks`);
  }
}

/** Walks the PCP lists of CPU `cpu` in z (invariant 4), marking each head; returns their pages. */
function walkPcp(z: Zone, cpu: number, mark: Uint8Array): number {
  const p = z.pages;
  const { lruNext, lruPrev, mapcount, refcount } = p;
  const pcp = z.pcp[cpu];
  const buddy = BUDDY_TYPE, lists = NR_PCP_LISTS, pcpHead = PCP_HEAD, toOrder = pindexToOrder; // read once
  let count = 0;
  for (let k = 0; k < lists; k++) {
    const order = toOrder(k);
    let prev = -1;
    let n = 0;
    for (let i = pcp.head[k]; i >= 0; i = lruNext[i]) {
      if (lruPrev[i] !== prev) BUG("verify", `pcp list links broken at ${pcpWhere(z, cpu, k, i)}`);
      if (n++ > z.spannedPages) BUG("verify", `pcp list longer than its zone (a cycle?) at ${pcpWhere(z, cpu, k, i)}`);
      if (mapcount[i] === buddy || refcount[i] !== 0) BUG("verify", `pcp page in bad state: ${pcpWhere(z, cpu, k, i)}`);
      if (!z.spans(p.pfn(i))) BUG("verify", `pcp page outside its zone: ${pcpWhere(z, cpu, k, i)}`);
      if (mark[i] !== 0) BUG("verify", `page counted twice (overlapping free blocks): ${pcpWhere(z, cpu, k, i)}`);
      mark[i] = pcpHead + 1 + order;
      prev = i;
      count += 1 << order;
    }
    if (pcp.tail[k] !== prev) BUG("verify", `${z.name} cpu ${cpu} pcp list ${k}: tail pointer wrong`);
  }
  if (count !== pcp.count) BUG("verify", `${z.name} cpu ${cpu}: pcp count ${pcp.count} but ${count} pages on lists`);
  return count;
}

/**
 * One pass over every page index (invariants 5, 7): the tails of each marked block carry no
 * mark and are clean; an unmarked page is not PGTY_buddy.
 */
function checkPages(m: PhysicalMemory, mark: Uint8Array): void {
  const p = m.pages;
  const { refcount, mapcount, flags } = p;
  const n = p.length;
  // imported bindings are module-object reads under a bundler or test runner: read them once
  const buddy = BUDDY_TYPE;
  const mask = PAGEFLAGS_MASK;
  const orderBits = PCP_HEAD - 1;
  for (let i = 0; i < n; ) {
    const k = mark[i];
    if (k === 0) {
      if (mapcount[i] === buddy) reportStrayBuddy(m, i);
      i++;
      continue;
    }
    const end = Math.min(n, i + (1 << ((k & orderBits) - 1))); // the block's pages (see PCP_HEAD)
    for (let j = i + 1; j < end; j++) {
      // mapcount -1 (no type, unmapped) is the clean value, so mapcount + 1 must be 0 too
      if ((mark[j] | refcount[j] | (mapcount[j] + 1) | (flags[j] & mask)) !== 0) reportBadTail(m, mark, i, j);
    }
    i = end;
  }
}

/** Pages of z inside memblock memory regions (present pages) that are still PG_reserved. */
function countReserved(m: PhysicalMemory, z: Zone): number {
  const p = m.pages;
  const flags = p.flags;
  const bit = PG_reserved;
  const sectionPages = PAGES_PER_SECTION;
  let reserved = 0;
  for (const r of m.boot.memblock.memory.regions) {
    const a = Math.max(z.zoneStartPfn, Math.ceil(r.base / 4096));
    const b = Math.min(z.zoneEndPfn, Math.floor((r.base + r.size) / 4096));
    // section by section: page indices are contiguous inside one section
    for (let pfn = a; pfn < b; ) {
      const section = Math.floor(pfn / sectionPages);
      const next = Math.min(b, (section + 1) * sectionPages);
      const first = p.idx(pfn);
      if (first >= 0) for (let i = first, last = first + (next - pfn); i < last; i++) reserved += (flags[i] >>> bit) & 1;
      pfn = next;
    }
  }
  return reserved;
}
