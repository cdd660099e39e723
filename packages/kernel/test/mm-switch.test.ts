// A new mm whose pgd reuses the frame of an exited mm, on the CPU that ran the exited one: the
// CPU must switch to it (switch_mm), join its mm_cpumask and drop the old entries, or fork's
// write-protect flush misses that CPU and the parent's store lands in the page the child shares.
// Before the fix the child read 33 33 33 33 (found by the malloc property test's author).
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";

const SCENARIO = `machine: { ram: 1GiB }
steps:
  - spawn: { name: a, cpu: 0 }
  - mmap: { task: a, length: 4KiB, prot: [read, write], flags: [private, anonymous], as: abuf }
  - store: { task: a, addr: abuf, length: 4, byte: 0x11 }
  - exit: { task: a }
  - spawn: { name: b, cpu: 0 }
  - mmap: { task: b, length: 4KiB, prot: [read, write], flags: [private, anonymous], as: buf }
  - store: { task: b, addr: buf, length: 4, byte: 0x22 }
  - fork: { task: b, name: c }
  - store: { task: b, addr: buf, length: 4, byte: 0x33 }
  - load: { task: c, addr: buf, length: 4 }
  - load: { task: b, addr: buf, length: 4 }
`;

describe("switch_mm after an mm's pgd frame is reused", () => {
  it("the child keeps the bytes of the fork; the parent's later store copies the page", () => {
    const out = formatResults(runScenario(loadScenario(SCENARIO, "mm-switch.yaml"), { verify: true }).results).trimEnd().split("\n");
    const loads = out.filter((l) => l.includes(": load 4 bytes"));
    expect(loads.length).toBe(2);
    const i = out.indexOf(loads[0]!), j = out.indexOf(loads[1]!);
    expect(out[i + 1]).toContain("22 22 22 22");
    expect(out[j + 1]).toContain("33 33 33 33");
  });
});
