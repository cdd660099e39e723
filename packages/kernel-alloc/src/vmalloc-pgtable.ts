// The kernel page table of the vmalloc range (init_mm's tree: swapper_pg_dir and the tables
// below it): preallocate_vmalloc_pages at boot, vmap_pages_range / vunmap_range_noflush
// (mm/vmalloc.c) writing and clearing PTEs. Tables are built with the hardware primitives and,
// as in Linux, never freed. Not modelled: huge (PMD) mappings, KASAN shadow, vmap_pfn.
//
//   pgd ─► PUD/P4D (preallocated) ─► PMD ─► PTE table ─► 512 × 4 KiB pages
//                                              ▲
//   a small cache remembers the PTE tables of recent 2 MiB regions, so mapping an area next
//   to the previous one writes its PTEs without walking down from the pgd again (the PTEs
//   written are the same; only the host's work changes)
//
// Invariants (checked by verify()): every filled cache entry names the PTE table that the
// page tables hold for its 2 MiB region.
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { GFP_KERNEL, __GFP_ZERO, PGTY_table } from "@mmsim/physical";
import { _KERNPG_TABLE, _PAGE_PRESENT, lookupPte, newPteRef, PAGE_KERNEL, PMD_SIZE, pteAlloc } from "@mmsim/hardware";
import type { PagingLevels, Ram, X86Layout } from "@mmsim/hardware";
import type { PageAllocator } from "./deps";

const TWO_32 = 4294967296;
/** entries of the PTE-table cache (a power of two): 64 × 2 MiB regions */
const PT_CACHE_SIZE = 64;

export class KernelPageTable {
  /** physical address of the top-level table (init_mm.pgd, swapper_pg_dir) */
  readonly pgd: number;
  readonly levels: PagingLevels;
  /** pages of kernel page tables (PageTables) */
  pageTablePages = 0;
  private readonly allocTable = (): number => this.allocTablePage();
  private readonly pteRef = newPteRef();
  // PTE tables found, direct-mapped by 2 MiB region number: tag = region (-1 = empty), pa = table.
  private readonly ptTag = new Float64Array(PT_CACHE_SIZE).fill(-1);
  private readonly ptPa = new Float64Array(PT_CACHE_SIZE);

  constructor(
    private readonly phys: PageAllocator,
    private readonly ram: Ram,
    private readonly layout: X86Layout,
    preallocate: boolean,
  ) {
    this.levels = layout.levels;
    const pgdPfn = this.allocTablePage();
    if (pgdPfn < 0) BUG("vmalloc_init", "no page for the kernel page table");
    this.pgd = pgdPfn * PAGE_SIZE;
    if (preallocate) this.preallocate();
  }

  /** A zeroed page for a kernel page table (counted in PageTables), or -1. */
  private allocTablePage(): number {
    const pfn = this.phys.allocPages(GFP_KERNEL | __GFP_ZERO, 0);
    if (pfn < 0) return -1;
    this.ram.zeroFrame(pfn);
    this.phys.pages.setType(pfn, PGTY_table);
    this.pageTablePages++;
    return pfn;
  }

  /**
   * preallocate_vmalloc_pages (arch/x86/mm/init_64.c): the second-level tables under every
   * top-level entry of the vmalloc range exist from boot, so the kernel half of every process
   * PGD, copied once at fork, never goes stale.
   */
  private preallocate(): void {
    const L = this.layout;
    const top = this.levels === 5 ? 2 ** 48 : 2 ** 39;
    for (let va = L.VMALLOC_START; va < L.VMALLOC_END; va += top) {
      // Mapping and unmapping a page at the lowest level would allocate all levels; only the
      // first level below the root is wanted, so install it directly.
      const idx = Math.floor(va / top) % 512;
      const ea = this.pgd + idx * 8;
      if (this.ram.readU32(ea) !== 0) continue;
      const pfn = this.allocTablePage();
      if (pfn < 0) BUG("preallocate_vmalloc_pages", "out of memory");
      const pa = pfn * PAGE_SIZE;
      this.ram.writeU32(ea + 4, Math.floor(pa / 4294967296));
      this.ram.writeU32(ea, ((pa >>> 0) | _KERNPG_TABLE.lo) >>> 0);
    }
  }

