// vmalloc (mm/vmalloc.c): virtually contiguous kernel memory from scattered pages. A
// vmap-area allocator hands out ranges of [VMALLOC_START, VMALLOC_END) lowest address first;
// each area gets a trailing guard page; its pages come one by one from the buddy allocator and
// are mapped in the one kernel page-table tree (init_mm) with the hardware map primitive.
// Freed areas are unmapped at once but their address range is purged lazily: only when
// lazy_max_pages of freed area has piled up (or an allocation finds no room) is the kernel
// TLB flushed once for all of them and the ranges returned to the free space.
// Invariants: see vmalloc-verify.ts (checked by verify()).
// Not modelled: huge vmalloc (PMD mappings), per-CPU vmap blocks (vm_map_ram), vmap nodes,
// KASAN shadow, ioremap, the augmented rbtree (a sorted array gives the same first fit).
//
//   VMALLOC_START                                                       VMALLOC_END
//   |[area A: 4 pages][g]|[area B: 1 page][g]|  free ...  |[lazy C][g]| free ...  |
//                       guard page: never mapped, so an overrun of A faults instead of
//                       silently writing into B
import { BUG, formatVa, PAGE_SIZE } from "@mmsim/base";
import type { TraceBus } from "@mmsim/base";
import { GFP_KERNEL, __GFP_HIGHMEM, __GFP_NOFAIL, __GFP_ZERO, PGTY_table } from "@mmsim/physical";
import { _KERNPG_TABLE, _PAGE_PRESENT, lookupPte, newPteRef, PAGE_KERNEL, PMD_SIZE, pteAlloc, TLB_SINGLE_PAGE_FLUSH_CEILING } from "@mmsim/hardware";
import type { PagingLevels, Ram, X86Layout } from "@mmsim/hardware";
import type { PageAllocator } from "./internal/deps";
import { fls } from "./slub-layout";
import { verifyVmalloc } from "./vmalloc-verify";

const TWO_32 = 4294967296;
/** entries of the located-PTE-table cache (a power of two): 64 × 2 MiB regions */
const PT_CACHE_SIZE = 64;

// include/linux/vmalloc.h
export const VM_IOREMAP = 0x1;
export const VM_ALLOC = 0x2;
export const VM_MAP = 0x4;
export const VM_USERMAP = 0x8;
export const VM_DMA_COHERENT = 0x10;
export const VM_NO_GUARD = 0x40;
export const VM_SPARSE = 0x1000;

/** A TLB the kernel must keep coherent (hardware Tlb). */
export interface KernelTlb {
  invlpg(va: number): void;
  flushAll(): void;
}

/** Objects vmalloc takes from the slab layer (struct vmap_area, struct vm_struct, the pages array). */
export interface VmallocMetaHooks {
  allocVmapArea(): number;
  freeVmapArea(pa: number): void;
  kmalloc(size: number): number;
  kfree(pa: number): void;
}

/** struct vm_struct + its vmap_area. */
export interface VmStruct {
  /** start address (canonical tail) */
  readonly addr: number;
  /** bytes including the guard page */
  readonly size: number;
  readonly flags: number;
  /** pfns backing the area (vmalloc, vmap) */
  readonly pages: number[];
  readonly caller: string;
  /** slab objects holding the vmap_area, vm_struct and pages array (0 when none) */
  readonly metaPa: number[];
}

/** A freed range waiting for the lazy purge. */
export interface LazyArea {
  readonly start: number;
  readonly end: number;
}

export interface VmallocOptions {
  phys: PageAllocator;
  ram: Ram;
  layout: X86Layout;
  /** num_online_cpus(), for lazy_max_pages */
  nrCpus: number;
  tlbs?: KernelTlb[];
  meta?: VmallocMetaHooks | null;
  trace?: TraceBus | null;
  /** kernel log for WARNs (bad vfree) */
  log?: (line: string) => void;
  /** pre-allocate the top-level tables of the vmalloc range (preallocate_vmalloc_pages), default true */
  preallocate?: boolean;
}

