// vmalloc (mm/vmalloc.c): virtually contiguous kernel memory from scattered pages. A
// vmap-area allocator hands out ranges of [VMALLOC_START, VMALLOC_END) lowest address first;
// each area gets a trailing guard page; its pages come from the buddy allocator (in bulk when
// it offers alloc_pages_bulk) and are mapped in the one kernel page-table tree (init_mm,
// vmalloc-pgtable.ts).
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
import { formatVa, PAGE_SIZE } from "@mmsim/base";
import type { TraceBus } from "@mmsim/base";
import { GFP_KERNEL, __GFP_HIGHMEM, __GFP_NOFAIL, __GFP_ZERO } from "@mmsim/physical";
import { TLB_SINGLE_PAGE_FLUSH_CEILING } from "@mmsim/hardware";
import type { PagingLevels, Ram, X86Layout } from "@mmsim/hardware";
import type { PageAllocator } from "./deps";
import { fls } from "./slub-layout";
import { verifyVmalloc } from "./vmalloc-verify";
import { KernelPageTable } from "./vmalloc-pgtable";

/** vmalloc asks for pages near the running CPU: node -1, the local node */
const NUMA_NO_NODE = -1;

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
  /** the kernel page table the areas are mapped in */
  private readonly pgtable: KernelPageTable;
  /** free ranges [start, end) in address order */
  private readonly freeStart: number[];
  private readonly freeEnd: number[];

  constructor(private readonly opts: VmallocOptions) {
    this.levels = opts.layout.levels;
    this.freeStart = [opts.layout.VMALLOC_START];
    this.freeEnd = [opts.layout.VMALLOC_END];
    this.pgtable = new KernelPageTable(opts.phys, opts.ram, opts.layout, opts.preallocate ?? true);
    this.pgd = this.pgtable.pgd;
  }

  /** pages of kernel page tables (PageTables) */
  get pageTablePages(): number {
    return this.pgtable.pageTablePages;
  }

  /** lazy_max_pages: fls(num_online_cpus()) * 32 MiB of pages. */
  get lazyMaxPages(): number {
    return fls(this.opts.nrCpus) * ((32 * 1024 * 1024) / PAGE_SIZE);
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
    if (!this.pgtable.map(vm.addr, vm.pages)) return this.undo(vm, 0);
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
      const bulkGfp = (gfp & ~__GFP_NOFAIL) >>> 0;
      while (pages.length < nr) {
        const want = Math.min(100, nr - pages.length);
        // The first chunk goes straight into `pages`; later ones (areas over 400 KiB) through
        // a fresh array, so that no stale entry can look populated to the bulk allocator.
        const first = pages.length === 0;
        const out: number[] = first ? pages : [];
        const got = phys.allocPagesBulk(bulkGfp, NUMA_NO_NODE, want, out);
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
    if (!this.pgtable.map(vm.addr, vm.pages)) {
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
    this.pgtable.unmap(vm.addr, vm.pages.length);
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
    this.pgtable.verify();
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
