// verify() for SLUB (like CONFIG_SLUB_DEBUG's validate + CONFIG_DEBUG_VM): recounts every
// cache's slabs, lists and free objects from scratch and throws a Bug naming the first broken
// invariant.
//
// Invariants:
//   - every slab of a cache is on the cache's all-slabs list, its pages map to its slot, and
//     its head page has page type PGTY_slab;
//   - a slab's freelist holds exactly objects - inuse distinct objects of that slab;
//   - an object is free on at most one list (its slab's freelist or a CPU freelist), and a
//     CPU freelist only holds objects of that CPU's slab;
//   - a CPU slab is frozen; a slab on a CPU partial chain or node partial list is not, and
//     has free objects (or is empty, on the node list); a non-debug slab on no list is full;
//   - node partial lists are consistent doubly-linked lists whose length is nr_partial;
//   - nr_slabs, total_objects and the reclaimable/unreclaimable page counts equal recounts;
//   - the in-use map has exactly the bits of the slab's allocated objects (none for a cache
//     whose slabs it does not cover, none for a free slot; in a slab slub_debug retired, the
//     objects it marked used without handing them out have none).
import { BUG, PAGE_SIZE } from "@mmsim/base";
import { PGTY_slab } from "@mmsim/physical";
import { INUSE_MAP_WORDS, ON_CPU_PARTIAL, ON_CPU_SLAB, ON_NO_LIST, ON_NODE_PARTIAL } from "./internal/slab-meta";
import type { Slub } from "./slub";
import type { KmemCache } from "./kmem-cache";

/** Index of object `pa` in the slab of `objects` objects whose first one is at `first`, or -1 when pa is not one of them. */
function objectIndex(s: KmemCache, first: number, objects: number, pa: number): number {
  const q = pa - first;
  if (!(q >= 0 && q < objects * s.size)) return -1;
  // q < 2^31 here, so integer arithmetic is exact.
  const i = ((q | 0) / s.size) | 0;
  return i * s.size === q ? i : -1;
}

/** Object states in one slab while it is checked (verify's scratch, one byte per object). */
const MARK_FREE = 1;
const MARK_CPU_FREE = 2;

