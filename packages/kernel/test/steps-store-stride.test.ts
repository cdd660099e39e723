// A store step repeated with stride and count (one byte in every page, or every 4 MiB: OSTEP's
// TLB-measurement loop and seed 001's page-table arithmetic without a step per page), its input
// errors, and the access to a non-canonical address: the CPU's #GP, which Linux turns into
// SIGSEGV with si_code SI_KERNEL and no address (arch/x86/kernel/traps.c, gp_user_force_sig_segv).
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";
import { inputError } from "./input-error";

const scenario = (...steps: string[]) =>
  `machine: { ram: 1GiB }\nsteps:\n  - spawn: { name: app }\n  - mmap: { task: app, length: 64KiB, prot: [read, write], flags: [private, anonymous], as: buf }\n` +
  steps.map((s) => `  - ${s}\n`).join("");
const run = (...steps: string[]) => formatResults(runScenario(loadScenario(scenario(...steps), "s.yaml"), { verify: true }).results);

describe("store with stride and count", () => {
  it("stores at addr + i * stride for each i < count: one fault per page touched, the bytes where they were put", () => {
    const out = run(
      "store: { task: app, addr: buf+8, length: 2, byte: 0x5a, stride: 8KiB, count: 8 }",
      "expect: { path: /proc/app/smaps, at: buf, field: Rss, equals: 32 kB }",
      "expect: { path: /proc/vmstat, field: pgfault, equals: 8 }",
      "load: { task: app, addr: buf+8KiB, length: 16 }",
      "load: { task: app, addr: buf+4KiB, length: 16 }",
    );
    expect(out).toContain("$ app: store 2 bytes of 0x5a at buf+0x8 and every 8192 bytes after it, 8 times\n");
    const loads = out.split("$ app: load 16 bytes").slice(1);
    expect(loads[0]).toContain(": 00 00 00 00 00 00 00 00 5a 5a 00 00 00 00 00 00\n");
    expect(loads[1]).toContain(": 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n");
  });

  it("stops at the first store that faults and delivers its signal", () => {
    const out = run("store: { task: app, addr: buf, length: 1, stride: 32KiB, count: 3 }");
    expect(out).toMatch(/--- SIGSEGV \{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x[0-9a-f]+000\} ---\n\+\+\+ killed by SIGSEGV \+\+\+\n/);
  });

  it("count without stride, a zero stride and a count out of range are input errors at the line", () => {
    expect(inputError(() => loadScenario(scenario("store: { task: app, addr: buf, count: 2 }"), "s.yaml"))).toBe(
      "s.yaml:5: steps[2].store.stride: missing: expected the distance between the stores of a count, like 4KiB",
    );
    expect(inputError(() => loadScenario(scenario("store: { task: app, addr: buf, stride: 0, count: 2 }"), "s.yaml"))).toBe(
      "s.yaml:5: steps[2].store.stride: expected a size above 0",
    );
    expect(inputError(() => loadScenario(scenario("store: { task: app, addr: buf, stride: 4KiB, count: 0 }"), "s.yaml"))).toMatch(
      /^s\.yaml:5: steps\[2\]\.store\.count: /,
    );
    // the bytes of all the stores together are bounded as one store's are
    expect(inputError(() => loadScenario(scenario("store: { task: app, addr: buf, length: 64KiB, stride: 64KiB, count: 1025 }"), "s.yaml"))).toBe(
      "s.yaml:5: steps[2].store.count: expected length × count at most 64MiB (use memset for a larger range), got 67174400 bytes",
    );
  });

  it("a store to a non-canonical address gets the #GP's SIGSEGV (SI_KERNEL, si_addr NULL), not an internal error", () => {
    expect(run("store: { task: app, addr: 0x10000000000000, length: 8 }")).toContain(
      "--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---\n+++ killed by SIGSEGV +++\n",
    );
  });
});
