// mmsim run: run a scenario file.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { STEPS, formatResults, loadScenario, runScenario } from "@mmsim/kernel";
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
Each step prints "$ <command>" and then its output. Steps:
${steps}`,
    )
    .action((file: string, opts: { seed?: number; cat?: string[]; json?: boolean }) => {
      const scenario = loadScenario(readUserFile(io, file, "scenario"), file);
      const { kernel, results } = runScenario(scenario, { seed: opts.seed });
      const after = (opts.cat ?? []).map((path) => ({ path, content: kernel.cat(path) }));
      if (opts.json) {
        const json = { seed: kernel.seed, machine: scenario.machine, steps: results, files: after };
        io.out(JSON.stringify(json, null, 2) + "\n");
      } else {
        io.out(formatResults(results) + after.map((f) => `$ cat ${f.path}\n${f.content}`).join(""));
      }
    });
}
