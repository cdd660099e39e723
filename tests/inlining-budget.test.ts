// The page allocator's order-0 fast paths (PhysicalMemory.allocPages/freePages) reach
// 28 M alloc+free pairs/s only while V8 inlines both whole into their caller; past V8's limits
// they are called instead and the pair drops to ~20 M/s (packages/physical DESIGN.md, "Fast
// paths"; docs/design/performance.md rule 4). Node 20's V8 inlines a function of at most 460
// bytes of bytecode (--max-inlined-bytecode-size) and 920 in all into one caller, counting the
// inlinees of a callee that is already optimized a second time; so both are leaf functions and
// this test keeps their bytecode inside the limits. It measures sizes, never time.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const MAX_INLINED_BYTECODE_SIZE = 460;
const MAX_INLINED_BYTECODE_SIZE_CUMULATIVE = 920;

/** "Bytecode length" V8 prints for each compiled function named `name`. */
function bytecodeLength(name: string): number {
  const script = [
    'import { PhysicalMemory, GFP_KERNEL } from "@mmsim/physical";',
    "const m = PhysicalMemory.boot({ memory: [{ base: 0, size: 64 * 2 ** 20, nid: 0 }], nrCpus: 1, kernelImage: null });",
    "m.freePages(m.allocPages(GFP_KERNEL, 0), 0);",
  ].join("\n");
  const r = spawnSync("node", ["--conditions=mmsim-source", "--import", "tsx", `--print-bytecode-filter=${name}`, "--print-bytecode", "--input-type=module", "-e", script], {
    cwd: resolve(root, "packages/physical"),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  expect(r.status, r.stderr).toBe(0);
  const m = /Bytecode length: (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`no bytecode printed for ${name}`);
  return Number(m[1]);
}

describe("V8 inlining budget of the order-0 page allocator fast paths", () => {
  it("allocPages and freePages each fit V8's per-function limit, and together its cumulative one", () => {
    const alloc = bytecodeLength("allocPages");
    const free = bytecodeLength("freePages");
    expect(alloc).toBeLessThanOrEqual(MAX_INLINED_BYTECODE_SIZE);
    expect(free).toBeLessThanOrEqual(MAX_INLINED_BYTECODE_SIZE);
    expect(alloc + free).toBeLessThanOrEqual(MAX_INLINED_BYTECODE_SIZE_CUMULATIVE - 100);
  });
});

// kmalloc(64)+kfree (packages/kernel-alloc DESIGN.md, "Performance"): KernelAlloc.kmalloc and
// KernelAlloc.kfree are leaf functions but for one Ram pair accessor each (readU32Pair,
// writeU32Pair), which V8 inlines with them. Kmalloc.kmalloc shares the name "kmalloc": the
// leaf is the larger one.
/** "Bytecode length" of every compiled function named `name` after a kmalloc/kfree pair. */
function kernelAllocBytecodeLengths(name: string): number[] {
  const script = [
    'import { Rng } from "@mmsim/base";',
    'import { Ram } from "@mmsim/hardware";',
    'import { GFP_KERNEL, PhysicalMemory } from "@mmsim/physical";',
    'import { KernelAlloc } from "@mmsim/kernel-alloc";',
    "const ram = new Ram({ bytes: 64 * 2 ** 20 });",
    "const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: 64 * 2 ** 20, nid: 0 }], nrCpus: 1, ram, kernelImage: null });",
    "const ka = KernelAlloc.boot({ phys, ram, nrCpus: 1, rng: new Rng(1), kernelCaches: false });",
    "ka.kfree(ka.kmalloc(64, GFP_KERNEL));",
  ].join("\n");
  const r = spawnSync("node", ["--conditions=mmsim-source", "--import", "tsx", `--print-bytecode-filter=${name}`, "--print-bytecode", "--input-type=module", "-e", script], {
    cwd: resolve(root, "packages/kernel-alloc"),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  expect(r.status, r.stderr).toBe(0);
  const lengths = [...r.stdout.matchAll(/Bytecode length: (\d+)/g)].map((m) => Number(m[1]));
  if (lengths.length === 0) throw new Error(`no bytecode printed for ${name}`);
  return lengths;
}

describe("V8 inlining budget of the kmalloc/kfree fast paths", () => {
  it("KernelAlloc.kmalloc and kfree with their Ram accessors fit V8's per-function and cumulative limits", () => {
    const kmalloc = Math.max(...kernelAllocBytecodeLengths("kmalloc"));
    const kfree = Math.max(...kernelAllocBytecodeLengths("kfree"));
    const read = Math.max(...kernelAllocBytecodeLengths("readU32Pair"));
    const write = Math.max(...kernelAllocBytecodeLengths("writeU32Pair"));
    expect(kmalloc).toBeLessThanOrEqual(MAX_INLINED_BYTECODE_SIZE);
    expect(kfree).toBeLessThanOrEqual(MAX_INLINED_BYTECODE_SIZE);
    expect(kmalloc + read + kfree + write).toBeLessThanOrEqual(MAX_INLINED_BYTECODE_SIZE_CUMULATIVE - 100);
  });
});
