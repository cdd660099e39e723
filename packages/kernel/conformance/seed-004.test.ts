// Seed 004 (../shared/seeds/004: a blog post measuring glibc malloc through /proc/<pid>/smaps on
// a real Linux machine): its test program runs as examples/scenarios/seed-004*.yaml, and the
// smaps numbers it printed come out of the simulator. Sizes follow from glibc's malloc.c:
// request2size(1575936) = 1575952, sysmalloc_mmap maps ALIGN_UP(1575952 + SIZE_SZ, 4096) =
// 1576960 bytes = 1540 kB; 8388999 -> 8392704 bytes; together 9969664 bytes = 9736 kB in one
// VMA (the second mapping goes just below the first and vma_merge joins them). The heap is
// tcache_init's chunk 0x290 + M_TOP_PAD 128 KiB + MINSIZE, page-rounded: 0x21000 = 132 kB.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadScenario, runScenario, type StepResult } from "../src/index";

function run(name: string): StepResult[] {
  const file = new URL(`../../../examples/scenarios/${name}.yaml`, import.meta.url);
  return runScenario(loadScenario(readFileSync(file, "utf8"), `${name}.yaml`), { verify: true }).results;
}

/** The smaps block of the VMA holding `at` in the output of a cat step, as field -> value. */
function smapsAt(out: string, at: number): { range: string; fields: Map<string, string> } {
  const lines = out.split("\n");
  const i = lines.findIndex((l) => {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(l);
    return m !== null && parseInt(m[1]!, 16) <= at && at < parseInt(m[2]!, 16);
  });
  const fields = new Map<string, string>();
  for (const l of lines.slice(i + 1)) {
    const m = /^(\w+):\s+(.*)$/.exec(l);
    if (m === null) break;
    fields.set(m[1]!, m[2]!);
  }
  return { range: lines[i]!.split(" ")[0]!, fields };
}

/** The pointer a malloc step returned. */
function ptr(results: StepResult[], as: string): number {
  const r = results.find((x) => x.op === "malloc" && x.command.endsWith(` as ${as}`))!;
  return parseInt(r.output.slice(2), 16);
}

const cats = (results: StepResult[]) => results.filter((r) => r.command === "cat /proc/test/smaps").map((r) => r.output);

describe("seed 004: ./test 1575936 8388999 (blocks above the mmap threshold)", () => {
  const results = run("seed-004-large");
  const [first, second] = cats(results);
  const p0 = ptr(results, "p0");
  const p1 = ptr(results, "p1");

  it("the first block is a new anonymous mapping of 1540 kB with Rss 8 kB (its first and last page)", () => {
    const s = smapsAt(first!, p0);
    expect(s.range).toBe(`${(p0 - 16).toString(16)}-${(p0 - 16 + 1576960).toString(16)}`);
    expect(s.fields.get("Size")).toBe("1540 kB");
    for (const f of ["Rss", "Pss", "Private_Dirty", "Referenced", "Anonymous"]) expect(s.fields.get(f)).toBe("8 kB");
    expect(s.fields.get("AnonHugePages")).toBe("0 kB");
  });

  it("the second block is mapped just below it and merged: 9736 kB with Rss 16 kB", () => {
    const s = smapsAt(second!, p0);
    expect(p1 - 16 + 8392704).toBe(p0 - 16);
    expect(s.range).toBe(`${(p1 - 16).toString(16)}-${(p0 - 16 + 1576960).toString(16)}`);
    expect(s.fields.get("Size")).toBe("9736 kB");
    for (const f of ["Rss", "Pss", "Private_Dirty", "Referenced", "Anonymous"]) expect(s.fields.get(f)).toBe("16 kB");
    expect(s.fields.get("THPeligible")).toBe("0");
  });

  it("the [heap] stays 132 kB with Rss 4 kB: the big blocks never touch it", () => {
    const heap = smapsAt(second!, ptr(results, "stdout_buf"));
    expect(heap.fields.get("Size")).toBe("132 kB");
    expect(heap.fields.get("Rss")).toBe("4 kB");
  });
});

describe("seed 004: ./test 4096 8192 (blocks from the [heap])", () => {
  it("first and last byte written: [heap] of 132 kB, Rss 4 -> 8 -> 12 kB", () => {
    const results = run("seed-004-small");
    const rss = results.filter((r) => r.command.includes(" Rss = ")).map((r) => r.command.split(" Rss = ")[1]);
    expect(rss).toEqual(["4 kB", "8 kB", "12 kB"]);
    const s = smapsAt(cats(results)[0]!, ptr(results, "p1"));
    expect(s.fields.get("Size")).toBe("132 kB");
    expect(s.fields.get("Rss")).toBe("12 kB");
    // the 8192-byte block spans pages 1..3 of the heap; its first and last byte touch 1 and 3 only
    const heap = parseInt(s.range.split("-")[0]!, 16);
    const p1 = ptr(results, "p1");
    expect([Math.floor((p1 - heap) / 4096), Math.floor((p1 + 8191 - heap) / 4096)]).toEqual([1, 3]);
  });

  it("memset over each block: Rss 4 -> 8 -> 16 kB", () => {
    const results = run("seed-004-small-memset");
    const rss = results.filter((r) => r.command.includes(" Rss = ")).map((r) => r.command.split(" Rss = ")[1]);
    expect(rss).toEqual(["4 kB", "8 kB", "16 kB"]);
    expect(smapsAt(cats(results)[0]!, ptr(results, "p1")).fields.get("Rss")).toBe("16 kB");
  });
});
