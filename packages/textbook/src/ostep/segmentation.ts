/**
 * OSTEP chapter 16 (segmentation), segmentation.py: a two-segment address space, segment 0
 * growing up from its base and segment 1 growing down from its base, chosen by the top bit of
 * the virtual address. With -c, each address's translation or the segment it violates.
 */
import { OptionParser } from "../optparse";
import { PyRandom } from "../py-random";
import { fmtD, fmtX, pyInt, pyTrunc } from "../py-format";
import { PyExit, pyPrint } from "../py-io";
import type { PyIo } from "../py-io";
import { convert, num } from "./common";
import type { OstepEnv } from "./common";

const parser = new OptionParser("segmentation.py", [
  { short: "-s", long: "--seed", default: 0, help: "the random seed", type: "int", dest: "seed" },
  { short: "-A", long: "--addresses", default: "-1", help: "a set of comma-separated pages to access; -1 means randomly generate", type: "string", dest: "addresses" },
  { short: "-a", long: "--asize", default: "1k", help: "address space size (e.g., 16, 64k, 32m, 1g)", type: "string", dest: "asize" },
  { short: "-p", long: "--physmem", default: "16k", help: "physical memory size (e.g., 16, 64k, 32m, 1g)", type: "string", dest: "psize" },
  { short: "-n", long: "--numaddrs", default: 5, help: "number of virtual addresses to generate", type: "int", dest: "num" },
  { short: "-b", long: "--b0", default: "-1", help: "value of segment 0 base register", type: "string", dest: "base0" },
  { short: "-l", long: "--l0", default: "-1", help: "value of segment 0 limit register", type: "string", dest: "len0" },
  { short: "-B", long: "--b1", default: "-1", help: "value of segment 1 base register", type: "string", dest: "base1" },
  { short: "-L", long: "--l1", default: "-1", help: "value of segment 1 limit register", type: "string", dest: "len1" },
  { short: "-c", help: "compute answers for me", default: false, dest: "solve" },
]);

/** segmentation.py ARGS. */
export function segmentation(argv: readonly string[], io: PyIo, env: OstepEnv = {}): void {
  const o = parser.parseArgs(argv, io, env).values;
  const p = (...a: (string | number | boolean | bigint)[]) => pyPrint(io, ...a);
  const abortIf = (cond: boolean, message: string) => {
    if (cond) {
      p("Error:", message);
      throw new PyExit(1);
    }
  };
  p("ARG seed", o.seed);
  p("ARG address space size", o.asize);
  p("ARG phys mem size", o.psize);
  p("");

  const random = new PyRandom(o.seed as number | bigint);
  const asize = convert(o.asize as string);
  const psize = convert(o.psize as string);
  const addresses = o.addresses as string;
  abortIf(psize <= 4, "must specify a bigger physical memory size");
  abortIf(asize === 0, "must specify a non-zero address-space size");
  abortIf(psize <= asize, "physical memory size > address space size (for this simulation)");

  let len0 = convert(o.len0 as string);
  let len1 = convert(o.len1 as string);
  let base0 = convert(o.base0 as string);
  let base1 = convert(o.base1 as string);
  // a random length is 1/4 to 1/2 of the address space
  if (len0 === -1) len0 = pyTrunc(asize / 4.0 + (asize / 4.0) * random.random());
  if (len1 === -1) len1 = pyTrunc(asize / 4.0 + (asize / 4.0) * random.random());
  if (base0 === -1 || base1 === -1) {
    abortIf(psize <= 2 * asize, "physical memory must be 2x GREATER than address space size (if randomly generating base registers)");
  }
  if (base0 === -1) {
    do base0 = pyTrunc(psize * random.random());
    while (!(base0 + len0 < psize));
  }
  // internally base1 is the segment's low end; the user gives (and is shown) its high end
  if (base1 === -1) {
    for (;;) {
      base1 = pyTrunc(psize * random.random());
      if (base1 + len1 < psize && (base1 > base0 + len0 || base1 + len1 < base0)) break;
    }
  } else {
    base1 = base1 - len1;
  }
  abortIf(psize < base0 + len0 - 1, "seg0 is not in physical memory");
  abortIf(psize < base1, "seg1 is not in physical memory");
  abortIf(len0 > asize / 2.0, "length0 register is too large for this address space");
  abortIf(len1 > asize / 2.0, "length1 register is too large for this address space");

  p("Segment register information:");
  p("");
  p(`  Segment 0 base  (grows positive) : 0x${fmtX(base0, 8, true)} (decimal ${fmtD(base0)})`);
  p(`  Segment 0 limit                  : ${fmtD(len0)}`);
  p("");
  p(`  Segment 1 base  (grows negative) : 0x${fmtX(base1 + len1, 8, true)} (decimal ${fmtD(base1 + len1)})`);
  p(`  Segment 1 limit                  : ${fmtD(len1)}`);
  p("");
  const nbase1 = base1 + len1;
  abortIf(len0 + base0 > base1 && base1 > base0, "segments overlap in physical memory");

  let addrList: (string | number)[] = [];
  if (addresses === "-1") {
    const n = num(o.num);
    for (let i = 0; i < n; i++) addrList.push(pyTrunc(asize * random.random()));
  } else {
    addrList = addresses.split(",");
  }

  p("Virtual Address Trace");
  let i = 0;
  for (const vstr of addrList) {
    const vaddr = typeof vstr === "number" ? vstr : pyInt(vstr);
    if (vaddr < 0 || vaddr >= asize) {
      p(`Error: virtual address ${fmtD(vaddr)} cannot be generated in an address space of size ${fmtD(asize)}`);
      throw new PyExit(1);
    }
    const va = `  VA ${fmtD(i, 2)}: 0x${fmtX(vaddr, 8, true)} (decimal: ${fmtD(vaddr, 4)}) --> `;
    if (!o.solve) p(va + "PA or segmentation violation?");
    else if (vaddr >= asize / 2) {
      // segment 1: a negative offset from its high end
      const paddr = nbase1 + (vaddr - asize);
      if (paddr < base1) p(va + "SEGMENTATION VIOLATION (SEG1)");
      else p(va + `VALID in SEG1: 0x${fmtX(paddr, 8, true)} (decimal: ${fmtD(paddr, 4)})`);
    } else if (vaddr >= len0) p(va + "SEGMENTATION VIOLATION (SEG0)");
    else {
      const paddr = vaddr + base0;
      p(va + `VALID in SEG0: 0x${fmtX(paddr, 8, true)} (decimal: ${fmtD(paddr, 4)})`);
    }
    i++;
  }
  p("");
  if (!o.solve) {
    p("For each virtual address, either write down the physical address it translates to");
    p("OR write down that it is an out-of-bounds address (a segmentation violation). For");
    p("this problem, you should assume a simple address space with two segments: the top");
    p("bit of the virtual address can thus be used to check whether the virtual address");
    p("is in segment 0 (topbit=0) or segment 1 (topbit=1). Note that the base/limit pairs");
    p("given to you grow in different directions, depending on the segment, i.e., segment 0");
    p("grows in the positive direction, whereas segment 1 in the negative. ");
    p("");
  }
}
