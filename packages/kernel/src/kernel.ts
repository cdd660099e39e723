// The composition root (ARCHITECTURE §5): Kernel.boot(config) validates a machine config,
// builds the hardware, boots the page allocator and the slab allocator in Linux's order, then
// runs each kernel module's init (modules/all.ts), which registers the layer's files,
// sysctls, counters, hooks and steps. The reclaim hooks of the page allocator's slow path
// keep their no-op defaults until a reclaim module sets them, so an allocation fails at the
// watermark. verify() checks every module (CONFIG_DEBUG_VM for the whole machine).
import { BUG, Clock, Counters, InputError, PAGE_SIZE, Rng, TraceBus } from "@mmsim/base";
import { createHardware, e820Usable, formatE820, type Hardware } from "@mmsim/hardware";
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, PhysicalMemory, __GFP_ZERO, freeReservedArea } from "@mmsim/physical";
import { KernelAlloc } from "@mmsim/kernel-alloc";
import type { KernelModule } from "./module";
import { KERNEL_MODULES } from "./modules/all";
import { pcpuNrPages, setupPerCpuAreas, type PercpuFirstChunk } from "./percpu";
import { vfsCachesInitEarly, vfsCachesInitHashdist, type VfsHashTable } from "./vfs-caches";
import { checkMachine, DEFAULT_MACHINE, type MachineConfig } from "./config";
import { Dmesg } from "./dmesg";
import { Procfs } from "./procfs";
import { Sysctl } from "./sysctl";

export interface BootOptions {
  /** seed of the machine's Rng (default 1) */
  seed?: number;
}

/** The kernel version string mmsim reports (what it models: the 6.18 reference machine). */
export const UTS_RELEASE = "6.18.0-mmsim";

export class Kernel {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly counters: Counters;
  readonly trace: TraceBus;
  readonly dmesg: Dmesg;
  readonly procfs = new Procfs();
  readonly sysctl: Sysctl;
  readonly hw: Hardware;
  readonly phys: PhysicalMemory;
  readonly alloc: KernelAlloc;
  /** each module's layer, by module, in boot order (see layer()) */
  private readonly layers = new Map<KernelModule, unknown>();
  /** the first per-CPU chunk setup_per_cpu_areas() embedded (meminfo's Percpu) */
  declare readonly percpu: PercpuFirstChunk;
  /** the dentry and inode hash tables (memblock with one memory node, vmalloc with several) */
  vfsHashTables: VfsHashTable[] = [];
  /** boot lines printed after the slab allocator is up (vfs_caches_init with hashdist) */
  private readonly lateBootLines: string[] = [];
  /** Counters slot of nr_page_table_pages (allocPgtable counts the tables it hands out) */
  private readonly nrPageTablePages: number;

  private constructor(
    readonly config: MachineConfig,
    readonly seed: number,
  ) {
    this.clock = new Clock();
    this.rng = new Rng(seed);
    this.counters = new Counters();
    this.trace = new TraceBus(this.clock);
    this.dmesg = new Dmesg(this.clock);
    this.sysctl = new Sysctl(this.procfs);
    this.hw = createHardware({
      ramBytes: config.ram,
      cpus: config.cpus,
      nodes: config.nodes,
      pagingLevels: config.pagingLevels,
      swap: config.swap ? [config.swap] : [],
      clock: this.clock,
      rng: this.rng,
    });
    const memory = memoryByNode(this.hw);
    const nids = [...new Set(memory.map((r) => r.nid))].sort((a, b) => a - b);
    // CPUs split into contiguous blocks over the nodes with memory (the physical layer's default)
    let percpu: PercpuFirstChunk | null = null;
    const cpuToNode = Array.from({ length: config.cpus }, (_, c) => nids[Math.floor((c * nids.length) / config.cpus)]!);
    this.phys = PhysicalMemory.boot({
      memory,
      nrCpus: config.cpus,
      cpuToNode,
      // i386_defconfig has no CONFIG_TRANSPARENT_HUGEPAGE: no sysfs files, no khugepaged raising min_free_kbytes
      transparentHugepage: config.arch === "i386" ? undefined : config.transparentHugepage,
      // start_kernel() before mm_core_init(): setup_per_cpu_areas(), vfs_caches_init_early()
      earlyAllocations: (mb) => {
        percpu = setupPerCpuAreas(mb, cpuToNode, config.arch);
        this.vfsHashTables = vfsCachesInitEarly(mb);
      },
      distance: this.hw.numa.distance.toMatrix(),
      arch: config.arch,
      kernelcore: config.kernelcore || undefined,
      movablecore: config.movablecore || undefined,
      ram: this.hw.ram,
      clock: this.clock,
      counters: this.counters,
      trace: this.trace,
      rng: this.rng,
      log: (line) => this.dmesg.log(line),
    });
    this.percpu = percpu ?? BUG("Kernel", "the physical layer booted without running setup_per_cpu_areas");
    this.alloc = KernelAlloc.boot({
      phys: this.phys,
      ram: this.hw.ram,
      nrCpus: config.cpus,
      nrNodes: this.phys.nodes.length,
      levels: config.pagingLevels,
      allocator: config.allocator,
      slubDebug: config.slubDebug,
      tlbs: this.hw.cpus.map((c) => c.tlb),
      rng: this.rng,
      clock: this.clock,
      trace: this.trace,
      log: (line) => this.dmesg.log(line),
    });
    if (this.vfsHashTables.length === 0) {
      const { tables, lines } = vfsCachesInitHashdist(this.alloc, this.phys.boot.nrKernelPages, this.phys.boot.nrAllPages);
      this.vfsHashTables = tables;
      this.lateBootLines.push(...lines);
    }
    this.nrPageTablePages = this.counters.id("nr_page_table_pages");
    for (const m of KERNEL_MODULES) {
      if ([...this.layers.keys()].some((o) => o.name === m.name)) BUG("Kernel", `two kernel modules are named ${m.name}`);
      this.layers.set(m, m.init(this));
    }
  }

