// Cross-layer scenario tests: the runner's contract (whole file checked before anything runs,
// errors with file:line: field, same seed → same output).
import { describe, expect, it } from "vitest";
import { inputError } from "./input-error";
import { InputError } from "@mmsim/base";
import { Kernel, formatResults, loadScenario, runScenario } from "../src/index";


describe("scenario runner", () => {
  it("runs cat and sysctl steps, echoing each command", () => {
    const s = loadScenario(
      "machine: { ram: 1GiB, cpus: 2 }\nseed: 7\nsteps:\n  - sysctl: { vm.watermark_scale_factor: 20 }\n  - cat: /proc/sys/vm/watermark_scale_factor\n",
      "t.yaml",
    );
    expect(s.seed).toBe(7);
    const { results } = runScenario(s);
    expect(formatResults(results)).toBe(
      "$ sysctl -w vm.watermark_scale_factor=20\nvm.watermark_scale_factor = 20\n$ cat /proc/sys/vm/watermark_scale_factor\n20\n",
    );
    expect(results.map((r) => [r.step, r.line, r.op])).toEqual([[1, 4, "sysctl"], [2, 5, "cat"]]);
  });

  it("checks the whole file before running: a bad step 3 stops the run with its line", () => {
    const text = "machine: { ram: 1GiB }\nsteps:\n  - cat: /proc/buddyinfo\n  - cat: /proc/zoneinfo\n  - kmallok: { size: 64 }\n";
    expect(inputError(() => loadScenario(text, "bad.yaml"))).toMatch(/^bad\.yaml:5: steps\[2\]\.kmallok: unknown step; expected one of: cat, sysctl/);
  });

  it("names the line of a bad machine field and of a missing steps list", () => {
    expect(inputError(() => loadScenario("machine:\n  ram: 1GiB\n  cpus: many\nsteps: []\n", "m.yaml"))).toBe(
      'm.yaml:3: machine.cpus: expected a whole number from 1 to 64, got "many"',
    );
    expect(inputError(() => loadScenario("machine: { ram: 1GiB }\n", "m.yaml"))).toBe("m.yaml:1: steps: missing: expected a list of steps");
    expect(inputError(() => loadScenario("steps:\n  - cat: /proc/x\n    sysctl: {}\n", "m.yaml"))).toBe(
      "m.yaml:2: steps[0]: expected exactly one step name per item, got cat, sysctl",
    );
  });

  it("reports a runtime error (a file that does not exist) with the step's line", () => {
    const s = loadScenario("steps:\n  - cat: /proc/sys/vm/watermark_scale_factor\n  - cat: /proc/nope\n", "r.yaml");
    expect(inputError(() => runScenario(s))).toMatch(/^r\.yaml:3: steps\[1\]\.cat: cat: \/proc\/nope: No such file or directory/);
  });

  it("applies a sysctl step all or nothing", () => {
    const s = loadScenario(
      "steps:\n  - sysctl: { vm.watermark_scale_factor: 30, vm.min_free_kbytes: -5 }\n  - cat: /proc/sys/vm/watermark_scale_factor\n",
      "a.yaml",
    );
    expect(inputError(() => runScenario(s))).toMatch(/^a\.yaml:2: steps\[0\]\.sysctl: vm\.min_free_kbytes: invalid value "-5": expected an integer in 0\.\.2147483647$/);
    const k = Kernel.boot({ ram: 1024 * 1024 * 1024 });
    expect(() => k.sysctl.set({ "vm.watermark_scale_factor": "30", "vm.min_free_kbytes": "-5" })).toThrow(InputError);
    expect(k.cat("/proc/sys/vm/watermark_scale_factor")).toBe("10\n");
  });

  it("gives byte-identical output for the same file and seed", () => {
    const text = "machine: { ram: 2GiB, nodes: 2 }\nseed: 3\nsteps:\n  - cat: /proc/buddyinfo\n  - cat: /proc/zoneinfo\n";
    const a = formatResults(runScenario(loadScenario(text, "d.yaml")).results);
    const b = formatResults(runScenario(loadScenario(text, "d.yaml")).results);
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(1000);
  });
});
