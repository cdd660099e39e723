/**
 * OSTEP chapter 15 (address translation), relocation.py: one address space relocated by a base
 * register and checked against a limit (bounds) register. Prints the registers and a trace of
 * random virtual addresses; with -c, each one's physical address or a segmentation violation.
 */
import { OptionParser } from "../optparse";
import { PyRandom } from "../py-random";
import { fmtD, fmtX, pyTrunc } from "../py-format";
import { PyExit, pyPrint } from "../py-io";
import type { PyIo } from "../py-io";
import { convert, num } from "./common";
import type { OstepEnv } from "./common";

const parser = new OptionParser("relocation.py", [
  { short: "-s", long: "--seed", default: 0, help: "the random seed", type: "int", dest: "seed" },
  { short: "-a", long: "--asize", default: "1k", help: "address space size (e.g., 16, 64k, 32m, 1g)", type: "string", dest: "asize" },
  { short: "-p", long: "--physmem", default: "16k", help: "physical memory size (e.g., 16, 64k, 32m, 1g)", type: "string", dest: "psize" },
  { short: "-n", long: "--addresses", default: 5, help: "number of virtual addresses to generate", type: "int", dest: "num" },
  { short: "-b", long: "--b", default: "-1", help: "value of base register", type: "string", dest: "base" },
  { short: "-l", long: "--l", default: "-1", help: "value of limit register", type: "string", dest: "limit" },
  { short: "-c", long: "--compute", default: false, help: "compute answers for me", dest: "solve" },
]);

/** relocation.py ARGS: writes what the script prints; throws PyExit/PyException as it exits. */
export function relocation(argv: readonly string[], io: PyIo, env: OstepEnv = {}): void {
  const o = parser.parseArgs(argv, io, env).values;
  const p = (...a: (string | number | boolean | bigint)[]) => pyPrint(io, ...a);
  p("");
  p("ARG seed", o.seed);
  p("ARG address space size", o.asize);
  p("ARG phys mem size", o.psize);
  p("");

  const random = new PyRandom(o.seed as number | bigint);
  const asize = convert(o.asize as string);
  const psize = convert(o.psize as string);
  if (psize <= 1) fail(io, "Error: must specify a non-zero physical memory size.");
  if (asize === 0) fail(io, "Error: must specify a non-zero address-space size.");
  if (psize <= asize) fail(io, "Error: physical memory size must be GREATER than address space size (for this simulation)");

  let limit = convert(o.limit as string);
  let base = convert(o.base as string);
  if (limit === -1) limit = pyTrunc(asize / 4.0 + (asize / 4.0) * random.random());
  if (base === -1) {
    do base = pyTrunc(psize * random.random());
    while (!(base + limit < psize));
  }

  p("Base-and-Bounds register information:");
  p("");
  p(`  Base   : 0x${fmtX(base, 8, true)} (decimal ${fmtD(base)})`);
  p(`  Limit  : ${fmtD(limit)}`);
  p("");
  if (base + limit > psize) {
    p("Error: address space does not fit into physical memory with those base/bounds values.");
    p("Base + Limit:", base + limit, "  Psize:", psize);
    throw new PyExit(1);
  }

  p("Virtual Address Trace");
  const n = num(o.num);
  for (let i = 0; i < n; i++) {
    const vaddr = pyTrunc(asize * random.random());
    const va = `  VA ${fmtD(i, 2)}: 0x${fmtX(vaddr, 8, true)} (decimal: ${fmtD(vaddr, 4)}) --> `;
    if (!o.solve) p(va + "PA or segmentation violation?");
    else if (vaddr >= limit) p(va + "SEGMENTATION VIOLATION");
    else {
      const paddr = vaddr + base;
      p(va + `VALID: 0x${fmtX(paddr, 8, true)} (decimal: ${fmtD(paddr, 4)})`);
    }
  }
  p("");
  if (!o.solve) {
    p("For each virtual address, either write down the physical address it translates to");
    p("OR write down that it is an out-of-bounds address (a segmentation violation). For");
    p("this problem, you should assume a simple virtual address space of a given size.");
    p("");
  }
}

function fail(io: PyIo, message: string): never {
  pyPrint(io, message);
  throw new PyExit(1);
}
