// mmsim run: run a scenario file.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { InputError } from "@mmsim/base";
import { STEPS, YamlSource, formatResults, loadScenario, runScenario, type Scenario } from "@mmsim/kernel";
import { sysctlKeyOf } from "./machine-flags";
import { collect, intOption, readUserFile } from "../io";

export function registerRun(program: Command, io: CliIo): void {
  const steps = [...STEPS.values()].map((s) => `  ${s.name.padEnd(18)} ${s.summary}\n      ${s.example}`).join("\n");
  program
    .command("run")
    .description("run a scenario: a YAML file of machine, seed and steps")
    .argument("<scenario>", "the scenario file (YAML)")
    .option("--seed <n>", "override the scenario's seed", intOption("--seed", 0, 0xffffffff))
    .option("--cat <path>", "print a /proc or /sys file after the last step (repeatable)", collect)
    .option("--json", "print the results as JSON (one object: seed, machine, steps)")
    .option("--verify", "check every invariant of the whole kernel after boot and after each step (CONFIG_DEBUG_VM)")
    .addHelpText(
      "after",
      `
A scenario looks like:

  machine: { ram: 8GiB, cpus: 2 }
  seed: 1
  steps:
    - cat: /proc/buddyinfo
    - sysctl: { vm.min_free_kbytes: 20000 }

The whole file is checked before anything runs: an error names the file, line and field.
A scenario file holds at most 1MiB, and any list (steps included) at most 100000 items.
With --verify, every invariant of every layer is checked after boot and after each step; a
broken one stops the run at that step (exit 70: a bug in mmsim). A misuse the simulated kernel
catches, such as freeing an object twice, prints its kernel report and exits 2.
Each step prints "$ <command>" and then its output. Steps:
${steps}`,
    )
    .action((file: string, opts: { seed?: number; cat?: string[]; json?: boolean; verify?: boolean }) => {
      const text = readUserFile(io, file, "scenario");
      const scenario = loadScenario(text, file);
      let run: ReturnType<typeof runScenario>;
      try {
        run = runScenario(scenario, { seed: opts.seed, verify: opts.verify });
      } catch (e) {
        throw locateBootError(e, text, scenario);
      }
      const { kernel, results } = run;
      const after = (opts.cat ?? []).map((path) => ({ path, content: kernel.cat(path) }));
      if (opts.json) {
        const json = { seed: kernel.seed, machine: scenario.machine, steps: results, files: after };
        io.out(JSON.stringify(json, null, 2) + "\n");
      } else {
        io.out(formatResults(results) + after.map((f) => `$ cat ${f.path}\n${f.content}`).join(""));
      }
    });
}

/**
 * A boot-time error of a scenario's machine (the kernel rejects a sysctl) carries no file: name
 * the file, and the line of the sysctl it is about. Step errors already carry both.
 */
function locateBootError(e: unknown, text: string, s: Scenario): unknown {
  if (!(e instanceof InputError) || e.where.file !== undefined) return e;
  const key = sysctlKeyOf(e, Object.keys(s.machine.sysctl));
  if (key === undefined) return new InputError(e.problem, { file: s.file, field: e.where.field });
  return new InputError(e.problem, { file: s.file, line: new YamlSource(text, s.file).lineOf(["machine", "sysctl", key]), field: `machine.sysctl.${key}` });
}
