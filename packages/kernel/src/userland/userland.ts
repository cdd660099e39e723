// The userland of the simulated machine: each task's C library state, made when the task first
// calls into it. Today that is glibc's malloc (one main arena per process, on the task's brk and
// mmap). A forked child inherits a copy of its parent's arena, as its memory is a copy of the
// parent's: the copy is made on the child's first call, from the parent's state, which is the
// state at fork as long as the parent made no call since (else the run stops: not modelled).
import { BUG, InputError } from "@mmsim/base";
import type { Kernel } from "../kernel";
import type { Task } from "../task";
import { virtualOf } from "../virtual-kernel";
import { Malloc } from "./malloc";
import { UserMem } from "./user-mem";

export class Userland {
  /** each task's malloc, made on its first call */
  private readonly mallocs = new Map<Task, Malloc>();
  /** how many tasks existed (Tasks.history) at each malloc's last call: a child born later was forked after it */
  private readonly lastCall = new Map<Malloc, number>();

  constructor(private readonly k: Kernel) {}

  /** The malloc of live task t (made now if t never called it: a copy of its parent's, or a new one). */
  mallocOf(t: Task): Malloc {
    const history = virtualOf(this.k).tasks.history;
    let m = this.mallocs.get(t);
    if (m !== undefined) {
      if (m.crash !== null) BUG("Userland.mallocOf", `task ${t.pid} died inside malloc and is still called`);
    } else {
      const mm = t.mm ?? BUG("Userland.mallocOf", `task ${t.pid} has no mm`);
      const mem = new UserMem(virtualOf(this.k).vmm, mm, this.k.hw.cpus[t.cpu]!);
      const parent = this.atFork(t, history);
      // tcache_key: glibc draws it with getrandom at startup (tcache_key_initialize)
      m = parent !== null ? parent.forkInto(mem) : new Malloc(mem, Uint32Array.of(this.k.rng.nextU32(), this.k.rng.nextU32()));
      this.mallocs.set(t, m);
    }
    this.lastCall.set(m, history.length);
    return m;
  }

  /**
   * The malloc state t's memory holds from its fork: that of the nearest ancestor that called
   * malloc, provided it made no call after forking the line that leads to t; null when no
   * ancestor called malloc.
   */
  private atFork(t: Task, history: readonly Task[]): Malloc | null {
    let child = t;
    for (;;) {
      const born = history.indexOf(child);
      if (child.ppid === 0) return null;
      // the parent: the newest task with that pid created before the child
      let parent: Task | undefined;
      for (let i = born - 1; i >= 0; i--) if (history[i]!.pid === child.ppid) { parent = history[i]; break; }
      if (parent === undefined) return null;
      const pm = this.mallocs.get(parent);
      if (pm !== undefined) {
        if (this.lastCall.get(pm)! > born) {
          throw new InputError(`task ${t.pid}'s malloc state is its parent's at fork, and task ${parent.pid} called malloc since: keeping a copy at fork time is not modelled`);
        }
        return pm;
      }
      child = parent;
    }
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
