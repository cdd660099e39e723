// How SLUB catches a bad free, and what it prints (mm/slub.c): the hardened freelist's naive
// double-free check in set_freepointer() (an Oops: "kernel BUG at mm/slub.c:N!"), slub_debug's
// "Object already free" report (free_consistency_checks -> object_err), and cache_from_obj's
// "Object is not a Slab page!" WARNING. Each one throws KernelBug carrying the lines it logged;
// the object is not freed, so the allocator stays consistent (verify() holds after the throw).
//
// Linux finds a double free of an object that is not the head of its freelist only with
// slub_debug F; without it the freelist silently becomes a cycle and the same object is handed
// out twice. mmsim never lets that happen: SLUB's in-use map (internal/slab-meta.ts) knows
// every allocated object, and any other free is reported as slub_debug would report it
// ("Object already free", "Invalid object pointer").
import { KernelBug } from "@mmsim/base";
import { kptr } from "./internal/format";
import { INUSE_MAP_WORDS } from "./internal/slab-meta";
import { TAINT_DIE } from "./printk";
import type { KmemCache } from "./kmem-cache";
import type { Slub } from "./slub";

/**
 * The line of `BUG_ON(object == fp)` in set_freepointer() in v6.18's mm/slub.c, which the
 * Oops names. Not checked against a v6.18 tree (none was reachable from this project): an
 * estimate from the function's place in the file; the report is otherwise Linux's.
 */
export const SET_FREEPOINTER_BUG_LINE = 492;

/**
 * True when `obj` is an object of slab `slot` that is allocated (handed out, not yet freed):
 * the in-use map's bit; for caches whose slabs the map does not cover, a valid object address
 * found on none of the freelists it could be on (bounded walks).
 */
export function objectInUse(sl: Slub, s: KmemCache, slot: number, obj: number): boolean {
  if (s.inuseMapped) return (sl.meta.inuseMap[slot * INUSE_MAP_WORDS + ((obj >>> 8) & 127)] & (1 << ((obj >>> 3) & 31))) !== 0;
  if (!sl.debugger.checkValidPointer(s, slot, obj)) return false;
  const m = sl.meta;
  const limit = m.objects[slot];
  let n = 0;
  for (let p = m.freelist[slot]; p !== 0 && n <= limit; p = sl.fp.get(s, p, s.offset), n++) if (p === obj) return false;
  for (let cpu = 0; cpu < s.cpuSlab.length; cpu++) {
    if (s.cpuSlab[cpu] !== slot) continue;
    n = 0;
    for (let p = s.cpuFreelist[cpu]; p !== 0 && n <= limit; p = sl.fp.get(s, p, s.offset), n++) if (p === obj) return false;
  }
  return true;
}

/** Records in the in-use map that `obj` of `slot` was handed out. */
export function markInUse(sl: Slub, s: KmemCache, slot: number, obj: number): void {
  if (s.inuseMapped) sl.meta.inuseMap[slot * INUSE_MAP_WORDS + ((obj >>> 8) & 127)] |= 1 << ((obj >>> 3) & 31);
}

/** Records in the in-use map that `obj` of `slot` went back on a freelist. */
export function markFree(sl: Slub, s: KmemCache, slot: number, obj: number): void {
  if (s.inuseMapped) sl.meta.inuseMap[slot * INUSE_MAP_WORDS + ((obj >>> 8) & 127)] &= ~(1 << ((obj >>> 3) & 31));
}

/**
 * A free of `obj` in slab `slot` that is not an allocated object: an Oops when the hardened
 * freelist's naive check sees it (it is the head of the freelist it would go on), else
 * slub_debug's "Invalid object pointer" or "Object already free" report. Always throws.
 */
export function badFree(sl: Slub, s: KmemCache, slot: number, obj: number, caller: string): never {
  if (sl.fp.hardened) {
    const cpu = sl.cpu;
    const head = slot === s.cpuSlab[cpu] ? s.cpuFreelist[cpu] : sl.meta.freelist[slot];
    if (head === obj) naiveDoubleFree(sl, s, obj, caller);
  }
  if (!sl.debugger.checkValidPointer(s, slot, obj)) invalidObjectPointer(sl, s, slot, obj);
  objectAlreadyFree(sl, s, slot, obj);
}

