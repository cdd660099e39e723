// The verify() convention (ARCHITECTURE §4): like CONFIG_DEBUG_VM, every stateful structure
// of a layer offers `verify()`, which recounts its state from scratch and throws a Bug naming
// the broken invariant. Tests call it after every step; production paths never do.

/** A structure whose invariants can be checked from scratch. Throws Bug on the first broken one. */
export interface Verifiable {
  verify(): void;
}

/** Runs verify() on each part in order; the first broken invariant throws. */
export function verifyAll(parts: Iterable<Verifiable>): void {
  for (const p of parts) p.verify();
}
