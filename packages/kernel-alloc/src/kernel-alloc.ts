// The kernel-alloc layer booted as one piece, in mm_core_init's order: the slab allocator's
// bootstrap caches (kmem_cache_node, kmem_cache), the kmalloc caches, vmalloc with the kernel
// page table, then the caches the rest of the kernel allocates from. Also the numbers
// /proc/meminfo takes from this layer and the renderers of /proc/slabinfo and
// /proc/vmallocinfo. The kernel package wires it; tests use it with a real PhysicalMemory.
import { Clock, InputError, PAGE_SIZE, Rng } from "@mmsim/base";
import { parseSlubDebug, THREAD_SIZE } from "./kernel-alloc-config";
import type { KernelAllocConfig, KernelAllocMeminfo, SlabBackend } from "./kernel-alloc-config";
import type { TraceBus } from "@mmsim/base";
import { x86Layout } from "@mmsim/hardware";
import type { PagingLevels, Ram } from "@mmsim/hardware";
import { formatGfp, GFP_KERNEL, __GFP_ZERO } from "@mmsim/physical";
import { kernelPtr } from "./internal/format";
import { Printk, TAINT_WARN } from "./printk";
import { KERNEL_CACHES, KMEM_CACHE_NODE_SIZE, KMEM_CACHE_SIZE } from "./kernel-caches";
import type { SlabCtor } from "./kmem-cache";
import { Kmalloc } from "./kmalloc";
import type { KmallocLog, SlabCacheInfo } from "./kmalloc";
import { formatVmallocinfo } from "./proc-vmallocinfo";
import { formatSlabinfo } from "./slab-common";
import { SLAB_HWCACHE_ALIGN, SLAB_NO_MERGE, SLAB_PANIC } from "./slab-flags";
import { Slub } from "./slub";
import { CACHE_LINE_SIZE, PAGE_ALLOC_COSTLY_ORDER } from "./slub-layout";
import type { KmemCache } from "./kmem-cache";
import { SLAB_KMALLOC_SHIFT_LOW, SlabClassic } from "./slab";
import type { SlabCache } from "./slab";
import { Vmalloc } from "./vmalloc";

const KERNEL_STACK_CALLER = "kernel_clone+0x94/0x3e0";

export class KernelAlloc {
  // Fields set in the constructor are `declare`d (and config is no parameter property): the
  // ES2022 output would first define them as undefined and V8 would check their type on every
  // kmalloc/kfree.
  declare readonly config: KernelAllocConfig;
  declare readonly printk: Printk;
  declare readonly slab: SlabBackend;
  /** the SLUB instance when allocator is "slub" (debug checks, slab views) */
  declare readonly slub: Slub | null;
  declare readonly kmallocs: Kmalloc<SlabCacheInfo>;
  declare readonly vm: Vmalloc;
  declare readonly levels: PagingLevels;
  declare readonly nrNodes: number;
  /** named caches by name (boot caches and those created later) */
  readonly cachesByName = new Map<string, SlabCacheInfo>();
  /** kernel stacks allocated (KernelStack = stacks × 16 kB) */
  kernelStacks = 0;
  declare private readonly kmemCache: SlabCacheInfo;
  declare private readonly kmemCacheNode: SlabCacheInfo;
  private readonly descriptors = new Map<SlabCacheInfo, number[]>();
  declare private readonly hashKey: number;
  declare private readonly trace: TraceBus | null;
  declare private readonly pageOffset: number;
  declare private readonly vaBits: number;
  // What the kmalloc/kfree fast paths read (see kmalloc()): SLUB's kmalloc-8 .. kmalloc-192 by
  // (size - 1) >>> 3 (Kmalloc's size_index[]; empty under classic SLAB), Ram, and the free
  // pointer encoding's halves of PAGE_OFFSET (FreePointers.poLo/poHiExt/noCarry).
  declare private readonly smallSlub: KmemCache[];
  declare private readonly ram: Ram;
  declare private readonly poLo: number;
  declare private readonly poHiExt: number;
  declare private readonly noCarry: number;

