// What a scenario step is. Each layer contributes its steps (cat and sysctl here; alloc_pages
// with the buddy allocator; kmalloc with SLUB; mmap, store and malloc with virtual memory...).
// A step is parsed for the whole file before anything runs, so a mistake in step 9 stops the
// run before step 1 executes: nothing is half-run.
import { BUG, InputError } from "@mmsim/base";
import type { Kernel } from "../kernel";
import { fail, type Path } from "../validate";

export interface StepDef<A = unknown> {
  /** the YAML key, e.g. "alloc_pages" */
  name: string;
  /** one line for `mmsim run --help` */
  summary: string;
  /** an example of the step in YAML, for help text */
  example: string;
  /** validates the step's value; `scope` tracks names bound with `as:` */
  parse(value: unknown, path: Path, scope: Scope): A;
  /** the command line echoed before the step's output, e.g. "cat /proc/buddyinfo" */
  describe(args: A): string;
  /** runs the step; returns its output (may be empty). Expected failures are output, not throws. */
  run(args: A, ctx: RunContext): string;
}

/**
 * What a name bound with `as:` holds, by kind. Each layer's steps file adds its kinds by
 * declaration merging, next to the steps that bind them:
 *
 *   declare module "./step" { interface Bindings { "page allocation": Allocation } }
 *
 * so the kinds are a closed union (BindingKind) that grows by adding a file, and a lookup of
 * a kind returns that kind's value type.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface Bindings {}

/** The kinds of value a scenario name can hold ("page allocation", "slab object", ...). */
export type BindingKind = keyof Bindings;

/** Names bound by steps (`as: a`) and their kinds, checked before the run. */
export class Scope {
  private readonly kinds = new Map<string, BindingKind>();

  define(name: string, kind: BindingKind, path: Path): void {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) fail(path, `expected a name of letters, digits, _ and -, got "${name}"`);
    if (this.kinds.has(name)) fail(path, `the name "${name}" is already bound by an earlier step`);
    this.kinds.set(name, kind);
  }

  use(name: unknown, kind: BindingKind, path: Path): string {
    if (typeof name !== "string") fail(path, `expected the name of a ${kind} bound earlier with as:, got ${String(name)}`);
    const k = this.kinds.get(name);
    if (k === undefined) fail(path, `no earlier step bound "${name}" (bind one with as: ${name})`);
    if (k !== kind) fail(path, `"${name}" is a ${k}, expected a ${kind}`);
    return name;
  }

  /** True when an earlier step bound `name`. */
  has(name: string): boolean {
    return this.kinds.has(name);
  }

  /** A name is used once by freeing steps: forget it so a second free is caught up front. */
  release(name: string): void {
    this.kinds.delete(name);
  }
}

/** The runtime side: the kernel and the values bound by earlier steps. */
export class RunContext {
  private readonly bound = new Map<string, { kind: BindingKind; value: unknown }>();
  /** the errno the last system-call step left (0: it succeeded), for expect: { errno } */
  errno = 0;

  constructor(readonly kernel: Kernel) {}

  bind<K extends BindingKind>(name: string, kind: K, value: Bindings[K]): void {
    this.bound.set(name, { kind, value });
  }

  /**
   * The value bound to `name`; undefined when its step ran but failed (e.g. an allocation).
   * A name bound with another kind is a Bug: the parse-time Scope checked the kinds.
   */
  lookup<K extends BindingKind>(name: string, kind: K): Bindings[K] | undefined {
    const b = this.bound.get(name);
    if (b === undefined) return undefined;
    if (b.kind !== kind) BUG("RunContext.lookup", `"${name}" holds a ${b.kind}, not a ${kind}`);
    return b.value as Bindings[K];
  }

  unbind(name: string): void {
    this.bound.delete(name);
  }
}

/** A step whose earlier allocation failed cannot go on: a runtime input error. */
export function unbound(name: string): never {
  throw new InputError(`"${name}" holds nothing: the step that bound it failed`);
}
