// mmsim walk: an x86-64 page walk, step by step, then the TLB hit.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { Kernel, explainWalk, formatWalk } from "@mmsim/kernel";
import { intOption } from "../io";

export function registerWalk(program: Command, io: CliIo): void {
  program
    .command("walk")
    .description("map a page at a virtual address, then show the MMU's page walk and the TLB hit")
    .argument("<vaddr>", "a canonical virtual address in hex, e.g. 0x7f1234567abc or ffff888000001000")
    .option("--levels <n>", "page-table levels: 4 (48-bit VA, default) or 5 (LA57, 57-bit VA)", intOption("--levels", 4, 5))
    .option("--json", "print the walk as JSON")
    .addHelpText(
      "after",
      `
The address is split into one 9-bit index per level and a 12-bit offset:
  4-level:  VA[47:39] PGD, VA[38:30] PUD, VA[29:21] PMD, VA[20:12] PTE, VA[11:0] offset
  5-level:  VA[56:48] PGD, VA[47:39] P4D, then as above
Each index selects an 8-byte entry in a 4 KiB table; the entry holds the next table's
physical address and flags (P, RW, US, A, D, NX...). The first access misses the TLB and walks;
the second hits the TLB and reads no page-table memory.

Examples:
  mmsim walk 0x7f1234567abc
  mmsim walk ffff888000001000          a kernel (direct-map) address
  mmsim walk 0x7f1234567abc --levels 5`,
    )
    .action((vaddr: string, opts: { levels?: number; json?: boolean }) => {
      const kernel = Kernel.boot({ pagingLevels: (opts.levels ?? 4) as 4 | 5, ram: 1024 * 1024 * 1024 });
      const w = explainWalk(kernel, vaddr);
      io.out(opts.json ? JSON.stringify(w, null, 2) + "\n" : formatWalk(w));
    });
}
