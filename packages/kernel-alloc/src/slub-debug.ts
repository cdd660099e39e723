// slub_debug (mm/slub.c under CONFIG_SLUB_DEBUG): red zones, poisoning, alloc/free tracking
// and consistency checks, reported in Linux's words to the kernel log. Debug caches never use
// per-CPU slabs: every alloc and free goes through the node lists one object at a time
// (alloc_single_from_partial, free_to_partial_list), so each one can be checked.
// Not modelled: stack depot traces (tracks keep the caller only), KASAN metadata, slab_errors
// counting for KUnit (errors are counted in `errors` instead).
//
//   object states (SLAB_RED_ZONE | SLAB_POISON):   free: bb..bb | 6b 6b ... 6b a5 | bb..
//                                                   allocated: cc..cc | (contents) | cc..
import { PAGE_SIZE } from "@mmsim/base";
import type { KmemCache } from "./kmem-cache";
import { ON_NO_LIST, ON_NODE_PARTIAL } from "./internal/slab-meta";
import {
  __OBJECT_POISON, POISON_END, POISON_FREE, POISON_INUSE, SLAB_CONSISTENCY_CHECKS, SLAB_POISON,
  SLAB_RED_ZONE, SLAB_STORE_USER, SLUB_RED_ACTIVE, SLUB_RED_INACTIVE,
} from "./slab-flags";
import { infoEnd, TRACK_SIZE } from "./slub-layout";
import { kptr } from "./internal/format";
import { SlubDebugReports } from "./slub-debug-report";

export class SlubDebug extends SlubDebugReports {
  // ---- the debug alloc/free paths ------------------------------------------------------------

  alloc(s: KmemCache, gfp: number, origSize: number, caller: string): number {
    const sl = this.slub;
    let obj = 0;
    for (let slot = s.partialHead[0]; slot >= 0 && obj === 0;) {
      const next = sl.meta.lruNext[slot];
      obj = this.allocSingleFromPartial(s, slot, origSize);
      slot = next;
    }
    if (obj === 0) {
      const slot = sl.newSlab(s, gfp, 0);
      if (slot < 0) return 0;
      sl.addToAll(s, slot);
      const m = sl.meta;
      obj = m.freelist[slot];
      m.freelist[slot] = sl.fp.get(s, obj, s.offset);
      m.inuse[slot] = 1;
      if (!this.allocDebugProcessing(s, slot, obj, origSize)) return 0;
      if (m.inuse[slot] !== m.objects[slot]) sl.addPartial(s, 0, slot, false);
    }
    if (s.flags & SLAB_STORE_USER) this.setTrack(s, obj, 0, caller);
    return obj;
  }

  private allocSingleFromPartial(s: KmemCache, slot: number, origSize: number): number {
    const sl = this.slub;
    const m = sl.meta;
    const obj = m.freelist[slot];
    if (!this.checkValidPointer(s, slot, obj)) {
      this.objectErr(s, slot, obj, "Freelist Pointer check fails");
      this.markAllUsed(s, slot);
      sl.removePartial(s, 0, slot);
      return 0;
    }
    m.freelist[slot] = sl.fp.get(s, obj, s.offset);
    m.inuse[slot]++;
    if (!this.allocDebugProcessing(s, slot, obj, origSize)) {
      if (m.where[slot] === ON_NODE_PARTIAL) sl.removePartial(s, 0, slot);
      return 0;
    }
    if (m.inuse[slot] === m.objects[slot]) sl.removePartial(s, 0, slot);
    return obj;
  }

  private allocDebugProcessing(s: KmemCache, slot: number, obj: number, origSize: number): boolean {
    if (s.flags & SLAB_CONSISTENCY_CHECKS) {
      if (!this.checkSlab(s, slot) || !this.checkObject(s, slot, obj, SLUB_RED_INACTIVE)) {
        this.markAllUsed(s, slot);
        return false;
      }
    }
    this.setOrigSize(s, obj, origSize);
    this.initObject(s, obj, SLUB_RED_ACTIVE);
    return true;
  }

  private markAllUsed(s: KmemCache, slot: number): void {
    const m = this.slub.meta;
    this.slabFix(s, "Marking all objects used");
    m.inuse[slot] = m.objects[slot];
    m.freelist[slot] = 0;
    m.frozen[slot] = 1;
  }

