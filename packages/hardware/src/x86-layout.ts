// The x86-64 kernel virtual memory layout for 4-level and 5-level paging
// (Documentation/arch/x86/x86_64/mm.rst; arch/x86/include/asm/page_64_types.h and
// pgtable_64_types.h), without KASLR: page_offset_base, vmalloc_base and vmemmap_base take
// their documented defaults and the kernel image gets 512 MiB (KERNEL_IMAGE_SIZE without
// CONFIG_RANDOMIZE_BASE). Addresses are canonical tails (see pgtable.ts); every range here is
// [start, end) with an exclusive, page-aligned end, so values stay exact even with LA57, where
// Linux's inclusive ends such as VMALLOC_END = 0xffd1ffffffffffff would not be.
import { formatVa } from "@mmsim/base";
import type { PagingLevels } from "./pgtable";

export interface X86Layout {
  readonly levels: PagingLevels;
  /** 48 or 57 */
  readonly vaBits: number;
  /** TASK_SIZE_MAX: end of user space, (1 << 47) - 4096 or (1 << 56) - 4096 */
  readonly TASK_SIZE: number;
  /** DEFAULT_MAP_WINDOW: mmap stays below it unless given a higher hint ((1 << 47) - 4096 both ways) */
  readonly DEFAULT_MAP_WINDOW: number;
  /** start of the direct map of all physical memory (__PAGE_OFFSET_BASE_L4 / _L5) */
  readonly PAGE_OFFSET: number;
  /** end of the direct map window (64 TiB / 32 PiB after PAGE_OFFSET) */
  readonly DIRECT_MAP_END: number;
  readonly VMALLOC_START: number;
  /** exclusive end of vmalloc/ioremap space (Linux's VMALLOC_END + 1) */
  readonly VMALLOC_END: number;
  /** the struct page array (vmemmap_base) */
  readonly VMEMMAP_START: number;
  readonly VMEMMAP_END: number;
  readonly CPU_ENTRY_AREA_BASE: number;
  /** kernel text mapping, 0xffffffff80000000 */
  readonly __START_KERNEL_map: number;
  /** 0xffffffff81000000: _text at the default 16 MiB physical start */
  readonly START_KERNEL: number;
  readonly MODULES_VADDR: number;
  /** exclusive end of the module area (0xffffffffff000000) */
  readonly MODULES_END: number;
}

const TiB = 2 ** 40;
const PiB = 2 ** 50;

/** Tail of a sign-extended 64-bit kernel address given as hex (exact: parsed with BigInt). */
function tail(hex64: string, bitsN: number): number {
  return Number(BigInt(hex64) & ((1n << BigInt(bitsN)) - 1n));
}

function build(levels: PagingLevels): X86Layout {
  const l5 = levels === 5;
  const b = l5 ? 57 : 48;
  const t = (h: string) => tail(h, b);
  const pageOffset = t(l5 ? "0xff11000000000000" : "0xffff888000000000");
  const startKernelMap = t("0xffffffff80000000");
  return Object.freeze({
    levels,
    vaBits: b,
    TASK_SIZE: 2 ** (b - 1) - 4096,
    DEFAULT_MAP_WINDOW: 2 ** 47 - 4096,
    PAGE_OFFSET: pageOffset,
    DIRECT_MAP_END: pageOffset + (l5 ? 32 * PiB : 64 * TiB),
    VMALLOC_START: t(l5 ? "0xffa0000000000000" : "0xffffc90000000000"),
    VMALLOC_END: t(l5 ? "0xffd2000000000000" : "0xffffe90000000000"),
    VMEMMAP_START: t(l5 ? "0xffd4000000000000" : "0xffffea0000000000"),
    VMEMMAP_END: t(l5 ? "0xffd6000000000000" : "0xffffeb0000000000"),
    CPU_ENTRY_AREA_BASE: t("0xfffffe0000000000"),
    __START_KERNEL_map: startKernelMap,
    START_KERNEL: startKernelMap + 0x1000000,
    MODULES_VADDR: startKernelMap + 512 * 1024 * 1024,
    MODULES_END: t("0xffffffffff000000"),
  });
}

const LAYOUT_4 = build(4);
const LAYOUT_5 = build(5);

/** The kernel layout for a paging depth (shared, frozen). */
export function x86Layout(levels: PagingLevels): X86Layout {
  return levels === 5 ? LAYOUT_5 : LAYOUT_4;
}

/** Direct-map virtual address of a physical address (Linux's __va); exact for 4-level, and for 16-byte aligned pa with LA57. */
export function directMapVa(layout: X86Layout, pa: number): number {
  return layout.PAGE_OFFSET + pa;
}

/** Physical address of a direct-map virtual address (Linux's __pa); -1 outside the direct map. */
export function directMapPa(layout: X86Layout, va: number): number {
  return va >= layout.PAGE_OFFSET && va < layout.DIRECT_MAP_END ? va - layout.PAGE_OFFSET : -1;
}

/** A virtual address sign-extended to 16 hex digits, as Linux prints it ("ffff888000000000"). */
export function formatLayoutVa(layout: X86Layout, va: number): string {
  return formatVa(va, layout.vaBits);
}
