// The configuration of the kernel-alloc layer (KernelAlloc.boot), the meminfo lines it owns,
// what both slab allocators offer it, and the slub_debug= parameter's parser.
import { InputError } from "@mmsim/base";
import type { Clock, Rng, TraceBus } from "@mmsim/base";
import type { PagingLevels, Ram } from "@mmsim/hardware";
import type { PageAllocator } from "./deps";
import type { LogSink } from "./printk";
import type { SlabCtor } from "./kmem-cache";
import type { SlabAllocator, SlabCacheInfo } from "./kmalloc";
import { parseSlubDebugFlags } from "./slab-flags";
import type { SlabinfoRow } from "./slab-common";
import type { KernelTlb } from "./vmalloc";

/** What both slab allocators offer beyond what kmalloc uses. */
export interface SlabBackend extends SlabAllocator<SlabCacheInfo> {
  kmemCacheCreate(name: string, size: number, align: number, flags: number, ctor: SlabCtor | null, usersize: number): SlabCacheInfo | null;
  destroy(s: SlabCacheInfo, caller: string): boolean;
  shrink(s: SlabCacheInfo): number;
  slabinfoRows(): SlabinfoRow[];
  verify(): void;
  readonly reclaimablePages: number;
  readonly unreclaimablePages: number;
  readonly caches: SlabCacheInfo[];
  cpu: number;
}

export interface KernelAllocConfig {
  phys: PageAllocator;
  ram: Ram;
  /** CPUs (default 2, the reference machine) */
  nrCpus?: number;
  nrNodes?: number;
  /** paging depth: 4 (default) or 5 */
  levels?: PagingLevels;
  /** "slub" (default; the only allocator since Linux 6.8) or the classic "slab" (removed in 6.8) */
  allocator?: "slub" | "slab";
  /** slub_debug= value, Linux syntax: "" (all checks on all caches), "FZPU", "ZP,kmalloc-64,dentry"; undefined: off */
  slubDebug?: string;
  /** slab_nomerge */
  slabNomerge?: boolean;
  slubMinObjects?: number;
  slubMinOrder?: number;
  slubMaxOrder?: number;
  /** CONFIG_SLAB_FREELIST_HARDENED (default false) */
  freelistHardened?: boolean;
  /** create the kernel's named caches (task_struct, mm_struct, ...) at boot (default true) */
  kernelCaches?: boolean;
  /** TLBs flushed when vmalloc purges lazily freed areas */
  tlbs?: KernelTlb[];
  /** /proc/vmallocinfo pointer style (default "raw") */
  pointers?: "raw" | "hashed";
  rng?: Rng;
  clock?: Clock;
  trace?: TraceBus | null;
  log?: LogSink;
}

/** meminfo lines this layer owns, in kB. */
export interface KernelAllocMeminfo {
  Slab: number;
  SReclaimable: number;
  SUnreclaim: number;
  KernelStack: number;
  PageTables: number;
  VmallocTotal: number;
  VmallocUsed: number;
  VmallocChunk: number;
}

/** THREAD_SIZE on x86-64 (16 KiB kernel stacks) and the caller vmallocinfo shows for them on 6.18. */
export const THREAD_SIZE = 16384;

/** Parses slub_debug= ("", "FZPU", "FZ,kmalloc-64,dentry"); undefined means off. */
export function parseSlubDebug(text: string | undefined): { debugFlags: number; debugCaches: string[] | null } {
  if (text === undefined) return { debugFlags: 0, debugCaches: null };
  if (/;/.test(text)) throw new InputError(`slub_debug "${text}": multiple ';' blocks are not supported`, { field: "slubDebug" });
  const [letters, ...names] = text.split(",");
  if (!/^[-fzputaFZPUTAO]*$/.test(letters)) throw new InputError(`slub_debug "${text}": flags must be letters from F Z P U T A O or -`, { field: "slubDebug" });
  return { debugFlags: parseSlubDebugFlags(letters), debugCaches: names.length ? names.filter((n) => n !== "") : null };
}
