// 64-bit-safe address helpers (ARCHITECTURE §3). Addresses are JS numbers: physical addresses
// and canonical virtual addresses of at most 57 bits, all exact in a double. JavaScript's
// bitwise operators truncate to 32 bits, so above 2^32 everything here is arithmetic.
//
//   lo32(v) = v mod 2^32        hi32(v) = floor(v / 2^32)        v = hi * 2^32 + lo
//
// `v >>> 0` is exact for any integer v < 2^53 (ToUint32 is a true modulo), so lo32 uses it.
// Kernel virtual addresses (upper half) are stored as their 64-bit value minus 2^64 would not
// fit; instead they are kept as the unsigned 57/48-bit "canonical tail" and shown sign-extended
// by formatVa, e.g. 0xffff888000000000.
import { PAGE_SIZE } from "./units";

export const TWO_32 = 4294967296;

export function lo32(v: number): number {
  return v >>> 0;
}

export function hi32(v: number): number {
  return Math.floor(v / TWO_32);
}

export function fromHiLo(hi: number, lo: number): number {
  return hi * TWO_32 + (lo >>> 0);
}

/** Bits [lo, hi] inclusive of v (v < 2^53), as a number. */
export function bits(v: number, lo: number, hi: number): number {
  return Math.floor(v / 2 ** lo) % 2 ** (hi - lo + 1);
}

/** True when bit n of v is set (v < 2^53). */
export function testBit(v: number, n: number): boolean {
  return n < 32 ? ((v >>> 0) & (2 ** n)) !== 0 : (Math.floor(v / 2 ** n) & 1) === 1;
}

/** a AND b for values below 2^53. */
export function and64(a: number, b: number): number {
  return fromHiLo((hi32(a) & hi32(b)) >>> 0, (lo32(a) & lo32(b)) >>> 0);
}

/** a OR b for values below 2^53. */
export function or64(a: number, b: number): number {
  return fromHiLo((hi32(a) | hi32(b)) >>> 0, (lo32(a) | lo32(b)) >>> 0);
}

/** a AND NOT b for values below 2^53. */
export function andNot64(a: number, b: number): number {
  return fromHiLo((hi32(a) & ~hi32(b)) >>> 0, (lo32(a) & ~lo32(b)) >>> 0);
}

/** Rounds v down to a multiple of `align` (any positive integer, usually a power of two). */
export function alignDown(v: number, align: number): number {
  return v - (v % align);
}

/** Rounds v up to a multiple of `align`. */
export function alignUp(v: number, align: number): number {
  const r = v % align;
  return r === 0 ? v : v + (align - r);
}

export function isAligned(v: number, align: number): boolean {
  return v % align === 0;
}

/** Physical address → page frame number. */
export function physToPfn(pa: number): number {
  return Math.floor(pa / PAGE_SIZE);
}

/** Page frame number → physical address of its first byte. */
export function pfnToPhys(pfn: number): number {
  return pfn * PAGE_SIZE;
}

/** Lower-case hex without prefix, zero-padded to `width` digits. */
export function hex(v: number, width = 0): string {
  return v.toString(16).padStart(width, "0");
}

/** "0x" + lower-case hex, zero-padded to `width` digits. */
export function hex0x(v: number, width = 0): string {
  return "0x" + hex(v, width);
}

/**
 * Sign-extends a canonical virtual address of `vaBits` (48 or 57) to 16 hex digits, as Linux
 * prints kernel pointers: 0x888000000000 with 48 bits → "ffff888000000000". (Display only, so
 * it may use BigInt.)
 */
export function formatVa(va: number, vaBits = 48): string {
  let v = BigInt(va);
  if (va >= 2 ** (vaBits - 1)) v += (1n << 64n) - (1n << BigInt(vaBits));
  return v.toString(16).padStart(16, "0");
}

/**
 * Parses a virtual address as typed by a user: hex with or without 0x, possibly sign-extended
 * to 64 bits ("ffff888000000000"); returns its canonical `vaBits`-bit tail, or null when the
 * text is not hex, the address is not canonical for `vaBits`, or the tail is not exact in a
 * JS number (above 2^53 only multiples of 2^(bits-53) are: 57-bit byte addresses are not).
 */
export function parseVa(text: string, vaBits = 48): number | null {
  const s = text.trim().toLowerCase().replace(/^0x/, "").replace(/_/g, "");
  if (!/^[0-9a-f]{1,16}$/.test(s)) return null;
  const v = BigInt("0x" + s);
  const tailMask = (1n << BigInt(vaBits)) - 1n;
  const tail = v & tailMask;
  const head = v >> BigInt(vaBits - 1);
  const allOnes = (1n << BigInt(64 - vaBits + 1)) - 1n;
  if (head !== 0n && head !== allOnes) return null;
  const n = Number(tail);
  return BigInt(n) === tail ? n : null;
}
