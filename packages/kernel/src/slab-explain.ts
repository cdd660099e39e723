// `mmsim slab`: one slab cache's slab, byte by byte. Allocate some objects, free some, then
// show the slab as SLUB holds it: each object slot with its state, the free-pointer chain that
// runs through the free objects (the pointer is stored inside each free object, in RAM), the
// red zones and padding of a debug cache, and the cache's /proc/slabinfo line.
import { InputError, formatVa, hex } from "@mmsim/base";
import { GFP_KERNEL } from "@mmsim/physical";
import { renderSlabView, slabView, slotLayout, type KmemCache, type SlabView } from "@mmsim/kernel-alloc";
import type { Kernel } from "./kernel";

export interface SlabExplainOptions {
  /** how many objects to allocate first (default 3) */
  alloc?: number;
  /** 1-based numbers of the allocated objects to free again (default: the second one) */
  free?: number[];
  /** how many object slots to dump as bytes (default 4) */
  dump?: number;
}

export interface SlabExplanation {
  cache: string;
  allocated: string[];
  freed: string[];
  view: SlabView;
  dump: string;
}

/** Runs the allocations and returns the view. InputError for an unknown cache or bad numbers. */
export function explainSlab(k: Kernel, cacheName: string, opts: SlabExplainOptions = {}): SlabExplanation {
  const slub = k.alloc.slub;
  if (!slub) throw new InputError("mmsim slab shows SLUB slabs; this machine was booted with the classic SLAB allocator");
  const info = k.alloc.cache(cacheName);
  if (!info) {
    const names = k.alloc.slab.caches.map((c) => c.name).filter((n) => n.startsWith("kmalloc-")).slice(0, 6);
    throw new InputError(`no slab cache named "${cacheName}" (see /proc/slabinfo; e.g. ${names.join(", ")})`);
  }
  const s = info as KmemCache;
  const n = opts.alloc ?? 3;
  const objs: number[] = [];
  for (let i = 0; i < n; i++) {
    const pa = k.alloc.kmemCacheAlloc(info, GFP_KERNEL, "mmsim_slab");
    if (pa === 0) throw new InputError(`out of memory after ${i} objects`);
    objs.push(pa);
  }
  const toFree = opts.free ?? (n >= 2 ? [2] : []);
  for (const f of toFree) {
    if (!Number.isInteger(f) || f < 1 || f > n) throw new InputError(`invalid --free ${f}: expected object numbers from 1 to ${n}`);
  }
  for (const f of toFree) k.alloc.kmemCacheFree(info, objs[f - 1]!, "mmsim_slab");
  const layout = k.hw.layout;
  const va = (pa: number) => formatVa(layout.PAGE_OFFSET + pa, layout.vaBits);
  // The slab that holds the first object: the CPU slab while it has room.
  const slabs = slub.slabsOf(s);
  const first = objs[0];
  let which = 0;
  if (first !== undefined) {
    const headPa = (pfn: number) => pfn * 4096;
    which = Math.max(0, slabs.findIndex((slot) => {
      const base = headPa(slub.meta.head[slot]!);
      return first >= base && first < base + 4096 * 2 ** slub.meta.order[slot]!;
    }));
  }
  const view = slabView(slub, s, which);
  if (!view) throw new InputError(`${cacheName} has no slab yet: allocate at least one object`);
  return { cache: s.name, allocated: objs.map(va), freed: toFree.map((f) => va(objs[f - 1]!)), view, dump: dumpSlots(k, s, view, opts.dump ?? 4) };
}

/** Hex dump of the first `count` slots: 16 bytes a line, each line labelled with its part. */
function dumpSlots(k: Kernel, s: KmemCache, v: SlabView, count: number): string {
  const regions = slotLayout(s);
  const base = v.headPfn * 4096;
  let out = "";
  for (let i = 0; i < Math.min(count, v.objects); i++) {
    const slot = base + i * s.size;
    const o = v.slots[i]!;
    out += `slot #${i} at ${formatVa(k.hw.layout.PAGE_OFFSET + slot, k.hw.layout.vaBits)} (${o.state}):\n`;
    for (const r of regions) {
      const bytes = k.hw.ram.read(slot + r.offset, r.length);
      for (let off = 0; off < r.length; off += 16) {
        const chunk = bytes.subarray(off, Math.min(off + 16, r.length));
        const hexs = [...chunk].map((b) => hex(b, 2)).join(" ");
        const label = off === 0 ? `${r.part}${r.part === "freeptr" && o.state !== "allocated" ? ` = ${freeptrText(chunk)}` : ""}` : "";
        out += `  +${String(r.offset + off).padStart(4)}  ${hexs.padEnd(48)} ${label}\n`;
        if (r.length > 64 && off === 32) {
          // long regions (red zones of big objects, tracking records): show the first 48 bytes
          out += `  ...   (${r.length - 48} more bytes of ${r.part})\n`;
          break;
        }
      }
    }
  }
  return out;
}

/** The 8 little-endian bytes of a free pointer: a sign-extended kernel virtual address. */
function freeptrText(b: Uint8Array): string {
  let text = "";
  for (let i = 7; i >= 0; i--) text += hex(b[i] ?? 0, 2);
  return /^0+$/.test(text) ? "NULL (end of the chain)" : `next free object at ${text}`;
}

/** The text `mmsim slab` prints. */
export function formatSlab(e: SlabExplanation): string {
  let s = `allocated: ${e.allocated.map((a, i) => `#${i + 1} ${a}`).join(", ")}\n`;
  if (e.freed.length) s += `freed:     ${e.freed.join(", ")}\n`;
  s += "\n" + renderSlabView(e.view) + "\nbytes in RAM:\n" + e.dump;
  return s;
}
