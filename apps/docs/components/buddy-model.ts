// The model behind the live "Buddy allocator" page: a small 32 MiB, one-CPU x86-64 machine
// booted with @mmsim/physical (zones DMA and DMA32, no kernel image), driven by alloc_pages /
// __free_pages / drain_all_pages, and read back as /proc/buddyinfo, /proc/pagetypeinfo and a
// per-pfn state map. Plain data in and out, so Node and the browser render the same thing.
// Models no policy of its own: every decision is the physical layer's.
import {
  MIGRATETYPE_NAMES, MAX_PAGE_ORDER, PAGEBLOCK_NR_PAGES, PG_reserved, PhysicalMemory, __GFP_NOWARN,
  formatGfp, parseGfp,
} from "@mmsim/physical";

const MiB = 1024 * 1024;

/** The demo machine: 32 MiB of RAM on node 0 (8192 pfns: DMA below 16 MiB, DMA32 above), 1 CPU. */
export const BUDDY_DEMO_RAM = 32 * MiB;

/** GFP masks offered by the page, as parseGfp text, each with the migratetype it asks for. */
export const DEMO_GFPS = [
  "GFP_KERNEL",
  "GFP_HIGHUSER_MOVABLE",
  "GFP_KERNEL|__GFP_RECLAIMABLE",
  "GFP_ATOMIC",
  "GFP_DMA|GFP_KERNEL",
] as const;

/** State of one pfn in the map. */
export const PFN_FREE = 0;
export const PFN_ALLOCATED = 1;
export const PFN_PCP = 2;
export const PFN_RESERVED = 3;
export const PFN_HOLE = 4;

/** A block handed out by the demo and not yet freed. */
export interface DemoBlock {
  pfn: number;
  order: number;
  gfp: string;
  zone: string;
}

/** One populated zone's summary. */
export interface ZoneView {
  name: string;
  startPfn: number;
  endPfn: number;
  managed: number;
  /** pages on the buddy free lists (NR_FREE_PAGES) */
  free: number;
  /** pages on the CPU's per-CPU lists */
  pcp: number;
  /** min / low / high watermarks, in pages */
  wmark: [number, number, number];
  /** free blocks per migratetype (MIGRATETYPE_NAMES order) and order 0..MAX_PAGE_ORDER */
  freeLists: number[][];
}

/** Everything the page shows. */
export interface BuddyView {
  buddyinfo: string;
  pagetypeinfo: string;
  zones: ZoneView[];
  /** one PFN_* state per pfn */
  pfnState: Uint8Array;
  /** migratetype per pageblock (index pfn / 512), -1 for a hole */
  pageblockMt: number[];
  allocated: DemoBlock[];
  log: string[];
}

/** What happened to one request, for the log and the tests. */
export type AllocOutcome = { ok: true; block: DemoBlock } | { ok: false };

export class BuddyDemo {
  readonly pm: PhysicalMemory;
  readonly allocated: DemoBlock[] = [];
  readonly log: string[] = [];

  constructor() {
    this.pm = PhysicalMemory.boot({ memory: [{ base: 0, size: BUDDY_DEMO_RAM, nid: 0 }], nrCpus: 1, kernelImage: null });
  }

  /**
   * alloc_pages(gfp, order). Returns the block, or { ok: false } when the allocator returned
   * -1 (the failure and the allocator's own report go to the log).
   */
  alloc(gfpText: string, order: number, quiet = false): AllocOutcome {
    const gfp = parseGfp(gfpText);
    const kmsgBefore = this.pm.kmsg.length;
    const pfn = this.pm.allocPages(gfp, order);
    const name = formatGfp(gfp & ~__GFP_NOWARN);
    if (pfn < 0) {
      if (!quiet) {
        this.log.push(`alloc_pages(${name}, order=${order}) = -1: no block of order ≥ ${order} within the watermarks`);
        for (const line of this.pm.kmsg.slice(kmsgBefore, kmsgBefore + 1)) this.log.push(`  kernel: ${line}`);
      }
      return { ok: false };
    }
    const zone = this.pm.pageZone(pfn)?.name ?? "?";
    const block: DemoBlock = { pfn, order, gfp: name, zone };
    this.allocated.push(block);
    if (!quiet) {
      const mt = MIGRATETYPE_NAMES[this.pm.pages.pageblockMigratetype(pfn)];
      this.log.push(`alloc_pages(${name}, order=${order}) = pfn ${pfn} (zone ${zone}, ${1 << order} page${order ? "s" : ""}, pageblock ${mt})`);
    }
    return { ok: true, block };
  }

