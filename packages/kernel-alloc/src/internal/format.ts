// Printing kernel pointers and memory the way the kernel log does. Kernel virtual addresses
// are formed from two 32-bit halves (base tail + offset, sign-extended), so they stay exact
// even for LA57 addresses above 2^53. Pointers print raw, as with kptr_restrict=1 read by
// root or with no_hash_pointers (mmsim's choice: a simulator is read to be understood).
import type { Memory } from "../deps";

const TWO_32 = 4294967296;

/** [lo, hi] halves of the 64-bit sign-extended kernel address base + offset (base a canonical tail). */
export function kernelVaHalves(base: number, offset: number, vaBits: number): [number, number] {
  const bLo = base % TWO_32;
  const bHi = (base - bLo) / TWO_32;
  const oLo = offset % TWO_32;
  const oHi = (offset - oLo) / TWO_32;
  const sum = bLo + oLo;
  const lo = sum % TWO_32;
  const hi = (bHi + oHi + (sum >= TWO_32 ? 1 : 0) + (TWO_32 - 2 ** (vaBits - 32))) % TWO_32;
  return [lo, hi];
}

/** 16 hex digits of a 64-bit value given as halves. */
export function hex64(lo: number, hi: number): string {
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** A kernel pointer as %p prints it (raw): direct-map address of `pa`, or all zeros for NULL. */
export function kernelPtr(pageOffset: number, vaBits: number, pa: number): string {
  if (pa === 0) return "0000000000000000";
  if (pa < 0) return hex64(pa >>> 0, 0xffffffff);
  const [lo, hi] = kernelVaHalves(pageOffset, pa, vaBits);
  return hex64(lo, hi);
}

/** What kptr() needs from the allocator. */
export interface PtrContext {
  readonly fp: { readonly pageOffset: number };
  readonly opts: { readonly vaBits: number; readonly vmemmapStart?: number };
}

/**
 * %p of a slab pointer: the direct-map address of `pa`; or, with `structPagePfn` >= 0, the
 * address of that pfn's struct page/struct slab in the vmemmap (64 bytes each).
 */
export function kptr(ctx: PtrContext, pa: number, structPagePfn = -1): string {
  if (structPagePfn >= 0) {
    const [lo, hi] = kernelVaHalves(ctx.opts.vmemmapStart ?? 0, structPagePfn * 64, ctx.opts.vaBits);
    return hex64(lo, hi);
  }
  return kernelPtr(ctx.fp.pageOffset, ctx.opts.vaBits, pa);
}

/**
 * print_hex_dump(..., DUMP_PREFIX_ADDRESS, 16, 1, ..., true) lines without the prefix text:
 * "ffff888003a1b000: 6b 6b ... 6b  kkkkkkkkkkkkkkkk" (hex padded to column 49, then ASCII).
 */
export function hexDump(ram: Memory, pa: number, len: number, pageOffset: number, vaBits: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < len; i += 16) {
    const n = Math.min(16, len - i);
    let hexPart = "";
    let ascii = "";
    for (let j = 0; j < n; j++) {
      const b = ram.readU8(pa + i + j);
      hexPart += (j ? " " : "") + b.toString(16).padStart(2, "0");
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".";
    }
    out.push(`${kernelPtr(pageOffset, vaBits, pa + i)}: ${hexPart.padEnd(49)}${ascii}`);
  }
  return out;
}