  private constructor(config: KernelAllocConfig) {
    this.config = config;
    const nrCpus = config.nrCpus ?? 2;
    this.levels = config.levels ?? 4;
    this.nrNodes = config.nrNodes ?? 1;
    const layout = x86Layout(this.levels);
    this.trace = config.trace ?? null;
    this.pageOffset = layout.PAGE_OFFSET;
    this.vaBits = layout.vaBits;
    const rng = config.rng ?? new Rng(1);
    this.hashKey = rng.nextU32();
    this.printk = new Printk(config.log ?? null);
    const { debugFlags, debugCaches } = parseSlubDebug(config.slubDebug);
    if (config.allocator === "slab") {
      this.slub = null;
      this.slab = new SlabClassic({ phys: config.phys, ram: config.ram, nrCpus, printk: this.printk }) as unknown as SlabBackend;
    } else {
      this.slub = new Slub({
        phys: config.phys, ram: config.ram, nrCpus, nrNodes: this.nrNodes,
        tunables: { minObjects: config.slubMinObjects, minOrder: config.slubMinOrder, maxOrder: config.slubMaxOrder },
        debugFlags, debugCaches, nomerge: config.slabNomerge, freelistHardened: config.freelistHardened, rng,
        clock: config.clock ?? new Clock(), trace: config.trace ?? null, printk: this.printk,
        pageOffset: layout.PAGE_OFFSET, vaBits: layout.vaBits, vmemmapStart: layout.VMEMMAP_START,
      });
      this.slab = this.slub as unknown as SlabBackend;
    }
    // kmem_cache_init: the bootstrap caches; each cache's descriptor then lives in them.
    const node = this.slab.createCache("kmem_cache_node", KMEM_CACHE_NODE_SIZE, 0, SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE, null, 0);
    const kc = this.slab.createCache("kmem_cache", KMEM_CACHE_SIZE, 0, SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE, null, 0);
    if (!node || !kc) throw new InputError("cannot create the bootstrap slab caches");
    node.refcount = kc.refcount = -1;
    this.kmemCacheNode = node;
    this.kmemCache = kc;
    const list = this.slab.caches;
    list.splice(list.indexOf(kc), 1);
    list.splice(list.indexOf(node), 0, kc); // bootstrap() lists kmem_cache first
    this.allocDescriptors(kc);
    this.allocDescriptors(node);
    const printk = this.printk;
    const slab = this.slab;
    const slub = this.slub;
    const kmallocLog: KmallocLog = {
      printk,
      get cpu() {
        return slab.cpu;
      },
      get pid() {
        return slub ? slub.debugger.pid : 0;
      },
      ptr: (pa) => "0x" + kernelPtr(layout.PAGE_OFFSET, layout.vaBits, pa),
      warned: () => printk.addTaint(TAINT_WARN),
    };
    this.kmallocs = new Kmalloc(this.slab, config.phys, config.ram, config.allocator === "slab" ? SLAB_KMALLOC_SHIFT_LOW : 3, true, kmallocLog);
    if (this.slab instanceof SlabClassic) {
      const k = this.kmallocs;
      this.slab.kmallocSlab = (bytes) => k.cacheFor(bytes, GFP_KERNEL) as SlabCache | null;
    }
    for (const row of this.kmallocs.caches) for (const c of row) if (c) this.adoptBootCache(c);
    this.ram = config.ram;
    this.smallSlub = [];
    if (this.slub) for (let i = 0; i < 24; i++) this.smallSlub.push(this.kmallocs.cacheFor(i * 8 + 1, 0) as KmemCache);
    this.poLo = this.slub ? this.slub.fp.poLo : 0;
    this.poHiExt = this.slub ? this.slub.fp.poHiExt : 0;
    this.noCarry = this.slub ? this.slub.fp.noCarry : 0;
    const vmapArea = KERNEL_CACHES[0];
    const vmapCache = this.createNamed(vmapArea.name, vmapArea.size, vmapArea.flags);
    this.vm = new Vmalloc({
      phys: config.phys, ram: config.ram, layout, nrCpus, tlbs: config.tlbs, trace: config.trace ?? null,
      log: (line) => this.printk.log(line),
      meta: {
        allocVmapArea: () => this.slab.alloc(vmapCache, GFP_KERNEL, vmapCache.objectSize, "alloc_vmap_area"),
        freeVmapArea: (pa) => this.slab.free(vmapCache, pa, "free_vmap_area"),
        kmalloc: (size) => this.kmallocs.kmalloc(size, GFP_KERNEL, "__get_vm_area_node"),
        kfree: (pa) => this.kmallocs.kfree(pa, "vfree"),
      },
    });
    if (config.kernelCaches ?? true) for (const spec of KERNEL_CACHES.slice(1)) this.createNamed(spec.name, spec.size, spec.flags);
  }

  /** Boots the layer on a booted PhysicalMemory and its Ram. Throws InputError on a bad slubDebug string. */
  static boot(config: KernelAllocConfig): KernelAlloc {
    return new KernelAlloc(config);
  }

