// The virtual-memory layer as the kernel runs it: the machine's VirtualMemory (built at boot on
// the page and slab allocators, the CPUs and the MMU), its tasks, and the /proc/<pid> files of
// each live task (maps, smaps, smaps_rollup, status, statm), registered when the task is spawned
// or forked and removed when it is reaped. A task's name stands for its pid in /proc paths
// (/proc/app/maps), as scenarios write them.
import { BUG, InputError } from "@mmsim/base";
import {
  THP_DEFRAG_CHOICES, THP_ENABLED_CHOICES, VirtualMemory, mmRss, showMaps, showSmaps, showSmapsRollup, sysfsChoice, taskStatm, type MmStruct,
} from "@mmsim/virtual";
import type { Kernel } from "./kernel";
import { procPidStatus, type StatusMachine } from "./proc-array";
import { procPidStat } from "./proc-pid-stat";
import { bytesText, procPidAuxv, procPidCmdline, procPidEnviron, sliceRead } from "./proc-pid-cmdline";
import { pagemapFileRead } from "./proc-pid-pagemap";
import { Tasks, type SpawnOptions, type Task } from "./task";

/** The THP sysfs directory (mm/huge_memory.c hugepage_init_sysfs). */
export const THP_SYSFS = "/sys/kernel/mm/transparent_hugepage";
/** The writable THP sysfs files. */
export type ThpSysfsFile = "enabled" | "defrag" | "use_zero_page";

/** The /proc/<pid> files of a task, by name. */
const PID_FILES = ["maps", "smaps", "smaps_rollup", "status", "statm", "stat", "cmdline", "environ", "auxv", "pagemap"] as const;

/** totalram_pages(): the pages every zone manages. */
export function totalramPages(k: Kernel): number {
  let n = 0;
  for (const node of k.phys.nodes) for (const z of node.zones) n += z.managedPages;
  return n;
}

export class VirtualKernel {
  readonly vmm: VirtualMemory;
  readonly tasks: Tasks;
  /** tasks by the name they were spawned with (live or dead), newest wins */
  private readonly byName = new Map<string, Task>();
  private readonly status: StatusMachine;

  constructor(private readonly k: Kernel) {
    this.vmm = new VirtualMemory({
      alloc: k.alloc,
      levels: k.config.pagingLevels,
      arch: k.config.arch,
      pae: k.config.pae,
      phys: k.phys,
      cpus: k.hw.cpus,
      mmu: k.hw.mmu,
      thp: k.phys.transparentHugepage !== null,
      thpEnabled: k.phys.transparentHugepage ?? "never",
      totalramPages: totalramPages(k),
      totalSwapPages: k.swapTotalPages(),
    });
    // fork_init's set_max_threads reads totalram_pages() before the init sections are freed
    this.tasks = new Tasks(this.vmm, k.alloc, k.config.cpus, totalramPages(k));
    this.status = {
      nrCpus: k.config.cpus,
      nodes: k.phys.nodes.filter((n) => n.nodePresentPages > 0).map((n) => n.nid),
      sigPendingLimit: Math.floor(this.tasks.maxThreads / 2),
      i386: k.config.arch === "i386",
    };
    k.procfs.addAlias((path) => {
      const m = /^\/proc\/([^/]+)\/([^/]+)$/.exec(path);
      if (m === null || /^\d+$/.test(m[1]!)) return null;
      const t = this.byName.get(m[1]!);
      return t && t.alive ? `/proc/${t.pid}/${m[2]}` : null;
    });
  }

  /** spawn: a new task with an empty address space and its /proc/<pid> files; the task or -errno. */
  spawn(name: string, opts: SpawnOptions = {}): Task | number {
    return this.added(name, this.tasks.spawn(name, opts));
  }

  /** fork: a child of `parent` sharing its pages copy-on-write, known as `name`; the child or -errno. */
  fork(parent: Task, name: string, opts: SpawnOptions = {}): Task | number {
    return this.added(name, this.tasks.fork(parent, opts));
  }