  /**
   * The physical address of the PTE for `va` (its table allocated when `alloc`), or -1 when a
   * table page could not be had or (not alloc) there is no PTE table. Finding a PTE table
   * takes a walk from the PGD; the table of each recently used 2 MiB region is remembered in
   * a small direct-mapped cache, so consecutive areas in one region skip the walk (the PTEs
   * written are the same; only the host's work changes).
   */
  private pteOf(va: number, alloc: boolean): number {
    const region = Math.floor(va / PMD_SIZE);
    const k = (region >>> 0) & (PT_CACHE_SIZE - 1);
    const index = ((va / PAGE_SIZE) >>> 0) & 511;
    if (this.ptTag[k] === region) return this.ptPa[k] + index * 8;
    let ea: number;
    if (alloc) ea = pteAlloc(this.ram, this.pgd, va, 1, this.levels, this.allocTable);
    else {
      const ref = lookupPte(this.ram, this.pgd, va, this.levels, this.pteRef);
      ea = ref === null || ref.level !== 1 ? -1 : ref.entryPa;
    }
    if (ea < 0) return -1;
    this.ptTag[k] = region;
    this.ptPa[k] = ea - index * 8;
    return ea;
  }

  /**
   * vmap_pages_range: maps `pages` (pfns) from `addr` on with PAGE_KERNEL. The PTE table is found (and allocated) once
   * per 2 MiB of address space, then consecutive entries are written, as vmap_pte_range does.
   * Returns false (nothing left mapped) when a page-table page could not be had.
   */
  map(addr: number, pages: readonly number[]): boolean {
    const ram = this.ram;
    const protLo = PAGE_KERNEL.lo;
    const protHi = PAGE_KERNEL.hi;
    let ea = -1;
    for (let i = 0; i < pages.length; i++) {
      const va = addr + i * PAGE_SIZE;
      // A new PTE table starts where the next entry would cross into the next page (2 MiB boundary).
      if (ea < 0 || (((ea + 8) >>> 0) & (PAGE_SIZE - 1)) === 0) {
        ea = this.pteOf(va, true);
        if (ea < 0) {
          this.unmap(addr, i);
          return false;
        }
      } else ea += 8;
      if (ram.readU32(ea) & _PAGE_PRESENT) BUG("vmap_pte_range", `remap: 0x${va.toString(16)} already mapped`);
      const pa = pages[i] * PAGE_SIZE;
      const lo = pa >>> 0;
      ram.writeU32(ea + 4, (((pa - lo) / TWO_32) | protHi) >>> 0);
      ram.writeU32(ea, (lo | protLo) >>> 0);
    }
    return true;
  }

  /** vunmap_range_noflush: clears `nr` PTEs from `addr` (one table lookup per 2 MiB). */
  unmap(addr: number, nr: number): void {
    const ram = this.ram;
    let ea = -1;
    for (let i = 0; i < nr; i++) {
      const va = addr + i * PAGE_SIZE;
      if (ea < 0 || (((ea + 8) >>> 0) & (PAGE_SIZE - 1)) === 0) {
        ea = this.pteOf(va, false);
        if (ea < 0) BUG("vunmap_range", `no PTE table for 0x${va.toString(16)}`);
      } else ea += 8;
      ram.writeU32(ea, 0);
      ram.writeU32(ea + 4, 0);
    }
  }

  /** Checks the invariant listed at the top of this file; throws Bug when it is broken. */
  verify(): void {
    for (let k = 0; k < PT_CACHE_SIZE; k++) {
      if (this.ptTag[k] < 0) continue;
      const va = this.ptTag[k] * PMD_SIZE;
      const ref = lookupPte(this.ram, this.pgd, va, this.levels);
      if (ref === null || ref.level !== 1 || ref.entryPa !== this.ptPa[k]) {
        BUG("vmalloc.verify", `PTE-table cache entry ${k} for 0x${va.toString(16)} names table 0x${this.ptPa[k].toString(16)}, not the one the page tables hold`);
      }
    }
  }
}
