// What a scenario step is. Each layer contributes its steps (cat and sysctl here; alloc_pages
// with the buddy allocator; kmalloc with SLUB; mmap, store and malloc with virtual memory...).
// A step is parsed for the whole file before anything runs, so a mistake in step 9 stops the
// run before step 1 executes: nothing is half-run.
import { InputError } from "@mmsim/base";
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

/** Names bound by steps (`as: a`) and their kinds, checked before the run. */
export class Scope {
  private readonly kinds = new Map<string, string>();

  define(name: string, kind: string, path: Path): void {
    if (!/^[A-Za-z_][\w-]*$/.test(name)) fail(path, `expected a name of letters, digits, _ and -, got "${name}"`);
    if (this.kinds.has(name)) fail(path, `the name "${name}" is already bound by an earlier step`);
    this.kinds.set(name, kind);
  }

  use(name: unknown, kind: string, path: Path): string {
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
  private readonly bound = new Map<string, unknown>();

  constructor(readonly kernel: Kernel) {}

  bind(name: string, value: unknown): void {
    this.bound.set(name, value);
  }

  /** The value bound to `name`; undefined when its step ran but failed (e.g. an allocation). */
  lookup<T>(name: string): T | undefined {
    return this.bound.get(name) as T | undefined;
  }

  unbind(name: string): void {
    this.bound.delete(name);
  }
}

/** A step whose earlier allocation failed cannot go on: a runtime input error. */
export function unbound(name: string): never {
  throw new InputError(`"${name}" holds nothing: the step that bound it failed`);
}