/** The lines logged since `from`, as a KernelBug's report. */
function since(sl: Slub, from: number): string[] {
  return sl.printk.lines.slice(from);
}

/**
 * set_freepointer()'s BUG_ON(object == fp) under CONFIG_SLAB_FREELIST_HARDENED: `obj` is
 * already the head of the freelist it is being pushed on. Logs the Oops (report_bug's cut-here
 * line and "kernel BUG at", then die()'s header, the CPU line, RIP and call trace; no register
 * dump, there are no registers) and throws.
 */
export function naiveDoubleFree(sl: Slub, s: KmemCache, obj: number, caller: string): never {
  const log = sl.printk;
  const from = log.lines.length;
  const fromFn = caller === "" ? "kmem_cache_free" : caller;
  log.log("------------[ cut here ]------------");
  log.log(`kernel BUG at mm/slub.c:${SET_FREEPOINTER_BUG_LINE}!`);
  // __die_header(): "Oops: <str>: <err> [#n]" and the kernel's build features.
  log.log(`Oops: invalid opcode: 0000 [#${++sl.oopses}] PREEMPT SMP NOPTI`);
  log.log(`CPU: ${sl.cpu} UID: 0 PID: ${sl.debugger.pid} Comm: mmsim ${log.printTainted()}`);
  log.log("RIP: 0010:set_freepointer");
  log.log("Call Trace:");
  log.log(" <TASK>");
  log.log(` ${fromFn}`);
  log.log(" </TASK>");
  log.log("---[ end trace 0000000000000000 ]---");
  log.addTaint(TAINT_DIE);
  throw new KernelBug(`double free or corruption of 0x${kptr(sl, obj)} in ${s.name}: kernel BUG at mm/slub.c:${SET_FREEPOINTER_BUG_LINE}! (set_freepointer)`, since(sl, from), "set_freepointer");
}

/**
 * A double free found by the in-use map:
 * object_err(s, slab, object, "Object already free") and slab_fix's "Object at ... not freed",
 * as free_debug_processing() prints them, then the throw.
 */
export function objectAlreadyFree(sl: Slub, s: KmemCache, slot: number, obj: number): never {
  const from = sl.printk.lines.length;
  sl.debugger.reportAlreadyFree(s, slot, obj);
  throw new KernelBug(`double free of 0x${kptr(sl, obj)} in ${s.name}: Object already free`, since(sl, from), "free_consistency_checks");
}

/**
 * A free of an address inside slab `slot` that is no object's start: free_consistency_checks'
 * slab_err "Invalid object pointer" and the "not freed" fix, then the throw.
 */
export function invalidObjectPointer(sl: Slub, s: KmemCache, slot: number, obj: number): never {
  const from = sl.printk.lines.length;
  sl.debugger.reportInvalidPointer(s, slot, obj);
  throw new KernelBug(`free of 0x${kptr(sl, obj)} in ${s.name}, which is not the address of an object: Invalid object pointer`, since(sl, from), "free_consistency_checks");
}

/** A slub_debug free check that refused the object (its report is already logged). */
export function debugFreeRefused(sl: Slub, s: KmemCache, obj: number, from: number): never {
  const report = since(sl, from);
  const reason = /^BUG [^(]*\([^)]*\): (.*)$/.exec(report.find((l) => l.startsWith("BUG ")) ?? "")?.[1] ?? "refused by slub_debug";
  throw new KernelBug(`bad free of 0x${kptr(sl, obj)} in ${s.name}: ${reason}`, report, "free_debug_processing");
}

/**
 * kmem_cache_free() of a pointer in no slab: virt_to_cache()'s WARN_ONCE "Object is not a Slab
 * page!" (cache_from_obj then returns NULL and nothing is freed), then the throw.
 */
export function notSlabObject(sl: Slub, obj: number, caller: string): never {
  const from = sl.printk.lines.length;
  sl.debugger.warn("virt_to_cache: Object is not a Slab page!");
  const by = caller === "" ? "" : ` (from ${caller})`;
  throw new KernelBug(`kmem_cache_free of 0x${kptr(sl, obj)}, which is not a slab object${by}`, since(sl, from), "virt_to_cache");
}
