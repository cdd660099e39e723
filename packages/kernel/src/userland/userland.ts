// The userland of the simulated machine: each task's C library state, made when the task first
// calls into it. Today that is glibc's malloc (one main arena per process, on the task's brk and
// mmap). A child forked after its parent used malloc would inherit a copy of the parent's arena;
// mmsim does not copy it yet, so malloc in such a child is refused as not modelled.
import { BUG, InputError } from "@mmsim/base";
import type { Kernel } from "../kernel";
import type { Task } from "../task";
import { virtualOf } from "../virtual-kernel";
import { Malloc } from "./malloc";
import { UserMem } from "./user-mem";

export class Userland {
  /** each task's malloc, made on its first call */
  private readonly mallocs = new Map<Task, Malloc>();
  /** how many tasks existed (Tasks.history) when each malloc was made: a later child was forked after it */
  private readonly madeAt = new Map<Malloc, number>();

  constructor(private readonly k: Kernel) {}

  /** The malloc of live task t (made now if t never called it). */
  mallocOf(t: Task): Malloc {
    const m = this.mallocs.get(t);
    if (m !== undefined) {
      if (m.crash !== null) BUG("Userland.mallocOf", `task ${t.pid} died inside malloc and is still called`);
      return m;
    }
    const history = virtualOf(this.k).tasks.history;
    const born = history.indexOf(t);
    const parent = t.ppid === 0 ? undefined : [...this.mallocs].find(([p, pm]) => p.pid === t.ppid && p.alive && this.madeAt.get(pm)! <= born)?.[0];
    if (parent !== undefined) {
      throw new InputError(`task ${t.pid} was forked from ${parent.pid} after it used malloc: copying the parent's malloc arena at fork is not modelled`);
    }
    const mm = t.mm ?? BUG("Userland.mallocOf", `task ${t.pid} has no mm`);
    // tcache_key: glibc draws it with getrandom at startup (tcache_key_initialize)
    const key = Uint32Array.of(this.k.rng.nextU32(), this.k.rng.nextU32());
    const created = new Malloc(new UserMem(virtualOf(this.k).vmm, mm, this.k.hw.cpus[t.cpu]!), key);
    this.mallocs.set(t, created);
    this.madeAt.set(created, history.length);
    return created;
  }

  /** Every live task's malloc (for verify). */
  live(): Malloc[] {
    return [...this.mallocs].filter(([t, m]) => t.alive && m.crash === null).map(([, m]) => m);
  }
}

/** The userland of a booted kernel (what the userland module's init returned). */
export function userlandOf(k: Kernel): Userland {
  for (const [, layer] of k.moduleLayers()) if (layer instanceof Userland) return layer;
  return BUG("userlandOf", "this kernel has no userland module");
}
