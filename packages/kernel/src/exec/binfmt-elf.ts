// The mapping half of fs/binfmt_elf.c and arch/x86/entry/vdso/vma.c: elf_load/elf_map place
// an image's PT_LOAD segments as private file mappings of the page cache (the first with the
// whole total_mapping_size, so nothing else can land between them), padzero clears the bss part
// of the last file page (a write: do_cow_fault), bss beyond the file pages is anonymous memory
// (vm_brk_flags), and map_vdso places [vvar], [vvar_vclock] and [vdso] top-down below ld.so.
import { BUG } from "@mmsim/base";
import type { Cpu } from "@mmsim/hardware";
import {
  MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PROT_READ, PROT_WRITE, VM_DONTDUMP, VM_DONTEXPAND, VM_EXEC, VM_IO,
  VM_MAYEXEC, VM_MAYREAD, VM_MAYWRITE, VM_PFNMAP, VM_READ, getUnmappedArea, mmapRegion, sysMmap, sysMunmap, userStore,
  type MmStruct, type VirtualMemory, type VmFile, type VmOperations,
} from "@mmsim/virtual";
import { pageAlign, pageStart, totalMappingSize, type ElfImage } from "./program";

const PAGE_SIZE = 4096;
const EFAULT = -14;
/** [vvar]: the vDSO data pages of the generic datastore (6.18 x86: 4 pages; linux-facts §7). */
export const VVAR_PAGES = 4;
/** [vvar_vclock]: VDSO_NR_VCLOCK_PAGES (arch/x86/include/asm/vdso/vsyscall.h): 2 (pvclock, hvclock). */
export const VVAR_VCLOCK_PAGES = 2;
/** [vdso]: the x86-64 vDSO image's text (vdso64 image size 8 KiB on 6.18; linux-facts §7). */
export const VDSO_TEXT_PAGES = 2;

/** Maps flags of the vvar mappings (vdso_install_vvar_mapping: VM_READ|VM_MAYREAD|VM_IO|VM_DONTDUMP|VM_PFNMAP, plus _install_special_mapping's VM_DONTEXPAND): smaps "rd mr pf io de dd". */
const VVAR_FLAGS = VM_READ | VM_MAYREAD | VM_IO | VM_DONTDUMP | VM_PFNMAP | VM_DONTEXPAND;
/** The vDSO text (map_vdso: VM_READ|VM_EXEC|VM_MAYREAD|VM_MAYWRITE|VM_MAYEXEC, plus VM_DONTEXPAND): smaps "rd ex mr mw me de". */
const VDSO_FLAGS = VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_DONTEXPAND;

/** struct vm_special_mapping's vm_ops: special_mapping_name shows the mapping's name in maps. */
function specialMapping(name: string): VmOperations {
  return { name: "special_mapping", getName: () => name };
}
const VVAR_OPS = specialMapping("[vvar]");
const VVAR_VCLOCK_OPS = specialMapping("[vvar_vclock]");
const VDSO_OPS = specialMapping("[vdso]");

/** Where an image was mapped: its load bias and the bounds exec records in the mm. */
export interface LoadedImage {
  bias: number;
  /** ELF_PAGEALIGN of the highest p_vaddr + p_memsz, plus the bias (elf_brk) */
  brk: number;
  startCode: number;
  endCode: number;
  startData: number;
  endData: number;
}

/**
 * padzero / _dl_map_segments' zero fill: clears [addr, end) with user stores (`end` defaults to
 * the end of addr's page; nothing when addr is page-aligned), so the page the bss shares with
 * .data is copied from the page cache (do_cow_fault) and holds zeros after the file bytes.
 * Returns false when the store faulted (-EFAULT).
 */
export function padzero(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, addr: number, end = pageAlign(addr)): boolean {
  if (end <= addr) return true;
  return userStore(vmm, mm, cpu, addr, new Uint8Array(end - addr)) === null;
}

/** The span of a segment's file pages: [pageStart(vaddr), pageAlign(vaddr + filesz)). */
function fileSpan(s: ElfImage["segments"][number]): [number, number] {
  return [pageStart(s.vaddr), pageAlign(s.vaddr + s.filesz)];
}

/**
 * elf_load for every PT_LOAD of `img`: the first segment is mapped at `bias` (or top-down when
 * `bias` is null, as load_elf_interp does) with the whole image's length, the excess unmapped,
 * then each later segment MAP_FIXED over its pages, then the bss pages past the file's as
 * anonymous memory. Returns the result, or a negative errno when a mapping fails.
 */
