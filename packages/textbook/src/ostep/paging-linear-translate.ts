/**
 * OSTEP chapter 18 (paging), paging-linear-translate.py: a linear page table whose entries are
 * a valid bit (bit 31) and a PFN, filled at random with -u percent of pages valid, and a trace
 * of virtual addresses to translate. The checks use the script's float arithmetic (log ratios
 * for powers of two, float quotients for multiples) so its quirks are kept.
 */
import { OptionParser } from "../optparse";
import { PyException, PyRandom } from "../py-random";
import { fmtD, fmtX, pyInt, pyTrunc } from "../py-format";
import { PyExit, pyPrint } from "../py-io";
import type { PyIo } from "../py-io";
import { convert, num, pyDiv } from "./common";
import type { OstepEnv } from "./common";

const parser = new OptionParser("paging-linear-translate.py", [
  { short: "-A", long: "--addresses", default: "-1", help: "a set of comma-separated pages to access; -1 means randomly generate", type: "string", dest: "addresses" },
  { short: "-s", long: "--seed", default: 0, help: "the random seed", type: "int", dest: "seed" },
  { short: "-a", long: "--asize", default: "16k", help: "address space size (e.g., 16, 64k, 32m, 1g)", type: "string", dest: "asize" },
  { short: "-p", long: "--physmem", default: "64k", help: "physical memory size (e.g., 16, 64k, 32m, 1g)", type: "string", dest: "psize" },
  { short: "-P", long: "--pagesize", default: "4k", help: "page size (e.g., 4k, 8k, whatever)", type: "string", dest: "pagesize" },
  { short: "-n", long: "--numaddrs", default: 5, help: "number of virtual addresses to generate", type: "int", dest: "num" },
  { short: "-u", long: "--used", default: 50, help: "percent of virtual address space that is used", type: "int", dest: "used" },
  { short: "-v", help: "verbose mode", default: false, dest: "verbose" },
  { short: "-c", help: "compute answers for me", default: false, dest: "solve" },
]);

const TWO_32 = 4294967296;
/** The simulation's size ceiling: 1g (the script's own limit). */
const ONE_G = 1024 * 1024 * 1024;
/** The PTE's valid bit. */
const PTE_VALID = 0x80000000;

/** paging-linear-translate.py ARGS. */
export function pagingLinearTranslate(argv: readonly string[], io: PyIo, env: OstepEnv = {}): void {
  const o = parser.parseArgs(argv, io, env).values;
  const p = (...a: (string | number | boolean | bigint)[]) => pyPrint(io, ...a);
  const fail = (message: string): never => {
    p(message);
    throw new PyExit(1);
  };
  p("ARG seed", o.seed);
  p("ARG address space size", o.asize);
  p("ARG phys mem size", o.psize);
  p("ARG page size", o.pagesize);
  p("ARG verbose", o.verbose);
  p("ARG addresses", o.addresses);
  p("");

  const random = new PyRandom(o.seed as number | bigint);
  const asize = convert(o.asize as string);
  const psize = convert(o.psize as string);
  const pagesize = convert(o.pagesize as string);
  const addresses = o.addresses as string;
  if (psize <= 1) fail("Error: must specify a non-zero physical memory size.");
  if (asize < 1) fail("Error: must specify a non-zero address-space size.");
  if (psize <= asize) fail("Error: physical memory size must be GREATER than address space size (for this simulation)");
  if (psize >= ONE_G || asize >= ONE_G) fail("Error: must use smaller sizes (less than 1 GB) for this simulation.");
  const mustBeMultipleOf = (big: number, n: number, msg: string) => {
    const q = pyDiv(big, n);
    if (pyTrunc(q) !== q) fail(`Error in argument: ${msg}`);
  };
  mustBeMultipleOf(asize, pagesize, "address space must be a multiple of the pagesize");
  mustBeMultipleOf(psize, pagesize, "physical memory must be a multiple of the pagesize");

  const pages = pyTrunc(psize / pagesize);
  const used = new Uint8Array(Math.max(pages, 0));
  const vpages = pyTrunc(asize / pagesize);
  const log2 = (x: number) => {
    if (x <= 0) throw new PyException("ValueError", "math domain error");
    return Math.log(x) / Math.log(2.0);
  };
  const mustBePowerOf2 = (bits: number, size: number, msg: string) => {
    if (Math.pow(2, bits) !== size) fail(`Error in argument: ${msg}`);
  };
  const vabits = pyTrunc(log2(asize));
  mustBePowerOf2(vabits, asize, "address space must be a power of 2");
  const pagebits = pyTrunc(log2(pagesize));
  mustBePowerOf2(pagebits, pagesize, "page size must be a power of 2");
  const pageSpan = Math.pow(2, pagebits);

  p("");
  p("The format of the page table is simple:");
  p("The high-order (left-most) bit is the VALID bit.");
  p("  If the bit is 1, the rest of the entry is the PFN.");
  p("  If the bit is 0, the page is not valid.");
  p("Use verbose mode (-v) if you want to print the VPN # by");
  p("each entry of the page table.");
  p("");
  p("Page Table (from entry 0 down to the max size)");
  const pt = new Int32Array(Math.max(vpages, 0));
  const usedPct = num(o.used);
  for (let v = 0; v < vpages; v++) {
    const lead = o.verbose ? `  [${fmtD(v, 8)}]  ` : "  ";
    for (;;) {
      if (random.random() * 100.0 > 100.0 - usedPct) {
        const u = pyTrunc(pages * random.random());
        if (used[u] === 0) {
          used[u] = 1;
          io.out(`${lead}0x${fmtX(PTE_VALID + u, 8, true)}\n`);
          pt[v] = u;
          break;
        }
      } else {
        io.out(`${lead}0x${fmtX(0, 8, true)}\n`);
        pt[v] = -1;
        break;
      }
    }
  }
  p("");

  let addrList: (string | number)[] = [];
  if (addresses === "-1") {
    const n = num(o.num);
    for (let i = 0; i < n; i++) addrList.push(pyTrunc(asize * random.random()));
  } else {
    addrList = addresses.split(",");
  }

  p("Virtual Address Trace");
  for (const vstr of addrList) {
    const vaddr = typeof vstr === "number" ? vstr : pyInt(vstr);
    const va = `  VA 0x${fmtX(vaddr, 8, true)} (decimal: ${fmtD(vaddr, 8)}) --> `;
    if (!o.solve) {
      p(va + "PA or invalid address?");
      continue;
    }
    // vpn = (vaddr & 0xFFFFFFFF & ~pagemask) >> pagebits, on Python's unbounded two's complement
    const low32 = ((vaddr % TWO_32) + TWO_32) % TWO_32;
    const vpn = Math.floor(low32 / pageSpan);
    if (vpn >= pt.length) throw new PyException("IndexError", "array index out of range");
    if (pt[vpn] < 0) p(`  VA 0x${fmtX(vaddr, 8, true)} (decimal: ${fmtD(vaddr, 8)}) -->  Invalid (VPN ${vpn} not valid)`);
    else {
      const offset = low32 % pageSpan;
      const paddr = pt[vpn] * pageSpan + offset;
      p(va + `${fmtX(paddr, 8, true)} (decimal ${fmtD(paddr, 8)}) [VPN ${vpn}]`);
    }
  }
  p("");
  if (!o.solve) {
    p("For each virtual address, write down the physical address it translates to");
    p("OR write down that it is an out-of-bounds address (e.g., segfault).");
    p("");
  }
}
