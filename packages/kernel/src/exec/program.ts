// What an executable looks like to exec (include/uapi/linux/elf.h at the level of layout): its
// PT_LOAD segments, the PT_GNU_RELRO range ld.so makes read-only, its entry point and program
// headers, its interpreter and the libraries ld.so maps. The built-in program is a small
// dynamically linked PIE C program, /usr/bin/app, laid out as /usr/bin/cat, libc.so.6 and
// ld-linux-x86-64.so.2 of the 6.18 machine in ../shared/reference/real-proc/self-maps.txt.
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "@mmsim/virtual";

/** One PT_LOAD program header: file bytes [offset, offset+filesz) at vaddr, memsz bytes in memory. */
export interface ElfSegment {
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  /** PROT_* from p_flags (PF_R, PF_W, PF_X) */
  prot: number;
}

/** An ELF object as exec and ld.so see it. */
export interface ElfImage {
  /** the path (an mmfs file name) */
  path: string;
  /** the file's size in bytes */
  fileBytes: number;
  /** ET_DYN (PIE, shared objects) or ET_EXEC (linked at a fixed address) */
  type: "ET_DYN" | "ET_EXEC";
  segments: readonly ElfSegment[];
  /** PT_GNU_RELRO: [vaddr, vaddr+size) ld.so mprotects to PROT_READ after relocation */
  relro: { vaddr: number; size: number } | null;
  /** e_entry (relative to the load bias for ET_DYN) */
  entry: number;
  /** e_phoff (the headers lie in the first segment) and e_phnum */
  phoff: number;
  phnum: number;
}

/** A program: its executable, the interpreter named by PT_INTERP, and the libraries ld.so loads. */
export interface Program {
  exe: ElfImage;
  /** PT_INTERP's object, or null for a static program */
  interp: ElfImage | null;
  /** DT_NEEDED libraries in load order */
  libs: readonly ElfImage[];
  /**
   * ld.so's own mappings around the library loading, in order: anonymous pages of its minimal
   * malloc before loading ("before"), the /etc/ld.so.cache mapping kept while libraries load,
   * and the static TLS block allocated after (init_tls) ("after").
   */
  ldso: { beforePages: number; cacheBytes: number; afterPages: number } | null;
}

const R = PROT_READ;
const RX = PROT_READ | PROT_EXEC;
const RW = PROT_READ | PROT_WRITE;

/**
 * /usr/bin/app: /usr/bin/cat's segments (self-maps.txt: r--p 2 pages, r-xp 5, r--p 3, then the
 * data segment one page above its file offset: RELRO 1 page at 0x9000, rw-p at 0xa000; bss
 * inside the last page). 13 program headers as GNU ld emits for a PIE.
 */
export const APP: ElfImage = {
  path: "/usr/bin/app",
  fileBytes: 0xa3f8,
  type: "ET_DYN",
  segments: [
    { offset: 0, vaddr: 0, filesz: 0x1a28, memsz: 0x1a28, prot: R },
    { offset: 0x2000, vaddr: 0x2000, filesz: 0x4f01, memsz: 0x4f01, prot: RX },
    { offset: 0x7000, vaddr: 0x7000, filesz: 0x2348, memsz: 0x2348, prot: R },
    { offset: 0x9c90, vaddr: 0xac90, filesz: 0x6a0, memsz: 0x860, prot: RW },
  ],
  relro: { vaddr: 0xac90, size: 0x370 },
  entry: 0x2c80,
  phoff: 64,
  phnum: 13,
};

/** libc.so.6 (self-maps.txt: 0x26000 r--p, 0x156000 r-xp, 0x53000 r--p, RELRO 4 pages, rw-p 2 pages, bss 13 anonymous pages). */
export const LIBC: ElfImage = {
  path: "/usr/lib/x86_64-linux-gnu/libc.so.6",
  fileBytes: 0x1d8a40,
  type: "ET_DYN",
  segments: [
    { offset: 0, vaddr: 0, filesz: 0x25f38, memsz: 0x25f38, prot: R },
    { offset: 0x26000, vaddr: 0x26000, filesz: 0x155d79, memsz: 0x155d79, prot: RX },
    { offset: 0x17c000, vaddr: 0x17c000, filesz: 0x52e9e, memsz: 0x52e9e, prot: R },
    { offset: 0x1cf8f0, vaddr: 0x1cf8f0, filesz: 0x5390, memsz: 0x12640, prot: RW },
  ],
  relro: { vaddr: 0x1cf8f0, size: 0x3710 },
  entry: 0x28440,
  phoff: 64,
  phnum: 14,
};

/** ld-linux-x86-64.so.2 (self-maps.txt: 1 page r--p, 0x26000 r-xp, 0xa000 r--p, RELRO 2 pages, rw-p 2 pages). */
export const LD_SO: ElfImage = {
  path: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
  fileBytes: 0x35308,
  type: "ET_DYN",
  segments: [
    { offset: 0, vaddr: 0, filesz: 0xf40, memsz: 0xf40, prot: R },
    { offset: 0x1000, vaddr: 0x1000, filesz: 0x25ef1, memsz: 0x25ef1, prot: RX },
    { offset: 0x27000, vaddr: 0x27000, filesz: 0x9e10, memsz: 0x9e10, prot: R },
    { offset: 0x31620, vaddr: 0x31620, filesz: 0x2ae0, memsz: 0x3950, prot: RW },
  ],
  relro: { vaddr: 0x31620, size: 0x19e0 },
  entry: 0x1f540,
  phoff: 64,
  phnum: 11,
};

/**
 * The built-in program. ld.so's own mappings are read off self-maps.txt: 2 anonymous pages
 * directly below [vvar] (mapped before libc), a 9-page hole between libc's bss and them (the
 * ld.so.cache mapping, unmapped at the end of startup, later reused by locale files) and 3
 * anonymous pages directly below libc (the static TLS block, mapped after libc).
 */
export const BUILTIN_PROGRAM: Program = {
  exe: APP,
  interp: LD_SO,
  libs: [LIBC],
  ldso: { beforePages: 2, cacheBytes: 0x9000, afterPages: 3 },
};

/** The path ld.so reads its library cache from (ldconfig's output). */
export const LD_SO_CACHE = "/etc/ld.so.cache";

/** The span of an image's PT_LOAD segments, page-aligned: total_mapping_size (fs/binfmt_elf.c). */
export function totalMappingSize(img: ElfImage): number {
  const first = img.segments[0]!;
  const last = img.segments[img.segments.length - 1]!;
  return pageAlign(last.vaddr + last.memsz) - pageStart(first.vaddr);
}

/** ELF_PAGESTART. */
export function pageStart(x: number): number {
  return Math.floor(x / 4096) * 4096;
}

/** ELF_PAGEALIGN / PAGE_ALIGN. */
export function pageAlign(x: number): number {
  return Math.ceil(x / 4096) * 4096;
}
