// Where exec puts things (arch/x86/mm/mmap.c, arch/x86/kernel/process.c, fs/exec.c,
// fs/binfmt_elf.c, mm/util.c): mmap_base, the stack top, the PIE load address and the break,
// each with the random offset Linux adds when the task has PF_RANDOMIZE. The draws come from
// the kernel's seeded Rng, in load_elf_binary's order; values above 32 bits are built with
// multiplications only.
import type { Rng } from "@mmsim/base";
import { mmapBase } from "@mmsim/virtual";

const PAGE_SIZE = 4096;
/** mmap_rnd_bits default on x86-64 (CONFIG_ARCH_MMAP_RND_BITS, arch/x86/Kconfig: 28). */
export const MMAP_RND_BITS = 28;
/** STACK_RND_MASK on x86-64 (arch/x86/include/asm/elf.h): 0x3fffff pages, 22 bits (16 GiB). */
export const STACK_RND_MASK = 0x3fffff;
/** arch_align_stack (arch/x86/kernel/process.c): sp -= get_random_u32_below(8192), then sp & ~0xf. */
export const STACK_ALIGN_RANDOM = 8192;
/** arch_randomize_brk (arch/x86/kernel/process.c): randomize_page(mm->brk, SZ_1G) for 64-bit tasks. */
export const BRK_RND_RANGE = 1024 * 1024 * 1024;
/** setup_arg_pages (fs/exec.c): stack_expand = 131072UL, the room beyond the argument pages. */
export const STACK_EXPAND = 131072;

/** The random choices of one exec (0 without PF_RANDOMIZE): each a byte offset. */
export interface ExecRandom {
  /** arch_mmap_rnd: subtracted from mmap_base, added to the PIE load bias */
  mmapRnd: number;
  loadRnd: number;
  /** randomize_stack_top: subtracted from STACK_TOP */
  stackRnd: number;
  /** arch_align_stack in setup_arg_pages and in create_elf_tables */
  alignRnd1: number;
  alignRnd2: number;
  /** arch_randomize_brk's page offset (randomize_va_space 2 only) */
  brkRnd: number;
}

/** arch_mmap_rnd / arch_rnd(mmap64_rnd_bits): random pages below 2^bits, as bytes. */
export function archMmapRnd(rng: Rng, bits = MMAP_RND_BITS): number {
  return (rng.nextU32() % 2 ** bits) * PAGE_SIZE;
}

/** randomize_stack_top's offset: (get_random_long() & STACK_RND_MASK) << PAGE_SHIFT. */
export function stackRnd(rng: Rng): number {
  return (rng.nextU32() & STACK_RND_MASK) * PAGE_SIZE;
}

/** randomize_page(start, range)'s offset: get_random_long() % (range >> PAGE_SHIFT) pages. */
export function randomizePageOffset(rng: Rng, range: number): number {
  return (rng.nextU32() % (range / PAGE_SIZE)) * PAGE_SIZE;
}

/** stack_maxrandom_size (arch/x86/mm/mmap.c): STACK_RND_MASK << PAGE_SHIFT with PF_RANDOMIZE, else 0. */
export function stackMaxrandomSize(randomize: boolean): number {
  return randomize ? STACK_RND_MASK * PAGE_SIZE : 0;
}

/**
 * arch_pick_mmap_layout's mmap_base (top-down) for a 64-bit task: task_size_64bit(0) =
 * DEFAULT_MAP_WINDOW minus the stack gap (RLIMIT_STACK + stack_maxrandom_size +
 * stack_guard_gap, clamped to [128 MiB, 5/6 of it]) minus the mmap random offset.
 */
export function archPickMmapBase(defaultMapWindow: number, rlimitStack: number, stackGuardGap: number, randomize: boolean, rnd: number): number {
  return mmapBase(defaultMapWindow, rlimitStack, stackGuardGap, rnd, stackMaxrandomSize(randomize));
}

/** arch_align_stack: sp minus the random offset, rounded down to 16 bytes. */
export function archAlignStack(sp: number, rnd: number): number {
  return Math.floor((sp - rnd) / 16) * 16;
}

/** ELF_ET_DYN_BASE (arch/x86/include/asm/elf.h): DEFAULT_MAP_WINDOW / 3 * 2, before alignment. */
export function elfEtDynBaseRaw(defaultMapWindow: number): number {
  return Math.floor(defaultMapWindow / 3) * 2;
}

/**
 * The PIE load bias (load_elf_binary, ET_DYN with an interpreter): ELF_ET_DYN_BASE plus
 * arch_mmap_rnd(), aligned down to the segments' largest p_align (a page here), minus the first
 * segment's page-aligned vaddr.
 */
export function pieLoadBias(defaultMapWindow: number, rnd: number, firstVaddr: number): number {
  const base = Math.floor((elfEtDynBaseRaw(defaultMapWindow) + rnd) / PAGE_SIZE) * PAGE_SIZE;
  return Math.floor((base - firstVaddr) / PAGE_SIZE) * PAGE_SIZE;
}

/**
 * Draws an exec's random offsets in load_elf_binary's order: mmap_base (setup_new_exec),
 * the stack top and its alignment (setup_arg_pages), the load bias, create_elf_tables'
 * alignment, then the break. Nothing is drawn when `randomize` is false (no PF_RANDOMIZE);
 * the break only with randomize_va_space 2. The 16 AT_RANDOM bytes are drawn by the caller
 * between the fifth and sixth draw.
 */
export function drawExecRandom(rng: Rng, randomize: boolean, randomizeBrk: boolean, randomBytes: Uint8Array): ExecRandom {
  const r: ExecRandom = { mmapRnd: 0, loadRnd: 0, stackRnd: 0, alignRnd1: 0, alignRnd2: 0, brkRnd: 0 };
  if (randomize) {
    r.mmapRnd = archMmapRnd(rng);
    r.stackRnd = stackRnd(rng);
    r.alignRnd1 = rng.nextInt(STACK_ALIGN_RANDOM);
    r.loadRnd = archMmapRnd(rng);
    r.alignRnd2 = rng.nextInt(STACK_ALIGN_RANDOM);
  }
  // get_random_bytes(k_rand_bytes, 16): drawn whatever the ASLR setting
  for (let i = 0; i < randomBytes.length; i += 4) {
    const w = rng.nextU32();
    for (let j = 0; j < 4 && i + j < randomBytes.length; j++) randomBytes[i + j] = Math.floor(w / 256 ** j) % 256;
  }
  if (randomize && randomizeBrk) r.brkRnd = randomizePageOffset(rng, BRK_RND_RANGE);
  return r;
}
