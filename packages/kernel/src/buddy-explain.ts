// `mmsim buddy`: drive the buddy allocator with a short list of operations and draw the free
// lists after each one, to watch blocks split (expand) on allocation and merge
// (__free_one_page) on free, as seeds 002/003 explain, and to reach seed 000's point: plenty
// of free memory, yet no free block of order N.
//
// Operations, separated by commas:
//   alloc ORDER [GFP] [xN]    allocate N blocks of 2^ORDER pages (default GFP_KERNEL, N 1);
//                             allocations are numbered #1, #2, ... in order
//   free K | free K-M | free K-M/S   free allocation #K, #K..#M, or every S-th of #K..#M
//   drain                     return every CPU's per-CPU pages to the buddy lists
import { InputError } from "@mmsim/base";
import { GFP_KERNEL, MAX_PAGE_ORDER, MIGRATETYPE_NAMES, MIGRATE_PCPTYPES, formatGfp, gfpCheck, parseGfp, type Zone } from "@mmsim/physical";
import type { Kernel } from "./kernel";

export type BuddyOp =
  | { kind: "alloc"; order: number; gfp: number; count: number; text: string }
  | { kind: "free"; from: number; to: number; stride: number; text: string }
  | { kind: "drain"; text: string };

export interface ZoneSnapshot {
  nid: number;
  zone: string;
  /** free blocks per order, summed over migratetypes (a /proc/buddyinfo row) */
  free: number[];
  /** free blocks per migratetype (rows, MIGRATETYPE_NAMES order) and order (columns) */
  byType: number[][];
  /** pages on the per-CPU lists of all CPUs */
  pcp: number;
  freePages: number;
}

export interface BuddyStep {
  op: string;
  /** one line per allocation or free this op made */
  results: string[];
  zones: ZoneSnapshot[];
}

/**
 * Parses the --ops list. InputError names the operation and what was expected, including a GFP
 * mask with conflicting zone bits or unknown bits (physical's gfpCheck), before anything runs.
 */
export function parseBuddyOps(text: string): BuddyOp[] {
  const ops: BuddyOp[] = [];
  for (const raw of text.split(",")) {
    const t = raw.trim();
    if (!t) continue;
    const words = t.split(/\s+/);
    const bad = (why: string): never => {
      throw new InputError(`invalid operation "${t}": ${why}`, { field: "--ops" });
    };
    if (words[0] === "alloc") {
      const order = Number(words[1]);
      if (!/^\d+$/.test(words[1] ?? "") || order > MAX_PAGE_ORDER) bad(`expected "alloc ORDER [GFP] [xN]" with ORDER from 0 to ${MAX_PAGE_ORDER}`);
      let gfp = GFP_KERNEL;
      let count = 1;
      for (const w of words.slice(2)) {
        if (/^x\d+$/.test(w)) count = Number(w.slice(1));
        else {
          gfp = parseGfp(w, "--ops");
          // a mask the page allocator would BUG on (gfp_zone) is the user's mistake: say which bits
          const problem = gfpCheck(gfp);
          if (problem) bad(problem);
        }
      }
      if (count < 1 || count > 1_000_000) bad("expected a count xN from x1 to x1000000");
      ops.push({ kind: "alloc", order, gfp, count, text: t });
    } else if (words[0] === "free") {
      const m = /^#?(\d+)(?:-#?(\d+)(?:\/(\d+))?)?$/.exec(words[1] ?? "");
      if (!m || words.length > 2) bad('expected "free K", "free K-M" or "free K-M/S" (allocation numbers, from 1)');
      const from = Number(m![1]);
      const to = m![2] ? Number(m![2]) : from;
      const stride = m![3] ? Number(m![3]) : 1;
      if (from < 1 || to < from || stride < 1) bad("expected 1 <= K <= M and S >= 1");
      ops.push({ kind: "free", from, to, stride, text: t });
    } else if (words[0] === "drain" && words.length === 1) {
      ops.push({ kind: "drain", text: t });
    } else bad('expected "alloc ORDER [GFP] [xN]", "free K[-M[/S]]" or "drain"');
  }
  if (ops.length === 0) throw new InputError('no operations: expected a list like "alloc 0, alloc 3, free 1"', { field: "--ops" });
  return ops;
}

/** Marks an allocation number whose block was freed: freeing it again is the user's mistake. */
const FREED = "freed";

/**
 * Runs the ops on `kernel`, snapshotting every populated zone after each. Freeing a number
 * that was never allocated, or one already freed, is an InputError naming the operation (the
 * block may already belong to someone else: Linux would corrupt its free lists).
 */