  private added(name: string, t: Task | number): Task | number {
    if (typeof t === "number") return t;
    this.byName.set(name, t);
    const p = this.k.procfs;
    const thpOn = this.vmm.thp;
    const settings = this.vmm.thpState.settings;
    p.register(`/proc/${t.pid}/maps`, () => showMaps(this.mmOf(t)));
    p.register(`/proc/${t.pid}/smaps`, () => showSmaps(this.vmm, this.mmOf(t), thpOn ? settings.enabled : null));
    p.register(`/proc/${t.pid}/smaps_rollup`, () => showSmapsRollup(this.vmm, this.mmOf(t)));
    p.register(`/proc/${t.pid}/status`, () => procPidStatus(t, mmRss(this.mmOf(t)), this.status));
    p.register(`/proc/${t.pid}/statm`, () => taskStatm(this.mmOf(t), mmRss(this.mmOf(t))));
    const startNs = this.k.clock.ns;
    p.register(`/proc/${t.pid}/stat`, () => procPidStat(t, this.mmOf(t), startNs));
    p.register(`/proc/${t.pid}/cmdline`, () => bytesText(procPidCmdline(this.vmm, t.mm)));
    p.register(`/proc/${t.pid}/environ`, () => bytesText(procPidEnviron(this.vmm, t.mm)));
    p.registerBinary(`/proc/${t.pid}/auxv`, (off, n) => sliceRead(procPidAuxv(t.mm), off, n), "the auxiliary vector: 8-byte type and value pairs ending with AT_NULL");
    p.registerBinary(`/proc/${t.pid}/pagemap`, (off, n, reader) => pagemapFileRead(this.vmm, this.mmOf(t), off, n, reader));
    return t;
  }

  private mmOf(t: Task): MmStruct {
    return t.mm ?? BUG("VirtualKernel", `task ${t.pid} has no mm`);
  }

  /** A THP sysfs file as Linux prints it (enabled_show, defrag_show, use_zero_page_show). */
  thpSysfsShow(file: ThpSysfsFile): string {
    const s = this.vmm.thpState.settings;
    if (file === "enabled") return sysfsChoice(THP_ENABLED_CHOICES, s.enabled);
    if (file === "defrag") return sysfsChoice(THP_DEFRAG_CHOICES, s.defrag);
    return s.useZeroPage ? "1\n" : "0\n";
  }

  /**
   * A write to a THP sysfs file (enabled_store, defrag_store, use_zero_page_store): one of the
   * choices, or 0/1 for use_zero_page; anything else is the InputError Linux's -EINVAL becomes.
   */
  thpSysfsStore(file: ThpSysfsFile, text: string): void {
    if (!this.vmm.thp) throw new InputError("this machine has no transparent hugepage support", { field: file });
    const v = text.trim();
    const s = this.vmm.thpState.settings;
    if (file === "enabled") {
      const c = THP_ENABLED_CHOICES.find((x) => x === v);
      if (c === undefined) throw new InputError(`expected one of ${THP_ENABLED_CHOICES.join(", ")}`, { field: file });
      s.enabled = c;
    } else if (file === "defrag") {
      const c = THP_DEFRAG_CHOICES.find((x) => x === v);
      if (c === undefined) throw new InputError(`expected one of ${THP_DEFRAG_CHOICES.join(", ")}`, { field: file });
      s.defrag = c;
    } else {
      if (v !== "0" && v !== "1") throw new InputError("expected 0 or 1", { field: file });
      s.useZeroPage = v === "1";
    }
  }

  /** The task spawned with this name (alive or not), or null. */
  byTaskName(name: string): Task | null {
    return this.byName.get(name) ?? null;
  }

  /** exit(code): the task's mm and objects are freed and its /proc/<pid> files removed. */
  exit(t: Task, code = 0): void {
    this.tasks.exit(t, code);
    this.reap(t);
  }

  /** kill(pid, sig): the signal's default action; a task it kills is reaped. */
  kill(t: Task, sig: number): void {
    this.tasks.kill(t, sig);
    if (!t.alive) this.reap(t);
  }

  private reap(t: Task): void {
    for (const f of PID_FILES) this.k.procfs.unregister(`/proc/${t.pid}/${f}`);
  }
}

/** The virtual layer of a booted kernel (what the virtual module's init returned). */
export function virtualOf(k: Kernel): VirtualKernel {
  for (const [, layer] of k.moduleLayers()) if (layer instanceof VirtualKernel) return layer;
  return BUG("virtualOf", "this kernel has no virtual module");
}
