// A scenario run one step at a time, for the acts that look at the machine between steps
// (Rss after a store, refcounts after a fork): the same steps `mmsim run` runs, printed the
// same way ("$ command" then the output).
import { Kernel, RunContext, decodePagemapEntry, loadScenario, type Scenario } from "@mmsim/kernel";

export class Stepper {
  readonly kernel: Kernel;
  readonly ctx: RunContext;
  private readonly scenario: Scenario;
  private next = 0;

  constructor(yaml: string) {
    this.scenario = loadScenario(yaml, "demo.yaml");
    this.kernel = Kernel.boot(this.scenario.machine, { seed: this.scenario.seed });
    this.ctx = new RunContext(this.kernel);
  }

  /** Runs the next `n` steps; returns their commands and outputs as `mmsim run` prints them. */
  run(n = 1): string {
    let s = "";
    for (let i = 0; i < n; i++) {
      const step = this.scenario.steps[this.next++]!;
      s += `$ ${step.def.describe(step.args as never)}\n${step.def.run(step.args as never, this.ctx)}`;
    }
    return s;
  }

  /** The address a step bound with `as:`. */
  addr(name: string): number {
    return this.ctx.lookup(name, "address") as number;
  }

  /** A field of a /proc file ("Rss" of smaps_rollup, "pgfault" of vmstat), as printed. */
  field(path: string, name: string): string {
    const line = this.kernel.cat(path).split("\n").find((l) => l.startsWith(`${name}:`) || l.startsWith(`${name} `));
    return line === undefined ? "?" : line.slice(name.length + 1).trim();
  }

  /** The pfn /proc/<task>/pagemap shows for the page at va (bits 0-54), or -1 when not present. */
  pfn(task: string, va: number): number {
    const bytes = this.kernel.procfs.readBytes(`/proc/${task}/pagemap`, Math.floor(va / 4096) * 8, 8);
    if (typeof bytes === "number") return -1;
    const e = decodePagemapEntry(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    return e.present ? e.pfn : -1;
  }
}
