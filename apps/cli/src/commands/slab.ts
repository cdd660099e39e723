// mmsim slab: one SLUB cache's slab, byte by byte.
import type { Command } from "commander";
import type { CliIo } from "../io";
import { InputError } from "@mmsim/base";
import { explainSlab, formatSlab } from "@mmsim/kernel";
import { addMachineFlags, bootMachine, type MachineFlags } from "./machine-flags";
import { intOption } from "../io";

export function registerSlab(program: Command, io: CliIo): void {
  const cmd = program
    .command("slab")
    .description("allocate objects from a SLUB cache and show its slab byte by byte, with the free-pointer chain")
    .argument("<cache>", "a cache name from /proc/slabinfo, e.g. kmalloc-64, dentry, task_struct");
  addMachineFlags(cmd)
    .option("--alloc <n>", "objects to allocate first (default 3)", intOption("--alloc", 0, 100000))
    .option("--free <list>", "which of them to free again, by number, e.g. 1,3 (default 2)")
    .option("--dump <n>", "object slots to dump as bytes (default 4)", intOption("--dump", 0, 1024))
    .option("--slub-debug [flags]", "boot with slub_debug (F sanity checks, Z red zones, P poisoning, U user tracking)")
    .addHelpText(
      "after",
      `
A slab is a block of pages cut into equal object slots. SLUB keeps the free objects of a slab
on a list whose links live inside the free objects themselves: the "free pointer" at offset
s->offset holds the kernel address of the next free object (NULL ends the chain). The CPU slab
serves allocations from its own freelist without locks. With slub_debug, each slot also has
red zones (0xbb inactive / 0xcc active), poisoned free bytes (0x6b, ending in 0xa5) and
allocation/free tracking.

Examples:
  mmsim slab kmalloc-64
  mmsim slab kmalloc-64 --alloc 5 --free 2,4
  mmsim slab kmalloc-64 --slub-debug FZP --dump 2`,
    )
    .action((cache: string, opts: MachineFlags & { alloc?: number; free?: string; dump?: number }) => {
      let free: number[] | undefined;
      if (opts.free !== undefined) {
        free = opts.free.split(",").map((t) => {
          if (!/^\s*\d+\s*$/.test(t)) throw new InputError(`invalid --free "${opts.free}": expected object numbers like 1,3`);
          return Number(t);
        });
      }
      const k = bootMachine(io, opts);
      io.out(formatSlab(explainSlab(k, cache, { alloc: opts.alloc, free, dump: opts.dump })));
    });
}
