// The model behind the "A process's layout" page: the built-in program /usr/bin/app (a small
// dynamically linked PIE laid out as a 6.18 machine's /usr/bin/cat, with ld.so and libc.so.6)
// exec'd in a task of a booted @mmsim/kernel machine with the `exec` scenario step, its main()
// calling malloc once (so the [heap] exists, as cat's stdio buffer makes it). The view is
// /proc/app/maps with each line classified (which object, which segment), Rss from smaps, and the
// top of the stack read back from the task's memory: argc, argv[], envp[], the auxiliary vector
// (/proc/app/auxv), the random bytes, the platform string and the strings. ASLR is the sysctl
// kernel.randomize_va_space (0 or 2), applied at the next exec.
import { VmSession, type StepLine } from "./vm-session";

const TASK = "app";
const ARGV = ["app", "hello"];
const ENVP = ["HOME=/root", "LANG=C.UTF-8"];
const PAGE = 4096;

/** What a maps line holds. */
export type SegmentKind =
  | "headers" | "text" | "rodata" | "relro" | "data" | "bss" | "heap" | "tls" | "ldso-malloc"
  | "vvar" | "vvar_vclock" | "vdso" | "stack" | "vsyscall" | "anon";

/** One line of /proc/app/maps, classified. */
export interface LayoutLine {
  /** the line as maps prints it (without the newline) */
  text: string;
  start: number;
  end: number;
  perms: string;
  /** the object it belongs to: "app", "libc", "ld.so", or "" (the kernel's or anonymous) */
  object: "app" | "libc" | "ld.so" | "";
  kind: SegmentKind;
  sizeKb: number;
  rssKb: number;
}

/** What a stretch of the stack's top holds, from the highest address down. */
export type StackKind = "end" | "execfn" | "envstr" | "argstr" | "platform" | "random" | "auxv" | "envp" | "argv" | "argc";

/** One stretch of the argument area (addresses as numbers, end exclusive). */
export interface StackItem {
  kind: StackKind;
  start: number;
  end: number;
  /** what it reads as: the strings, pointers, pairs or bytes */
  value: string;
}

export interface LayoutView {
  /** kernel.randomize_va_space at the last exec */
  randomizeVaSpace: number;
  execs: number;
  lines: LayoutLine[];
  stack: StackItem[];
  /** the stack pointer at the program's entry (stat's startstack: the address of argc) */
  sp: number;
  log: StepLine[];
}

/** AT_* names (include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h). */
export const AT_NAMES: Readonly<Record<number, string>> = {
  0: "AT_NULL", 3: "AT_PHDR", 4: "AT_PHENT", 5: "AT_PHNUM", 6: "AT_PAGESZ", 7: "AT_BASE", 8: "AT_FLAGS", 9: "AT_ENTRY",
  11: "AT_UID", 12: "AT_EUID", 13: "AT_GID", 14: "AT_EGID", 15: "AT_PLATFORM", 16: "AT_HWCAP", 17: "AT_CLKTCK",
  23: "AT_SECURE", 25: "AT_RANDOM", 26: "AT_HWCAP2", 27: "AT_RSEQ_FEATURE_SIZE", 28: "AT_RSEQ_ALIGN", 31: "AT_EXECFN",
  33: "AT_SYSINFO_EHDR", 51: "AT_MINSIGSTKSZ",
};
/** The auxv entries printed in hex: addresses, and AT_HWCAP (a bit mask), as LD_SHOW_AUXV does. */
const AT_ADDRESSES = new Set([3, 7, 9, 15, 16, 25, 31, 33]);

const hex = (n: number) => "0x" + n.toString(16);

function objectOf(path: string): LayoutLine["object"] {
  if (path.endsWith("/app")) return "app";
  if (path.includes("libc.so")) return "libc";
  if (path.includes("ld-linux")) return "ld.so";
  return "";
}

