// The model of the live "Page replacement" page: a reference string stepped through @mmsim/replay's
// policies, the frames drawn after every step. The package keeps its lists private, so residency is
// read back from it (a fresh policy replays the prefix, then probes one page: a hit = resident).
// FIFO, LRU, CLOCK and OPT are also stepped here with their textbook state (queue, recency, hand
// and use bits, next uses), which must agree with the package step by step.
import { BUG, InputError } from "@mmsim/base";
import { OptPolicy, POLICY_NAMES, createPolicy, nextUses } from "@mmsim/replay";
import type { PolicyName } from "@mmsim/replay";

/** Longest reference string the page accepts (the grid has one column per reference). */
export const MAX_REFS = 64;
/** Most frames the page offers. */
export const MAX_FRAMES = 8;
/** Largest page number accepted in a reference string. */
export const MAX_PAGE = 999;

/** Preset reference strings. */
export const PRESETS = {
  /** Belady, Nelson & Shedler (1969): FIFO misses 9 times with 3 frames and 10 with 4 */
  belady: [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5],
  /** Silberschatz, Operating System Concepts, ch. 10: FIFO 15, LRU 12, OPT 9 misses at 3 frames */
  silberschatz: [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1],
  /** a loop one page larger than memory: LRU and FIFO miss on every reference, OPT does not */
  loop: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3],
} as const;

/** Every policy of the package, in its own order. */
export const POLICIES: readonly PolicyName[] = POLICY_NAMES;

/** The frames after one reference. */
export interface ReplacementStep {
  /** the page referenced */
  page: number;
  hit: boolean;
  /** first reference to this page (a cold miss) */
  cold: boolean;
  /** page held by each frame after the step, -1 for an empty frame */
  slots: number[];
  /** the frame that holds `page` after the step */
  slot: number;
  /** pages evicted by this reference */
  evicted: number[];
  /** misses and hits so far, this step included */
  misses: number;
  hits: number;
  /** CLOCK: the use bit of each frame after the step (null for the other policies) */
  use: number[] | null;
  /** CLOCK: the frame the hand points at after the step, -1 for the other policies */
  hand: number;
  /** OPT: for each frame, the index of its page's next reference after this step, -1 never */
  nextUse: number[] | null;
}

/** A whole run. */
export interface ReplacementRun {
  policy: PolicyName;
  frames: number;
  refs: number[];
  steps: ReplacementStep[];
  misses: number;
  hits: number;
  coldMisses: number;
}

/** Options of a run. */
export interface RunOptions {
  /** CLOCK: the use bit of a newly loaded page (0 as libCacheSim, 1 as the textbooks) */
  clockInitialUse?: 0 | 1;
}

/** Parses "7 0 1, 2" (numbers separated by spaces or commas); bad input is an InputError. */
export function parseRefs(text: string): number[] {
  const words = text.split(/[\s,]+/).filter((w) => w !== "");
  if (words.length === 0) throw new InputError("the reference string is empty");
  if (words.length > MAX_REFS) throw new InputError(`at most ${MAX_REFS} references (got ${words.length})`);
  return words.map((w) => {
    if (!/^\d+$/.test(w) || Number(w) > MAX_PAGE) throw new InputError(`"${w}" is not a page number from 0 to ${MAX_PAGE}`);
    return Number(w);
  });
}

/** Dense ids (order of first reference) for page numbers, as the package's KeyIndex gives. */
function denseIds(refs: readonly number[]): { ids: Int32Array; pages: number[] } {
  const idOf = new Int32Array(MAX_PAGE + 1).fill(-1);
  const pages: number[] = [];
  const ids = new Int32Array(refs.length);
  refs.forEach((p, i) => {
    if (idOf[p] === -1) {
      idOf[p] = pages.length;
      pages.push(p);
    }
    ids[i] = idOf[p]!;
  });
  return { ids, pages };
}

