// The userland of the simulated machine: each task's C library state, made when the task first
// calls into it. Today that is glibc's malloc (one main arena per process, on the task's brk and
// mmap). A forked child inherits a copy of its parent's arena, as its memory is a copy of the
// parent's: the copy is made on the child's first call, from the parent's state, which is the
// state at fork as long as the parent made no call since (else the run stops: not modelled).
// exec discards the old image's state: the new program starts without any (a fresh main arena at
// its first call), and children forked before the exec get their copies of the old state then.
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
  /** how many tasks existed (Tasks.history) at each of a task's execs: a child born later was forked from that image */
  private readonly execs = new Map<Task, number[]>();

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
      // a task that exec'd runs a new program: its image holds no inherited state
      const parent = this.execs.has(t) ? null : this.atFork(t, history);
      // tcache_key: glibc draws it with getrandom at startup (tcache_key_initialize)
      m = parent !== null ? parent.forkInto(mem) : new Malloc(mem, Uint32Array.of(this.k.rng.nextU32(), this.k.rng.nextU32()));
      this.mallocs.set(t, m);
    }
    this.lastCall.set(m, history.length);
    return m;
  }

  /**
   * The malloc state t's memory holds from its fork: that of the nearest ancestor that called
   * malloc, provided it made no call after forking the line that leads to t; null when none.
   */
  private atFork(t: Task, history: readonly Task[]): Malloc | null {
    const r = this.inherited(t, history);
    if (r === null) return null;
    if (this.lastCall.get(r.m)! > r.born) {
      throw new InputError(`task ${t.pid}'s malloc state is its parent's at fork, and task ${r.from.pid} called malloc since: keeping a copy at fork time is not modelled`);
    }
    return r.m;
  }

  /**
   * Whose malloc state t inherits: climbing from t to its parents, the first that called malloc
   * in the image the line was forked from (`born`: the history length when the child below it
   * was forked), or null. A parent's image at a fork was its newest exec's before that fork: a
   * newer exec discarded it (children that would have inherited its state got their copies at
   * that exec), and an older one started it empty, so the line ends there.
   */
  private inherited(t: Task, history: readonly Task[]): { from: Task; m: Malloc; born: number } | null {
    let child = t;
    while (child.ppid !== 0) {
      const born = history.indexOf(child);
      // the parent: the newest task with that pid created before the child
      let parent: Task | undefined;
      for (let i = born - 1; i >= 0; i--) if (history[i]!.pid === child.ppid) { parent = history[i]; break; }
      if (parent === undefined) return null;
      const execs = this.execs.get(parent) ?? [];
      const execAfter = execs.length > 0 && execs[execs.length - 1]! > born;
      const execBefore = execs.length > 0 && execs[0]! <= born;
      const pm = execAfter ? undefined : this.mallocs.get(parent);
      if (pm !== undefined) return { from: parent, m: pm, born };
      if (execBefore) return null;
      child = parent;
    }
    return null;
  }

  /**
   * The exec hook: t's image is replaced, so its malloc state is discarded and its next call
   * starts a new main arena on the new program's break. Each live task without state of its own
   * that would inherit t's (forked from t's old image, directly or through tasks that never
   * called malloc) gets its copy first: an InputError when that copy is not modelled (t called
   * malloc after the fork).
   */
  exec(t: Task): void {
    const history = virtualOf(this.k).tasks.history;
    const old = this.mallocs.get(t);
    if (old !== undefined) {
      for (const x of history) {
        if (x === t || !x.alive || x.mm === null || this.mallocs.has(x) || this.execs.has(x)) continue;
        if (this.inherited(x, history)?.m === old) this.mallocOf(x);
      }
      this.mallocs.delete(t);
      this.lastCall.delete(old);
    }
    const execs = this.execs.get(t);
    if (execs === undefined) this.execs.set(t, [history.length]);
    else execs.push(history.length);
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