/** Classifies maps lines: file segments by their place in their object, anonymous ones by their neighbours. */
export function classify(raw: { text: string; start: number; end: number; perms: string; offset: number; name: string }[]): Omit<LayoutLine, "sizeKb" | "rssKb">[] {
  const out: Omit<LayoutLine, "sizeKb" | "rssKb">[] = [];
  for (let i = 0; i < raw.length; i++) {
    const l = raw[i]!;
    const prev = out[i - 1];
    const next = raw[i + 1];
    let object: LayoutLine["object"] = "";
    let kind: SegmentKind = "anon";
    if (l.name.startsWith("/")) {
      object = objectOf(l.name);
      if (l.perms === "r-xp") kind = "text";
      else if (l.perms === "rw-p") kind = "data";
      else if (l.offset === 0) kind = "headers";
      else kind = prev !== undefined && prev.object === object && prev.kind === "text" ? "rodata" : "relro";
    } else if (l.name === "[heap]") kind = "heap";
    else if (l.name === "[stack]") kind = "stack";
    else if (l.name === "[vvar]") kind = "vvar";
    else if (l.name === "[vvar_vclock]") kind = "vvar_vclock";
    else if (l.name === "[vdso]") kind = "vdso";
    else if (l.name === "[vsyscall]") kind = "vsyscall";
    else if (prev !== undefined && prev.kind === "data" && prev.end === l.start) {
      object = prev.object;
      kind = "bss";
    } else if (next !== undefined && next.name.includes("libc.so") && next.offset === 0 && next.start === l.end) kind = "tls";
    else if (next !== undefined && next.name === "[vvar]" && next.start === l.end) kind = "ldso-malloc";
    out.push({ text: l.text, start: l.start, end: l.end, perms: l.perms, object, kind });
  }
  return out;
}

/** The built-in program exec'd in task "app", re-exec'd with ASLR on or off. */
export class LayoutDemo {
  readonly s = new VmSession();
  private vaSpace = 0;
  private execs = 0;

  constructor() {
    this.exec(false);
  }

  /** randomize_va_space = 2 (aslr) or 0, then execve of /usr/bin/app and main()'s first malloc. */
  exec(aslr: boolean): void {
    const s = this.s;
    this.vaSpace = aslr ? 2 : 0;
    s.step("sysctl", { "kernel.randomize_va_space": this.vaSpace });
    const who = this.execs === 0 ? { spawn: TASK } : { task: TASK };
    s.step("exec", { ...who, argv: ARGV, envp: ENVP });
    s.step("malloc", { task: TASK, size: 100, as: `buf${this.execs}` });
    this.execs++;
  }

