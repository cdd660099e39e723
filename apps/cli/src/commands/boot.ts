// mmsim boot: boot a machine and print what was asked.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { formatSize } from "@mmsim/base";
import { addMachineFlags, bootMachine, type MachineFlags } from "./machine-flags";
import { collect } from "../io";

export function registerBoot(program: Command, io: CliIo): void {
  const cmd = program
    .command("boot")
    .description("boot a simulated machine and print its memory map, kernel log or /proc files");
  addMachineFlags(cmd)
    .option("--cat <path>", "print a /proc or /sys file after boot (repeatable)", collect)
    .option("--dmesg", "print the kernel log of the boot")
    .addHelpText(
      "after",
      `
Without --cat or --dmesg, boot prints a summary and the firmware (e820) memory map.

Examples:
  mmsim boot                                   the default machine: 8GiB, 2 CPUs, 1 node
  mmsim boot --ram 64G --nodes 2 --dmesg       a two-node NUMA machine's boot log
  mmsim boot --sysctl vm.min_free_kbytes=20000 --cat /proc/sys/vm/min_free_kbytes`,
    )
    .action((opts: MachineFlags & { cat?: string[]; dmesg?: boolean }) => {
      const k = bootMachine(io, opts);
      let out = "";
      if (opts.dmesg) out += k.dmesg.render();
      for (const path of opts.cat ?? []) out += k.cat(path);
      if (!opts.dmesg && !opts.cat?.length) {
        const c = k.config;
        out += `Booted ${c.arch} machine: ${formatSize(c.ram)} RAM, ${c.cpus} CPU${c.cpus > 1 ? "s" : ""}, ${c.nodes} node${c.nodes > 1 ? "s" : ""}, ${c.arch === "i386" ? (c.pae ? "PAE paging (3 levels)" : "2-level paging") : `${c.pagingLevels}-level paging`}${c.swap ? `, ${formatSize(c.swap)} swap` : ""}\n`;
        out += "BIOS-provided physical RAM map:\n";
        out += k.dmesg.texts().filter((l) => l.startsWith("BIOS-e820")).map((l) => l + "\n").join("");
      }
      io.out(out);
    });
}