  private createNamed(name: string, size: number, flags: number): SlabCacheInfo {
    const c = this.kmemCacheCreate(name, size, 0, flags | SLAB_PANIC);
    if (!c) throw new InputError(`cannot create slab cache ${name}`);
    return c;
  }

  private adoptBootCache(c: SlabCacheInfo): void {
    c.refcount = 1;
    this.cachesByName.set(c.name, c);
    this.allocDescriptors(c);
  }

  private allocDescriptors(c: SlabCacheInfo): void {
    const objs = [this.slab.alloc(this.kmemCache, GFP_KERNEL, KMEM_CACHE_SIZE, "kmem_cache_create")];
    for (let n = 0; n < this.nrNodes; n++) objs.push(this.slab.alloc(this.kmemCacheNode, GFP_KERNEL, KMEM_CACHE_NODE_SIZE, "init_kmem_cache_nodes"));
    this.descriptors.set(c, objs);
  }

  /** The CPU the simulated kernel runs on: selects per-CPU slabs and the page allocator's PCP lists. */
  get cpu(): number {
    return this.slab.cpu;
  }

  set cpu(c: number) {
    this.config.phys.cpu = c;
    this.slab.cpu = c;
  }

  // ---- kmem_cache API -------------------------------------------------------------------------

  /**
   * kmem_cache_create(name, size, align, flags, ctor): a new cache, or the existing one it
   * merges with. Returns null when an object cannot fit in any slab.
   */
  kmemCacheCreate(name: string, size: number, align = 0, flags = 0, ctor: SlabCtor | null = null, usersize = 0): SlabCacheInfo | null {
    const before = this.slab.caches.length;
    const c = this.slab.kmemCacheCreate(name, size, align, flags, ctor, usersize);
    if (!c) return null;
    this.cachesByName.set(name, c);
    if (this.slab.caches.length > before) this.allocDescriptors(c);
    return c;
  }

  /** kmem_cache_alloc: an object's physical address (kernel address PAGE_OFFSET + pa) or 0. */
  kmemCacheAlloc(s: SlabCacheInfo, gfp = GFP_KERNEL, caller = ""): number {
    const p = this.slab.alloc(s, gfp, s.objectSize, caller);
    if (this.trace !== null && this.trace.on) this.traceKmemCacheAlloc(s, p, gfp, caller);
    return p;
  }

  private traceKmemCacheAlloc(s: SlabCacheInfo, p: number, gfp: number, caller: string): void {
    this.trace!.emit("kmem_cache_alloc", { call_site: caller, ptr: this.ptr(p), name: s.name, bytes_req: s.objectSize, bytes_alloc: s.size, gfp_flags: formatGfp(gfp), node: -1 });
  }

  kmemCacheZalloc(s: SlabCacheInfo, gfp = GFP_KERNEL, caller = ""): number {
    return this.kmemCacheAlloc(s, gfp | __GFP_ZERO, caller);
  }

  /** kmem_cache_free. */
  kmemCacheFree(s: SlabCacheInfo, obj: number, caller = ""): void {
    if (this.trace !== null && this.trace.on) this.traceKmemCacheFree(s, obj, caller);
    this.slab.free(s, obj, caller);
  }

  private traceKmemCacheFree(s: SlabCacheInfo, obj: number, caller: string): void {
    this.trace!.emit("kmem_cache_free", { call_site: caller, ptr: this.ptr(obj), name: s.name });
  }

  /** A pointer as trace events print it: "0x" + the sign-extended kernel address (NULL: 0x0). */
  private ptr(pa: number): string {
    return pa === 0 ? "0x0" : "0x" + kernelPtr(this.pageOffset, this.vaBits, pa);
  }

  /** kmem_cache_destroy: false (with Linux's report and WARN in the log) when objects remain. */
  kmemCacheDestroy(s: SlabCacheInfo, caller = "kmem_cache_destroy"): boolean {
    const live = this.slab.caches.includes(s);
    const ok = this.slab.destroy(s, caller);
    if (ok && live && !this.slab.caches.includes(s)) {
      for (const [name, c] of this.cachesByName) if (c === s) this.cachesByName.delete(name);
      const objs = this.descriptors.get(s) ?? [];
      this.slab.free(this.kmemCache, objs[0], "kmem_cache_release");
      for (let i = 1; i < objs.length; i++) this.slab.free(this.kmemCacheNode, objs[i], "kmem_cache_release");
      this.descriptors.delete(s);
    }
    return ok;
  }

  /** kmem_cache_shrink: frees empty slabs; returns pages freed. */
  kmemCacheShrink(s: SlabCacheInfo): number {
    return this.slab.shrink(s);
  }

