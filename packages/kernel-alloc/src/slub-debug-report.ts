// slub_debug's bookkeeping and words (mm/slub.c): alloc/free tracks and the kmalloc request
// size stored after each object, and the reports: the "BUG <cache> (<taint>): <reason>"
// banner, print_trailer with its hex sections, "FIX <cache>: ..." lines and WARN taints.
// The checks that call them are in slub-debug.ts.
import { PAGE_SIZE } from "@mmsim/base";
import type { KmemCache } from "./kmem-cache";
import { TAINT_BAD_PAGE, TAINT_WARN } from "./printk";
import { SLAB_KMALLOC, SLAB_RED_ZONE, SLAB_STORE_USER } from "./slab-flags";
import { infoEnd, ORIG_SIZE_SIZE, TRACK_SIZE } from "./slub-layout";
import type { Slub } from "./slub";
import { hexDump, kptr } from "./internal/format";

/** Fake kernel text base for call sites stored in tracks: each caller name gets 16 bytes. */
const CALLER_TEXT_BASE_LO = 0x81000000;
const CALLER_TEXT_HI = 0xffffffff;

export abstract class SlubDebugReports {
  /** reports logged (each "BUG" header counts one) */
  errors = 0;
  /** the pid stored in tracks (the kernel sets it to the current task's) */
  pid = 0;
  protected readonly callers: string[] = [];
  protected readonly callerIds = new Map<string, number>();

  constructor(protected readonly slub: Slub) {}

  origSizeKept(s: KmemCache): boolean {
    return (s.flags & SLAB_STORE_USER) !== 0 && (s.flags & SLAB_KMALLOC) !== 0;
  }

  setOrigSize(s: KmemCache, p: number, size: number): void {
    if (this.origSizeKept(s)) this.slub.ram.writeU32(p + infoEnd(s) + 2 * TRACK_SIZE, size);
  }

  getOrigSize(s: KmemCache, p: number): number {
    return this.origSizeKept(s) ? this.slub.ram.readU32(p + infoEnd(s) + 2 * TRACK_SIZE) : s.objectSize;
  }

  /** set_track: caller, CPU, pid and jiffies of the last alloc (which 0) or free (1). */
  setTrack(s: KmemCache, p: number, which: number, caller: string): void {
    const ram = this.slub.ram;
    const t = p + infoEnd(s) + which * TRACK_SIZE;
    let id = this.callerIds.get(caller);
    if (id === undefined) {
      id = this.callers.length;
      this.callers.push(caller);
      this.callerIds.set(caller, id);
    }
    ram.writeU32(t, CALLER_TEXT_BASE_LO + id * 16);
    ram.writeU32(t + 4, CALLER_TEXT_HI);
    ram.writeU32(t + 8, this.slub.cpu);
    ram.writeU32(t + 12, this.pid);
    ram.writeU64(t + 16, this.slub.opts.clock.jiffies);
  }

  /** The caller stored in a track, or null when the track is empty. */
  trackCaller(s: KmemCache, p: number, which: number): { caller: string; cpu: number; pid: number; when: number } | null {
    const ram = this.slub.ram;
    const t = p + infoEnd(s) + which * TRACK_SIZE;
    const lo = ram.readU32(t);
    if (lo === 0 && ram.readU32(t + 4) === 0) return null;
    const id = (lo - CALLER_TEXT_BASE_LO) / 16;
    return { caller: this.callers[id] ?? `0x${lo.toString(16)}`, cpu: ram.readU32(t + 8), pid: ram.readU32(t + 12), when: ram.readU64(t + 16) };
  }

  /** check_valid_pointer: NULL, or the address of one of the slab's objects. */
  checkValidPointer(s: KmemCache, slot: number, pa: number): boolean {
    if (pa === 0) return true;
    const base = this.slub.meta.head[slot] * PAGE_SIZE;
    const q = pa - s.redLeftPad;
    return q >= base && q < base + this.slub.meta.objects[slot] * s.size && (q - base) % s.size === 0;
  }

  protected metaEnd(s: KmemCache): number {
    let off = infoEnd(s);
    if (s.flags & SLAB_STORE_USER) off += 2 * TRACK_SIZE + ((s.flags & SLAB_KMALLOC) ? ORIG_SIZE_SIZE : 0);
    return off;
  }

  // ---- reports ----------------------------------------------------------------------------------

  protected slabBug(s: KmemCache | null, msg: string): void {
    const log = this.slub.printk;
    this.errors++;
    log.log("=============================================================================");
    log.log(`BUG ${s ? s.name : "<unknown>"} (${log.printTainted()}): ${msg}`);
    log.log("-----------------------------------------------------------------------------");
    log.log("");
  }