  /** The layer `m` brought up (what its init returned); a module that is not booted is a Bug. */
  layer<L>(m: KernelModule<L>): L {
    if (!this.layers.has(m as KernelModule)) BUG("Kernel.layer", `module ${m.name} is not part of this kernel`);
    return this.layers.get(m as KernelModule) as L;
  }

  /** [module, layer] for every module, in boot order. */
  moduleLayers(): [KernelModule, unknown][] {
    return [...this.layers];
  }

  /**
   * Checks every invariant of the machine (CONFIG_DEBUG_VM): each module's verify() in boot
   * order (the buddy allocator and PCP lists, the slab caches and vmalloc, the counters against
   * each other). Throws Bug on the first broken invariant; `mmsim run --verify` calls it after
   * every step.
   */
  verify(): void {
    for (const [m, layer] of this.layers) m.verify?.(layer, this);
  }

  /** Pages of the per-CPU areas (pcpu_nr_pages(), meminfo's Percpu): the first chunk's. */
  percpuPages(): number {
    return pcpuNrPages(this.percpu);
  }

  /** Pages of swap space the swap devices offer (each loses its header page to mkswap). */
  swapTotalPages(): number {
    return this.hw.swapDevices.reduce((n, d) => n + Math.max(0, Math.floor((d.nrSectors * 512) / PAGE_SIZE) - 1), 0);
  }

  /** A zeroed page for a page table (GFP_KERNEL | __GFP_ZERO, counted as PageTables later); pfn or -1. */
  allocPgtable(): number {
    const pfn = this.phys.allocPages(GFP_KERNEL | __GFP_ZERO, 0);
    if (pfn >= 0) this.counters.add(this.nrPageTablePages);
    return pfn;
  }

