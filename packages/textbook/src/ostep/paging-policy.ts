/**
 * OSTEP chapter 22 (beyond physical memory: policies), paging-policy.py: a page cache of -C
 * pages replaying a reference string under FIFO, LRU, MRU, OPT, UNOPT, RAND or CLOCK, printing
 * each access's hit or miss, the cache contents and the victim. The script's O(n) future scans
 * for OPT/UNOPT are replaced by next-use indices from one backward pass (same victims: the last
 * page with the farthest next use, the first with the nearest), so long strings run in
 * O(n * C); the error a bad entry raises mid-scan is still raised where the script raises it.
 */
import { OptionParser } from "../optparse";
import { PyException, PyRandom } from "../py-random";
import { fmtF, fmtS, pyIntStr, pyInt, pyIntBig, pyRepr, pyTrunc } from "../py-format";
import { PyExit, pyPrint } from "../py-io";
import type { PyIo } from "../py-io";
import { num } from "./common";
import type { OstepEnv } from "./common";

const parser = new OptionParser("paging-policy.py", [
  { short: "-a", long: "--addresses", default: "-1", help: "a set of comma-separated pages to access; -1 means randomly generate", type: "string", dest: "addresses" },
  { short: "-f", long: "--addressfile", default: "", help: "a file with a bunch of addresses in it", type: "string", dest: "addressfile" },
  { short: "-n", long: "--numaddrs", default: "10", help: "if -a (--addresses) is -1, this is the number of addrs to generate", type: "string", dest: "numaddrs" },
  { short: "-p", long: "--policy", default: "FIFO", help: "replacement policy: FIFO, LRU, OPT, UNOPT, RAND, CLOCK", type: "string", dest: "policy" },
  { short: "-b", long: "--clockbits", default: 2, help: "for CLOCK policy, how many clock bits to use", type: "int", dest: "clockbits" },
  { short: "-C", long: "--cachesize", default: "3", help: "size of the page cache, in pages", type: "string", dest: "cachesize" },
  { short: "-m", long: "--maxpage", default: "10", help: "if randomly generating page accesses, this is the max page number", type: "string", dest: "maxpage" },
  { short: "-s", long: "--seed", default: "0", help: "random number seed", type: "string", dest: "seed" },
  { short: "-N", long: "--notrace", default: false, help: "do not print out a detailed trace", dest: "notrace" },
  { short: "-c", long: "--compute", default: false, help: "compute answers for me", dest: "solve" },
]);

/** The trace's column labels per policy (left end, right end of the printed list). */
const ENDS: Record<string, [string, string]> = {
  FIFO: ["FirstIn", "Lastin "],
  LRU: ["LRU", "MRU"],
  MRU: ["LRU", "MRU"],
  OPT: ["Left ", "Right"],
  RAND: ["Left ", "Right"],
  UNOPT: ["Left ", "Right"],
  CLOCK: ["Left ", "Right"],
};

/**
 * The reference string: parsed pages, and the index of the first entry int() rejects. A page
 * beyond 2^53 (Python ints are unbounded) is held as a stand-in half-integer whose digits are
 * in `big`, so equality and printing stay exact.
 */
interface Refs {
  pages: Float64Array;
  big: BigPages;
  /** the raw text of each entry, for the ValueError (null for generated pages) */
  raw: string[] | null;
  bad: number;
}

