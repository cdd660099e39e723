// mmsim buddy: the buddy allocator, step by step.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { InputError } from "@mmsim/base";
import { formatBuddySteps, parseBuddyOps, runBuddyOps } from "@mmsim/kernel";
import { addMachineFlags, bootMachine, type MachineFlags } from "./machine-flags";

export function registerBuddy(program: Command, io: CliIo): void {
  const cmd = program
    .command("buddy")
    .description("allocate and free blocks of pages and watch the buddy allocator's free lists split and merge");
  addMachineFlags(cmd)
    .requiredOption("--ops <list>", 'operations separated by commas, e.g. "alloc 0, alloc 3, free 1"')
    .option("--zone <name>", "show only this zone (DMA, DMA32, Normal, Movable, HighMem)")
    .option("--migratetype", "also show the free lists per migratetype (as /proc/pagetypeinfo)")
    .option("--json", "print every step as JSON")
    .addHelpText(
      "after",
      `
Linux keeps free memory in blocks of 2^order pages, order 0 to 10, one list per order (and per
migratetype). An allocation of order N takes the smallest free block of order >= N and splits
it in halves, putting the unused halves back on the lower lists. A free merges the block with
its "buddy" (pfn XOR 2^order) while the buddy is free, climbing orders. The table after each
operation is a /proc/buddyinfo row per zone; "change" marks what moved.

Operations:
  alloc ORDER [GFP] [xN]     N blocks of 2^ORDER pages (GFP default GFP_KERNEL); numbered #1, #2...
  free K, free K-M, free K-M/S   free #K, #K..#M, or every S-th of #K..#M
  drain                      return per-CPU pages (order-0 caches) to the buddy lists

Examples:
  mmsim buddy --ram 64M --ops "drain, alloc 3, free 1, drain"                split, then merge back
        (order 0-3 frees first go to a per-CPU cache, as in Linux; drain returns them)
  mmsim buddy --ram 64M --zone DMA32 --ops "alloc 0 x2048, free 1-2048/2, drain"
        plenty of free memory, yet fewer high-order blocks (fragmentation)`,
    )
    .action((opts: MachineFlags & { ops: string; zone?: string; migratetype?: boolean; json?: boolean }) => {
      const ops = parseBuddyOps(opts.ops);
      const k = bootMachine(io, opts);
      if (opts.zone && !k.phys.nodes.some((n) => n.zones.some((z) => z.populated && z.name.toLowerCase() === opts.zone!.toLowerCase()))) {
        const names = [...new Set(k.phys.nodes.flatMap((n) => n.zones.filter((z) => z.populated).map((z) => z.name)))];
        throw new InputError(`invalid --zone "${opts.zone}": this machine's populated zones are ${names.join(", ")}`);
      }
      const steps = runBuddyOps(k, ops);
      io.out(opts.json ? JSON.stringify(steps, null, 2) + "\n" : formatBuddySteps(steps, { byType: opts.migratetype, zone: opts.zone }));
    });
}
