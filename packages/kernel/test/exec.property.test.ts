// exec'd tasks under random operations: spawn+exec (with and without ASLR, any
// randomize_va_space), exec over a running task, fork, exit, kill, anonymous mmap, and stores and
// loads in anonymous memory (the stack, bss, ld.so's pages) checked against a shadow of every
// byte stored, copied at fork and dropped at exec. Each exec'd stack must read back argc.
// Kernel.verify() after every VERIFY_EVERY-th operation; at the end every task exits and the machine must be
// back at its boot state (free pages, PageTables, AnonPages, every slab cache) once the page
// cache (the program files exec read) is dropped.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MiB } from "@mmsim/base";
import { GFP_KERNEL } from "@mmsim/physical";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, sysMmap, userLoad, userStore } from "@mmsim/virtual";
import { Kernel, execOf, virtualOf, type Task } from "../src/index";
import { settle } from "./settle";

/** Total operations in CI; MMSIM_PROPERTY_OPS asks for more. */
const TOTAL_OPS = Number(process.env.MMSIM_PROPERTY_OPS ?? 1500);
const OPS_PER_RUN = 300;
const RUNS = Math.max(1, Math.ceil(TOTAL_OPS / OPS_PER_RUN));
const PAGE = 4096;
const VERIFY_EVERY = Number(process.env.MMSIM_PROPERTY_VERIFY_EVERY ?? 4);

type Op =
  | { t: "spawnExec"; aslr: boolean; vaSpace: number; argc: number }
  | { t: "exec" | "fork" | "exit" | "kill" | "mmap"; pick: number; argc: number }
  | { t: "store" | "load"; pick: number; at: number; byte: number };

const pick = fc.nat({ max: 1 << 20 });
const argc = fc.integer({ min: 1, max: 40 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant("spawnExec" as const), aslr: fc.boolean(), vaSpace: fc.integer({ min: 0, max: 2 }), argc }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("exec" as const), pick, argc }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("fork" as const), pick, argc }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("exit" as const), pick, argc }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("kill" as const), pick, argc }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("mmap" as const), pick, argc }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("store" as const), pick, at: pick, byte: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("load" as const), pick, at: pick, byte: fc.constant(0) }) },
);

interface Shadowed {
  t: Task;
  /** bytes stored since the last exec, by address */
  bytes: Map<number, number>;
}

let opsRun = 0;
let execs = 0;
let bytesChecked = 0;

function argv(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `arg${i}-${"x".repeat(i * 7)}`);
}

function readU64(k: Kernel, t: Task, addr: number): number {
  const b = new Uint8Array(8);
  expect(userLoad(virtualOf(k).vmm, t.mm!, k.hw.cpus[t.cpu]!, addr, b)).toBeNull();
  const dv = new DataView(b.buffer);
  return dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
}

function runOps(ops: Op[], seed: number): void {
  const k = Kernel.boot({ ram: 64 * MiB, cpus: 2 }, { seed });
  const v = virtualOf(k);
  const ex = execOf(k);
  // as tasks.property.test.ts: the vmalloc area's kernel page tables for kernel stacks exist at boot
  const one = k.phys.allocPages(GFP_KERNEL, 0);
  const va = k.alloc.vmap(new Array<number>((32 * MiB) / PAGE).fill(one), "warmup");
  k.alloc.vunmap(va);
  k.phys.freePages(one, 0);
  const boot = settle(k);
  const tasks: Shadowed[] = [];
  let names = 0;
  const remove = (s: Shadowed) => tasks.splice(tasks.indexOf(s), 1);
  const exec = (s: Shadowed, n: number, aslr = true) => {
    const r = ex.execve(s.t, { argv: argv(n), aslr });
    expect(typeof r).not.toBe("number");
    if (typeof r === "number") return;
    execs++;
    s.bytes.clear();
    expect(readU64(k, s.t, r.stack.sp)).toBe(n);
  };
  for (const o of ops) {
    const s = tasks.length ? tasks[(o as { pick?: number }).pick! % tasks.length] : undefined;
    switch (o.t) {
      case "spawnExec": {
        const t = v.spawn(`t${names++ % 1000}`);
        if (typeof t === "number") break;
        ex.randomizeVaSpace = o.vaSpace;
        const sh = { t, bytes: new Map<number, number>() };
        tasks.push(sh);
        exec(sh, o.argc, o.aslr);
        break;
      }
      case "exec":
        if (s) exec(s, o.argc);
        break;
      case "fork":
        if (s) {
          const c = v.fork(s.t, `t${names++ % 1000}`);
          if (typeof c !== "number") tasks.push({ t: c, bytes: new Map(s.bytes) });
        }
        break;
      case "exit":
      case "kill":
        if (s) {
          if (o.t === "exit") v.exit(s.t);
          else v.kill(s.t, 9);
          remove(s);
        }
        break;
      case "mmap":
        if (s) expect(sysMmap(v.vmm, s.t.mm!, 0, (1 + (o.pick % 4)) * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBeGreaterThan(0);
        break;
      default: {
        if (!s) break;
        // anonymous writable memory only: file pages of the program are not faulted here
        const vmas = s.t.mm!.mmMt.vmas.filter((x) => x.vmFile === null && x.vmOps === null && (x.vmFlags & 0x2) !== 0);
        if (vmas.length === 0) break;
        const vma = vmas[o.at % vmas.length]!;
        const addr = vma.vmStart + (Math.floor(o.at / vmas.length) % vma.pages) * PAGE + (o.at % 61);
        const cpu = k.hw.cpus[s.t.cpu]!;
        if (o.t === "store") {
          expect(userStore(v.vmm, s.t.mm!, cpu, addr, Uint8Array.of(o.byte))).toBeNull();
          s.bytes.set(addr, o.byte);
        } else {
          for (const [a, want] of s.bytes) {
            const b = new Uint8Array(1);
            expect(userLoad(v.vmm, s.t.mm!, cpu, a, b)).toBeNull();
            if (b[0] !== want) expect([a.toString(16), b[0]]).toEqual([a.toString(16), want]);
            bytesChecked++;
          }
        }
      }
    }
    opsRun++;
    if (opsRun % VERIFY_EVERY === 0) k.verify();
  }
  for (const s of tasks) v.exit(s.t);
  k.verify();
  // the program files' pages stay in the page cache after their last mapping goes: drop them
  k.sysctl.set({ "vm.drop_caches": "1" });
  expect(settle(k)).toEqual(boot);
}

describe("exec'd tasks (property)", () => {
  it("fork, exec, exit and stores keep every byte and leave the machine at its boot state", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), fc.integer({ min: 1, max: 1000 }), (ops, seed) => runOps(ops, seed)),
      { numRuns: RUNS, seed: Number(process.env.MMSIM_PROPERTY_SEED ?? 17) },
    );
    console.log(`exec property: ${opsRun} operations (${execs} execs, ${bytesChecked} bytes checked) in ${RUNS} runs`);
    expect(opsRun).toBeGreaterThanOrEqual(TOTAL_OPS);
  }, 600_000);
});