  /** n bytes of the task's memory at va, through its page tables (every page here is present). */
  private peek(va: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let done = 0; done < n; ) {
      const a = va + done;
      const pte = this.s.pte(TASK, a);
      if (pte === null) throw new Error(`LayoutDemo: ${hex(a)} is not mapped`);
      const len = Math.min(PAGE - (a % PAGE), n - done);
      out.set(this.s.k.hw.ram.read(pte.pfn * PAGE + (a % PAGE), len), done);
      done += len;
    }
    return out;
  }

  private u64(va: number): number {
    const b = this.peek(va, 8);
    const dv = new DataView(b.buffer);
    return dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  }

  /** The NUL-terminated string at va, read a page at a time (it may end just below the stack's top). */
  private cstr(va: number): string {
    const parts: Uint8Array[] = [];
    for (let a = va; ; ) {
      const chunk = this.peek(a, PAGE - (a % PAGE));
      const nul = chunk.indexOf(0);
      parts.push(nul < 0 ? chunk : chunk.subarray(0, nul));
      if (nul >= 0) break;
      a += chunk.length;
    }
    return new TextDecoder().decode(Uint8Array.from(parts.flatMap((p) => [...p])));
  }

  private strings(start: number, end: number): string {
    return new TextDecoder().decode(this.peek(start, end - start)).split("\0").slice(0, -1).map((x) => JSON.stringify(x)).join(" ");
  }

  view(): LayoutView {
    const s = this.s;
    const raw = s.cat(`/proc/${TASK}/maps`).trimEnd().split("\n").map((text) => {
      const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \d+ *(.*)$/.exec(text)!;
      return { text, start: parseInt(m[1]!, 16), end: parseInt(m[2]!, 16), perms: m[3]!, offset: parseInt(m[4]!, 16), name: m[5]!.trim() };
    });
    const smaps = s.smaps(TASK);
    const lines = classify(raw).map((l) => {
      const v = smaps.find((x) => x.start === l.start);
      return { ...l, sizeKb: v?.sizeKb ?? (l.end - l.start) / 1024, rssKb: v?.rssKb ?? 0 };
    });
    // the argument area: stat's startstack and arg_start..env_end (fields 28, 48-51), the auxv
    const stat = s.cat(`/proc/${TASK}/stat`).trimEnd().split(" ").map(Number);
    const sp = stat[27]!;
    const [argStart, argEnd, envStart, envEnd] = [stat[47]!, stat[48]!, stat[49]!, stat[50]!];
    const bytes = s.k.procfs.readBytes(`/proc/${TASK}/auxv`, 0, PAGE) as Uint8Array;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const auxv: [number, number][] = [];
    for (let o = 0; o < bytes.length; o += 16) {
      auxv.push([dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 2 ** 32, dv.getUint32(o + 8, true) + dv.getUint32(o + 12, true) * 2 ** 32]);
    }
    const at = (type: number) => auxv.find(([t]) => t === type)?.[1] ?? 0;
    const stackTop = lines.find((l) => l.kind === "stack")!.end;
    const execfn = at(31);
    const platform = at(15);
    const random = at(25);
    const argc = this.u64(sp);
    const argvAt = sp + 8;
    const envpAt = argvAt + (argc + 1) * 8;
    let envc = 0;
    while (this.u64(envpAt + envc * 8) !== 0) envc++;
    const auxvAt = envpAt + (envc + 1) * 8;
    const ptrs = (at0: number, n: number) => Array.from({ length: n }, (_, i) => hex(this.u64(at0 + i * 8))).concat("NULL").join(" ");
    const stack: StackItem[] = [
      { kind: "end", start: stackTop - 8, end: stackTop, value: "0" },
      { kind: "execfn", start: execfn, end: stackTop - 8, value: JSON.stringify(this.cstr(execfn)) },
      { kind: "envstr", start: envStart, end: envEnd, value: this.strings(envStart, envEnd) },
      { kind: "argstr", start: argStart, end: argEnd, value: this.strings(argStart, argEnd) },
      { kind: "platform", start: platform, end: platform + this.cstr(platform).length + 1, value: JSON.stringify(this.cstr(platform)) },
      { kind: "random", start: random, end: random + 16, value: [...this.peek(random, 16)].map((b) => b.toString(16).padStart(2, "0")).join("") },
      {
        kind: "auxv", start: auxvAt, end: auxvAt + auxv.length * 16,
        value: auxv.map(([t, v]) => `${AT_NAMES[t] ?? t}=${AT_ADDRESSES.has(t) ? hex(v) : v}`).join(" "),
      },
      { kind: "envp", start: envpAt, end: auxvAt, value: ptrs(envpAt, envc) },
      { kind: "argv", start: argvAt, end: envpAt, value: ptrs(argvAt, argc) },
      { kind: "argc", start: sp, end: sp + 8, value: String(argc) },
    ];
    return { randomizeVaSpace: this.vaSpace, execs: this.execs, lines, stack, sp, log: [...s.log] };
  }
}

/** Runs exec with each ASLR setting of `aslrs` after the first (ASLR off) exec; the final view (the Node reference of the e2e). */
export function runLayout(aslrs: readonly boolean[]): LayoutView {
  const d = new LayoutDemo();
  for (const a of aslrs) d.exec(a);
  return d.view();
}