  /** A cache by name (boot or created), or null. */
  cache(name: string): SlabCacheInfo | null {
    return this.cachesByName.get(name) ?? null;
  }

  // ---- kmalloc --------------------------------------------------------------------------------

  // kmalloc(64)/kfree are leaf functions (docs/design/performance.md rule 4): the common case
  // (SLUB, no tracing, a normal-type request of 1..192 bytes, no __GFP_ZERO; a free to the
  // current CPU slab) is Kmalloc.kmalloc + Slub.alloc and Slub.freeObject written out here,
  // with one call each into Ram for the free pointer's halves, so that a caller's loop inlines
  // both within V8's budget (tests/inlining-budget.test.ts). Everything else goes to
  // kmallocSlow/kfreeSlow, which take the request from the top: results are identical
  // (kmalloc-fast.test.ts). Constants are literals, pinned by that test: a module constant
  // costs a check on every use.

  /**
   * kmalloc: `size` bytes; the object's physical address (kernel address PAGE_OFFSET + pa),
   * ZERO_SIZE_PTR for 0 bytes, or 0 when memory ran out or size is above KMALLOC_MAX_SIZE.
   */
  kmalloc(size: number, gfp = GFP_KERNEL, caller?: string): number {
    const tr = this.trace;
    // 0x400111: __GFP_DMA | __GFP_RECLAIMABLE | __GFP_ACCOUNT (a non-normal type) | __GFP_ZERO
    if (size > 0 && size <= 192 && (gfp & 0x400111) === 0 && (tr === null || !tr.on)) {
      const s = this.smallSlub[(size - 1) >>> 3];
      if (s !== undefined && s.fastPath) {
        const cpu = this.slub!.cpu;
        const fl = s.cpuFreelist;
        const obj = fl[cpu];
        if (obj !== 0) {
          // Slub.alloc: pop the CPU freelist; decodePlainFreePtr of the next pointer's halves.
          const ram = this.ram;
          const lo = ram.readU32Pair(obj + s.offset);
          const hi = ram.pairHi;
          fl[cpu] = (lo | hi) === 0 ? 0 : (hi - this.poHiExt) * 4294967296 + lo - this.poLo;
          // markInUse: the object's bit in its slab's in-use map (128 words a slot).
          this.slub!.meta.inuseMap[(s.cpuSlab[cpu] << 7) + ((obj >>> 8) & 127)] |= 1 << ((obj >>> 3) & 31);
          return obj;
        }
      }
    }
    return this.kmallocSlow(size, gfp, caller);
  }

  /** kmalloc off its fast path: through Kmalloc and the slab allocator, with the tracepoint. */
  private kmallocSlow(size: number, gfp: number, caller: string | undefined): number {
    const p = this.kmallocs.kmalloc(size, gfp, caller);
    if (this.trace !== null && this.trace.on) this.traceKmalloc(p, size, gfp, caller);
    return p;
  }

  private traceKmalloc(p: number, size: number, gfp: number, caller = ""): void {
    this.trace!.emit("kmalloc", { call_site: caller, ptr: this.ptr(p), bytes_req: size, bytes_alloc: p > 16 ? this.kmallocs.ksize(p) : 0, gfp_flags: formatGfp(gfp), node: -1 });
  }

  /** kfree: NULL and ZERO_SIZE_PTR are ignored; a bad free throws KernelBug (see Kmalloc.kfree). */
  kfree(p: number, caller?: string): void {
    const sl = this.slub;
    const tr = this.trace;
    if (sl !== null && p > 16 && (tr === null || !tr.on)) {
      // Slub.freeObject: slotOfPa, then a push on the CPU freelist if p is an allocated
      // object of the CPU slab and the old head needs no carry (FreePointers.setPlain).
      const m = sl.meta;
      if (p < m.paLimit) {
        const slot = m.slotOfPfn[(p / 4096) >>> 0] - 1;
        if (slot >= 0) {
          const s = sl.byId[m.cache[slot]];
          const cpu = sl.cpu;
          const fl = s.cpuFreelist;
          const next = fl[cpu];
          const map = m.inuseMap;
          const w = (slot << 7) + ((p >>> 8) & 127);
          const bit = 1 << ((p >>> 3) & 31);
          const x = map[w];
          if (slot === s.cpuSlab[cpu] && s.fastPath && (x & bit) !== 0 && next !== 0 && next < this.noCarry) {
            map[w] = x ^ bit;
            this.ram.writeU32Pair(p + s.offset, this.poLo + next, this.poHiExt);
            fl[cpu] = p;
            return;
          }
        }
      }
    }
    this.kfreeSlow(p, caller);
  }