export function verifySlub(sl: Slub): void {
  const m = sl.meta;
  const fn = "slub.verify";
  let recl = 0;
  let unrecl = 0;
  const seen = new Uint8Array(m.capacity);
  // imported bindings are module-object reads under a bundler or test runner: read them once
  const pageSize = PAGE_SIZE;
  const slabType = PGTY_slab;
  const onCpuSlab = ON_CPU_SLAB;
  const onCpuPartial = ON_CPU_PARTIAL;
  const onNodePartial = ON_NODE_PARTIAL;
  const onNoList = ON_NO_LIST;
  const mapWords = INUSE_MAP_WORDS;
  let mark = new Uint8Array(512);
  const nodes = sl.caches.length ? sl.caches[0].nrSlabs.length : 1;
  const nrSlabs = new Int32Array(nodes);
  const totalObjects = new Int32Array(nodes);
  for (const s of sl.caches) {
    nrSlabs.fill(0);
    totalObjects.fill(0);
    for (let slot = s.allHead; slot >= 0; slot = m.allNext[slot]) {
      if (seen[slot]) BUG(fn, `${s.name}: slab slot ${slot} listed twice`);
      seen[slot] = 1;
      if (m.cache[slot] !== s.id) BUG(fn, `${s.name}: slab ${slot} belongs to cache ${m.cache[slot]}`);
      const head = m.head[slot];
      const pages = 2 ** m.order[slot];
      for (let i = 0; i < pages; i++) if (m.slotOfPfn[head + i] !== slot + 1) BUG(fn, `${s.name}: pfn ${head + i} does not map to its slab`);
      if (sl.opts.phys.pages.getType(head) !== slabType) BUG(fn, `${s.name}: head pfn ${head} is not PageSlab`);
      if (s.reclaimable) recl += pages;
      else unrecl += pages;
      const node = sl.nodeOf(slot);
      nrSlabs[node]++;
      totalObjects[node] += m.objects[slot];
      const objects = m.objects[slot];
      const first = head * pageSize + s.redLeftPad;
      if (mark.length < objects) mark = new Uint8Array(objects);
      mark.fill(0, 0, objects);
      // The slab's own freelist.
      let n = 0;
      for (let p = m.freelist[slot]; p !== 0; p = sl.fp.get(s, p, s.offset)) {
        const i = objectIndex(s, first, objects, p);
        if (i < 0) BUG(fn, `${s.name}: freelist of slab at pfn ${head} points to 0x${p.toString(16)}, not one of its objects`);
        if (mark[i]) BUG(fn, `${s.name}: object 0x${p.toString(16)} twice on its slab's freelist`);
        mark[i] = MARK_FREE;
        if (++n > objects) BUG(fn, `${s.name}: freelist cycle in slab at pfn ${head}`);
      }
      if (n !== objects - m.inuse[slot]) BUG(fn, `${s.name}: slab at pfn ${head} has ${n} free objects but inuse ${m.inuse[slot]} of ${objects}`);
      const w = m.where[slot];
      if (w === onCpuSlab) {
        let owner = -1;
        for (let cpu = 0; cpu < s.cpuSlab.length; cpu++) if (s.cpuSlab[cpu] === slot) owner = cpu;
        if (owner < 0) BUG(fn, `${s.name}: slab at pfn ${head} marked as a CPU slab of no CPU`);
        for (let p = s.cpuFreelist[owner]; p !== 0; p = sl.fp.get(s, p, s.offset)) {
          const i = objectIndex(s, first, objects, p);
          if (i < 0) BUG(fn, `${s.name}: CPU ${owner} freelist holds 0x${p.toString(16)}, not an object of its slab`);
          if (mark[i]) BUG(fn, `${s.name}: object 0x${p.toString(16)} free on two lists`);
          mark[i] = MARK_CPU_FREE;
        }
      }
      verifyInuseMap(sl, s, slot, mark);
      if (w === onCpuSlab) {
        if (!m.frozen[slot]) BUG(fn, `${s.name}: CPU slab at pfn ${head} is not frozen`);
      } else if (m.frozen[slot] && !s.debug) {
        BUG(fn, `${s.name}: frozen slab at pfn ${head} is not a CPU slab`);
      }
      if ((w === onCpuPartial || w === onNodePartial) && m.freelist[slot] === 0) BUG(fn, `${s.name}: partial slab at pfn ${head} has no free object`);
      if (w === onNoList && !s.debug && m.inuse[slot] !== m.objects[slot]) BUG(fn, `${s.name}: slab at pfn ${head} on no list but not full`);
    }
    for (let node = 0; node < nodes; node++) {
      if (nrSlabs[node] !== s.nrSlabs[node]) BUG(fn, `${s.name}: nr_slabs ${s.nrSlabs[node]} but ${nrSlabs[node]} slabs`);
      if (totalObjects[node] !== s.totalObjects[node]) BUG(fn, `${s.name}: total_objects ${s.totalObjects[node]} but ${totalObjects[node]} counted`);
      let count = 0;
      let prev = -1;
      for (let slot = s.partialHead[node]; slot >= 0; slot = m.lruNext[slot]) {
        if (m.where[slot] !== onNodePartial) BUG(fn, `${s.name}: slab ${slot} on the node ${node} partial list is marked ${m.where[slot]}`);
        if (m.lruPrev[slot] !== prev) BUG(fn, `${s.name}: partial list back link broken at slab ${slot}`);
        if (m.frozen[slot]) BUG(fn, `${s.name}: frozen slab on the node partial list`);
        prev = slot;
        if (++count > nrSlabs[node]) BUG(fn, `${s.name}: node ${node} partial list cycles`);
      }
      if (prev !== s.partialTail[node]) BUG(fn, `${s.name}: partial list tail is ${s.partialTail[node]}, last slab ${prev}`);
      if (count !== s.nrPartial[node]) BUG(fn, `${s.name}: nr_partial ${s.nrPartial[node]} but ${count} slabs listed`);
    }
    for (let cpu = 0; cpu < s.cpuSlab.length; cpu++) {
      if (s.cpuFreelist[cpu] !== 0 && s.cpuSlab[cpu] < 0) BUG(fn, `${s.name}: CPU ${cpu} has a freelist but no slab`);
      if (s.cpuSlab[cpu] >= 0 && m.where[s.cpuSlab[cpu]] !== onCpuSlab) BUG(fn, `${s.name}: CPU ${cpu} slab not marked as a CPU slab`);
      let k = 0;
      for (let slot = s.cpuPartialHead[cpu]; slot >= 0; slot = m.lruNext[slot]) {
        if (m.where[slot] !== onCpuPartial || m.frozen[slot]) BUG(fn, `${s.name}: slab ${slot} on CPU ${cpu} partial chain is in state ${m.where[slot]}/${m.frozen[slot]}`);
        if (++k > m.capacity) BUG(fn, `${s.name}: CPU ${cpu} partial chain cycles`);
      }
    }
  }
  if (recl !== sl.reclaimablePages) BUG(fn, `SReclaimable ${sl.reclaimablePages} pages but ${recl} counted`);
  if (unrecl !== sl.unreclaimablePages) BUG(fn, `SUnreclaim ${sl.unreclaimablePages} pages but ${unrecl} counted`);
  const { cache, inuseMap } = m;
  for (let slot = 0, capacity = m.capacity; slot < capacity; slot++) {
    if (cache[slot] >= 0 && !seen[slot]) BUG(fn, `slab slot ${slot} of cache ${cache[slot]} is on no cache's list`);
    if (cache[slot] < 0) {
      let bits = 0;
      for (let i = slot * mapWords, end = i + mapWords; i < end; i++) bits |= inuseMap[i];
      if (bits !== 0) BUG(fn, `free slab slot ${slot} has bits in its in-use map`);
    }
  }
}