/** Misses of `policy` in `frames` frames over the whole string, counted by @mmsim/replay. */
export function countMisses(policy: PolicyName, frames: number, refs: readonly number[], o: RunOptions = {}): number {
  const { ids, pages } = denseIds(refs);
  const p = createPolicy(policy, frames, { clockInitialUse: o.clockInitialUse ?? 0 });
  p.reserve(pages.length);
  p.access(ids, ids.length);
  if (p instanceof OptPolicy) p.simulate(ids, ids.length, nextUses(ids, ids.length, pages.length), pages.length);
  return p.misses;
}

/** Which pages (dense ids) the package's policy holds after replaying ids[0..n). */
function residentAfter(policy: PolicyName, frames: number, ids: Int32Array, n: number, distinct: number, o: RunOptions): boolean[] {
  const out: boolean[] = [];
  const probe = new Int32Array(1);
  for (let id = 0; id < distinct; id++) {
    const p = createPolicy(policy, frames, { clockInitialUse: o.clockInitialUse ?? 0 });
    p.reserve(distinct);
    p.access(ids, n);
    const hits = p.hits;
    probe[0] = id;
    p.access(probe, 1);
    out.push(p.hits > hits);
  }
  return out;
}

/** Textbook state of FIFO, LRU, CLOCK and OPT, stepped one reference at a time. */
class TextbookModel {
  /** page id per frame, -1 empty */
  readonly slots: number[];
  /** FIFO: frames in load order; LRU: frames from least to most recently used */
  private order: number[] = [];
  readonly use: number[];
  hand = 0;

  constructor(
    private readonly policy: "fifo" | "lru" | "clock" | "opt",
    frames: number,
    private readonly initialUse: 0 | 1,
  ) {
    this.slots = new Array<number>(frames).fill(-1);
    this.use = new Array<number>(frames).fill(0);
  }

  /** References dense id `x` (OPT reads next uses from nextOf); returns the frame it is in and the evicted id or -1. */
  step(x: number, nextOf: number[]): { hit: boolean; slot: number; victim: number } {
    const at = this.slots.indexOf(x);
    if (at >= 0) {
      if (this.policy === "lru") {
        this.order.splice(this.order.indexOf(at), 1);
        this.order.push(at);
      }
      if (this.policy === "clock") this.use[at] = 1;
      return { hit: true, slot: at, victim: -1 };
    }
    let slot = this.slots.indexOf(-1);
    let victim = -1;
    if (slot < 0) {
      if (this.policy === "clock") {
        // the hand clears set use bits (a second chance) until it finds a clear one
        while (this.use[this.hand] === 1) {
          this.use[this.hand] = 0;
          this.hand = (this.hand + 1) % this.slots.length;
        }
        slot = this.hand;
        this.hand = (this.hand + 1) % this.slots.length;
      } else if (this.policy === "opt") {
        // the page used farthest in the future; among pages never used again, the lowest frame
        slot = 0;
        for (let s = 1; s < this.slots.length; s++) if (nextOf[this.slots[s]!]! > nextOf[this.slots[slot]!]!) slot = s;
      } else {
        slot = this.order.shift()!;
      }
      victim = this.slots[slot]!;
    }
    this.slots[slot] = x;
    if (this.policy === "fifo" || this.policy === "lru") this.order.push(slot);
    if (this.policy === "clock") this.use[slot] = this.initialUse;
    return { hit: false, slot, victim };
  }
}

function isTextbook(p: PolicyName): p is "fifo" | "lru" | "clock" | "opt" {
  return p === "fifo" || p === "lru" || p === "clock" || p === "opt";
}

/**
 * Replays `refs` through `policy` in `frames` frames, one step per reference. Hits, misses
 * and the resident set come from @mmsim/replay; frames are drawn with a stable placement
 * (a loaded page takes the frame its victim left, or the first empty one).
 */
