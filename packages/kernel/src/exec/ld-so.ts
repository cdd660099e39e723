// What the dynamic linker does to the address space before main() (glibc elf/rtld.c,
// elf/dl-map-segments.h, elf/dl-reloc.c _dl_protect_relro), with the process's own mmap,
// munmap and mprotect calls: its minimal malloc's first pages, /etc/ld.so.cache, each library
// mapped top-down as one reservation of the whole span and then segment by segment with
// MAP_FIXED (the rest of the last file page cleared, bss past it anonymous), the static TLS
// block, PT_GNU_RELRO made read-only in every object, and the cache unmapped. Relocation writes
// and the loader's reads of ELF headers (read(2) into its stack) are not modelled.
import type { Cpu } from "@mmsim/hardware";
import {
  MAP_ANONYMOUS, MAP_DENYWRITE, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE, doMprotect, sysMmap, sysMunmap,
  type MmStruct, type VirtualMemory, type VmFile,
} from "@mmsim/virtual";
import { padzero } from "./binfmt-elf";
import { pageAlign, pageStart, totalMappingSize, type ElfImage, type Program } from "./program";

const PAGE_SIZE = 4096;
const EFAULT = -14;

/** An object loaded in the process: its image and load bias. */
export interface LoadedObject {
  img: ElfImage;
  bias: number;
}

/** _dl_map_segments: one library, top-down; returns its load bias or -errno. */
export function dlMapSegments(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, img: ElfImage, file: VmFile): number {
  const first = img.segments[0]!;
  const total = totalMappingSize(img);
  const at = sysMmap(vmm, mm, 0, total, first.prot, MAP_PRIVATE | MAP_DENYWRITE, file, pageStart(first.offset));
  if (at < 0) return at;
  const bias = at - pageStart(first.vaddr);
  for (let i = 0; i < img.segments.length; i++) {
    const s = img.segments[i]!;
    const start = pageStart(s.vaddr);
    const end = pageAlign(s.vaddr + s.filesz);
    if (i > 0) {
      const r = sysMmap(vmm, mm, bias + start, end - start, s.prot, MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, file, pageStart(s.offset));
      if (r < 0) return r;
    }
    const zeroEnd = pageAlign(s.vaddr + s.memsz);
    // _dl_map_segments' zero fill: the rest of the last file page is cleared (a writable segment's:
    // glibc would mprotect a read-only one writable for it; no such image here)
    if (s.memsz > s.filesz && (s.prot & PROT_WRITE) !== 0 && !padzero(vmm, mm, cpu, bias + s.vaddr + s.filesz, Math.min(bias + pageAlign(s.vaddr + s.filesz), bias + s.vaddr + s.memsz))) return EFAULT;
    if (zeroEnd > end) {
      // whole pages past it are anonymous
      const r = sysMmap(vmm, mm, bias + end, zeroEnd - end, s.prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, null, 0);
      if (r < 0) return r;
    }
  }
  return bias;
}

/** _dl_protect_relro: [ALIGN_DOWN(start), ALIGN_DOWN(end)) of PT_GNU_RELRO becomes PROT_READ. */
export function dlProtectRelro(vmm: VirtualMemory, mm: MmStruct, o: LoadedObject): number {
  if (o.img.relro === null) return 0;
  const start = pageStart(o.bias + o.img.relro.vaddr);
  const end = pageStart(o.bias + o.img.relro.vaddr + o.img.relro.size);
  return end > start ? doMprotect(vmm, mm, start, end - start, PROT_READ) : 0;
}

/**
 * ld.so's startup for `prog` whose executable and interpreter the kernel mapped (`exe`,
 * `interp`): returns the loaded libraries, or -errno. `fileOf` gives the VmFile of a path.
 */
export function rtldStartup(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, prog: Program, exe: LoadedObject, interp: LoadedObject, fileOf: (path: string, bytes: number) => VmFile, cachePath: string): LoadedObject[] | number {
  const ld = prog.ldso;
  const anon = (pages: number) => sysMmap(vmm, mm, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
  if (ld !== null && ld.beforePages > 0) {
    const r = anon(ld.beforePages);
    if (r < 0) return r;
  }
  let cache = -1;
  if (ld !== null && ld.cacheBytes > 0) {
    cache = sysMmap(vmm, mm, 0, ld.cacheBytes, PROT_READ, MAP_PRIVATE, fileOf(cachePath, ld.cacheBytes), 0);
    if (cache < 0) return cache;
  }
  const libs: LoadedObject[] = [];
  for (const img of prog.libs) {
    const bias = dlMapSegments(vmm, mm, cpu, img, fileOf(img.path, img.fileBytes));
    if (bias < 0) return bias;
    libs.push({ img, bias });
  }
  if (ld !== null && ld.afterPages > 0) {
    const r = anon(ld.afterPages);
    if (r < 0) return r;
  }
  // relocation order: ld.so itself first (_dl_start), then the libraries, the program last
  for (const o of [interp, ...libs.slice().reverse(), exe]) {
    const r = dlProtectRelro(vmm, mm, o);
    if (r < 0) return r;
  }
  // _dl_unload_cache at the end of dl_main
  if (cache >= 0 && ld !== null) sysMunmap(vmm, mm, cache, ld.cacheBytes);
  return libs;
}
