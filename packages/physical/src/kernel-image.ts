// The kernel image in physical memory (arch/x86/kernel/vmlinux.lds.S, setup.c
// memblock_reserve_kern): the section sizes the "Memory:" boot line prints and where each
// section lies once vmlinux is loaded at CONFIG_PHYSICAL_START, so that boot can reserve the
// image and the kernel can later free its init section and alignment gaps.
import { MiB, PAGE_SIZE } from "@mmsim/base";

/** CONFIG_PHYSICAL_START default: the kernel image is loaded at 16 MiB. */
export const KERNEL_LOAD_ADDR = 16 * MiB;

/** Kernel image section sizes in bytes (the "Memory:" boot line prints them in K). */
export interface KernelImage {
  code: number;
  rwdata: number;
  rodata: number;
  init: number;
  bss: number;
}

/** Image of a 6.18 distro kernel (boot line of the reference snapshot). */
export const DEFAULT_KERNEL_IMAGE: KernelImage = { code: 18468 * 1024, rwdata: 2544 * 1024, rodata: 10276 * 1024, init: 3728 * 1024, bss: 1168 * 1024 };

/** HPAGE_SIZE (PMD_SIZE): x86-64 aligns .rodata's start and end to it (X86_ALIGN_RODATA_*). */
export const X86_64_RODATA_ALIGN = 2 * MiB;

/** Physical byte ranges [start, end) of the kernel image's parts; see kernelImageLayout(). */
export interface KernelImageLayout {
  /** _text.._etext */
  text: { start: number; end: number };
  /** PFN_ALIGN(_etext)..__start_rodata: freed by mark_rodata_ro ("text/rodata gap") */
  textRodataGap: { start: number; end: number };
  /** __start_rodata..__end_rodata */
  rodata: { start: number; end: number };
  /** PFN_ALIGN(__end_rodata).._sdata: freed by mark_rodata_ro ("rodata/data gap") */
  rodataDataGap: { start: number; end: number };
  /** _sdata.._edata */
  data: { start: number; end: number };
  /** __init_begin..__init_end: freed by free_initmem ("unused kernel image (initmem)") */
  init: { start: number; end: number };
  /** __bss_start..__bss_stop */
  bss: { start: number; end: number };
  /** the whole reservation, _text..page-aligned end of .bss (memblock_reserve_kern) */
  reserved: { start: number; end: number };
}

function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/**
 * Where vmlinux's parts lie once loaded at `load` (arch/x86/kernel/vmlinux.lds.S): .text, then
 * .rodata starting and ending on a 2 MiB boundary on x86-64 (page boundary on i386), .data,
 * the init section and .bss each on a page boundary. The alignment gaps stay inside the
 * kernel's memblock reservation until mark_rodata_ro() frees them.
 */
export function kernelImageLayout(img: KernelImage, arch: "x86_64" | "i386", load = KERNEL_LOAD_ADDR): KernelImageLayout {
  const roAlign = arch === "x86_64" ? X86_64_RODATA_ALIGN : PAGE_SIZE;
  const textEnd = load + img.code;
  const rodataStart = alignUp(textEnd, roAlign);
  const rodataEnd = rodataStart + img.rodata;
  const dataStart = alignUp(rodataEnd, roAlign);
  const dataEnd = dataStart + img.rwdata;
  const initStart = alignUp(dataEnd, PAGE_SIZE);
  const initEnd = initStart + img.init;
  const bssStart = alignUp(initEnd, PAGE_SIZE);
  const bssEnd = bssStart + img.bss;
  return {
    text: { start: load, end: textEnd },
    textRodataGap: { start: alignUp(textEnd, PAGE_SIZE), end: rodataStart },
    rodata: { start: rodataStart, end: rodataEnd },
    rodataDataGap: { start: alignUp(rodataEnd, PAGE_SIZE), end: dataStart },
    data: { start: dataStart, end: dataEnd },
    init: { start: initStart, end: initEnd },
    bss: { start: bssStart, end: bssEnd },
    reserved: { start: load, end: alignUp(bssEnd, PAGE_SIZE) },
  };
}
