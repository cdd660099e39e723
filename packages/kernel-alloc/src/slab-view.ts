// A byte-level view of one slab of a SLUB cache, for `mmsim slab` and the docs: every object
// slot split into its parts (red zones, object, free pointer, tracks, padding), each object's
// state and the free-pointer chains as they are in RAM, and the cache's slabinfo line.
// Structured data first; renderSlabView turns it into text.
import { PAGE_SIZE } from "@mmsim/base";
import { kernelPtr } from "./internal/format";
import { ON_CPU_PARTIAL, ON_CPU_SLAB, ON_NODE_PARTIAL } from "./internal/slab-meta";
import type { KmemCache } from "./kmem-cache";
import { formatSlabinfoRow } from "./slab-common";
import { SLAB_KMALLOC, SLAB_RED_ZONE, SLAB_STORE_USER } from "./slab-flags";
import type { Slub } from "./slub";
import { ORIG_SIZE_SIZE, POINTER_SIZE, TRACK_SIZE } from "./slub-layout";

export type SlotPart = "left-redzone" | "object" | "freeptr" | "right-redzone" | "align-pad" | "track-alloc" | "track-free" | "orig-size" | "padding";

export interface SlotRegion {
  part: SlotPart;
  /** offset from the start of the slot */
  offset: number;
  length: number;
}

export interface SlabObjectView {
  index: number;
  /** physical address of the object (kernel address: PAGE_OFFSET + pa) */
  pa: number;
  va: string;
  state: "allocated" | "free" | "cpu-free";
  /** index of the next object on the same free chain, -1 at its end, null when allocated */
  next: number | null;
}

export interface SlabView {
  cache: string;
  objectSize: number;
  size: number;
  offset: number;
  headPfn: number;
  order: number;
  objects: number;
  inuse: number;
  where: "cpu-slab" | "cpu-partial" | "node-partial" | "full";
  /** CPU owning the slab (cpu-slab), else -1 */
  cpu: number;
  /** parts of every slot (the same for all objects) */
  layout: SlotRegion[];
  slots: SlabObjectView[];
  /** object indices in the order of the slab's own freelist, and of the owning CPU's freelist */
  slabFreelist: number[];
  cpuFreelist: number[];
  /** bytes at the end of the slab no object uses */
  leftover: number;
  slabinfoLine: string;
}

/** The parts of one slot of cache `s`, in address order. */
export function slotLayout(s: KmemCache): SlotRegion[] {
  const r: SlotRegion[] = [];
  const o = s.redLeftPad;
  if (o) r.push({ part: "left-redzone", offset: 0, length: o });
  if (s.offset < s.inuse) {
    if (s.offset > 0) r.push({ part: "object", offset: o, length: s.offset });
    r.push({ part: "freeptr", offset: o + s.offset, length: POINTER_SIZE });
    const rest = s.objectSize - s.offset - POINTER_SIZE;
    if (rest > 0) r.push({ part: "object", offset: o + s.offset + POINTER_SIZE, length: rest });
  } else r.push({ part: "object", offset: o, length: s.objectSize });
  if (s.inuse > s.objectSize) r.push({ part: s.flags & SLAB_RED_ZONE ? "right-redzone" : "align-pad", offset: o + s.objectSize, length: s.inuse - s.objectSize });
  let at = s.inuse;
  if (s.offset >= s.inuse) {
    r.push({ part: "freeptr", offset: o + at, length: POINTER_SIZE });
    at += POINTER_SIZE;
  }
  if (s.flags & SLAB_STORE_USER) {
    r.push({ part: "track-alloc", offset: o + at, length: TRACK_SIZE });
    r.push({ part: "track-free", offset: o + at + TRACK_SIZE, length: TRACK_SIZE });
    at += 2 * TRACK_SIZE;
    if (s.flags & SLAB_KMALLOC) {
      r.push({ part: "orig-size", offset: o + at, length: ORIG_SIZE_SIZE });
      at += ORIG_SIZE_SIZE;
    }
  }
  if (o + at < s.size) r.push({ part: "padding", offset: o + at, length: s.size - o - at });
  return r;
}

