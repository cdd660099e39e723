// Scenario files: a machine, a seed and a list of steps, in YAML.
//
//   machine: { ram: 8GiB, cpus: 2 }
//   seed: 1
//   steps:
//     - cat: /proc/buddyinfo
//     - sysctl: { vm.min_free_kbytes: 20000 }
//
// loadScenario parses and validates the whole file (every step, every name bound with `as:`)
// before anything boots; an error names the file, line and field and what was expected.
// runScenario then boots the machine and runs the steps in order. The same file and seed give
// byte-identical output.
import { Bug, InputError, KernelBug } from "@mmsim/base";
import { parseMachineConfig, type MachineConfig } from "../config";
import { Kernel } from "../kernel";
import { expectInt, expectKeys, expectObject, fail, formatPath, type Path } from "../validate";
import { YamlSource } from "../yaml-source";
import { RunContext, Scope, type StepDef } from "./step";
import { STEPS } from "./registry";

export interface ParsedStep {
  index: number;
  line: number | undefined;
  def: StepDef;
  args: unknown;
}

export interface Scenario {
  file: string;
  machine: MachineConfig;
  seed: number;
  steps: ParsedStep[];
}

export interface StepResult {
  step: number;
  line: number | undefined;
  op: string;
  command: string;
  output: string;
}

const TOP_FIELDS = ["machine", "seed", "steps", "name", "description"];

/** Parses and validates a scenario. Throws InputError with file, line and field. */
export function loadScenario(text: string, file = "scenario.yaml"): Scenario {
  const src = new YamlSource(text, file);
  try {
    const top = expectObject(src.value ?? {}, [], "a mapping with machine, seed and steps");
    expectKeys(top, TOP_FIELDS, []);
    const machine = parseMachineConfig(top.machine, ["machine"]);
    const seed = top.seed === undefined ? 1 : expectInt(top.seed, ["seed"], 0, 0xffffffff);
    if (top.steps === undefined) fail(["steps"], "missing: expected a list of steps");
    if (!Array.isArray(top.steps)) fail(["steps"], "expected a list of steps (each item starts with -)");
    const scope = new Scope();
    const steps = top.steps.map((raw, index): ParsedStep => {
      const path: Path = ["steps", index];
      const o = expectObject(raw, path, `a step such as "cat: /proc/buddyinfo"`);
      const keys = Object.keys(o);
      if (keys.length !== 1) fail(path, `expected exactly one step name per item, got ${keys.length ? keys.join(", ") : "none"}`);
      const name = keys[0]!;
      const def = STEPS.get(name);
      if (!def) fail([...path, name], `unknown step; expected one of: ${[...STEPS.keys()].join(", ")}`);
      const args = def.parse(o[name], [...path, name], scope);
      return { index, line: src.lineOf(path), def: def as StepDef, args };
    });
    return { file, machine, seed, steps };
  } catch (e) {
    return src.locate(e);
  }
}

export interface RunOptions {
  /** overrides the file's seed */
  seed?: number;
  /** called after each step (for progress and streaming output) */
  onStep?: (r: StepResult) => void;
  /**
   * Runs Kernel.verify() after boot and after every step (`mmsim run --verify`): a broken
   * invariant stops the run with a Bug that names the scenario file, line and step.
   */
  verify?: boolean;
}

/**
 * Boots the scenario's machine and runs every step. Whatever stops a step names the scenario
 * file and the step's line: a runtime input error (InputError), a misuse the simulated kernel
 * caught and reported (KernelBug, e.g. a double free: its report is kept), and a broken
 * invariant (Bug, from the step or from verify).
 */
export function runScenario(s: Scenario, opts: RunOptions = {}): { kernel: Kernel; results: StepResult[] } {
  const kernel = Kernel.boot(s.machine, { seed: opts.seed ?? s.seed });
  if (opts.verify) kernel.verify();
  const ctx = new RunContext(kernel);
  const results: StepResult[] = [];
  for (const step of s.steps) {
    let output: string;
    try {
      output = step.def.run(step.args, ctx);
      if (opts.verify) kernel.verify();
    } catch (e) {
      throw locateStepError(e, s.file, step);
    }
    const r: StepResult = { step: step.index + 1, line: step.line, op: step.def.name, command: step.def.describe(step.args), output };
    results.push(r);
    opts.onStep?.(r);
  }
  return { kernel, results };
}

/** The error `e` raised by `step`, located at the step's file and line (other errors unchanged). */
function locateStepError(e: unknown, file: string, step: ParsedStep): unknown {
  const field = formatPath(["steps", step.index, step.def.name]);
  if (e instanceof KernelBug) return e.at({ file, line: step.line, field });
  if (e instanceof InputError) {
    const problem = e.where.field ? `${e.where.field}: ${e.problem}` : e.problem;
    return new InputError(problem, { file, line: step.line, field });
  }
  if (e instanceof Bug) {
    const located = new Bug(e.fn, `${e.detail} (in ${file}:${step.line ?? "?"}: ${field})`);
    located.stack = e.stack;
    return located;
  }
  return e;
}

/** The text form of a run: each step's command after "$ ", then its output. */
export function formatResults(results: StepResult[]): string {
  return results.map((r) => `$ ${r.command}\n${r.output}`).join("");
}
