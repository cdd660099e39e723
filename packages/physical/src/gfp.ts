// GFP ("get free pages") flags as numbers with Linux's names and values (include/linux/
// gfp_types.h, 6.x numbering after __GFP_ATOMIC was dropped in 6.3), gfp_zone() and
// gfp_migratetype() (include/linux/gfp.h), and the %pGg formatter of warn_alloc/OOM reports
// (include/trace/events/mmflags.h). Debug-only bits (KASAN skip, NOLOCKDEP, NO_OBJ_EXT) are
// not modelled: they are 0 on the configurations mmsim imitates.
import { InputError } from "@mmsim/base";
import { MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE } from "./mmzone";
import { ZONE_DMA, ZONE_DMA32, ZONE_HIGHMEM, ZONE_MOVABLE, ZONE_NORMAL } from "./mmzone";

export const __GFP_DMA = 0x01;
export const __GFP_HIGHMEM = 0x02;
export const __GFP_DMA32 = 0x04;
export const __GFP_MOVABLE = 0x08;
export const __GFP_RECLAIMABLE = 0x10;
export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_ZERO = 0x100;
// 0x200 is ___GFP_UNUSED_BIT (was __GFP_ATOMIC before 6.3)
export const __GFP_DIRECT_RECLAIM = 0x400;
export const __GFP_KSWAPD_RECLAIM = 0x800;
export const __GFP_WRITE = 0x1000;
export const __GFP_NOWARN = 0x2000;
export const __GFP_RETRY_MAYFAIL = 0x4000;
export const __GFP_NOFAIL = 0x8000;
export const __GFP_NORETRY = 0x10000;
export const __GFP_MEMALLOC = 0x20000;
export const __GFP_COMP = 0x40000;
export const __GFP_NOMEMALLOC = 0x80000;
export const __GFP_HARDWALL = 0x100000;
export const __GFP_THISNODE = 0x200000;
export const __GFP_ACCOUNT = 0x400000;
export const __GFP_ZEROTAGS = 0x800000;