export class Vmalloc {
  /** physical address of the kernel's top-level page table (init_mm.pgd, swapper_pg_dir) */
  readonly pgd: number;
  readonly levels: PagingLevels;
  /** pages of kernel page tables (PageTables) */
  pageTablePages = 0;
  /** pages backing vmalloc areas (VmallocUsed) */
  nrVmallocPages = 0;
  /** vmap_lazy_nr: pages of freed areas not yet purged */
  lazyPages = 0;
  /** purges done and TLB flushes they issued */
  purges = 0;
  tlbFullFlushes = 0;
  tlbPageFlushes = 0;
  /** busy areas in address order */
  readonly busy: VmStruct[] = [];
  readonly lazy: LazyArea[] = [];
  /** free ranges [start, end) in address order */
  private readonly freeStart: number[];
  private readonly freeEnd: number[];
  private readonly allocTable = (): number => this.allocTablePage();
  private readonly pteRef = newPteRef();
  // Located PTE tables, direct-mapped by 2 MiB region (see pteTableOf). Kernel PTE tables of
  // the vmalloc range are never freed (as in Linux), so an entry stays valid once filled.
  private readonly ptTag = new Float64Array(PT_CACHE_SIZE).fill(-1);
  private readonly ptPa = new Float64Array(PT_CACHE_SIZE);

  constructor(private readonly opts: VmallocOptions) {
    this.levels = opts.layout.levels;
    this.freeStart = [opts.layout.VMALLOC_START];
    this.freeEnd = [opts.layout.VMALLOC_END];
    const pgdPfn = this.allocTablePage();
    if (pgdPfn < 0) BUG("vmalloc_init", "no page for the kernel page table");
    this.pgd = pgdPfn * PAGE_SIZE;
    if (opts.preallocate ?? true) this.preallocate();
  }

  /** lazy_max_pages: fls(num_online_cpus()) * 32 MiB of pages. */
  get lazyMaxPages(): number {
    return fls(this.opts.nrCpus) * ((32 * 1024 * 1024) / PAGE_SIZE);
  }

  private allocTablePage(): number {
    const pfn = this.opts.phys.allocPages(GFP_KERNEL | __GFP_ZERO, 0);
    if (pfn < 0) return -1;
    this.opts.ram.zeroFrame(pfn);
    this.opts.phys.pages.setType(pfn, PGTY_table);
    this.pageTablePages++;
    return pfn;
  }

  /**
   * preallocate_vmalloc_pages (arch/x86/mm/init_64.c): the second-level tables under every
   * top-level entry of the vmalloc range exist from boot, so the kernel half of every process
   * PGD, copied once at fork, never goes stale.
   */
  private preallocate(): void {
    const L = this.opts.layout;
    const top = this.levels === 5 ? 2 ** 48 : 2 ** 39;
    for (let va = L.VMALLOC_START; va < L.VMALLOC_END; va += top) {
      // Mapping and unmapping a page at the lowest level would allocate all levels; only the
      // first level below the root is wanted, so install it directly.
      const idx = Math.floor(va / top) % 512;
      const ea = this.pgd + idx * 8;
      if (this.opts.ram.readU32(ea) !== 0) continue;
      const pfn = this.allocTablePage();
      if (pfn < 0) BUG("preallocate_vmalloc_pages", "out of memory");
      const pa = pfn * PAGE_SIZE;
      this.opts.ram.writeU32(ea + 4, Math.floor(pa / 4294967296));
      this.opts.ram.writeU32(ea, ((pa >>> 0) | _KERNPG_TABLE.lo) >>> 0);
    }
  }

  /** alloc_vmap_area: the lowest free range of `size` bytes, or -1 (after one purge and retry). */
  private allocVa(size: number, align: number): number {
    const fs = this.freeStart;
    const fe = this.freeEnd;
    for (let attempt = 0; attempt < 2; attempt++) {
      for (let i = 0; i < fs.length; i++) {
        const from = fs[i];
        const start = align === PAGE_SIZE ? from : Math.ceil(from / align) * align;
        const end = fe[i];
        if (start + size > end) continue;
        // Cut [start, start + size) out of free range i: what is left on either side stays free.
        const head = start > from;
        const tail = start + size < end;
        if (head && tail) {
          fe[i] = start;
          fs.splice(i + 1, 0, start + size);
          fe.splice(i + 1, 0, end);
        } else if (head) fe[i] = start;
        else if (tail) fs[i] = start + size;
        else {
          fs.splice(i, 1);
          fe.splice(i, 1);
        }
        return start;
      }
      if (this.lazy.length === 0) break;
      this.purgeLazy();
    }
    return -1;
  }