/** The in-use map of `slot` marks exactly its objects that are on neither freelist (`mark` 0). */
function verifyInuseMap(sl: Slub, s: KmemCache, slot: number, mark: Uint8Array): void {
  const m = sl.meta;
  const map = m.inuseMap;
  const words = INUSE_MAP_WORDS;
  const base = slot * words;
  let bits = 0;
  for (let i = 0; i < words; i++) for (let v = map[base + i] >>> 0; v !== 0; v = (v & (v - 1)) >>> 0) bits++;
  if (!s.inuseMapped) {
    if (bits !== 0) BUG("slub.verify", `${s.name}: slab slot ${slot} is not mapped but has ${bits} in-use bits`);
    return;
  }
  const first = m.head[slot] * PAGE_SIZE + s.redLeftPad;
  const size = s.size;
  const objects = m.objects[slot];
  const retired = s.debug && m.frozen[slot] !== 0;
  let inUse = 0;
  for (let i = 0; i < objects; i++) {
    const p = first + i * size;
    const isFree = mark[i] !== 0;
    const set = (map[base + ((p >>> 8) & 127)] & (1 << ((p >>> 3) & 31))) !== 0;
    // A slab slub_debug retired ("Marking all objects used") holds objects nobody was given.
    if (set === isFree && !(retired && !set)) BUG("slub.verify", `${s.name}: object 0x${p.toString(16)} is ${isFree ? "free" : "allocated"} but its in-use bit is ${set ? "set" : "clear"}`);
    if (set) inUse++;
  }
  if (bits !== inUse) BUG("slub.verify", `${s.name}: slab slot ${slot} has ${bits} in-use bits for ${inUse} allocated objects`);
}