export const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;
export const GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;
export const GFP_MOVABLE_MASK = __GFP_RECLAIMABLE | __GFP_MOVABLE;
/** gfp_migratetype(): the mobility bits sit at bit 3 (GFP_MOVABLE_SHIFT). */
export const GFP_MOVABLE_SHIFT = 3;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN;
export const GFP_NOIO = __GFP_RECLAIM;
export const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
export const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
export const GFP_DMA = __GFP_DMA;
export const GFP_DMA32 = __GFP_DMA32;
export const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
export const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;
export const GFP_TRANSHUGE_LIGHT = (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
export const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;

/**
 * The %pGg name table in Linux's order (mmflags.h __def_gfpflag_names): composites with the
 * most bits first, then __GFP_RECLAIM, then the single bits in bit order. A mask prints as the
 * names whose bits are all present, each consuming its bits.
 */
const GFP_NAMES: readonly (readonly [number, string])[] = [
  [GFP_TRANSHUGE, "GFP_TRANSHUGE"],
  [GFP_TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT"],
  [GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"],
  [GFP_HIGHUSER, "GFP_HIGHUSER"],
  [GFP_USER, "GFP_USER"],
  [GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT"],
  [GFP_KERNEL, "GFP_KERNEL"],
  [GFP_NOFS, "GFP_NOFS"],
  [GFP_ATOMIC, "GFP_ATOMIC"],
  [GFP_NOIO, "GFP_NOIO"],
  [GFP_NOWAIT, "GFP_NOWAIT"],
  [GFP_DMA, "GFP_DMA"],
  [GFP_DMA32, "GFP_DMA32"],
  [__GFP_RECLAIM, "__GFP_RECLAIM"],
  [__GFP_DMA, "__GFP_DMA"],
  [__GFP_HIGHMEM, "__GFP_HIGHMEM"],
  [__GFP_DMA32, "__GFP_DMA32"],
  [__GFP_MOVABLE, "__GFP_MOVABLE"],
  [__GFP_RECLAIMABLE, "__GFP_RECLAIMABLE"],
  [__GFP_HIGH, "__GFP_HIGH"],
  [__GFP_IO, "__GFP_IO"],
  [__GFP_FS, "__GFP_FS"],
  [__GFP_ZERO, "__GFP_ZERO"],
  [__GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"],
  [__GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"],
  [__GFP_WRITE, "__GFP_WRITE"],
  [__GFP_NOWARN, "__GFP_NOWARN"],
  [__GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL"],
  [__GFP_NOFAIL, "__GFP_NOFAIL"],
  [__GFP_NORETRY, "__GFP_NORETRY"],
  [__GFP_MEMALLOC, "__GFP_MEMALLOC"],
  [__GFP_COMP, "__GFP_COMP"],
  [__GFP_NOMEMALLOC, "__GFP_NOMEMALLOC"],
  [__GFP_HARDWALL, "__GFP_HARDWALL"],
  [__GFP_THISNODE, "__GFP_THISNODE"],
  [__GFP_ACCOUNT, "__GFP_ACCOUNT"],
  [__GFP_ZEROTAGS, "__GFP_ZEROTAGS"],
];

const BY_NAME = new Map<string, number>(GFP_NAMES.map(([v, n]) => [n, v]));

/**
 * Formats a mask as Linux's %pGg does: "GFP_KERNEL|__GFP_ZERO"; leftover unknown bits as
 * "|0x..."; 0 as "none".
 */
export function formatGfp(mask: number): string {
  if (mask === 0) return "none";
  let rest = mask >>> 0;
  const parts: string[] = [];
  for (const [v, n] of GFP_NAMES) {
    if ((rest & v) === v && v !== 0) {
      parts.push(n);
      rest = (rest & ~v) >>> 0;
    }
  }
  if (rest !== 0) parts.push("0x" + rest.toString(16));
  return parts.join("|");
}

/** Largest gfp_t: a 32-bit unsigned int (include/linux/types.h: typedef unsigned int gfp_t). */
const GFP_T_MAX = 0xffffffff;

/**
 * Parses "GFP_KERNEL|__GFP_ZERO" (names from formatGfp, or hex/decimal numbers) into a mask.
 * Throws InputError naming `field` and the unknown part, or a number that is no gfp_t (negative
 * or above 32 bits: checked before it is ORed in, since `|` keeps only the low 32 bits).
 */
export function parseGfp(text: string, field = "gfp"): number {
  let mask = 0;
  const parts = text.split("|").map((s) => s.trim());
  for (const p of parts) {
    const v = BY_NAME.get(p);
    if (v !== undefined) mask |= v;
    else if (/^-?(0x[0-9a-f]+|\d+)$/i.test(p)) {
      const n = p.startsWith("-") ? -1 : Number(p);
      if (n < 0 || n > GFP_T_MAX) throw new InputError(`GFP value "${p}" is out of range: a gfp_t is 32 bits, from 0 to 0xffffffff`, { field });
      mask |= n;
    } else {
      throw new InputError(`unknown GFP flag "${p}": expected names like GFP_KERNEL, GFP_ATOMIC, __GFP_ZERO joined by |`, { field });
    }
  }
  return mask >>> 0;
}

/**
 * gfp_zone(): the highest zone type a mask may allocate from (GFP_ZONE_TABLE). On 64-bit,
 * __GFP_HIGHMEM means Normal. Returns -1 for the invalid combinations Linux BUGs on.
 */
export function gfpZone(gfp: number, highmem: boolean): number {
  const z = gfp & GFP_ZONEMASK;
  switch (z) {
    case 0:
    case __GFP_MOVABLE:
      return ZONE_NORMAL;
    case __GFP_DMA:
    case __GFP_DMA | __GFP_MOVABLE:
      return ZONE_DMA;
    case __GFP_DMA32:
    case __GFP_DMA32 | __GFP_MOVABLE:
      return ZONE_DMA32;
    case __GFP_HIGHMEM:
      return highmem ? ZONE_HIGHMEM : ZONE_NORMAL;
    case __GFP_HIGHMEM | __GFP_MOVABLE:
      return ZONE_MOVABLE;
    default:
      return -1;
  }
}

// Local copies for gfpMigratetype (on the allocation fast path): an exported or imported
// binding costs a module-cell load and a TDZ check on every use.
const MOVABLE_MASK = GFP_MOVABLE_MASK;
const MOVABLE_SHIFT = GFP_MOVABLE_SHIFT;
const MT_MOVABLE = MIGRATE_MOVABLE;
const MT_RECLAIMABLE = MIGRATE_RECLAIMABLE;
const MT_UNMOVABLE = MIGRATE_UNMOVABLE;

/** gfp_migratetype(): Unmovable, Movable or Reclaimable from the mobility bits. */
export function gfpMigratetype(gfp: number): number {
  const m = (gfp & MOVABLE_MASK) >>> MOVABLE_SHIFT;
  return m === 1 ? MT_MOVABLE : m === 2 ? MT_RECLAIMABLE : MT_UNMOVABLE;
}

/**
 * The gfp bits 6.18 defines on the configurations mmsim imitates (include/linux/gfp_types.h):
 * ___GFP_DMA_BIT 0 .. ___GFP_ZEROTAGS_BIT 23, without ___GFP_UNUSED_BIT 9; the debug-only bits
 * above them (KASAN, NOLOCKDEP, NO_OBJ_EXT) are configured out.
 */
export const GFP_VALID_MASK = 0xffffff & ~0x200;

/** The zone modifiers GFP_ZONE_BAD forbids two of (include/linux/gfp.h), in bit order. */
const ZONE_BITS: readonly (readonly [number, string])[] = [
  [__GFP_DMA, "__GFP_DMA"],
  [__GFP_HIGHMEM, "__GFP_HIGHMEM"],
  [__GFP_DMA32, "__GFP_DMA32"],
];

/** "a", "a and b", "a, b and c". */
function listNames(names: string[]): string {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * Checks a gfp mask given by a user (CLI, scenario) before anything runs: returns null when
 * the allocator can use it, else a sentence naming what is wrong. Wrong are: a value that is
 * not a 32-bit unsigned integer; bits Linux does not define (above __GFP_ZEROTAGS, or the
 * unused bit 0x200); two or three of __GFP_DMA, __GFP_HIGHMEM, __GFP_DMA32 together (the
 * GFP_ZONE_BAD combinations, on which gfp_zone() BUGs); __GFP_MOVABLE with __GFP_RECLAIMABLE
 * (gfp_migratetype()'s VM_WARN_ON: no migratetype has both). Internal callers that pass a bad
 * mask still hit allocPages()'s Bug.
 */
export function gfpCheck(gfp: number): string | null {
  if (!Number.isInteger(gfp) || gfp < 0 || gfp > 0xffffffff) return `gfp mask ${gfp} is not a 32-bit unsigned integer`;
  const problems: string[] = [];
  const unknown = (gfp & ~GFP_VALID_MASK) >>> 0;
  if (unknown !== 0) problems.push(`unknown gfp bits 0x${unknown.toString(16)} (6.18 defines bits 0-8 and 10-23)`);
  const zones = ZONE_BITS.filter(([bit]) => gfp & bit).map(([, name]) => name);
  if (zones.length > 1) problems.push(`${listNames(zones)} cannot be combined (GFP_ZONE_BAD in include/linux/gfp.h)`);
  if ((gfp & GFP_MOVABLE_MASK) === GFP_MOVABLE_MASK) problems.push("__GFP_MOVABLE and __GFP_RECLAIMABLE cannot be combined (no migratetype has both)");
  return problems.length === 0 ? null : `gfp 0x${(gfp >>> 0).toString(16)}: ${problems.join("; ")}`;
}
