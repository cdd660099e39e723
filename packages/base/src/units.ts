// Size units and their parsing. Sizes are byte counts held in JS numbers (exact to 2^53).
// Accepted forms: plain decimal ("4096"), hex ("0x1000"), and a decimal with a binary unit
// suffix: K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB (case-insensitive). Like Linux's memparse()
// (lib/cmdline.c) every suffix is binary: "512M" on a kernel command line means 512 MiB.
import { InputError } from "./errors";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** x86-64 base page: 4 KiB (arch/x86/include/asm/page_types.h, PAGE_SHIFT 12). */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

const SUFFIX: Record<string, number> = {
  "": 1, b: 1,
  k: KiB, kb: KiB, kib: KiB,
  m: MiB, mb: MiB, mib: MiB,
  g: GiB, gb: GiB, gib: GiB,
  t: TiB, tb: TiB, tib: TiB,
};

/**
 * Parses a size such as "4GiB", "512M", "0x1000" or "4096" into bytes.
 * Throws InputError quoting the value (and `field`, if given) when it is not a size.
 */
export function parseSize(text: string | number, field?: string): number {
  if (typeof text === "number") {
    if (Number.isSafeInteger(text) && text >= 0) return text;
    throw new InputError(`invalid size ${String(text)}: expected a whole number of bytes`, { field });
  }
  const s = text.trim();
  const hex = /^0x([0-9a-f]+)$/i.exec(s);
  if (hex) return checked(parseInt(hex[1]!, 16), text, field);
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s);
  const mult = m ? SUFFIX[m[2]!.toLowerCase()] : undefined;
  if (!m || mult === undefined) {
    throw new InputError(`invalid size "${text}": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB`, { field });
  }
  const bytes = Number(m[1]) * mult;
  if (!Number.isInteger(bytes)) throw new InputError(`invalid size "${text}": not a whole number of bytes`, { field });
  return checked(bytes, text, field);
}

function checked(bytes: number, text: string, field?: string): number {
  if (!Number.isSafeInteger(bytes)) throw new InputError(`invalid size "${text}": too large (limit 2^53 bytes)`, { field });
  return bytes;
}

/** Formats bytes with the largest binary unit that divides them exactly: 8589934592 → "8GiB". */
export function formatSize(bytes: number): string {
  for (const [unit, mult] of [["TiB", TiB], ["GiB", GiB], ["MiB", MiB], ["KiB", KiB]] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return `${bytes}B`;
}

/** Formats bytes roughly, one decimal, for humans: 1536 → "1.5 KiB". */
export function formatSizeApprox(bytes: number): string {
  for (const [unit, mult] of [["TiB", TiB], ["GiB", GiB], ["MiB", MiB], ["KiB", KiB]] as const) {
    if (bytes >= mult) return `${(bytes / mult).toFixed(1).replace(/\.0$/, "")} ${unit}`;
  }
  return `${bytes} B`;
}