  /** free_to_partial_list: checks the object, then puts it back on its slab's freelist; false when the checks refused it (reported, not freed). */
  free(s: KmemCache, slot: number, obj: number, caller: string): boolean {
    const sl = this.slub;
    const m = sl.meta;
    if (!this.freeDebugProcessing(s, slot, obj, caller)) return false;
    const prior = m.freelist[slot];
    m.inuse[slot]--;
    sl.fp.set(s, obj, s.offset, prior);
    m.freelist[slot] = obj;
    const slabFree = m.inuse[slot] === 0 && s.nrPartial[0] >= s.minPartial;
    if (prior === 0) {
      if (!slabFree) sl.addPartial(s, 0, slot, true);
    } else if (slabFree && m.where[slot] === ON_NODE_PARTIAL) sl.removePartial(s, 0, slot);
    if (slabFree) sl.discardSlab(s, slot);
    return true;
  }

  private freeDebugProcessing(s: KmemCache, slot: number, obj: number, caller: string): boolean {
    const m = this.slub.meta;
    let ok = false;
    check: {
      if ((s.flags & SLAB_CONSISTENCY_CHECKS) && !this.checkSlab(s, slot)) break check;
      if (m.inuse[slot] < 1) {
        this.slabErr(s, slot, `Slab has ${m.inuse[slot]} allocated objects but 1 are to be freed`);
        break check;
      }
      if (s.flags & SLAB_CONSISTENCY_CHECKS) {
        if (!this.checkValidPointer(s, slot, obj)) {
          this.slabErr(s, slot, `Invalid object pointer 0x${kptr(this.slub, obj)}`);
          break check;
        }
        if (this.onFreelist(s, slot, obj)) {
          this.objectErr(s, slot, obj, "Object already free");
          break check;
        }
        if (!this.checkObject(s, slot, obj, SLUB_RED_ACTIVE)) break check;
      }
      if (s.flags & SLAB_STORE_USER) this.setTrack(s, obj, 1, caller);
      this.initObject(s, obj, SLUB_RED_INACTIVE);
      ok = true;
    }
    if (!ok) this.slabFix(s, `Object at 0x${kptr(this.slub, obj)} not freed`);
    return ok;
  }

  // ---- slab and object setup ----------------------------------------------------------------

  /** setup_slab_debug: a poisoned cache's new slab starts as all POISON_INUSE. */
  setupSlab(s: KmemCache, base: number, order: number): void {
    if (s.flags & SLAB_POISON) this.slub.ram.fill(base, PAGE_SIZE * 2 ** order, POISON_INUSE);
  }

  /** setup_object_debug: red zones and poison of a free object, empty tracks. */
  setupObject(s: KmemCache, p: number): void {
    if (!(s.flags & (SLAB_STORE_USER | SLAB_RED_ZONE | __OBJECT_POISON))) return;
    this.initObject(s, p, SLUB_RED_INACTIVE);
    if (s.flags & SLAB_STORE_USER) this.slub.ram.fill(p + infoEnd(s), 2 * TRACK_SIZE, 0);
  }

  /** init_object: red zones to `val`, the object poisoned (only up to the kmalloc request when allocated). */
  initObject(s: KmemCache, p: number, val: number): void {
    const ram = this.slub.ram;
    let poisonSize = s.objectSize;
    if (s.flags & SLAB_RED_ZONE) {
      ram.fill(p - s.redLeftPad, s.redLeftPad, val);
      if (this.origSizeKept(s) && val === SLUB_RED_ACTIVE) poisonSize = this.getOrigSize(s, p);
    }
    if (s.flags & __OBJECT_POISON) {
      ram.fill(p, poisonSize - 1, POISON_FREE);
      ram.writeU8(p + poisonSize - 1, POISON_END);
    }
    if (s.flags & SLAB_RED_ZONE) ram.fill(p + poisonSize, s.inuse - poisonSize, val);
  }

  // ---- checks ---------------------------------------------------------------------------------

  private checkSlab(s: KmemCache, slot: number): boolean {
    const m = this.slub.meta;
    const max = Math.floor((PAGE_SIZE * 2 ** m.order[slot]) / s.size);
    if (m.objects[slot] > max) return this.slabErr(s, slot, `objects ${m.objects[slot]} > max ${max}`), false;
    if (m.inuse[slot] > m.objects[slot]) return this.slabErr(s, slot, `inuse ${m.inuse[slot]} > max ${m.objects[slot]}`), false;
    if (m.frozen[slot]) return this.slabErr(s, slot, "Slab disabled since SLUB metadata consistency check failed"), false;
    this.slabPadCheck(s, slot);
    return true;
  }

