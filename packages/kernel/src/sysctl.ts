// sysctl: the /proc/sys/vm knobs. Each knob belongs to the layer that reads it and knows what
// changing it recomputes (writing min_free_kbytes recomputes every zone's watermarks, as
// Linux's min_free_kbytes_sysctl_handler does). Setting several knobs at once is atomic: if a
// value is rejected, the knobs already written get their previous values back.
import { InputError } from "@mmsim/base";
import type { Procfs } from "./procfs";

export interface SysctlKnob {
  /** dotted name, e.g. "vm.min_free_kbytes" */
  name: string;
  /** the value as /proc/sys prints it (without the newline) */
  get(): string;
  /** writes a value; a bad one throws InputError saying what was expected and changes nothing */
  set(text: string): void;
}

export class Sysctl {
  private readonly knobs = new Map<string, SysctlKnob>();

  constructor(private readonly procfs: Procfs) {}

  register(knob: SysctlKnob): void {
    this.knobs.set(knob.name, knob);
    this.procfs.register(`/proc/sys/${knob.name.replace(/\./g, "/")}`, () => knob.get() + "\n");
  }

  /**
   * Accepts "vm.min_free_kbytes", "vm/min_free_kbytes", "/proc/sys/vm/min_free_kbytes" or a bare
   * "min_free_kbytes". An unknown one throws an InputError whose `where.field` is `key` exactly
   * as given (a caller locates it in its own input by that), listing the known names.
   */
  resolve(key: string): SysctlKnob {
    const k = key.trim().replace(/^\/proc\/sys\//, "").replace(/\//g, ".");
    const knob = this.knobs.get(k) ?? this.knobs.get(`vm.${k}`);
    if (!knob) {
      const names = this.names();
      throw new InputError(`unknown sysctl; known: ${names.length ? names.join(", ") : "(none yet)"}`, { field: key });
    }
    return knob;
  }

  get(key: string): string {
    return this.resolve(key).get();
  }

  /**
   * Sets every key or none: when one value is rejected, the ones written before it are restored.
   * A rejected value's InputError names the knob's dotted name as its `where.field`.
   */
  set(assignments: Record<string, string>): void {
    const knobs = Object.keys(assignments).map((key) => this.resolve(key));
    const done: [SysctlKnob, string][] = [];
    for (const [i, text] of Object.values(assignments).entries()) {
      const knob = knobs[i]!;
      const before = knob.get();
      try {
        knob.set(String(text));
      } catch (e) {
        for (const [k, old] of done.reverse()) k.set(old);
        if (e instanceof InputError) throw new InputError(e.problem, { field: knob.name });
        throw e;
      }
      done.push([knob, before]);
    }
  }

  names(): string[] {
    return [...this.knobs.keys()].sort();
  }
}

/** Parses a decimal integer in [min, max] for a knob (Linux's proc_dointvec_minmax). */
export function parseIntInRange(text: string, min: number, max: number): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) throw new InputError(`expected a whole number from ${min} to ${max}, got "${text}"`);
  const n = Number(t);
  if (n < min || n > max) throw new InputError(`expected a whole number from ${min} to ${max}, got ${n}`);
  return n;
}
