// The program's files through the page cache: exec's own writes (padzero, ld.so's zero fill)
// copy the data pages (do_cow_fault) after reading each file with mmap read-around, touching
// text maps it with fault-around (do_read_fault), two tasks running the program share the text
// folios (Shared_Clean, Pss halved), and the fault counts land in each task's stat; then exec
// over a task that called malloc: the new program starts with a fresh main arena.
import { MiB } from "@mmsim/base";
import { userLoad, userStore } from "@mmsim/virtual";
import { describe, expect, it } from "vitest";
import { Kernel, execOf, formatResults, loadScenario, runScenario, virtualOf, type Task } from "../index";
import { userlandOf } from "../userland/userland";

const TEXT = 0x555555556000;
const DATA = 0x55555555f000;

function boot(): Kernel {
  return Kernel.boot({ ram: 256 * MiB, cpus: 2 });
}

function spawnExec(k: Kernel, name: string): Task {
  const t = virtualOf(k).spawn(name);
  if (typeof t === "number") throw new Error(`spawn: ${t}`);
  const r = execOf(k).execve(t, { aslr: false });
  if (typeof r === "number") throw new Error(`execve: ${r}`);
  return t;
}

function load(k: Kernel, t: Task, addr: number): number {
  const b = new Uint8Array(1);
  expect(userLoad(virtualOf(k).vmm, t.mm!, k.hw.cpus[t.cpu]!, addr, b)).toBeNull();
  return b[0]!;
}

/** The kB value of `field` in the smaps block of the VMA starting at `start`. */
function smapsField(k: Kernel, t: Task, start: number, field: string): number {
  const smaps = k.cat(`/proc/${t.pid}/smaps`);
  const block = smaps.slice(smaps.indexOf(`${start.toString(16)}-`));
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(block)![1]);
}

const kb = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)![1]);
/** stat fields 10-13 (min_flt cmin_flt maj_flt cmaj_flt). */
const faults = (k: Kernel, t: Task) => k.cat(`/proc/${t.pid}/stat`).split(" ").slice(9, 13).map(Number);

describe("program files in the page cache", () => {
  it("exec reads each file once by read-around and copies the pages padzero writes; nothing file-backed is mapped yet", () => {
    const k = boot();
    const t = spawnExec(k, "app");
    const m = k.cat("/proc/meminfo");
    // each zero fill's fault read its file with mmap read-around (ra_pages 32 around the fault,
    // cut at EOF): all 11 pages of app, the last 18 of ld.so, the last 21 of libc: 50 pages
    expect(kb(m, "Cached")).toBe(200);
    expect(kb(m, "Mapped")).toBe(0);
    // the stack page and three private copies (app's and ld.so's .data/.bss page, libc's)
    expect(kb(k.cat(`/proc/${t.pid}/status`), "RssAnon")).toBe(16);
    expect(smapsField(k, t, DATA, "Anonymous")).toBe(4);
    expect(smapsField(k, t, DATA, "Private_Dirty")).toBe(4);
    // min_flt 1 (the stack page, written by create_elf_tables), maj_flt 3 (one read per file)
    expect(faults(k, t)).toEqual([1, 0, 3, 0]);
  });

  it("touching text maps the cached pages of the text VMA at once (fault-around), as RssFile and Mapped", () => {
    const k = boot();
    const t = spawnExec(k, "app");
    expect(load(k, t, TEXT + 0x123)).toBe(0);
    // do_fault_around's window (16 PTEs, clamped to the VMA) covers the whole 5-page r-xp VMA,
    // all cached; filemap_map_pages skips pgoff 3, the read-around's PG_readahead mark (the
    // window cut at EOF to 11 pages, lookahead 8: mark 11 - 8 = 3), so 4 pages: 16 kB
    expect(smapsField(k, t, TEXT, "Rss")).toBe(16);
    expect(kb(k.cat(`/proc/${t.pid}/status`), "RssFile")).toBe(16);
    expect(kb(k.cat("/proc/meminfo"), "Mapped")).toBe(16);
    // touching the marked page maps it (and starts async read-ahead past EOF: nothing to read)
    load(k, t, TEXT + 0x1000);
    expect(smapsField(k, t, TEXT, "Rss")).toBe(20);
    // page-cache hits: two more minor faults
    expect(faults(k, t)).toEqual([3, 0, 3, 0]);
  });

  it("two tasks running the program share its text folios: Shared_Clean, Pss halved; the second exec is all minor faults", () => {
    const k = boot();
    const a = spawnExec(k, "a");
    const b = spawnExec(k, "b");
    expect(faults(k, b)).toEqual([4, 0, 0, 0]);
    load(k, a, TEXT);
    load(k, b, TEXT + 0x2000);
    // each maps the 4 text pages fault-around gives (pgoff 3 carries PG_readahead)
    for (const t of [a, b]) {
      expect(smapsField(k, t, TEXT, "Rss")).toBe(16);
      expect(smapsField(k, t, TEXT, "Shared_Clean")).toBe(16);
      expect(smapsField(k, t, TEXT, "Private_Clean")).toBe(0);
      expect(smapsField(k, t, TEXT, "Pss")).toBe(8);
    }
    // Mapped counts each page once, whoever maps it
    expect(kb(k.cat("/proc/meminfo"), "Mapped")).toBe(16);
  });

  it(".data is private: one task's write is not seen by the other nor in the file (do_cow_fault)", () => {
    const k = boot();
    const a = spawnExec(k, "a");
    const b = spawnExec(k, "b");
    const vmm = virtualOf(k).vmm;
    expect(userStore(vmm, a.mm!, k.hw.cpus[a.cpu]!, DATA + 0x10, Uint8Array.of(0x5a))).toBeNull();
    expect(load(k, a, DATA + 0x10)).toBe(0x5a);
    expect(load(k, b, DATA + 0x10)).toBe(0);
    // the file's page (pgoff 10) is unchanged: a third task's copy of it reads zeros
    const c = spawnExec(k, "c");
    expect(load(k, c, DATA + 0x10)).toBe(0);
  });

  it("exit unmaps the program: Mapped drops, the pages stay cached", () => {
    const k = boot();
    const t = spawnExec(k, "app");
    load(k, t, TEXT);
    virtualOf(k).exit(t);
    const m = k.cat("/proc/meminfo");
    expect([kb(m, "Mapped"), kb(m, "Cached")]).toEqual([0, 200]);
    k.verify();
  });
});

