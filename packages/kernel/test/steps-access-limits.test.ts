// The access steps refuse lengths they cannot carry out as input errors at the step's line: a
// store builds its source bytes in host memory (at most 64 MiB; the fuzz test once sent 1024GiB,
// which was an internal error), a load prints its bytes (at most 256).
import { describe, expect, it } from "vitest";
import { loadScenario } from "../src/index";
import { inputError } from "./input-error";

const scenario = (step: string) =>
  `machine: { ram: 1GiB }\nsteps:\n  - spawn: { name: app }\n  - mmap: { task: app, length: 64KiB, prot: [read, write], flags: [private, anonymous], as: buf }\n  - ${step}\n`;

describe("access step limits", () => {
  it("a store of more than 64 MiB is an input error naming the line and field", () => {
    expect(inputError(() => loadScenario(scenario("store: { task: app, addr: buf, length: 1024GiB }"), "s.yaml"))).toBe(
      "s.yaml:5: steps[2].store.length: expected at most 64MiB (use memset for a larger range), got 1099511627776",
    );
    expect(() => loadScenario(scenario("store: { task: app, addr: buf, length: 64MiB }"), "s.yaml")).not.toThrow();
  });

  it("a load of more than 256 bytes is an input error", () => {
    expect(inputError(() => loadScenario(scenario("load: { task: app, addr: buf, length: 257 }"), "s.yaml"))).toBe(
      "s.yaml:5: steps[2].load.length: expected at most 256 bytes (a load prints them), got 257",
    );
  });
});
