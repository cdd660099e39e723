// The kernel's virtual files: /proc, /proc/sys and /sys/kernel/debug. Each file is a render
// function registered by the layer that owns its format (mm/vmstat.c's buddyinfo lives with
// the buddy allocator, fs/proc/meminfo.c with the kernel); reading renders it afresh, as the
// kernel does on every read. Binary files (/proc/<pid>/pagemap) are read(2) at an offset
// instead: they return bytes, or a negative errno as the syscall would.
import { BUG, InputError } from "@mmsim/base";

export type Render = () => string;

/** Who reads a binary file: what the kernel checks of the reader's credentials. */
export interface ProcReader {
  /** the reader holds CAP_SYS_ADMIN (pagemap shows page frame numbers only then) */
  capSysAdmin: boolean;
}

/**
 * The simulated default reader: root with every capability, as the simulated tasks are
 * (status shows CapEff 000001ffffffffff) and as `sudo` tools such as page-types read pagemap.
 */
export const ROOT_READER: ProcReader = { capSysAdmin: true };

/** A binary file's read(2): up to `count` bytes at `offset`, or a negative errno (-EINVAL, -ESRCH). */
export type BinaryRead = (offset: number, count: number, reader: ProcReader) => Uint8Array | number;

export class Procfs {
  private readonly files = new Map<string, Render>();
  private readonly binaries = new Map<string, BinaryRead>();
  /** what each binary file holds, for cat's refusal (pagemap's layout when not given) */
  private readonly binaryWhat = new Map<string, string>();
  /** path rewriters tried when a path is not registered (e.g. /proc/<task name>/maps to /proc/<pid>/maps) */
  private readonly aliases: ((path: string) => string | null)[] = [];

  /** Registers a file; registering a path twice is a Bug. */
  register(path: string, render: Render): void {
    if (this.files.has(path) || this.binaries.has(path)) BUG("Procfs.register", `${path} registered twice`);
    this.files.set(path, render);
  }

  /**
   * Registers a binary file, read at an offset (pagemap, auxv), `what` describing its bytes for
   * cat's refusal; registering a path twice is a Bug.
   */
  registerBinary(path: string, read: BinaryRead, what?: string): void {
    if (this.files.has(path) || this.binaries.has(path)) BUG("Procfs.registerBinary", `${path} registered twice`);
    this.binaries.set(path, read);
    if (what !== undefined) this.binaryWhat.set(path, what);
  }

  /** Removes a file (a /proc/<pid> file when its task is reaped); removing a missing path is a Bug. */
  unregister(path: string): void {
    if (!this.files.delete(path) && !this.binaries.delete(path)) BUG("Procfs.unregister", `${path} is not registered`);
    this.binaryWhat.delete(path);
  }

  /** Adds a path rewriter, consulted for paths that are not registered; it returns the real path or null. */
  addAlias(rewrite: (path: string) => string | null): void {
    this.aliases.push(rewrite);
  }

  has(path: string): boolean {
    return this.resolve(normalize(path)) !== null;
  }

  /** Whether `path` is a binary file (read with readBytes, not read). */
  isBinary(path: string): boolean {
    const real = this.resolve(normalize(path));
    return real !== null && this.binaries.has(real);
  }

  /** The registered path `path` stands for (itself or an alias's rewrite), or null. */
  private resolve(path: string): string | null {
    if (this.files.has(path) || this.binaries.has(path)) return path;
    for (const rewrite of this.aliases) {
      const real = rewrite(path);
      if (real !== null && (this.files.has(real) || this.binaries.has(real))) return real;
    }
    return null;
  }

  private missing(path: string): InputError {
    const near = this.list().filter((p) => p.startsWith(dirname(normalize(path)) + "/"));
    const hint = near.length ? ` (files there: ${near.map((p) => p.slice(p.lastIndexOf("/") + 1)).join(", ")})` : "";
    return new InputError(`cat: ${path}: No such file or directory${hint}`);
  }

  /**
   * Reads a text file. A path that does not exist is an InputError worded like cat(1); so is a
   * binary file, whose bytes cat would print raw: pagemap covers the whole user address space
   * (8 bytes per page, 256 GiB of entries) and is read at an offset (readBytes).
   */
  read(path: string): string {
    const real = this.resolve(normalize(path));
    if (real === null) throw this.missing(path);
    const render = this.files.get(real);
    if (render === undefined) {
      const what = this.binaryWhat.get(real) ?? "one 64-bit entry per virtual page, 8 bytes at offset vaddr / 4096 * 8";
      throw new InputError(`cat: ${path}: a binary file (${what}); cat prints text files only`);
    }
    return render();
  }

  /**
   * read(2) of `count` bytes at `offset`: a binary file's bytes (fewer at its end), a text
   * file's UTF-8 bytes, or a negative errno the file returns. A path that does not exist is an
   * InputError worded like cat(1).
   */
  readBytes(path: string, offset: number, count: number, reader: ProcReader = ROOT_READER): Uint8Array | number {
    const real = this.resolve(normalize(path));
    if (real === null) throw this.missing(path);
    const bin = this.binaries.get(real);
    if (bin !== undefined) return bin(offset, count, reader);
    const bytes = new TextEncoder().encode(this.files.get(real)!());
    return bytes.slice(Math.min(offset, bytes.length), Math.min(offset + count, bytes.length));
  }

  /** Every registered path, sorted. */
  list(): string[] {
    return [...this.files.keys(), ...this.binaries.keys()].sort();
  }
}

function normalize(path: string): string {
  return path.trim().replace(/\/+$/, "").replace(/\/+/g, "/");
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}
