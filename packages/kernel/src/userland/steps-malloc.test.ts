// The malloc family's scenario steps: ltrace-style output, `as` bindings used by later steps
// (addr: p+4095), glibc's abort message and SIGABRT for a double free, and input errors that
// name the scenario's line and field.
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../index";
import { inputError } from "../../test/input-error";

function run(steps: string): string {
  return formatResults(runScenario(loadScenario(`machine: { ram: 1GiB }\nsteps:\n  - spawn: { name: app }\n${steps}`, "m.yaml"), { verify: true }).results);
}

describe("malloc steps", () => {
  it("print each call and its result; `as` names the pointer for later steps", () => {
    const out = run(
      [
        "  - malloc: { task: app, size: 4096, as: p }",
        "  - store: { task: app, addr: p+4095, length: 1 }",
        "  - calloc: { task: app, nmemb: 4, size: 8, as: q }",
        "  - realloc: { task: app, ptr: q, size: 64, as: r }",
        "  - free: { task: app, ptr: r }",
        "  - mallopt: { task: app, param: M_MMAP_THRESHOLD, value: 64MiB }",
        "  - mallopt: { task: app, param: M_TRIM_THRESHOLD, value: -1 }",
        "  - malloc_trim: { task: app }",
        "  - free: { task: app, ptr: p }",
        "  - expect: { path: /proc/app/maps, at: p, field: pathname, equals: '[heap]' }",
        "  - expect: { path: /proc/app/smaps, at: p, field: Size, equals: 8 kB }",
      ].join("\n"),
    );
    expect(out).toBe(
      "$ spawn app\npid 1 on CPU 0\n" +
        "$ app: malloc(4096) as p\n= 0x5555555542a0\n" +
        "$ app: store 1 bytes of 0xaa at p+0xfff\n" +
        // 0x290 tcache + 0x1010: q's chunk comes from top, realloc grows it in place into top
        "$ app: calloc(4, 8) as q\n= 0x5555555552b0\n" +
        "$ app: realloc(q, 64) as r\n= 0x5555555552b0\n" +
        "$ app: free(r)\n" +
        "$ app: mallopt(M_MMAP_THRESHOLD, 67108864)\n= 0\n" +
        "$ app: mallopt(M_TRIM_THRESHOLD, -1)\n= 1\n" +
        // malloc_trim(0): top (from 0x12f0) is cut back by sbrk to the page it starts in: a heap of 8 kB
        "$ app: malloc_trim(0)\n= 1\n" +
        "$ app: free(p)\n" +
        "$ expect /proc/app/maps at p pathname = [heap]\nok\n" +
        "$ expect /proc/app/smaps at p Size = 8 kB\nok\n",
    );
  });

  it("a double free ends the task with glibc's message and SIGABRT", () => {
    const out = run(
      [
        "  - malloc: { task: app, size: 24, as: p }",
        "  - free: { task: app, ptr: p }",
        "  - free: { task: app, ptr: p }",
        "  - expect: { task: app, signal: SIGABRT }",
      ].join("\n"),
    );
    expect(out).toContain("$ app: free(p)\nfree(): double free detected in tcache 2\n+++ killed by SIGABRT +++\n$ expect app received SIGABRT\nok\n");
  });

  it("a free of a misaligned pointer: free(): invalid pointer", () => {
    const out = run("  - malloc: { task: app, size: 24, as: p }\n  - free: { task: app, ptr: p+8 }");
    expect(out).toContain("free(): invalid pointer\n+++ killed by SIGABRT +++\n");
  });

  it("bad input names the line and the field", () => {
    expect(inputError(() => run("  - malloc: { task: app, size: lots, as: p }"))).toMatch(/^m\.yaml:4: steps\[1\]\.malloc\.size: /);
    expect(inputError(() => run("  - free: { task: app, ptr: nowhere }"))).toMatch(/^m\.yaml:4: steps\[1\]\.free\.ptr: no earlier step bound "nowhere"/);
    expect(inputError(() => run("  - mallopt: { task: app, param: M_ARENA_MAX, value: 1 }"))).toMatch(/^m\.yaml:4: steps\[1\]\.mallopt\.param: expected one of M_MXFAST/);
    expect(inputError(() => run("  - calloc: { task: app, size: 8 }"))).toMatch(/^m\.yaml:4: steps\[1\]\.calloc\.nmemb: missing/);
    expect(inputError(() => run("  - malloc: { task: app, size: 8, as: p, extra: 1 }"))).toMatch(/^m\.yaml:4: steps\[1\]\.malloc/);
  });

  it("a double free glibc does not detect is reported as not modelled, at the step's line", () => {
    const steps = [
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `  - malloc: { task: app, size: 1000, as: a${i} }`),
      "  - malloc: { task: app, size: 24, as: guard }",
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `  - free: { task: app, ptr: a${i} }`),
      // a8 went to the unsorted bin (its tcache bin was full); taking one from the tcache makes
      // room, so glibc's tcache takes a8 a second time without noticing (its key is not set)
      "  - malloc: { task: app, size: 1000, as: b }",
      "  - free: { task: app, ptr: a8 }",
    ].join("\n");
    expect(inputError(() => run(steps))).toMatch(/^m\.yaml:22: steps\[19\]\.free: free\(0x[0-9a-f]+\): the chunk is in the unsorted bin; glibc does not detect this double free/);
  });

  it("a forked child inherits its parent's arena: a chunk it frees is its own to reuse", () => {
    const out = run(
      [
        "  - malloc: { task: app, size: 1000, as: p }",
        "  - malloc: { task: app, size: 200000, as: big }",
        "  - fork: { task: app, name: child }",
        "  - free: { task: child, ptr: p }",
        "  - malloc: { task: child, size: 1000, as: q }",
        "  - free: { task: child, ptr: big }",
        "  - malloc: { task: app, size: 1000, as: r }",
        "  - load: { task: app, addr: big, length: 4 }",
      ].join("\n"),
    );
    const ptr = (name: string) => /= (0x[0-9a-f]+)/.exec(out.slice(out.indexOf(`as ${name}\n`)))![1];
    // the child's malloc reuses p from its tcache; the parent's p is still in use: r is new
    expect(ptr("q")).toBe(ptr("p"));
    expect(Number(ptr("r"))).toBe(Number(ptr("p")) + 1008);
    // the child's munmap of big leaves the parent's mapping
    expect(out).toMatch(/app: load 4 bytes at big\n[0-9a-f]+: 00 00 00 00\n$/);
  });

  it("a child whose parent called malloc after the fork is refused (the copy at fork is not kept)", () => {
    const steps = [
      "  - malloc: { task: app, size: 24, as: p }",
      "  - fork: { task: app, name: child }",
      "  - malloc: { task: app, size: 24, as: q }",
      "  - malloc: { task: child, size: 24, as: r }",
    ].join("\n");
    expect(inputError(() => run(steps))).toMatch(/^m\.yaml:7: steps\[4\]\.malloc: task 2's malloc state is its parent's at fork, and task 1 called malloc since/);
  });
});
