// mmsim demo: the guided tour. Each layer adds an act.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { InputError } from "@mmsim/base";
import { banner, type Act } from "../demo/act";
import { machineAct } from "../demo/act-machine";
import { walkAct } from "../demo/act-walk";
import { buddyAct } from "../demo/act-buddy";
import { slabAct } from "../demo/act-slab";
import { replayAct } from "../demo/act-replay";
import { pagingAct } from "../demo/act-paging";
import { cowAct } from "../demo/act-cow";
import { pageCacheAct } from "../demo/act-page-cache";
import { mallocAct } from "../demo/act-malloc";
import { ioAct } from "../demo/act-io";

export const ACTS: Act[] = [machineAct, walkAct, buddyAct, slabAct, replayAct, pagingAct, cowAct, pageCacheAct, mallocAct, ioAct];

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command("demo")
    .description("a guided tour of Linux memory management in mmsim, one act per layer")
    .option("--act <n>", "run only act n")
    .option("--list", "list the acts")
    .action((opts: { act?: string; list?: boolean }) => {
      if (opts.list) {
        io.out(ACTS.map((a, i) => `${i + 1}. ${a.title}\n`).join(""));
        return;
      }
      let chosen = ACTS.map((a, i) => [i + 1, a] as const);
      if (opts.act !== undefined) {
        const n = Number(opts.act);
        if (!Number.isInteger(n) || n < 1 || n > ACTS.length) throw new InputError(`invalid --act "${opts.act}": expected a number from 1 to ${ACTS.length}`);
        chosen = [[n, ACTS[n - 1]!]];
      }
      io.out("mmsim demo: Linux memory management, simulated layer by layer (Linux 6.18, x86-64)\n\n");
      for (const [n, act] of chosen) {
        io.out(banner(n, act.title) + act.run() + `\n  Try next: ${act.tryNext.join("   ")}\n\n`);
      }
    });
}