  /** kfree off its fast path: the tracepoint, then the slab allocator or a large kmalloc. */
  private kfreeSlow(p: number, caller: string | undefined): void {
    if (this.trace !== null && this.trace.on) this.traceKfree(p, caller);
    if (p > 16 && this.slab.freeObject(p, caller)) return;
    this.kmallocs.kfree(p, caller);
  }

  private traceKfree(p: number, caller = ""): void {
    this.trace!.emit("kfree", { call_site: caller, ptr: this.ptr(p) });
  }

  ksize(p: number): number {
    return this.kmallocs.ksize(p);
  }

  krealloc(p: number, size: number, gfp = GFP_KERNEL, caller = ""): number {
    return this.kmallocs.krealloc(p, size, gfp, caller);
  }

  kzalloc(size: number, gfp = GFP_KERNEL, caller = ""): number {
    return this.kmalloc(size, gfp | __GFP_ZERO, caller);
  }

  // ---- vmalloc ------------------------------------------------------------------------------------

  vmalloc(size: number, gfp = GFP_KERNEL, caller = ""): number {
    return this.vm.vmalloc(size, gfp, caller);
  }

  vzalloc(size: number, caller = ""): number {
    return this.vm.vzalloc(size, caller);
  }

  vfree(addr: number): void {
    this.vm.vfree(addr);
  }

  vmap(pfns: readonly number[], caller = ""): number {
    return this.vm.vmap(pfns, undefined, caller);
  }

  vunmap(addr: number): void {
    this.vm.vunmap(addr);
  }

  /** alloc_thread_stack_node (CONFIG_VMAP_STACK): a 16 KiB stack, THREAD_SIZE-aligned, or 0. */
  allocKernelStack(): number {
    const va = this.vm.vmalloc(THREAD_SIZE, GFP_KERNEL, KERNEL_STACK_CALLER, THREAD_SIZE);
    if (va) this.kernelStacks++;
    return va;
  }

  freeKernelStack(va: number): void {
    this.vm.vfree(va);
    this.kernelStacks--;
  }

  // ---- /proc ------------------------------------------------------------------------------------

  /** The /proc/meminfo values this layer owns, in kB. */
  meminfo(): KernelAllocMeminfo {
    const kb = PAGE_SIZE / 1024;
    const layout = x86Layout(this.levels);
    const recl = this.slab.reclaimablePages * kb;
    const unrecl = (this.slab.unreclaimablePages + this.kmallocs.largePages) * kb;
    return {
      Slab: recl + unrecl, SReclaimable: recl, SUnreclaim: unrecl,
      KernelStack: (this.kernelStacks * THREAD_SIZE) / 1024,
      PageTables: this.vm.pageTablePages * kb,
      VmallocTotal: Math.floor((layout.VMALLOC_END - 1 - layout.VMALLOC_START) / 1024),
      VmallocUsed: this.vm.nrVmallocPages * kb,
      VmallocChunk: 0,
    };
  }

  /** /proc/slabinfo. */
  slabinfo(): string {
    return formatSlabinfo(this.slab.slabinfoRows());
  }

  /** /proc/vmallocinfo. */
  vmallocinfo(): string {
    return formatVmallocinfo(this.vm, {
      vaBits: x86Layout(this.levels).vaBits, nid: (pfn) => this.config.phys.pages.nid(pfn),
      pointers: this.config.pointers ?? "raw", hashKey: this.hashKey,
    });
  }

  /**
   * What kmem_cache_init() prints (mm/slub.c): "SLUB: HWalign=64, Order=0-3, MinObjects=0,
   * CPUs=N, Nodes=N" from cache_line_size(), slub_min_order, slub_max_order, slub_min_objects,
   * nr_cpu_ids and nr_node_ids; it follows the "Memory:" line in the boot log. Classic SLAB
   * printed nothing. The kernel writes these lines to dmesg.
   */
  bootLog(): string[] {
    if (!this.slub) return [];
    const c = this.config;
    // slub_min_order= raises slub_max_order to it (setup_slub_min_order).
    const minOrder = c.slubMinOrder ?? 0;
    const maxOrder = Math.max(c.slubMaxOrder ?? PAGE_ALLOC_COSTLY_ORDER, minOrder);
    return [`SLUB: HWalign=${CACHE_LINE_SIZE}, Order=${minOrder}-${maxOrder}, MinObjects=${c.slubMinObjects ?? 0}, CPUs=${c.nrCpus ?? 2}, Nodes=${this.nrNodes}`];
  }

  /** Checks every invariant of the slab allocator and of vmalloc. */
  verify(): void {
    this.slab.verify();
    this.vm.verify();
  }
}