export function runBuddyOps(kernel: Kernel, ops: BuddyOp[]): BuddyStep[] {
  const phys = kernel.phys;
  // per allocation number: the block, null if the allocation failed, FREED once freed
  const allocs: ({ pfn: number; order: number } | null | typeof FREED)[] = [];
  const freedBy: string[] = [];
  const steps: BuddyStep[] = [{ op: "boot", results: [], zones: snapshot(kernel) }];
  for (const op of ops) {
    const results: string[] = [];
    if (op.kind === "alloc") {
      let failed = 0;
      for (let i = 0; i < op.count; i++) {
        const pfn = phys.allocPages(op.gfp, op.order);
        allocs.push(pfn < 0 ? null : { pfn, order: op.order });
        if (pfn < 0) failed++;
        else if (op.count <= 4) results.push(`#${allocs.length}: ${describeBlock(kernel, pfn, op.order)}`);
      }
      if (op.count > 4) results.push(`#${allocs.length - op.count + 1}..#${allocs.length}: ${op.count - failed} blocks of order ${op.order} allocated${failed ? `, ${failed} failed` : ""}`);
      else if (failed) results.push(`allocation failed: no block of order ${op.order} for ${formatGfp(op.gfp)} above the watermark`);
    } else if (op.kind === "free") {
      let n = 0;
      for (let k = op.from; k <= op.to; k += op.stride) {
        const a = allocs[k - 1];
        if (a === undefined) throw new InputError(`invalid operation "${op.text}": there is no allocation #${k} yet (${allocs.length ? `#1..#${allocs.length} exist` : "nothing was allocated"})`, { field: "--ops" });
        if (a === FREED) throw new InputError(`invalid operation "${op.text}": allocation #${k} was already freed (${freedBy[k - 1]})`, { field: "--ops" });
        if (a === null) continue;
        phys.freePages(a.pfn, a.order);
        allocs[k - 1] = FREED;
        freedBy[k - 1] = `by "${op.text}"`;
        n++;
        if (op.to === op.from) results.push(`#${k}: freed ${describeBlock(kernel, a.pfn, a.order)}`);
      }
      if (op.to !== op.from) results.push(`${n} allocations freed`);
    } else {
      phys.drainAllPages();
      results.push("per-CPU lists drained to the buddy allocator");
    }
    steps.push({ op: op.text, results, zones: snapshot(kernel) });
  }
  return steps;
}

function describeBlock(kernel: Kernel, pfn: number, order: number): string {
  const n = 2 ** order;
  const zone = kernel.phys.pageZone(pfn);
  return `pfn 0x${pfn.toString(16)}${n > 1 ? `-0x${(pfn + n - 1).toString(16)}` : ""} (order ${order}, ${zone?.name ?? "?"})`;
}

function snapshot(kernel: Kernel): ZoneSnapshot[] {
  const out: ZoneSnapshot[] = [];
  for (const node of kernel.phys.nodes) {
    for (const z of node.zones) {
      if (!z.populated) continue;
      out.push({
        nid: node.nid, zone: z.name, free: z.nrFreeByOrder(),
        byType: MIGRATETYPE_NAMES.map((_, mt) => z.freeArea.map((a) => a.count[mt])),
        pcp: z.pcpCount, freePages: z.nrFreePages,
      });
    }
  }
  return out;
}

/** Text of the steps: per zone, the buddyinfo row and its change; with byType, the migratetype rows. */
export function formatBuddySteps(steps: BuddyStep[], opts: { byType?: boolean; zone?: string } = {}): string {
  let s = "";
  let prev: ZoneSnapshot[] | null = null;
  const orders = Array.from({ length: MAX_PAGE_ORDER + 1 }, (_, i) => i);
  for (const step of steps) {
    s += step.op === "boot" ? "after boot:\n" : `\n> ${step.op}\n`;
    for (const r of step.results) s += `  ${r}\n`;
    s += `  ${"order".padEnd(24)}${orders.map((o) => String(o).padStart(6)).join("")}\n`;
    for (const z of step.zones) {
      if (opts.zone && z.zone.toLowerCase() !== opts.zone.toLowerCase()) continue;
      const label = `Node ${z.nid}, zone ${z.zone}`;
      s += `  ${label.padEnd(24)}${z.free.map((n) => String(n).padStart(6)).join("")}   free ${z.freePages} pages, pcp ${z.pcp}\n`;
      const before = prev?.find((p) => p.nid === z.nid && p.zone === z.zone);
      if (before && before.free.some((n, o) => n !== z.free[o])) {
        s += `  ${"  change".padEnd(24)}${z.free.map((n, o) => delta(n - before.free[o]!).padStart(6)).join("")}\n`;
      }
      if (opts.byType) {
        for (let mt = 0; mt < z.byType.length; mt++) {
          if (mt >= MIGRATE_PCPTYPES && z.byType[mt]!.every((n) => n === 0)) continue;
          s += `    ${MIGRATETYPE_NAMES[mt]!.padEnd(22)}${z.byType[mt]!.map((n) => String(n).padStart(6)).join("")}\n`;
        }
      }
    }
    prev = step.zones;
  }
  return s;
}

function delta(d: number): string {
  return d === 0 ? "." : d > 0 ? `+${d}` : String(d);
}

/**
 * The largest order with a free block in `zone`, or -1: with fragmentation, plenty of free
 * pages can still leave no block of a higher order (seed 000).
 */
export function largestFreeOrder(zone: Zone): number {
  for (let o = MAX_PAGE_ORDER; o >= 0; o--) if (zone.freeArea[o]!.nrFree > 0) return o;
  return -1;
}
