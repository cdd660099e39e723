// mmsim walk: an x86-64 (or, with --arch i386, a 32-bit) page walk, step by step, then the TLB hit.
import type { Command } from "commander";
import { InputError } from "@mmsim/base";
import type { CliIo } from "../io";
import { Kernel, explainWalk, formatWalk } from "@mmsim/kernel";
import { intOption } from "../io";

export function registerWalk(program: Command, io: CliIo): void {
  program
    .command("walk")
    .description("map a page at a virtual address, then show the MMU's page walk and the TLB hit")
    .argument("<vaddr>", "a canonical virtual address in hex, e.g. 0x7f1234567abc or ffff888000001000")
    .option("--levels <n>", "page-table levels: 4 (48-bit VA, default) or 5 (LA57, 57-bit VA)", intOption("--levels", 4, 5))
    .option("--arch <arch>", "page-table format: x86_64 (default) or i386 (32-bit tables, 32-bit VA)")
    .option("--pae", "with --arch i386: PAE paging (3 levels of 8-byte entries) instead of 2 levels of 4-byte entries")
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
  i386:      VA[31:22] PGD, VA[21:12] PTE, VA[11:0] offset (4-byte entries, 1024 per table)
  i386 PAE:  VA[31:30] PGD (the 4-entry PDPT), VA[29:21] PMD, VA[20:12] PTE (8-byte entries)

Examples:
  mmsim walk 0x7f1234567abc
  mmsim walk ffff888000001000          a kernel (direct-map) address
  mmsim walk 0x7f1234567abc --levels 5
  mmsim walk --arch i386 0x08048123      a 32-bit user address (kernel from 0xc0000000)
  mmsim walk --arch i386 --pae b7f01234`,
    )
    .action((vaddr: string, opts: { levels?: number; json?: boolean; arch?: string; pae?: boolean }) => {
      const arch = opts.arch ?? "x86_64";
      if (arch !== "x86_64" && arch !== "i386") throw new InputError(`invalid --arch "${arch}": expected x86_64 or i386`);
      if (opts.pae && arch !== "i386") throw new InputError("--pae needs --arch i386");
      if (opts.levels !== undefined && arch === "i386") throw new InputError("--levels is for x86_64; i386 paging has 2 levels, or 3 with --pae");
      const kernel = Kernel.boot({ pagingLevels: (opts.levels ?? 4) as 4 | 5, ram: 1024 * 1024 * 1024 });
      const w = explainWalk(kernel, vaddr, arch, opts.pae ?? false);
      io.out(opts.json ? JSON.stringify(w, null, 2) + "\n" : formatWalk(w));
    });
}