  private slabPadCheck(s: KmemCache, slot: number): void {
    if (!(s.flags & SLAB_POISON)) return;
    const ram = this.slub.ram;
    const m = this.slub.meta;
    const start = m.head[slot] * PAGE_SIZE;
    const length = PAGE_SIZE * 2 ** m.order[slot];
    const remainder = length % s.size;
    if (!remainder) return;
    const pad = start + length - remainder;
    let fault = -1;
    const padBytes = ram.read(pad, remainder);
    for (let i = 0; i < remainder; i++) if (padBytes[i] !== POISON_INUSE) { fault = pad + i; break; }
    if (fault < 0) return;
    let end = start + length;
    while (end > fault && ram.readU8(end - 1) === POISON_INUSE) end--;
    this.slabBug(s, `Padding overwritten. 0x${kptr(this.slub, fault)}-0x${kptr(this.slub, end - 1)} @offset=${fault - start}`);
    this.section("Padding ", pad, remainder);
    this.slabErrTail(slot);
    this.restoreBytes(s, "slab padding", POISON_INUSE, fault, end);
  }

  /** check_object: red zones, poison and padding of object `p` against state `val`. */
  checkObject(s: KmemCache, slot: number, p: number, val: number): boolean {
    let ok = true;
    const end = p + s.objectSize;
    if (s.flags & SLAB_RED_ZONE) {
      if (!this.checkBytes(s, slot, p, "Left Redzone", p - s.redLeftPad, val, s.redLeftPad, ok)) ok = false;
      if (!this.checkBytes(s, slot, p, "Right Redzone", end, val, s.inuse - s.objectSize, ok)) ok = false;
      if (this.origSizeKept(s) && val === SLUB_RED_ACTIVE) {
        const orig = this.getOrigSize(s, p);
        if (s.objectSize > orig && !this.checkBytes(s, slot, p, "kmalloc Redzone", p + orig, val, s.objectSize - orig, ok)) ok = false;
      }
    } else if ((s.flags & SLAB_POISON) && s.objectSize < s.inuse) {
      if (!this.checkBytes(s, slot, p, "Alignment padding", end, POISON_INUSE, s.inuse - s.objectSize, ok)) ok = false;
    }
    if (s.flags & SLAB_POISON) {
      if (val !== SLUB_RED_ACTIVE && (s.flags & __OBJECT_POISON)) {
        if (!this.checkBytes(s, slot, p, "Poison", p, POISON_FREE, s.objectSize - 1, ok)) ok = false;
        if (!this.checkBytes(s, slot, p, "End Poison", p + s.objectSize - 1, POISON_END, 1, ok)) ok = false;
      }
      if (!this.checkPadBytes(s, slot, p)) ok = false;
    }
    if ((s.offset >= s.inuse || val !== SLUB_RED_ACTIVE) && !this.checkValidPointer(s, slot, this.slub.fp.get(s, p, s.offset))) {
      this.objectErr(s, slot, p, "Freepointer corrupt");
      this.slub.fp.set(s, p, s.offset, 0);
      ok = false;
    }
    return ok;
  }

  private checkPadBytes(s: KmemCache, slot: number, p: number): boolean {
    const off = this.metaEnd(s);
    const sizeFromObject = s.size - s.redLeftPad;
    if (sizeFromObject === off) return true;
    return this.checkBytes(s, slot, p, "Object padding", p + off, POISON_INUSE, sizeFromObject - off, true);
  }

  /** check_bytes_and_report: finds bytes that are not `value`, reports and restores them. */
  private checkBytes(s: KmemCache, slot: number, obj: number, what: string, start: number, value: number, bytes: number, print: boolean): boolean {
    const ram = this.slub.ram;
    let fault = -1;
    // One copy of the range, not a Ram call per byte (objects reach 8 KiB).
    const got = bytes > 0 ? ram.read(start, bytes) : null;
    for (let i = 0; i < bytes; i++) if (got![i] !== value) { fault = start + i; break; }
    if (fault < 0) return true;
    let end = start + bytes;
    while (end > fault && ram.readU8(end - 1) === value) end--;
    const base = this.slub.meta.head[slot] * PAGE_SIZE;
    this.slub.printk.log(`[${what} overwritten] 0x${kptr(this.slub, fault)}-0x${kptr(this.slub, end - 1)} @offset=${fault - base}. First byte 0x${ram.readU8(fault).toString(16)} instead of 0x${value.toString(16)}`);
    if (print) this.objectErr(s, slot, obj, "Object corrupt");
    this.restoreBytes(s, what, value, fault, end);
    return false;
  }