/** The view of the `which`-th slab (newest first) of cache `s`, or null when it has fewer slabs. */
export function slabView(slub: Slub, s: KmemCache, which = 0): SlabView | null {
  const slot = slub.slabsOf(s)[which];
  if (slot === undefined) return null;
  const m = slub.meta;
  const base = m.head[slot] * PAGE_SIZE;
  const first = base + s.redLeftPad;
  const idx = (pa: number) => (pa - first) / s.size;
  const chain = (head: number) => {
    const out: number[] = [];
    for (let p = head; p !== 0 && out.length <= m.objects[slot]; p = slub.fp.get(s, p, s.offset)) out.push(idx(p));
    return out;
  };
  let cpu = -1;
  for (let c = 0; c < s.cpuSlab.length; c++) if (s.cpuSlab[c] === slot) cpu = c;
  const slabFreelist = chain(m.freelist[slot]);
  const cpuFreelist = cpu >= 0 ? chain(s.cpuFreelist[cpu]) : [];
  const state = new Array<SlabObjectView["state"]>(m.objects[slot]).fill("allocated");
  const next = new Array<number | null>(m.objects[slot]).fill(null);
  for (const [list, st] of [[slabFreelist, "free"], [cpuFreelist, "cpu-free"]] as const) {
    list.forEach((i, k) => {
      state[i] = st;
      next[i] = k + 1 < list.length ? list[k + 1] : -1;
    });
  }
  const w = m.where[slot];
  const slots = state.map((st, i) => {
    const pa = first + i * s.size;
    return { index: i, pa, va: kernelPtr(slub.fp.pageOffset, slub.opts.vaBits, pa), state: st, next: next[i] };
  });
  return {
    cache: s.name, objectSize: s.objectSize, size: s.size, offset: s.offset, headPfn: m.head[slot], order: m.order[slot],
    objects: m.objects[slot], inuse: m.inuse[slot] - cpuFreelist.length,
    where: w === ON_CPU_SLAB ? "cpu-slab" : w === ON_CPU_PARTIAL ? "cpu-partial" : w === ON_NODE_PARTIAL ? "node-partial" : "full",
    cpu, layout: slotLayout(s), slots, slabFreelist, cpuFreelist,
    leftover: PAGE_SIZE * 2 ** m.order[slot] - m.objects[slot] * s.size,
    slabinfoLine: formatSlabinfoRow(slub.slabinfoRow(s)).trimEnd(),
  };
}

const PART_CHAR: Record<SlotPart, string> = {
  "left-redzone": "R", object: "O", freeptr: "F", "right-redzone": "R", "align-pad": "a",
  "track-alloc": "T", "track-free": "t", "orig-size": "S", padding: "p",
};

/**
 * Text for a terminal: the slot map (one character per 8 bytes: R red zone, O object, F free
 * pointer, T/t alloc/free track, S kmalloc size, a/p padding), each object with its state and
 * successor on its free chain, the chains, and the slabinfo line.
 */
export function renderSlabView(v: SlabView): string {
  const map = v.layout.map((r) => PART_CHAR[r.part].repeat(Math.max(1, Math.round(r.length / 8)))).join("");
  const lines = [
    `slab of ${v.cache}: pfn ${v.headPfn}, order ${v.order}, ${v.objects} objects of ${v.size} bytes (object ${v.objectSize}, free pointer at +${v.offset}), ${v.where}${v.cpu >= 0 ? ` of CPU ${v.cpu}` : ""}`,
    `slot map (8 bytes/char): ${map}`,
  ];
  for (const o of v.slots) {
    const nxt = o.next === null ? "" : o.next < 0 ? " -> NULL" : ` -> #${o.next}`;
    lines.push(`  #${String(o.index).padStart(3)} ${o.va} ${o.state.padEnd(9)}${nxt}`);
  }
  lines.push(`slab freelist: ${v.slabFreelist.map((i) => "#" + i).join(" -> ") || "(empty)"}`);
  if (v.cpu >= 0) lines.push(`cpu ${v.cpu} freelist: ${v.cpuFreelist.map((i) => "#" + i).join(" -> ") || "(empty)"}`);
  lines.push(`leftover at slab end: ${v.leftover} bytes`);
  lines.push(v.slabinfoLine);
  return lines.join("\n") + "\n";
}