export function runReplacement(policy: PolicyName, frames: number, refs: readonly number[], o: RunOptions = {}): ReplacementRun {
  if (!POLICIES.includes(policy)) throw new InputError(`unknown policy "${policy}"`);
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES) throw new InputError(`frames must be 1 to ${MAX_FRAMES}`);
  const { ids, pages } = denseIds(refs);
  const n = ids.length;
  const distinct = pages.length;
  const initialUse = o.clockInitialUse ?? 0;
  const next = policy === "opt" ? nextUses(ids, n, distinct) : null;
  const model = isTextbook(policy) ? new TextbookModel(policy, frames, initialUse) : null;
  /** OPT: next reference of each page id, as of the current step */
  const nextOf = new Array<number>(distinct).fill(n);
  const pkg = policy === "opt" ? null : createPolicy(policy, frames, { clockInitialUse: initialUse });
  pkg?.reserve(distinct);

  const slots = new Array<number>(frames).fill(-1);
  const seen = new Array<boolean>(distinct).fill(false);
  let resident = new Array<boolean>(distinct).fill(false);
  const steps: ReplacementStep[] = [];
  let misses = 0;
  let cold = 0;
  for (let i = 0; i < n; i++) {
    const x = ids[i]!;
    let hit: boolean;
    let evicted: number[];
    let slot: number;
    const m = model?.step(x, nextOf);
    if (next) nextOf[x] = next[i]!;
    if (pkg) {
      const before = pkg.hits;
      pkg.access(ids.subarray(i, i + 1), 1);
      hit = pkg.hits > before;
      const now = residentAfter(policy, frames, ids, i + 1, distinct, o);
      evicted = [];
      for (let id = 0; id < distinct; id++) if (resident[id] && !now[id]) evicted.push(id);
      if (m && (m.hit !== hit || (m.victim >= 0 ? [m.victim] : []).join() !== evicted.join())) {
        BUG("runReplacement", `${policy} at reference ${i}: the textbook model and @mmsim/replay disagree`);
      }
      resident = now;
      for (const v of evicted) slots[slots.indexOf(v)] = -1;
      slot = slots.indexOf(x);
      if (slot < 0 && now[x]) slots[(slot = m ? m.slot : slots.indexOf(-1))] = x;
    } else {
      // OPT: the package only replays a whole trace; the steps are the model's, the total is checked below
      hit = m!.hit;
      slot = m!.slot;
      evicted = m!.victim >= 0 ? [m!.victim] : [];
      slots[slot] = x;
    }
    if (model && model.slots.join() !== slots.join()) BUG("runReplacement", `${policy} at reference ${i}: frames differ from the model`);
    if (!hit) misses++;
    const isCold = !seen[x];
    if (isCold) cold++;
    seen[x] = true;
    steps.push({
      page: refs[i]!,
      hit,
      cold: isCold,
      slots: slots.map((s) => (s < 0 ? -1 : pages[s]!)),
      slot,
      evicted: evicted.map((v) => pages[v]!),
      misses,
      hits: i + 1 - misses,
      use: policy === "clock" ? model!.use.slice() : null,
      hand: policy === "clock" ? model!.hand : -1,
      nextUse: next ? slots.map((s) => (s < 0 || nextOf[s]! >= n ? -1 : nextOf[s]!)) : null,
    });
  }
  const total = pkg ? pkg.misses : countMisses("opt", frames, refs);
  if (total !== misses) BUG("runReplacement", `${policy}: ${misses} misses stepped, @mmsim/replay counts ${total}`);
  return { policy, frames, refs: refs.slice(), steps, misses, hits: n - misses, coldMisses: cold };
}

/** misses[p][f - 1] for every policy and 1..MAX_FRAMES frames (the page's comparison table). */
export function missTable(refs: readonly number[], o: RunOptions = {}): Record<PolicyName, number[]> {
  const out = {} as Record<PolicyName, number[]>;
  for (const p of POLICIES) out[p] = Array.from({ length: MAX_FRAMES }, (_, f) => countMisses(p, f + 1, refs, o));
  return out;
}