export function elfLoadImage(vmm: VirtualMemory, mm: MmStruct, cpu: Cpu, img: ElfImage, file: VmFile, bias: number | null): LoadedImage | number {
  const total = totalMappingSize(img);
  const first = img.segments[0]!;
  const [fs0, fe0] = fileSpan(first);
  const flags = MAP_PRIVATE | (bias === null ? 0 : MAP_FIXED_NOREPLACE);
  const at = sysMmap(vmm, mm, bias === null ? 0 : bias + fs0, total, first.prot, flags, file, pageStart(first.offset));
  if (at < 0) return at;
  const b = at - fs0;
  // elf_map: "total_size" reserved the span; everything past the first segment is unmapped again
  if (total > fe0 - fs0 && sysMunmap(vmm, mm, at + (fe0 - fs0), total - (fe0 - fs0)) < 0) BUG("elfLoadImage", "munmap of the reserved span failed");
  const out: LoadedImage = { bias: b, brk: 0, startCode: Infinity, endCode: 0, startData: 0, endData: 0 };
  for (let i = 0; i < img.segments.length; i++) {
    const s = img.segments[i]!;
    const [start, end] = fileSpan(s);
    if (i > 0) {
      const r = sysMmap(vmm, mm, b + start, end - start, s.prot, MAP_PRIVATE | MAP_FIXED, file, pageStart(s.offset));
      if (r < 0) return r;
    }
    const bssEnd = pageAlign(s.vaddr + s.memsz);
    // padzero (elf_load ignores its failure on a segment that is not writable: clear_user faults there)
    if (s.memsz > s.filesz && s.filesz > 0 && (s.prot & PROT_WRITE) !== 0 && !padzero(vmm, mm, cpu, b + s.vaddr + s.filesz)) return EFAULT;
    if (bssEnd > end) {
      // vm_brk_flags: anonymous pages past the file's
      const r = sysMmap(vmm, mm, b + end, bssEnd - end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, null, 0);
      if (r < 0) return r;
    }
    if ((s.prot & 4) !== 0 && s.vaddr < out.startCode) out.startCode = s.vaddr;
    if (s.vaddr > out.startData) out.startData = s.vaddr;
    if ((s.prot & 4) !== 0 && s.vaddr + s.filesz > out.endCode) out.endCode = s.vaddr + s.filesz;
    if (s.vaddr + s.filesz > out.endData) out.endData = s.vaddr + s.filesz;
    if (bssEnd > out.brk) out.brk = bssEnd;
  }
  out.brk += b;
  out.startCode += b;
  out.endCode += b;
  out.startData += b;
  out.endData += b;
  return out;
}

/** Maps one special mapping of `pages` at addr; returns addr or -errno. */
function installSpecialMapping(vmm: VirtualMemory, mm: MmStruct, addr: number, pages: number, flags: number, ops: VmOperations): number {
  const r = mmapRegion(vmm, mm, null, addr, pages * PAGE_SIZE, flags | mm.defFlags, 0);
  if (r < 0) return r;
  const vma = mm.mmMt.findVma(addr) ?? BUG("installSpecialMapping", `no VMA at 0x${addr.toString(16)}`);
  if (vma.vmStart !== addr || vma.vmEnd !== addr + pages * PAGE_SIZE) BUG("installSpecialMapping", "a special mapping merged");
  vma.vmOps = ops;
  return r;
}

/**
 * map_vdso(image, 0): one top-down get_unmapped_area for the data and text pages, then [vvar],
 * [vvar_vclock] and [vdso] in address order. Returns the vDSO text's address (mm->context.vdso,
 * AT_SYSINFO_EHDR) or -errno.
 */
export function mapVdso(vmm: VirtualMemory, mm: MmStruct): number {
  const len = (VVAR_PAGES + VVAR_VCLOCK_PAGES + VDSO_TEXT_PAGES) * PAGE_SIZE;
  const addr = getUnmappedArea(vmm, mm, null, 0, len, 0, 0);
  if (addr < 0) return addr;
  let r = installSpecialMapping(vmm, mm, addr, VVAR_PAGES, VVAR_FLAGS, VVAR_OPS);
  if (r < 0) return r;
  r = installSpecialMapping(vmm, mm, addr + VVAR_PAGES * PAGE_SIZE, VVAR_VCLOCK_PAGES, VVAR_FLAGS, VVAR_VCLOCK_OPS);
  if (r < 0) return r;
  const text = addr + (VVAR_PAGES + VVAR_VCLOCK_PAGES) * PAGE_SIZE;
  r = installSpecialMapping(vmm, mm, text, VDSO_TEXT_PAGES, VDSO_FLAGS, VDSO_OPS);
  return r < 0 ? r : text;
}