  protected slabFix(s: KmemCache, msg: string): void {
    this.slub.printk.log(`FIX ${s.name}: ${msg}`);
  }

  protected objectErr(s: KmemCache, slot: number, obj: number, reason: string): void {
    this.slabBug(s, reason);
    if (obj === 0 || !this.checkValidPointer(s, slot, obj)) {
      this.printSlabInfo(slot);
      this.slub.printk.log(`Invalid pointer 0x${kptr(this.slub, obj)}`);
    } else this.printTrailer(s, slot, obj);
    this.slub.printk.addTaint(TAINT_BAD_PAGE);
    this.warnOn("object_err");
  }

  /**
   * free_debug_processing()'s report of a double free: object_err(..., "Object already free")
   * and slab_fix's "Object at ... not freed". Also used for the free map's finds (slub-free-check.ts).
   */
  reportAlreadyFree(s: KmemCache, slot: number, obj: number): void {
    this.objectErr(s, slot, obj, "Object already free");
    this.slabFix(s, `Object at 0x${kptr(this.slub, obj)} not freed`);
  }

  /** free_consistency_checks()'s report of an address that is no object of the slab, and the fix. */
  reportInvalidPointer(s: KmemCache, slot: number, obj: number): void {
    this.slabErr(s, slot, `Invalid object pointer 0x${kptr(this.slub, obj)}`);
    this.slabFix(s, `Object at 0x${kptr(this.slub, obj)} not freed`);
  }

  protected slabErr(s: KmemCache, slot: number, msg: string): boolean {
    this.slabBug(s, msg);
    this.slabErrTail(slot);
    return false;
  }

  protected slabErrTail(slot: number): void {
    this.printSlabInfo(slot);
    this.slub.printk.addTaint(TAINT_BAD_PAGE);
    this.warnOn("__slab_err");
  }

  /** WARN(): the cut-here banner, the message, and the W taint. */
  warn(msg: string): void {
    this.slub.printk.log("------------[ cut here ]------------");
    this.slub.printk.log(msg);
    this.warnOn(msg.split(" ")[0].replace(/:$/, ""));
  }

  protected warnOn(fn: string): void {
    this.slub.printk.log(`WARNING: CPU: ${this.slub.cpu} PID: ${this.pid} at ${fn}`);
    this.slub.printk.addTaint(TAINT_WARN);
  }

  protected printSlabInfo(slot: number): void {
    const m = this.slub.meta;
    const slabAddr = kptr(this.slub, -1, m.head[slot]);
    this.slub.printk.log(`Slab 0x${slabAddr} objects=${m.objects[slot]} used=${m.inuse[slot]} fp=0x${kptr(this.slub, m.freelist[slot])} flags=${this.slub.pageFlagsText(m.head[slot], m.order[slot])}`);
  }

  protected printTracking(s: KmemCache, p: number): void {
    if (!(s.flags & SLAB_STORE_USER)) return;
    const now = this.slub.opts.clock.jiffies;
    for (const [which, label] of [[0, "Allocated"], [1, "Freed"]] as const) {
      const t = this.trackCaller(s, p, which);
      if (t) this.slub.printk.log(`${label} in ${t.caller} age=${now - t.when} cpu=${t.cpu} pid=${t.pid}`);
    }
  }

  protected printTrailer(s: KmemCache, slot: number, p: number): void {
    const sl = this.slub;
    const base = sl.meta.head[slot] * PAGE_SIZE;
    this.printTracking(s, p);
    this.printSlabInfo(slot);
    sl.printk.log(`Object 0x${kptr(sl, p)} @offset=${p - base} fp=0x${kptr(sl, sl.fp.get(s, p, s.offset))}`);
    sl.printk.log("");
    if (s.flags & SLAB_RED_ZONE) this.section("Redzone  ", p - s.redLeftPad, s.redLeftPad);
    else if (p > base + 16) this.section("Bytes b4 ", p - 16, 16);
    this.section("Object   ", p, Math.min(s.objectSize, PAGE_SIZE));
    if (s.flags & SLAB_RED_ZONE) this.section("Redzone  ", p + s.objectSize, s.inuse - s.objectSize);
    const off = this.metaEnd(s);
    const sizeFromObject = s.size - s.redLeftPad;
    if (off !== sizeFromObject) this.section("Padding  ", p + off, sizeFromObject - off);
  }

  protected section(text: string, pa: number, len: number): void {
    for (const line of hexDump(this.slub.ram, pa, len, this.slub.fp.pageOffset, this.slub.opts.vaBits)) this.slub.printk.log(text + line);
  }
}
