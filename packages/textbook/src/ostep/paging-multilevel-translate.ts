/**
 * OSTEP chapter 20 (smaller tables), paging-multilevel-translate.py: a two-level page table in a
 * 4 KiB physical memory of 128 pages of 32 bytes. A 15-bit virtual address is split as
 *
 *     14      10 9        5 4      0
 *    +----------+----------+--------+
 *    | PD index | PT index | offset |     PDE/PTE byte: valid (bit 7) | PFN (bits 6-0)
 *    +----------+----------+--------+
 *
 * The dump shows every page; the questions ask what each virtual address loads.
 */
import { OptionParser } from "../optparse";
import { PyException, PyRandom } from "../py-random";
import { fmtD, fmtX, pyTrunc } from "../py-format";
import { PyExit, pyPrint } from "../py-io";
import type { PyIo } from "../py-io";
import { num } from "./common";
import type { OstepEnv } from "./common";

const parser = new OptionParser("paging-multilevel-translate.py", [
  { short: "-s", long: "--seed", default: 0, help: "the random seed", type: "int", dest: "seed" },
  { short: "-a", long: "--allocated", default: 64, help: "number of virtual pages allocated", type: "int", dest: "allocated" },
  { short: "-n", long: "--addresses", default: 10, help: "number of virtual addresses to generate", type: "int", dest: "num" },
  { short: "-c", long: "--solve", help: "compute answers for me", default: false, dest: "solve" },
]);

/** The script's machine: 32-byte pages, 128 physical pages, 1024 virtual pages. */
const PAGE_SIZE = 32;
const PAGE_BITS = 5;
const PHYS_PAGES = 128;
const VA_PAGES = 1024;
const PDE_MASK = 0x7c00;
const PDE_SHIFT = 10;
const PTE_MASK = 0x03e0;
const PTE_SHIFT = 5;
const OFFSET_MASK = 0x1f;
/** An invalid entry reads 0x7f: valid bit clear, PFN 127. */
const INVALID_ENTRY = 0x7f;
const VALID = 0x80;

class Os {
  readonly memory = new Uint8Array(PAGE_SIZE * PHYS_PAGES);
  private readonly usedPages = new Uint8Array(PHYS_PAGES);
  private usedCount = 0;
  pdbr = 0;

  constructor(
    private readonly random: PyRandom,
    private readonly io: PyIo,
  ) {}

  findFree(): number {
    if (!(this.usedCount < PHYS_PAGES)) throw new PyException("AssertionError", "");
    let look = pyTrunc(this.random.random() * PHYS_PAGES);
    while (this.usedPages[look] === 1) look = pyTrunc(this.random.random() * PHYS_PAGES);
    this.usedCount++;
    this.usedPages[look] = 1;
    return look;
  }

