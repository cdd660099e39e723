// mmsim fault: one user access of a small built-in process, narrated from the MMU's page-fault
// error code through handle_mm_fault to the new PTE (the narration is @mmsim/kernel's
// explainFault; this file parses the flags and prints).
import type { Command } from "commander";
import { InputError } from "@mmsim/base";
import {
  FAULT_DEMO_COMM, FAULT_DEMO_LAYOUT, FAULT_DEMO_LAYOUT_I386, Kernel, explainFault, formatFault, parseFaultAddress, spawnFaultDemo,
  type FaultDemoRegion,
} from "@mmsim/kernel";
import type { CliIo } from "../io";
import { intOption } from "../io";

/** The built-in process's layout as --help lists it, from the kernel's own table (`width` hex digits an address). */
function layoutHelp(layout: readonly FaultDemoRegion[], width: number): string {
  return layout.map((r) => {
    const range = `${r.start.toString(16).padStart(width, "0")}-${r.end.toString(16).padStart(width, "0")}`;
    const kib = `${(r.end - r.start) / 1024} KiB`.padStart(7);
    const note = r.written ? `  (${r.written / 1024} KiB written at start: present)` : "";
    return `  ${range} ${r.perms} ${kib}  ${r.name}${note}`;
  }).join("\n");
}

export function registerFault(program: Command, io: CliIo): void {
  program
    .command("fault")
    .description("narrate one page fault of a small built-in process: error code, VMA, table walk, handler, new PTE")
    .argument("<vaddr>", "the address the process touches, in hex, e.g. 0x7f1234560000")
    .option("--write", "a store (default: a load)")
    .option("--exec", "an instruction fetch (default: a load)")
    .option("--after-fork", "the process forks first, and its child makes the access (a write to [heap] is a COW fault)")
    .option("--levels <n>", "page-table levels: 4 (default) or 5", intOption("--levels", 4, 5))
    .option("--arch <arch>", "x86_64 (default) or i386: a 32-bit process (3G/1G split) with 2-level page tables")
    .option("--pae", "with --arch i386: PAE paging (3 levels of 8-byte entries)")
    .option("--json", "print the explanation as JSON")
    .addHelpText(
      "after",
      `
The built-in process "${FAULT_DEMO_COMM}" (anonymous private memory, on a 1 GiB machine):
${layoutHelp(FAULT_DEMO_LAYOUT, 12)}

With --arch i386 (TASK_SIZE 0xc0000000; the mmap area has a page-directory entry of its own):
${layoutHelp(FAULT_DEMO_LAYOUT_I386, 8)}

Every access is a user-mode one (CPL 3, the U bit of the error code set); mmsim does not model
the kernel's own faults on user memory (copy_to_user). An address in no VMA, or in one that
refuses the access, ends in SIGSEGV, as the process would.

Examples:
  mmsim fault 0x7f1234561000 --write     first touch: PUD, PMD and PTE tables, then a zeroed page
  mmsim fault 0x7f1234561000             a read: the shared zero page
  mmsim fault 0x555555559000 --write --after-fork   copy-on-write (do_wp_page)
  mmsim fault 0x7f1234571000 --write     a read-only VMA: SIGSEGV, SEGV_ACCERR
  mmsim fault 0x7ffffffdd000 --write     just below the stack: it grows (expand_downwards)
  mmsim fault --arch i386 0xb7f01000 --write         the same first touch with 2-level tables: one PTE table
  mmsim fault --arch i386 --pae 0xb7f01000 --write   with PAE: the PMDs exist from the start`,
    )
    .action((vaddr: string, opts: { write?: boolean; exec?: boolean; afterFork?: boolean; levels?: number; arch?: string; pae?: boolean; json?: boolean }) => {
      if (opts.write && opts.exec) throw new InputError("--write and --exec exclude each other: an access is a load, a store or a fetch");
      const arch = opts.arch ?? "x86_64";
      if (arch !== "x86_64" && arch !== "i386") throw new InputError(`invalid --arch "${arch}": expected x86_64 or i386`);
      if (opts.pae && arch !== "i386") throw new InputError("--pae needs --arch i386");
      if (opts.levels !== undefined && arch === "i386") throw new InputError("--levels is for x86_64; i386 paging has 2 levels, or 3 with --pae");
      const kernel = Kernel.boot({ arch, pae: opts.pae ?? false, pagingLevels: (opts.levels ?? 4) as 4 | 5, ram: 1024 * 1024 * 1024 });
      const va = parseFaultAddress(kernel, vaddr);
      const { task } = spawnFaultDemo(kernel, { afterFork: opts.afterFork });
      const e = explainFault(kernel, task, va, opts.write ? "write" : opts.exec ? "exec" : "read");
      io.out(opts.json ? JSON.stringify(e, null, 2) + "\n" : formatFault(e));
    });
}
