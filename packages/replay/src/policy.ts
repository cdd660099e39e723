// What every replacement policy shares: a fixed number of frames, exact hit and miss counts,
// and one entry point that replays a batch of page ids in a tight loop (no call per request).
// A policy keeps its per-page state in typed arrays indexed by the dense page id (KeyIndex),
// grown by reserve() before each batch; verify() recounts its lists (CONFIG_DEBUG_VM style).

/** The policies of `mmsim replay --policy`. */
export type PolicyName = "fifo" | "lru" | "clock" | "opt" | "arc" | "2q" | "lru-linux" | "s3fifo" | "sieve";

/** Every policy, in the order the help text lists them. */
export const POLICY_NAMES: readonly PolicyName[] = ["fifo", "lru", "clock", "opt", "arc", "2q", "lru-linux", "s3fifo", "sieve"];

/** Tunables of the policies that have any (defaults in brackets). */
export interface PolicyOptions {
  /** clock: use bit of a newly loaded page [0, as libCacheSim's Clock_insert] */
  clockInitialUse?: 0 | 1;
  /** 2q: Kin, the A1in FIFO's share of the frames [0.25, Johnson & Shasha] */
  twoQKin?: number;
  /** 2q: Kout, the A1out ghost list's share of the frames [0.5, Johnson & Shasha] */
  twoQKout?: number;
  /** s3fifo: the small FIFO's share of the frames [0.10, libCacheSim's fifo-size-ratio] */
  s3fifoSmall?: number;
  /** s3fifo: the ghost FIFO's share of the frames [0.90, libCacheSim's ghost-size-ratio] */
  s3fifoGhost?: number;
  /** s3fifo: hits in the small FIFO that promote to main [2, move-to-main-threshold] */
  s3fifoThreshold?: number;
}

/** A replacement policy over `frames` page frames. */
export abstract class Policy {
  abstract readonly name: PolicyName;
  hits = 0;
  misses = 0;

  constructor(readonly frames: number) {}

  /** Makes room for page ids below `ids` (call before access() sees such ids). */
  abstract reserve(ids: number): void;

  /** Replays ids[0..n), counting hits and misses. */
  abstract access(ids: Int32Array, n: number): void;

  /** Pages resident now. */
  abstract resident(): number;

  /** Checks the policy's invariants; throws a Bug naming what broke. */
  abstract verify(): void;
}

/** Grows a typed array to at least `size` elements (doubling), keeping its contents. */
export function grown<T extends Int32Array | Uint8Array | Float64Array>(a: T, size: number): T {
  if (size <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  b.set(a);
  return b;
}