  /** __free_pages() of a block this demo allocated; false when pfn is not one of them. */
  free(pfn: number, quiet = false): boolean {
    const k = this.allocated.findIndex((b) => b.pfn === pfn);
    if (k < 0) return false;
    const b = this.allocated[k];
    this.allocated.splice(k, 1);
    this.pm.freePages(b.pfn, b.order);
    if (!quiet) this.log.push(`__free_pages(pfn ${b.pfn}, order=${b.order})`);
    return true;
  }

  /** drain_all_pages(): per-CPU pages go back to the buddy lists, where they can merge. */
  drain(): void {
    this.pm.drainAllPages();
    this.log.push("drain_all_pages()");
  }

  /**
   * Seed 000's point, step by step: fill memory with single movable pages until the allocator
   * refuses, free every second one, drain the per-CPU lists. Half of memory is then free, but
   * in blocks of one page: nothing of order 1 or more can be allocated.
   */
  fragment(): void {
    let n = 0;
    while (this.alloc("GFP_HIGHUSER_MOVABLE|__GFP_NOWARN", 0, true).ok) n++;
    const victims = this.allocated.filter((b) => b.order === 0 && b.pfn % 2 === 1).map((b) => b.pfn);
    for (const pfn of victims) this.free(pfn, true);
    this.pm.drainAllPages();
    let free = 0;
    let largest = -1;
    for (const z of this.pm.zones()) {
      free += z.nrFreePages;
      for (let o = 0; o <= MAX_PAGE_ORDER; o++) if (z.freeArea[o].nrFree > 0) largest = Math.max(largest, o);
    }
    this.log.push(`allocated ${n} single pages until alloc_pages failed, freed the ${victims.length} at odd pfns, drained the per-CPU lists`);
    this.log.push(`${free} pages (${((free * 4) / 1024).toFixed(1)} MiB) are free, but the largest free block has order ${largest}: alloc_pages(order ${largest + 1}) fails`);
  }

  /** The page's view of the machine now. */
  view(): BuddyView {
    const pm = this.pm;
    const state = new Uint8Array(pm.maxPfn).fill(PFN_HOLE);
    const zones: ZoneView[] = [];
    for (const z of pm.zones()) {
      if (!z.populated) continue;
      for (let pfn = z.zoneStartPfn; pfn < z.zoneEndPfn; pfn++) {
        if (!pm.pages.valid(pfn)) continue;
        state[pfn] = pm.pages.testFlag(pfn, PG_reserved) ? PFN_RESERVED : PFN_PCP;
      }
      for (let order = 0; order <= MAX_PAGE_ORDER; order++) {
        for (let mt = 0; mt < MIGRATETYPE_NAMES.length; mt++) {
          for (const pfn of z.freeList(order, mt)) state.fill(PFN_FREE, pfn, pfn + (1 << order));
        }
      }
      zones.push({
        name: z.name, startPfn: z.zoneStartPfn, endPfn: z.zoneEndPfn, managed: z.managedPages, free: z.nrFreePages,
        pcp: z.pcpCount, wmark: [z.minWmark, z.lowWmark, z.highWmark],
        freeLists: MIGRATETYPE_NAMES.map((_, mt) => z.freeArea.map((a) => a.count[mt])),
      });
    }
    for (const b of this.allocated) state.fill(PFN_ALLOCATED, b.pfn, b.pfn + (1 << b.order));
    const pageblockMt: number[] = [];
    for (let pfn = 0; pfn < pm.maxPfn; pfn += PAGEBLOCK_NR_PAGES) {
      pageblockMt.push(pm.pages.valid(pfn) ? pm.pages.pageblockMigratetype(pfn) : -1);
    }
    return {
      buddyinfo: pm.buddyinfo(),
      pagetypeinfo: pm.pagetypeinfo(),
      zones,
      pfnState: state,
      pageblockMt,
      allocated: this.allocated.map((b) => ({ ...b })),
      log: [...this.log],
    };
  }
}