  /** merge_or_add_vmap_area: returns [start, end) to the free space, merging with neighbours. */
  private freeVa(start: number, end: number): void {
    let lo = 0;
    let hi = this.freeStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeStart[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    const i = lo;
    const mergePrev = i > 0 && this.freeEnd[i - 1] === start;
    const mergeNext = i < this.freeStart.length && this.freeStart[i] === end;
    if (mergePrev && mergeNext) {
      this.freeEnd[i - 1] = this.freeEnd[i];
      this.freeStart.splice(i, 1);
      this.freeEnd.splice(i, 1);
    } else if (mergePrev) this.freeEnd[i - 1] = end;
    else if (mergeNext) this.freeStart[i] = start;
    else {
      this.freeStart.splice(i, 0, start);
      this.freeEnd.splice(i, 0, end);
    }
  }

  /** Free ranges of the vmalloc space, in address order (for tests and views). */
  freeRanges(): [number, number][] {
    return this.freeStart.map((s, i) => [s, this.freeEnd[i]]);
  }

  /** Index of the first busy area whose address is >= addr (busy is sorted by address). */
  private busyIndex(addr: number): number {
    const b = this.busy;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid].addr < addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertBusy(vm: VmStruct): void {
    this.busy.splice(this.busyIndex(vm.addr), 0, vm);
  }

  /** __get_vm_area_node: reserves address space (+ guard page) and its bookkeeping objects; null on failure. */
  private getVmArea(size: number, flags: number, caller: string, pages: number[], align = PAGE_SIZE): VmStruct | null {
    size = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    if (size === 0) return null;
    if (!(flags & VM_NO_GUARD)) size += PAGE_SIZE;
    const meta = this.opts.meta;
    const metaPa: number[] = [];
    if (meta) {
      const va = meta.allocVmapArea();
      const vm = meta.kmalloc(VM_STRUCT_SIZE);
      if (va === 0 || vm === 0) {
        if (va) meta.freeVmapArea(va);
        if (vm) meta.kfree(vm);
        return null;
      }
      metaPa.push(va, vm);
    }
    const addr = this.allocVa(size, align);
    if (addr < 0) {
      if (meta) {
        meta.freeVmapArea(metaPa[0]);
        meta.kfree(metaPa[1]);
      }
      return null;
    }
    return { addr, size, flags, pages, caller, metaPa };
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
    if (alloc) ea = pteAlloc(this.opts.ram, this.pgd, va, 1, this.levels, this.allocTable);
    else {
      const ref = lookupPte(this.opts.ram, this.pgd, va, this.levels, this.pteRef);
      ea = ref === null || ref.level !== 1 ? -1 : ref.entryPa;
    }
    if (ea < 0) return -1;
    this.ptTag[k] = region;
    this.ptPa[k] = ea - index * 8;
    return ea;
  }

  /**
   * vmap_pages_range: writes the area's PTEs. The PTE table is found (and allocated) once
   * per 2 MiB of address space, then consecutive entries are written, as vmap_pte_range does.
   * Returns false (nothing left mapped) when a page-table page could not be had.
   */
  private mapArea(vm: VmStruct): boolean {
    const { ram } = this.opts;
    const pages = vm.pages;
    const protLo = PAGE_KERNEL.lo;
    const protHi = PAGE_KERNEL.hi;
    let ea = -1;
    for (let i = 0; i < pages.length; i++) {
      const va = vm.addr + i * PAGE_SIZE;
      // A new PTE table starts where the next entry would cross into the next page (2 MiB boundary).
      if (ea < 0 || (((ea + 8) >>> 0) & (PAGE_SIZE - 1)) === 0) {
        ea = this.pteOf(va, true);
        if (ea < 0) {
          this.unmapArea(vm.addr, i);
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
  private unmapArea(addr: number, nr: number): void {
    const { ram } = this.opts;
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

  /**
   * __vmalloc_node_range: `size` bytes of virtually contiguous, page-granular kernel memory.
   * Returns the start address (a canonical tail in the vmalloc range) or 0 when address
   * space, pages or page tables ran out (everything taken is given back).
   */
  vmalloc(size: number, gfp = GFP_KERNEL, caller = "", align = PAGE_SIZE): number {
    const nr = Math.ceil(size / PAGE_SIZE);
    const pages: number[] = [];
    const vm = this.getVmArea(size, VM_ALLOC, caller, pages, align);
    if (!vm) return 0;
    const meta = this.opts.meta;
    // The page array is kmalloc'ed, or vmalloc'ed ("vpages") when larger than a page; mmsim
    // always kmallocs it (up to KMALLOC_MAX_CACHE_SIZE worth).
    if (meta && nr * 8 <= 8192) {
      const arr = meta.kmalloc(nr * 8);
      if (arr === 0) return this.undo(vm, 0);
      vm.metaPa.push(arr);
    }
    if (!this.allocAreaPages((gfp | __GFP_HIGHMEM) >>> 0, nr, pages)) return this.undo(vm, 0);
    if (gfp & __GFP_ZERO) for (let i = 0; i < nr; i++) this.opts.ram.zeroFrame(pages[i]);
    if (!this.mapArea(vm)) return this.undo(vm, 0);
    this.nrVmallocPages += nr;
    this.insertBusy(vm);
    if (this.opts.trace?.on) this.opts.trace.emit("alloc_vmap_area", { addr: vm.addr, size: vm.size, align: PAGE_SIZE, vstart: this.opts.layout.VMALLOC_START, vend: this.opts.layout.VMALLOC_END, failed: 0 });
    return vm.addr;
  }

  /**
   * vm_area_alloc_pages: appends `nr` order-0 pages to `pages`. When the page allocator has
   * a bulk interface (alloc_pages_bulk_node), pages come from it at most 100 per call (the
   * kernel's cap, bounding time with preemption off), without __GFP_NOFAIL, which the bulk
   * allocator does not support; whatever the bulk calls did not deliver is then taken one
   * page at a time, the more permissive path. Returns false when a page could not be had
   * (`pages` then holds those taken, for the caller to free).
   */
  private allocAreaPages(gfp: number, nr: number, pages: number[]): boolean {
    const phys = this.opts.phys;
    if (phys.allocPagesBulk !== undefined) {
      const nid = phys.localNid ?? 0;
      const bulkGfp = (gfp & ~__GFP_NOFAIL) >>> 0;
      while (pages.length < nr) {
        const want = Math.min(100, nr - pages.length);
        // The first chunk goes straight into `pages`; later ones (areas over 400 KiB) through
        // a fresh array, so that no stale entry can look populated to the bulk allocator.
        const first = pages.length === 0;
        const out: number[] = first ? pages : [];
        const got = phys.allocPagesBulk(bulkGfp, nid, want, out);
        if (first) pages.length = got;
        else for (let k = 0; k < got; k++) pages.push(out[k]);
        if (got !== want) break;
      }
    }
    while (pages.length < nr) {
      const pfn = phys.allocPages(gfp, 0);
      if (pfn < 0) return false;
      pages.push(pfn);
    }
    return true;
  }

  /** Frees the pages of an area, one __free_page each as vfree does. */
  private freeAreaPages(pages: readonly number[]): void {
    const phys = this.opts.phys;
    for (let i = 0; i < pages.length; i++) phys.freePages(pages[i], 0);
  }

  /** vzalloc: vmalloc with zeroed pages. */
  vzalloc(size: number, caller = ""): number {
    return this.vmalloc(size, GFP_KERNEL | __GFP_ZERO, caller);
  }

  private undo(vm: VmStruct, ret: number): number {
    this.freeAreaPages(vm.pages);
    this.freeVa(vm.addr, vm.addr + vm.size);
    this.freeMeta(vm);
    return ret;
  }

  private freeMeta(vm: VmStruct): void {
    const meta = this.opts.meta;
    if (!meta || vm.metaPa.length === 0) return;
    meta.freeVmapArea(vm.metaPa[0]);
    for (let i = 1; i < vm.metaPa.length; i++) meta.kfree(vm.metaPa[i]);
  }

  /** vmap: maps existing pages (pfns) contiguously; returns the address or 0. The pages stay the caller's. */
  vmap(pfns: readonly number[], flags = VM_MAP, caller = ""): number {
    const vm = this.getVmArea(pfns.length * PAGE_SIZE, flags, caller, pfns.slice());
    if (!vm) return 0;
    if (!this.mapArea(vm)) {
      this.freeVa(vm.addr, vm.addr + vm.size);
      this.freeMeta(vm);
      return 0;
    }
    this.insertBusy(vm);
    return vm.addr;
  }

  /** The area starting at `addr`, or null (find_vm_area). */
  findVmArea(addr: number): VmStruct | null {
    const i = this.busyIndex(addr);
    return i < this.busy.length && this.busy[i].addr === addr ? this.busy[i] : null;
  }

  /**
   * vfree / vunmap: unmaps the area at `addr` now, frees its pages (vfree only) and queues its
   * address range for the lazy purge. An address that starts no area is WARNed about in
   * Linux's words ("Trying to vfree() nonexistent vm area") and ignored.
   */
  vfree(addr: number): void {
    this.remove(addr, true);
  }

  vunmap(addr: number): void {
    this.remove(addr, false);
  }

  private remove(addr: number, freePages: boolean): void {
    if (addr === 0) return;
    const i = this.busyIndex(addr);
    const vm = i < this.busy.length && this.busy[i].addr === addr ? this.busy[i] : null;
    if (!vm) {
      const log = this.opts.log;
      if (log) {
        log("------------[ cut here ]------------");
        log(`Trying to ${freePages ? "vfree" : "vunmap"}() nonexistent vm area (${formatVa(addr, this.opts.layout.vaBits)})`);
      }
      return;
    }
    this.busy.splice(i, 1);
    this.unmapArea(vm.addr, vm.pages.length);
    if (freePages && vm.flags & VM_ALLOC) {
      this.freeAreaPages(vm.pages);
      this.nrVmallocPages -= vm.pages.length;
    }
    this.freeMeta(vm);
    // free_vmap_area_noflush: the range waits; stale TLB entries for it are harmless because
    // nobody uses the range until the purge has flushed them.
    this.lazy.push({ start: vm.addr, end: vm.addr + vm.size });
    this.lazyPages += vm.size / PAGE_SIZE;
    if (this.lazyPages > this.lazyMaxPages) this.purgeLazy();
  }

  /** __purge_vmap_area_lazy: one kernel TLB flush over all lazily freed ranges, then they are free again. Returns ranges purged. */
  purgeLazy(): number {
    if (this.lazy.length === 0) return 0;
    const lazy = this.lazy;
    let start = Infinity;
    let end = 0;
    for (let i = 0; i < lazy.length; i++) {
      start = Math.min(start, lazy[i].start);
      end = Math.max(end, lazy[i].end);
    }
    this.flushTlbKernelRange(start, end);
    const n = lazy.length;
    for (let i = 0; i < n; i++) this.freeVa(lazy[i].start, lazy[i].end);
    this.lazy.length = 0;
    this.lazyPages = 0;
    this.purges++;
    return n;
  }

  /** Checks the invariants listed in vmalloc-verify.ts; throws Bug on the first broken one. */
  verify(): void {
    verifyVmalloc(this, this.opts.ram, this.opts.layout);
    for (let k = 0; k < PT_CACHE_SIZE; k++) {
      if (this.ptTag[k] < 0) continue;
      const va = this.ptTag[k] * PMD_SIZE;
      const ref = lookupPte(this.opts.ram, this.pgd, va, this.levels);
      if (ref === null || ref.level !== 1 || ref.entryPa !== this.ptPa[k]) {
        BUG("vmalloc.verify", `PTE-table cache entry ${k} for 0x${va.toString(16)} names table 0x${this.ptPa[k].toString(16)}, not the one the page tables hold`);
      }
    }
  }

  /** flush_tlb_kernel_range (arch/x86/mm/tlb.c): page by page up to the ceiling, else everything. */
  flushTlbKernelRange(start: number, end: number): void {
    const pages = (end - start) / PAGE_SIZE;
    const tlbs = this.opts.tlbs ?? [];
    if (pages > TLB_SINGLE_PAGE_FLUSH_CEILING) {
      this.tlbFullFlushes++;
      for (const t of tlbs) t.flushAll();
    } else {
      this.tlbPageFlushes += pages;
      for (const t of tlbs) for (let va = start; va < end; va += PAGE_SIZE) t.invlpg(va);
    }
  }
}

/** sizeof(struct vm_struct) on x86-64 6.x: next, addr, size, flags, pages, page_order+nr_pages, phys_addr, caller, requested_size. */
export const VM_STRUCT_SIZE = 72;