/** Exact pages beyond 2^53, each as the stand-in -(k + 1.5). */
class BigPages {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  parse(text: string): number {
    const v = pyIntBig(text);
    if (v >= -MAX_SAFE && v <= MAX_SAFE) return Number(v);
    const name = v.toString();
    let id = this.ids.get(name);
    if (id === undefined) {
      id = -(this.names.length + 1.5);
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  /** str() of a page. */
  show(page: number): string {
    return Number.isInteger(page) ? pyIntStr(page) : this.names[-page - 1.5];
  }

  list(pages: number[]): string {
    return pages.length === 0 ? "[]" : "[" + pages.map((p) => this.show(p)).join(", ") + "]";
  }
}
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function badEntry(refs: Refs): PyException {
  return new PyException("ValueError", `invalid literal for int() with base 10: ${pyRepr(refs.raw![refs.bad])}`);
}

/** paging-policy.py ARGS. */
export function pagingPolicy(argv: readonly string[], io: PyIo, env: OstepEnv = {}): void {
  const o = parser.parseArgs(argv, io, env).values;
  const p = (...a: (string | number | boolean | bigint)[]) => pyPrint(io, ...a);
  p("ARG addresses", o.addresses);
  p("ARG addressfile", o.addressfile);
  p("ARG numaddrs", o.numaddrs);
  p("ARG policy", o.policy);
  p("ARG clockbits", o.clockbits);
  p("ARG cachesize", o.cachesize);
  p("ARG maxpage", o.maxpage);
  p("ARG seed", o.seed);
  p("ARG notrace", o.notrace);
  p("");

  const addresses = o.addresses as string;
  const addressFile = o.addressfile as string;
  const numaddrs = pyInt(o.numaddrs as string);
  const cachesize = pyInt(o.cachesize as string);
  const random = new PyRandom(pyIntBig(o.seed as string));
  const maxpage = pyInt(o.maxpage as string);
  const policy = o.policy as string;
  const notrace = o.notrace as boolean;
  const clockbits = num(o.clockbits);

  let refs: Refs;
  const big = new BigPages();
  if (addressFile !== "") {
    const text = env.readFile?.(addressFile) ?? null;
    if (text === null) throw new PyException("FileNotFoundError", `[Errno 2] No such file or directory: ${pyRepr(addressFile)}`);
    const lines = text.replace(/\r\n?/g, "\n").split(/(?<=\n)/).filter((l) => l !== "");
    refs = { pages: Float64Array.from(lines, (l) => big.parse(l)), big, raw: null, bad: lines.length };
  } else if (addresses === "-1") {
    const pages = new Float64Array(Math.max(numaddrs, 0));
    for (let i = 0; i < pages.length; i++) pages[i] = pyTrunc(maxpage * random.random());
    refs = { pages, big, raw: null, bad: pages.length };
  } else {
    const raw = addresses.split(",");
    const pages = new Float64Array(raw.length);
    let bad = raw.length;
    for (let i = 0; i < raw.length; i++) {
      try {
        pages[i] = big.parse(raw[i]);
      } catch (e) {
        if (!(e instanceof PyException)) throw e;
        bad = i;
        break;
      }
    }
    refs = { pages, big, raw, bad };
  }
  const n = refs.raw ? refs.raw.length : refs.pages.length;

  if (!o.solve) {
    p(`Assuming a replacement policy of ${policy}, and a cache of size ${pyIntStr(cachesize)} pages,`);
    p("figure out whether each of the following page references hit or miss");
    p("in the page cache.\n");
    for (let i = 0; i < n; i++) {
      if (i === refs.bad) throw badEntry(refs);
      io.out(`Access: ${big.show(refs.pages[i])}  Hit/Miss?  State of Memory?\n`);
    }
    p("");
    return;
  }
  if (!notrace) p("Solving...\n");
  const ends = ENDS[policy];
  if (!ends) {
    p(`Policy ${policy} is not yet implemented`);
    throw new PyExit(1);
  }
  const stats = simulate(refs, n, policy, cachesize, clockbits, random, notrace ? null : io, ends);
  p("");
  if (stats.hits + stats.misses === 0) throw new PyException("ZeroDivisionError", "float division by zero");
  p(`FINALSTATS hits ${stats.hits}   misses ${stats.misses}   hitrate ${fmtF((100.0 * stats.hits) / (stats.hits + stats.misses), 2)}`);
  p("");
}

/** The next index at which each reference's page is used again (n if never), one backward pass. */
function nextUses(refs: Refs, n: number): Float64Array {
  const next = new Float64Array(n);
  const seen = new Map<number, number>();
  for (let i = n - 1; i >= 0; i--) {
    if (i >= refs.bad) {
      next[i] = n;
      continue;
    }
    const page = refs.pages[i];
    next[i] = seen.get(page) ?? n;
    seen.set(page, i);
  }
  return next;
}

const popEmpty = () => new PyException("IndexError", "pop from empty list");

function simulate(refs: Refs, n: number, policy: string, cachesize: number, clockbits: number, random: PyRandom, trace: PyIo | null, ends: [string, string]) {
  const memory: number[] = [];
  /** for OPT/UNOPT: each cached page's next use, parallel to memory */
  const memNext: number[] = [];
  const next = policy === "OPT" || policy === "UNOPT" ? nextUses(refs, n) : null;
  const ref = new Map<number, number>();
  let hits = 0;
  let misses = 0;
  let count = 0;
  for (let idx = 0; idx < n; idx++) {
    if (idx === refs.bad) throw badEntry(refs);
    const page = refs.pages[idx];
    const at = memory.indexOf(page);
    if (at >= 0) {
      hits++;
      if (policy === "LRU" || policy === "MRU") {
        memory.splice(at, 1);
        memory.push(page);
      }
      if (next) memNext[at] = next[idx];
    } else {
      misses++;
    }
    let victim = -1;
    if (at < 0) {
      if (count === cachesize) {
        if (policy === "FIFO" || policy === "LRU") {
          if (memory.length === 0) throw popEmpty();
          victim = memory.shift()!;
        } else if (policy === "MRU") {
          if (memory.length === 0) throw popEmpty();
          victim = memory.pop()!; // memory always holds `count` pages
        } else if (policy === "RAND") {
          const k = pyTrunc(random.random() * count);
          if (memory.length === 0) throw popEmpty();
          victim = memory.splice(k, 1)[0];
        } else if (policy === "CLOCK") {
          for (;;) {
            const k = pyTrunc(random.random() * count);
            if (k >= memory.length) throw new PyException("IndexError", "list index out of range");
            const cand = memory[k];
            const bits = ref.get(cand)!;
            if (bits >= 1) ref.set(cand, bits - 1);
            else {
              victim = cand;
              memory.splice(k, 1);
              break;
            }
          }
          ref.delete(victim);
        } else {
          // OPT: the last page with the farthest next use; UNOPT: the first with the nearest
          let pick = -1;
          let best = policy === "OPT" ? -1 : n + 1;
          for (let k = 0; k < count; k++) {
            const when = memNext[k];
            if (when > refs.bad && refs.bad < n) throw badEntry(refs);
            if (policy === "OPT" ? when >= best : when < best) {
              pick = k;
              best = when;
            }
          }
          if (memory.length === 0) throw popEmpty();
          const k = pick < 0 ? memory.length - 1 : pick;
          victim = memory.splice(k, 1)[0];
          memNext.splice(k, 1);
        }
      } else {
        count++;
      }
      memory.push(page);
      if (next) memNext.push(next[idx]);
    }
    // the reference bits CLOCK reads: set on first use, counted up to -b on each use after
    const bits = ref.get(page);
    ref.set(page, bits === undefined ? 1 : bits + 1 > clockbits ? clockbits : bits + 1);
    if (trace) {
      trace.out(
        `Access: ${refs.big.show(page)}  ${at < 0 ? "MISS" : "HIT "} ${ends[0]} -> ${fmtS(refs.big.list(memory), 12)} <- ${ends[1]} Replaced:${victim === -1 ? "-" : refs.big.show(victim)} [Hits:${hits} Misses:${misses}]\n`,
      );
    }
  }
  return { hits, misses };
}
