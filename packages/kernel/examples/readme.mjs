// The README example for @mmsim/kernel: boot a 1 GiB machine, run a scenario, read /proc.
import { Kernel, loadScenario, runScenario, formatResults } from "@mmsim/kernel";

const k = Kernel.boot({ ram: 1024 * 1024 * 1024, cpus: 2 }, { seed: 1 });
console.log(k.dmesg.texts().find((l) => l.startsWith("Memory:")));
console.log(k.cat("/proc/meminfo").split("\n").slice(0, 3).join("\n"));

const scenario = loadScenario(`
machine: { ram: 64MiB }
steps:
  - alloc_pages: { order: 2, gfp: GFP_KERNEL, as: a }
  - kmalloc: { size: 100, as: p }
  - free_pages: { of: a }
`, "example.yaml");
process.stdout.write(formatResults(runScenario(scenario).results));
