// The kernel's virtual files: /proc, /proc/sys and /sys/kernel/debug. Each file is a render
// function registered by the layer that owns its format (mm/vmstat.c's buddyinfo lives with
// the buddy allocator, fs/proc/meminfo.c with the kernel); reading renders it afresh, as the
// kernel does on every read.
import { BUG, InputError } from "@mmsim/base";

export type Render = () => string;

export class Procfs {
  private readonly files = new Map<string, Render>();
  /** path rewriters tried when a path is not registered (e.g. /proc/<task name>/maps to /proc/<pid>/maps) */
  private readonly aliases: ((path: string) => string | null)[] = [];

  /** Registers a file; registering a path twice is a Bug. */
  register(path: string, render: Render): void {
    if (this.files.has(path)) BUG("Procfs.register", `${path} registered twice`);
    this.files.set(path, render);
  }

  /** Removes a file (a /proc/<pid> file when its task is reaped); removing a missing path is a Bug. */
  unregister(path: string): void {
    if (!this.files.delete(path)) BUG("Procfs.unregister", `${path} is not registered`);
  }

  /** Adds a path rewriter, consulted for paths that are not registered; it returns the real path or null. */
  addAlias(rewrite: (path: string) => string | null): void {
    this.aliases.push(rewrite);
  }

  has(path: string): boolean {
    return this.resolve(normalize(path)) !== undefined;
  }

  private resolve(path: string): Render | undefined {
    const render = this.files.get(path);
    if (render !== undefined) return render;
    for (const rewrite of this.aliases) {
      const real = rewrite(path);
      if (real !== null && this.files.has(real)) return this.files.get(real);
    }
    return undefined;
  }

  /** Reads a file. A path that does not exist is an InputError worded like cat(1). */
  read(path: string): string {
    const render = this.resolve(normalize(path));
    if (!render) {
      const near = this.list().filter((p) => p.startsWith(dirname(normalize(path)) + "/"));
      const hint = near.length ? ` (files there: ${near.map((p) => p.slice(p.lastIndexOf("/") + 1)).join(", ")})` : "";
      throw new InputError(`cat: ${path}: No such file or directory${hint}`);
    }
    return render();
  }

  /** Every registered path, sorted. */
  list(): string[] {
    return [...this.files.keys()].sort();
  }
}

function normalize(path: string): string {
  return path.trim().replace(/\/+$/, "").replace(/\/+/g, "/");
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}
