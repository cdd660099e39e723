// Tasks under random operations on a whole kernel: spawn, fork, exit, kill, mmap, munmap,
// mprotect, stores that fault pages in and break copy-on-write, and loads, checked against a
// shadow model (each task's bytes per page, copied at fork: no leak between parent and child),
// with Kernel.verify() after every VERIFY_EVERY-th operation and after every fault. At the end
// every task exits and the machine must be back at its boot state (free pages, PageTables,
// every slab cache, with the caches shrunk and the PCP lists drained on both sides).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MiB } from "@mmsim/base";
import { GFP_KERNEL } from "@mmsim/physical";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, doMprotect, sysMmap, sysMunmap, userLoad, userStore } from "@mmsim/virtual";
import { Kernel, virtualOf, type Task } from "../src/index";
import { settle } from "./settle";

/** Total operations in CI; MMSIM_PROPERTY_OPS asks for more. */
const TOTAL_OPS = Number(process.env.MMSIM_PROPERTY_OPS ?? 10_000);
const OPS_PER_RUN = 2000;
const RUNS = Math.max(1, Math.ceil(TOTAL_OPS / OPS_PER_RUN));
const VERIFY_EVERY = Number(process.env.MMSIM_PROPERTY_VERIFY_EVERY ?? 16);
const SEED = Number(process.env.MMSIM_PROPERTY_SEED ?? 16);
const PAGE = 4096;

type Op =
  | { t: "spawn" }
  | { t: "fork" | "exit" | "kill"; pick: number }
  | { t: "mmap"; pick: number; pages: number }
  | { t: "munmap" | "mprotect" | "store" | "load"; pick: number; at: number; pages: number; byte: number };

const pick = fc.nat({ max: 1 << 20 });
const ranged = (t: "munmap" | "mprotect" | "store" | "load") =>
  fc.record({ t: fc.constant(t), pick, at: pick, pages: fc.integer({ min: 1, max: 3 }), byte: fc.integer({ min: 1, max: 255 }) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ t: "spawn" as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("fork" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("exit" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("kill" as const), pick }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("mmap" as const), pick, pages: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: ranged("munmap") },
  { weight: 2, arbitrary: ranged("mprotect") },
  { weight: 6, arbitrary: ranged("store") },
  { weight: 4, arbitrary: ranged("load") },
);

/** A task and its shadow: the byte every page it stored holds (pages never stored read 0). */
interface Shadowed {
  t: Task;
  bytes: Map<number, number>;
}

let opsRun = 0;
let faults = 0;
let pagesChecked = 0;

function runOps(ops: Op[]): void {
  const k = Kernel.boot({ ram: 64 * MiB, cpus: 2 });
  const v = virtualOf(k);
  // Linux never frees the vmalloc area's kernel page tables: map (and unmap) its first 32 MiB
  // once, so the tables the tasks' kernel stacks need exist in the boot state too
  const one = k.phys.allocPages(GFP_KERNEL, 0);
  const va = k.alloc.vmap(new Array<number>((32 * MiB) / PAGE).fill(one), "warmup");
  expect(va).not.toBe(0);
  k.alloc.vunmap(va);
  k.phys.freePages(one, 0);
  const boot = settle(k);
  const tasks: Shadowed[] = [];
  let names = 0;
  const remove = (s: Shadowed) => tasks.splice(tasks.indexOf(s), 1);
  for (const o of ops) {
    let check = false;
    const s = tasks.length ? tasks[(o as { pick?: number }).pick! % tasks.length] : undefined;
    switch (o.t) {
      case "spawn": {
        const t = v.spawn(`t${names++}`);
        if (typeof t !== "number") tasks.push({ t, bytes: new Map() });
        break;
      }
      case "fork":
        if (s) {
          const c = v.fork(s.t, `t${names++}`);
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
        if (s) sysMmap(v.vmm, s.t.mm!, 0, o.pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
        break;
      default: {
        if (!s) break;
        const vmas = s.t.mm!.mmMt.vmas;
        if (vmas.length === 0) break;
        const vma = vmas[o.at % vmas.length]!;
        const addr = vma.vmStart + (Math.floor(o.at / vmas.length) % vma.pages) * PAGE;
        const len = Math.min(o.pages * PAGE, vma.vmEnd - addr);
        if (o.t === "munmap") {
          expect(sysMunmap(v.vmm, s.t.mm!, addr, len)).toBe(0);
          for (let a = addr; a < addr + len; a += PAGE) s.bytes.delete(a);
        } else if (o.t === "mprotect") {
          expect(doMprotect(v.vmm, s.t.mm!, addr, len, o.byte & 1 ? PROT_READ : PROT_READ | PROT_WRITE)).toBe(0);
        } else if (o.t === "store") {
          const writable = (vma.vmFlags & 0x2) !== 0;
          const sig = userStore(v.vmm, s.t.mm!, k.hw.cpus[s.t.cpu]!, addr, new Uint8Array(len).fill(o.byte));
          // a read-only VMA faults (SEGV_ACCERR) and the task dies
          expect(sig === null).toBe(writable);
          if (sig) {
            faults++;
            check = true;
            v.kill(s.t, sig.signo);
            remove(s);
          } else for (let a = addr; a < addr + len; a += PAGE) s.bytes.set(a, o.byte);
        } else {
          const buf = new Uint8Array(len);
          expect(userLoad(v.vmm, s.t.mm!, k.hw.cpus[s.t.cpu]!, addr, buf)).toBeNull();
          for (let a = addr, i = 0; a < addr + len; a += PAGE, i += PAGE) {
            const want = s.bytes.get(a) ?? 0;
            if (buf[i] !== want || buf[i + PAGE - 1] !== want) expect([a.toString(16), buf[i], buf[i + PAGE - 1]]).toEqual([a.toString(16), want, want]);
            pagesChecked++;
          }
        }
      }
    }
    opsRun++;
    if (check || opsRun % VERIFY_EVERY === 0) k.verify();
  }
  for (const s of tasks) v.exit(s.t);
  k.verify();
  expect(settle(k)).toEqual(boot);
}

describe("tasks under random operations", () => {
  it(`keep every invariant and every task's bytes over ${RUNS * OPS_PER_RUN} operations, and the machine returns to its boot state`, () => {
    opsRun = 0;
    faults = 0;
    pagesChecked = 0;
    fc.assert(fc.property(fc.array(op, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }), runOps), { numRuns: RUNS, seed: SEED, endOnFailure: true });
    console.log(`tasks property test (seed ${SEED}): ${opsRun} operations in ${RUNS} runs, ${pagesChecked} pages read back against the shadow, ${faults} stores ended in SIGSEGV`);
    expect(opsRun).toBeGreaterThanOrEqual(RUNS * OPS_PER_RUN);
    expect(pagesChecked).toBeGreaterThan(0);
  }, 600_000);
});