  private restoreBytes(s: KmemCache, what: string, value: number, from: number, to: number): void {
    this.slabFix(s, `Restoring ${what} 0x${kptr(this.slub, from)}-0x${kptr(this.slub, to - 1)}=0x${value.toString(16)}`);
    this.slub.ram.fill(from, to - from, value);
  }

  /** on_freelist: true when `search` is on the slab's freelist (repairs a broken chain as Linux does). */
  onFreelist(s: KmemCache, slot: number, search: number): boolean {
    const sl = this.slub;
    const m = sl.meta;
    let nr = 0;
    let fp = m.freelist[slot];
    let object = 0;
    while (fp !== 0 && nr <= m.objects[slot]) {
      if (fp === search) return true;
      if (!this.checkValidPointer(s, slot, fp)) {
        if (object !== 0) {
          this.objectErr(s, slot, object, "Freechain corrupt");
          sl.fp.set(s, object, s.offset, 0);
          break;
        }
        this.slabErr(s, slot, "Freepointer corrupt");
        m.freelist[slot] = 0;
        m.inuse[slot] = m.objects[slot];
        this.slabFix(s, "Freelist cleared");
        return false;
      }
      object = fp;
      fp = sl.fp.get(s, object, s.offset);
      nr++;
    }
    if (nr > m.objects[slot]) {
      this.slabErr(s, slot, "Freelist cycle detected");
      m.freelist[slot] = 0;
      m.inuse[slot] = m.objects[slot];
      this.slabFix(s, "Freelist cleared");
      return false;
    }
    if (m.inuse[slot] !== m.objects[slot] - nr) {
      this.slabErr(s, slot, `Wrong object count. Counter is ${m.inuse[slot]} but counted were ${m.objects[slot] - nr}`);
      m.inuse[slot] = m.objects[slot] - nr;
      this.slabFix(s, "Object count adjusted");
    }
    return search === 0;
  }

  /** validate_slab_cache: checks every slab of `s`; returns the number of reports it logged. */
  validate(s: KmemCache): number {
    const before = this.errors;
    for (let cpu = 0; cpu < this.slub.opts.nrCpus; cpu++) this.slub.flushCpu(s, cpu);
    const m = this.slub.meta;
    for (const slot of this.slub.slabsOf(s)) {
      if (m.where[slot] === ON_NO_LIST && !(s.flags & SLAB_STORE_USER)) continue; // full slabs are only listed with U
      if (!this.checkSlab(s, slot) || !this.onFreelist(s, slot, 0)) continue;
      const free = new Set<number>();
      for (let p = m.freelist[slot]; p !== 0; p = this.slub.fp.get(s, p, s.offset)) free.add(p);
      const first = m.head[slot] * PAGE_SIZE + s.redLeftPad;
      for (let i = 0; i < m.objects[slot]; i++) {
        const p = first + i * s.size;
        if (!this.checkObject(s, slot, p, free.has(p) ? SLUB_RED_INACTIVE : SLUB_RED_ACTIVE)) break;
      }
    }
    return this.errors - before;
  }

  /** list_slab_objects: a slab still holding objects at kmem_cache_destroy. */
  listSlabObjects(s: KmemCache, slot: number): void {
    const m = this.slub.meta;
    this.slabBug(s, "Objects remaining on __kmem_cache_shutdown()");
    const free = new Set<number>();
    for (let p = m.freelist[slot]; p !== 0; p = this.slub.fp.get(s, p, s.offset)) free.add(p);
    const base = m.head[slot] * PAGE_SIZE;
    for (let i = 0; i < m.objects[slot]; i++) {
      const p = base + s.redLeftPad + i * s.size;
      if (free.has(p)) continue;
      this.slub.printk.log(`Object 0x${kptr(this.slub, p)} @offset=${p - base}`);
      this.printTracking(s, p);
    }
    this.slabErrTail(slot);
  }
}