  private initTablePage(page: number): void {
    this.memory.fill(INVALID_ENTRY, page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  }

  private allocVirtualPage(vp: number, pp: number): void {
    const va = vp << PAGE_BITS;
    const pdeAddr = this.pdbr * PAGE_SIZE + ((va & PDE_MASK) >> PDE_SHIFT);
    const pde = this.memory[pdeAddr];
    let ptePage: number;
    if ((pde & VALID) === 0) {
      if ((pde & INVALID_ENTRY) !== INVALID_ENTRY) throw new PyException("AssertionError", "");
      ptePage = this.findFree();
      this.memory[pdeAddr] = VALID | ptePage;
      this.initTablePage(ptePage);
    } else ptePage = pde & INVALID_ENTRY;
    const pteAddr = ptePage * PAGE_SIZE + ((va & PTE_MASK) >> PTE_SHIFT);
    const pte = this.memory[pteAddr];
    if ((pte & VALID) !== 0 || (pte & INVALID_ENTRY) !== INVALID_ENTRY) throw new PyException("AssertionError", "");
    this.memory[pteAddr] = VALID | pp;
  }

  procAlloc(numPages: number): number[] {
    this.pdbr = this.findFree();
    this.initTablePage(this.pdbr);
    const used = new Uint8Array(VA_PAGES);
    const allocated: number[] = [];
    for (let k = 0; k < numPages; k++) {
      let vp = pyTrunc(this.random.random() * VA_PAGES);
      while (used[vp] === 1) vp = pyTrunc(this.random.random() * VA_PAGES);
      used[vp] = 1;
      allocated.push(vp);
      const pp = this.findFree();
      this.allocVirtualPage(vp, pp);
      for (let j = 0; j < PAGE_SIZE; j++) this.memory[pp * PAGE_SIZE + j] = pyTrunc(this.random.random() * 31);
    }
    return allocated;
  }

  /** The physical address, or -1 (PDE not valid) or -2 (PTE not valid); prints each step. */
  translate(va: number): number {
    const pdeBits = (va & PDE_MASK) >> PDE_SHIFT;
    const pde = this.memory[this.pdbr * PAGE_SIZE + pdeBits];
    const out = this.io;
    const line = (lead: string, name: string, bits: number, e: number) =>
      out.out(`${lead}${name} index:0x${fmtX(bits)} [decimal ${bits}] ${name} contents:0x${fmtX(e)} (valid ${e >> 7}, pfn 0x${fmtX(e & 0x7f, 2, true)} [decimal ${e & 0x7f}])\n`);
    line("  --> ", "pde", pdeBits, pde);
    if (pde >> 7 !== 1) return -1;
    const pteBits = (va & PTE_MASK) >> PTE_SHIFT;
    const pte = this.memory[(pde & 0x7f) * PAGE_SIZE + pteBits];
    line("    --> ", "pte", pteBits, pte);
    if (pte >> 7 !== 1) return -2;
    return ((pte & 0x7f) << PAGE_BITS) | (va & OFFSET_MASK);
  }
}

/** paging-multilevel-translate.py ARGS. */
export function pagingMultilevelTranslate(argv: readonly string[], io: PyIo, env: OstepEnv = {}): void {
  const o = parser.parseArgs(argv, io, env).values;
  const p = (...a: (string | number | boolean | bigint)[]) => pyPrint(io, ...a);
  p("ARG seed", o.seed);
  p("ARG allocated", o.allocated);
  p("ARG num", o.num);
  p("");

  const random = new PyRandom(o.seed as number | bigint);
  const os = new Os(random, io);
  const used = os.procAlloc(num(o.allocated));
  for (let i = 0; i < PHYS_PAGES; i++) {
    let line = `page ${fmtD(i, 3)}:`;
    for (let j = 0; j < PAGE_SIZE; j++) line += fmtX(os.memory[i * PAGE_SIZE + j], 2, true);
    io.out(line + "\n");
  }
  p("\nPDBR:", os.pdbr, " (decimal) [This means the page directory is held in this page]\n");

  const n = num(o.num);
  for (let i = 0; i < n; i++) {
    let vaddr: number;
    if (random.random() * 100 > 50.0 || i >= used.length) vaddr = pyTrunc(random.random() * 1024 * 32);
    else vaddr = (used[i] << 5) | pyTrunc(random.random() * 32);
    if (o.solve) {
      p(`Virtual Address 0x${fmtX(vaddr, 4, true)}:`);
      const r = os.translate(vaddr);
      if (r > -1) p(`      --> Translates to Physical Address 0x${fmtX(r, 3, true)} --> Value: 0x${fmtX(os.memory[r], 2, true)}`);
      else if (r === -1) p("      --> Fault (page directory entry not valid)");
      else p("      --> Fault (page table entry not valid)");
    } else {
      p(`Virtual Address ${fmtX(vaddr, 4, true)}: Translates To What Physical Address (And Fetches what Value)? Or Fault?`);
    }
  }
  p("");
  throw new PyExit(0);
}