describe("exec with malloc state (the userland's exec hook)", () => {
  const run = (steps: string) => formatResults(runScenario(loadScenario(`machine: { ram: 256MiB }\nsteps:\n${steps}`, "m.yaml"), { verify: true }).results);

  it("exec after malloc: the old arena is dropped, the new program's first malloc makes a fresh [heap] at its break", () => {
    const out = run([
      "  - exec: { spawn: a, aslr: false }",
      "  - malloc: { task: a, size: 200000, as: big }",
      "  - malloc: { task: a, size: 100, as: p }",
      "  - exec: { task: a, aslr: false }",
      "  - malloc: { task: a, size: 100, as: q }",
      "  - expect: { path: /proc/a/maps, at: q, field: range, equals: 555555560000-555555581000 }",
      "",
    ].join("\n"));
    expect(out).not.toContain("= -1");
  });

  it("a child forked before its parent's exec keeps the parent's old arena; the parent starts afresh", () => {
    const k = boot();
    const v = virtualOf(k);
    const u = userlandOf(k);
    const a = spawnExec(k, "a");
    const p = u.mallocOf(a).malloc(100);
    const c = v.fork(a, "c");
    if (typeof c === "number") throw new Error("fork");
    expect(execOf(k).execve(a, { aslr: false })).not.toBeTypeOf("number");
    // the child's copy was made at the exec: its next chunk follows p (one 112-byte chunk further)
    expect(u.mallocOf(c).malloc(100)).toBe(p + 112);
    // the parent's new image: a new arena whose first chunk comes after a new tcache block, as p did
    expect(u.mallocOf(a).malloc(100)).toBe(p);
    k.verify();
  });

  it("an exec whose child's copy of the old arena is not modelled is refused before anything changes", () => {
    const k = boot();
    const v = virtualOf(k);
    const u = userlandOf(k);
    const a = spawnExec(k, "a");
    u.mallocOf(a).malloc(100);
    const c = v.fork(a, "c");
    if (typeof c === "number") throw new Error("fork");
    // the parent calls malloc after the fork: the child's copy at fork time is not kept
    u.mallocOf(a).malloc(100);
    const maps = k.cat(`/proc/${a.pid}/maps`);
    expect(() => execOf(k).execve(a, { aslr: false })).toThrow(/not modelled/);
    expect(k.cat(`/proc/${a.pid}/maps`)).toBe(maps);
    k.verify();
  });
});
