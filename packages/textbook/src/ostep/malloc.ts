/**
 * OSTEP chapter 17 (free-space management), malloc.py: a heap managed by a free list of
 * (address, size) extents, searched BEST, WORST or FIRST fit, kept in ADDRSORT, SIZESORT+/-,
 * INSERT-FRONT or INSERT-BACK order, with optional headers, alignment and (whole-list)
 * coalescing. Random operations or an -A list such as +10,-0.
 */
import { OptionParser } from "../optparse";
import { PyException, PyRandom } from "../py-random";
import { pyInt, pyTrunc } from "../py-format";
import { pyPrint } from "../py-io";
import type { PyIo } from "../py-io";
import { num, pyMod } from "./common";
import type { OstepEnv } from "./common";

const parser = new OptionParser("malloc.py", [
  { short: "-s", long: "--seed", default: 0, help: "the random seed", type: "int", dest: "seed" },
  { short: "-S", long: "--size", default: 100, help: "size of the heap", type: "int", dest: "heapSize" },
  { short: "-b", long: "--baseAddr", default: 1000, help: "base address of heap", type: "int", dest: "baseAddr" },
  { short: "-H", long: "--headerSize", default: 0, help: "size of the header", type: "int", dest: "headerSize" },
  { short: "-a", long: "--alignment", default: -1, help: "align allocated units to size; -1->no align", type: "int", dest: "alignment" },
  { short: "-p", long: "--policy", default: "BEST", help: "list search (BEST, WORST, FIRST)", type: "string", dest: "policy" },
  { short: "-l", long: "--listOrder", default: "ADDRSORT", help: "list order (ADDRSORT, SIZESORT+, SIZESORT-, INSERT-FRONT, INSERT-BACK)", type: "string", dest: "order" },
  { short: "-C", long: "--coalesce", default: false, help: "coalesce the free list?", dest: "coalesce" },
  { short: "-n", long: "--numOps", default: 10, help: "number of random ops to generate", type: "int", dest: "opsNum" },
  { short: "-r", long: "--range", default: 10, help: "max alloc size", type: "int", dest: "opsRange" },
  { short: "-P", long: "--percentAlloc", default: 50, help: "percent of ops that are allocs", type: "int", dest: "opsPAlloc" },
  { short: "-A", long: "--allocList", default: "", help: "instead of random, list of ops (+10,-0,etc)", type: "string", dest: "opsList" },
  { short: "-c", long: "--compute", default: false, help: "compute answers for me", dest: "solve" },
]);

type Extent = [addr: number, size: number];
const assertion = () => new PyException("AssertionError", "");

/** The script's allocator: a free list and a map from handed-out address to size. */
class Malloc {
  private freelist: Extent[];
  private readonly sizemap = new Map<number, number>();

  constructor(
    private readonly size: number,
    start: number,
    private readonly headerSize: number,
    private readonly policy: string,
    private readonly order: string,
    private readonly coalesce: boolean,
    private readonly align: number,
  ) {
    this.freelist = [[start, size]];
    if (!["FIRST", "BEST", "WORST"].includes(policy)) throw assertion();
    if (!["ADDRSORT", "SIZESORT+", "SIZESORT-", "INSERT-FRONT", "INSERT-BACK"].includes(order)) throw assertion();
    if (!(align === -1 || align > 0)) throw assertion();
  }

  /** [address, elements searched]; address -1 when nothing fits. */
  malloc(request: number): [number, number] {
    let size = request;
    if (this.align !== -1) {
      const left = pyMod(size, this.align);
      size += left !== 0 ? this.align - left : 0;
    }
    size += this.headerSize;
    let bestIdx = -1;
    let bestAddr = 0;
    let bestSize = this.policy === "BEST" ? this.size + 1 : -1;
    let count = 0;
    for (let i = 0; i < this.freelist.length; i++) {
      const [eaddr, esize] = this.freelist[i];
      count++;
      if (esize >= size && ((this.policy === "BEST" && esize < bestSize) || (this.policy === "WORST" && esize > bestSize) || this.policy === "FIRST")) {
        bestAddr = eaddr;
        bestSize = esize;
        bestIdx = i;
        if (this.policy === "FIRST") break;
      }
    }
    if (bestIdx === -1) return [-1, count];
    if (bestSize > size) this.freelist[bestIdx] = [bestAddr + size, bestSize - size];
    else this.freelist.splice(bestIdx, 1);
    if (this.sizemap.has(bestAddr)) throw assertion();
    this.sizemap.set(bestAddr, size);
    return [bestAddr, count];
  }