  /** A zeroed page for user memory (GFP_HIGHUSER_MOVABLE | __GFP_ZERO); pfn or -1. */
  allocUserPage(): number {
    return this.phys.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0);
  }

  /**
   * Boots a machine. `config` may be partial (defaults fill the rest); an impossible machine is
   * an InputError naming the field. Boot-time sysctls are applied all together, after the
   * layers are up, as sysctl.conf is.
   */
  static boot(config: Partial<MachineConfig> = {}, opts: BootOptions = {}): Kernel {
    const full: MachineConfig = { ...DEFAULT_MACHINE, ...config, sysctl: { ...(config.sysctl ?? {}) } };
    checkMachine(full);
    const seed = opts.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InputError(`invalid seed ${seed}: expected a whole number from 0 to 4294967295`, { field: "seed" });
    const k = new Kernel(full, seed);
    k.bootLog();
    k.freeInitmem();
    for (const [m, layer] of k.layers) m.kernelInit?.(layer, k);
    if (Object.keys(full.sysctl).length) k.sysctl.set(full.sysctl);
    return k;
  }

  private bootLog(): void {
    const d = this.dmesg;
    d.log(`Linux version ${UTS_RELEASE} (mmsim@mmsim) (mmsim simulator) #1 SMP PREEMPT_DYNAMIC`);
    d.log(`Command line: ${this.commandLine()}`);
    d.log("BIOS-provided physical RAM map:");
    for (const line of formatE820(this.hw.e820)) d.log(line);
    // trim_bios_range() (arch/x86/kernel/setup.c): page 0 belongs to the BIOS, and the PC BIOS
    // area 640K..1M is never RAM; memoryByNode() leaves both out of what memblock sees.
    d.log("e820: update [mem 0x00000000-0x00000fff] usable ==> reserved");
    d.log("e820: remove [mem 0x000a0000-0x000fffff] usable");
    if (this.config.pagingLevels === 5) d.log("x86/mm: 5-level paging enabled");
    for (const line of this.phys.bootLog()) d.log(line);
    for (const line of this.alloc.bootLog()) d.log(line);
    for (const line of this.lateBootLines) d.log(line);
  }

  /**
   * The end of boot (init/main.c kernel_init): free_initmem() returns the kernel image's init
   * section to the page allocator, then mark_rodata_ro() write-protects text and rodata and
   * frees the 2 MiB alignment gaps around rodata (arch/x86/mm/init_64.c; on i386, init_32.c
   * protects text and rodata in one piece and there are no gaps). Each free prints "Freeing
   * <what> memory: <K>K" (free_reserved_area).
   */
  private freeInitmem(): void {
    const l = this.phys.boot.kernelImageLayout;
    if (!l) return;
    freeReservedArea(this.phys, l.init.start, l.init.end, "unused kernel image (initmem)");
    if (this.config.arch === "x86_64") {
      // __end_rodata_hpage_align - _text, in KiB
      this.dmesg.log(`Write protecting the kernel read-only data: ${(l.rodataDataGap.end - l.text.start) / 1024}k`);
    } else {
      this.dmesg.log(`Write protecting kernel text and read-only data: ${Math.floor((l.rodata.end - l.text.start) / 1024)}k`);
    }
    freeReservedArea(this.phys, l.textRodataGap.start, l.textRodataGap.end, "unused kernel image (text/rodata gap)");
    freeReservedArea(this.phys, l.rodataDataGap.start, l.rodataDataGap.end, "unused kernel image (rodata/data gap)");
  }

  /** The kernel command line this machine's config amounts to. */
  commandLine(): string {
    const c = this.config;
    const parts = ["root=/dev/vda1", "ro"];
    if (c.kernelcore) parts.push(`kernelcore=${c.kernelcore / 1024 / 1024}M`);
    if (c.movablecore) parts.push(`movablecore=${c.movablecore / 1024 / 1024}M`);
    if (c.pagingLevels === 4 && c.arch === "x86_64") parts.push("no5lvl");
    if (c.allocator === "slab") parts.push("slab=classic");
    // the built-in default (CONFIG_TRANSPARENT_HUGEPAGE_MADVISE) needs no option
    if (c.transparentHugepage !== "madvise" && c.arch === "x86_64") parts.push(`transparent_hugepage=${c.transparentHugepage}`);
    if (c.slubDebug !== undefined) parts.push(c.slubDebug ? `slub_debug=${c.slubDebug}` : "slub_debug");
    return parts.join(" ");
  }

  /** Reads a virtual file (/proc, /proc/sys, /sys/kernel/debug); InputError if it does not exist. */
  cat(path: string): string {
    return this.procfs.read(path);
  }
}

/** trim_bios_range(): [0, 4K) becomes reserved and [640K, 1M) is removed from the usable RAM. */
const BIOS_TRIMS: readonly [number, number][] = [
  [0, 0x1000],
  [0xa0000, 0x100000],
];

/** The usable e820 RAM after trim_bios_range(), cut at NUMA node boundaries: the physical layer's boot input. */
function memoryByNode(hw: Hardware): { base: number; size: number; nid: number }[] {
  const out: { base: number; size: number; nid: number }[] = [];
  for (const r of e820Usable(hw.e820)) {
    let pieces: [number, number][] = [[r.addr, r.addr + r.size]];
    for (const [a, b] of BIOS_TRIMS) pieces = pieces.flatMap(([s, e]) => [[s, Math.min(e, a)], [Math.max(s, b), e]].filter(([x, y]) => y > x) as [number, number][]);
    for (const [s, e] of pieces) {
      for (const n of hw.numa.nodes) {
        const start = Math.max(s, n.start);
        const end = Math.min(e, n.end);
        if (end > start) out.push({ base: start, size: end - start, nid: n.nid });
      }
    }
  }
  return out;
}