  /** 0, or -1 if `addr` is not allocated. */
  free(addr: number): number {
    const size = this.sizemap.get(addr);
    if (size === undefined) return -1;
    const list = this.freelist;
    if (this.order === "INSERT-FRONT") list.unshift([addr, size]);
    else list.push([addr, size]);
    // stable sorts, as Python's sorted() (reverse=True keeps equal keys in order too)
    if (this.order === "ADDRSORT") list.sort((a, b) => a[0] - b[0]);
    else if (this.order === "SIZESORT+") list.sort((a, b) => a[1] - b[1]);
    else if (this.order === "SIZESORT-") list.sort((a, b) => b[1] - a[1]);
    if (this.coalesce) {
      const merged: Extent[] = [];
      let curr = list[0];
      for (let i = 1; i < list.length; i++) {
        const [eaddr, esize] = list[i];
        if (eaddr === curr[0] + curr[1]) curr = [curr[0], curr[1] + esize];
        else {
          merged.push(curr);
          curr = [eaddr, esize];
        }
      }
      merged.push(curr);
      this.freelist = merged;
    }
    this.sizemap.delete(addr);
    return 0;
  }

  dump(io: PyIo): void {
    let s = `Free List [ Size ${this.freelist.length} ]: `;
    for (const [a, sz] of this.freelist) s += `[ addr:${a} sz:${sz} ]`;
    io.out(s + "\n");
  }
}

/** malloc.py ARGS. */
export function malloc(argv: readonly string[], io: PyIo, env: OstepEnv = {}): void {
  const o = parser.parseArgs(argv, io, env).values;
  const p = (...a: (string | number | boolean | bigint)[]) => pyPrint(io, ...a);
  const solve = o.solve as boolean;
  const headerSize = num(o.headerSize);
  const m = new Malloc(num(o.heapSize), num(o.baseAddr), headerSize, o.policy as string, o.order as string, o.coalesce as boolean, num(o.alignment));
  const names: [string, string][] = [
    ["seed", "seed"], ["size", "heapSize"], ["baseAddr", "baseAddr"], ["headerSize", "headerSize"], ["alignment", "alignment"],
    ["policy", "policy"], ["listOrder", "order"], ["coalesce", "coalesce"], ["numOps", "opsNum"], ["range", "opsRange"],
    ["percentAlloc", "opsPAlloc"], ["allocList", "opsList"], ["compute", "solve"],
  ];
  for (const [label, dest] of names) p(label, o[dest]);
  p("");

  const percent = num(o.opsPAlloc) / 100.0;
  const random = new PyRandom(o.seed as number | bigint);
  const ptrs = new Map<number, number>();
  if (!(percent > 0)) throw assertion();
  const list = (): void => {
    if (solve) m.dump(io);
    else p("List?");
  };

  if (o.opsList === "") {
    const live: number[] = [];
    let c = 0;
    const opsNum = num(o.opsNum);
    const opsRange = num(o.opsRange);
    for (let j = 0; j < opsNum; ) {
      if (random.random() < percent) {
        const size = pyTrunc(random.random() * opsRange) + 1;
        const [ptr, cnt] = m.malloc(size);
        if (ptr !== -1) {
          ptrs.set(c, ptr);
          live.push(c);
        }
        io.out(`ptr[${c}] = Alloc(${size})` + (solve ? ` returned ${ptr + headerSize} (searched ${cnt} elements)\n` : " returned ?\n"));
        c++;
        j++;
      } else if (ptrs.size > 0) {
        const d = pyTrunc(random.random() * live.length);
        const rc = m.free(ptrs.get(live[d])!);
        p(`Free(ptr[${live[d]}])`);
        p(solve ? `returned ${rc}` : "returned ?");
        ptrs.delete(live[d]);
        live.splice(d, 1);
        j++;
      } else continue;
      if (solve) m.dump(io);
      else p("List? ");
      p("");
    }
    return;
  }

  let c = 0;
  for (const op of (o.opsList as string).split(",")) {
    if (op.length === 0) throw new PyException("IndexError", "string index out of range");
    if (op[0] === "+") {
      const size = pyInt(op.split("+")[1]);
      const [ptr, cnt] = m.malloc(size);
      if (ptr !== -1) ptrs.set(c, ptr);
      io.out(`ptr[${c}] = Alloc(${size})` + (solve ? ` returned ${ptr} (searched ${cnt} elements)\n` : " returned ?\n"));
      c++;
    } else if (op[0] === "-") {
      const index = pyInt(op.split("-")[1]);
      if (index >= ptrs.size) {
        p("Invalid Free: Skipping");
        continue;
      }
      p(`Free(ptr[${index}])`);
      const addr = ptrs.get(index);
      if (addr === undefined) throw new PyException("KeyError", String(index));
      const rc = m.free(addr);
      p(solve ? `returned ${rc}` : "returned ?");
    } else {
      throw new PyException("NameError", "name 'abort' is not defined");
    }
    list();
    p("");
  }
}
