// mmsim replay --kernel, run as the built binary: a hand-made lackey trace with every count
// worked out, the real ls trace against counts computed here from the trace itself (pages,
// copy-on-write of the zero page, written pages, page-table pages, VMAs), the OOM kill of a trace
// larger than RAM, and bad input -> exit 2.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

const LS = fileURLToPath(new URL("../../../packages/replay/conformance/fixtures/ls-usr-share-doc.lackey.gz", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "mmsim-replay-kernel-"));
const file = (name: string, data: string) => {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
};

// 0x401000 is fetched from (an r-x... here rwx VMA of its own); 0x601000..0x603fff are data.
// M 602ffe,4 straddles two pages: one write access to each.
const SMALL = `==1== Lackey
I  00401000,4
 L 00601000,8
 S 00601000,8
 M 00602ffe,4
 L 00601008,4
`;

describe("mmsim replay --kernel", () => {
  it("counts every fault, TLB miss and page-table page of a small lackey trace", () => {
    const f = file("small.lackey", SMALL);
    const r = mmsim(["replay", f, "--kernel", "--ram", "256MiB"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines.slice(0, -2)).toEqual([
      `${f} (lackey): 6 references, 4 distinct pages`,
      "task 1 on CPU 0 of 2, 256MiB RAM: 2 VMAs, 16 kB mapped",
      // I, L, S, M (two pages), L: a reference per page, as the replacement-only replay counts them
      "accesses                       6  (loads 2, stores 3, instruction fetches 1)",
      // I: zero page (exec); L: zero page; S: copy of the zero page; M: a new page each
      "pgfault                        5",
      "pgmajfault                     0",
      "pswpin                         0",
      // translations: each access, and once more after its fault; the last L alone hits
      "dTLB-loads                     3  (translations: an access, and once more after its page fault)",
      "dTLB-load-misses               2",
      // S hits the read-only entry of the zero page: denied, it walks, faults, and the retry walks
      "dTLB-stores                    6",
      "dTLB-store-misses              6",
      "iTLB-loads                     2",
      "iTLB-load-misses               2",
      "page-walks                    10",
      // 0x601000, 0x602000, 0x603000 were written; 0x401000 maps the zero page
      "VmRSS                      12 kB",
      // pgd, pud, pmd, and a PTE table for each of the 2 MiB regions 0x400000 and 0x600000
      "VmPTE                      20 kB",
    ]);
    expect(lines.at(-2)).toMatch(/^time {15}0\.\d{9} s {2}\(simulated\)$/);
    const j = JSON.parse(mmsim(["replay", f, "--kernel", "--ram", "256MiB", "--json"]).stdout);
    expect(j).toMatchObject({
      mode: "kernel", references: 6, pages: 4, accesses: 6, loads: 2, stores: 3, fetches: 1, pgfault: 5, dtlbLoads: 3, dtlbLoadMisses: 2,
      dtlbStores: 6, dtlbStoreMisses: 6, itlbLoads: 2, itlbLoadMisses: 2, rssKb: 12, pageTablesKb: 20, vmas: 2, signal: null,
    });
    // without instructions: 3 pages, 4 faults
    expect(JSON.parse(mmsim(["replay", f, "--kernel", "--no-instructions", "--json"]).stdout)).toMatchObject({ pages: 3, vmas: 1, accesses: 5, pgfault: 4, itlbLoads: 0 });
  });

  it("on the ls trace: one fault per page plus one per zero page written later, RSS = written pages, VmPTE = the tables the pages need", () => {
    // what the kernel must do, worked out from the trace: per page its first access and whether it is ever written or fetched
    const text = gunzipSync(readFileSync(LS)).toString("latin1");
    const first = new Map<number, string>();
    const written = new Set<number>();
    const fetched = new Set<number>();
    let refs = 0;
    let loads = 0;
    let stores = 0;
    let fetches = 0;
    for (const m of text.matchAll(/^(I | L| S| M) ([0-9a-f]+),(\d+)$/gm)) {
      const a = parseInt(m[2]!, 16);
      const kind = m[1]!.trim();
      for (let p = Math.floor(a / 4096); p <= Math.floor((a + Number(m[3]) - 1) / 4096); p++) {
        refs++;
        if (kind === "L") loads++;
        else if (kind === "I") fetches++;
        else stores++;
        if (!first.has(p)) first.set(p, kind);
        if (kind === "S" || kind === "M") written.add(p);
        if (kind === "I") fetched.add(p);
      }
    }
    const pages = [...first.keys()].sort((a, b) => a - b);
    const cowOfZero = pages.filter((p) => (first.get(p) === "L" || first.get(p) === "I") && written.has(p)).length;
    const tables = (shift: number) => new Set(pages.map((p) => Math.floor(p / 2 ** shift))).size;
    let vmas = 0;
    pages.forEach((p, i) => {
      if (i === 0 || pages[i - 1] !== p - 1 || fetched.has(p) !== fetched.has(p - 1)) vmas++;
    });
    const j = JSON.parse(mmsim(["replay", LS, "--kernel", "--ram", "1GiB", "--json"]).stdout);
    expect(j.references).toBe(refs);
    expect(j.accesses).toBe(refs);
    expect(j.pages).toBe(pages.length);
    expect(j.vmas).toBe(vmas);
    expect(j.mappedKb).toBe(pages.length * 4);
    expect(j.pgfault).toBe(pages.length + cowOfZero);
    expect(j.rssKb).toBe(written.size * 4);
    // pgd + a pud table per 512 GiB, a pmd table per 1 GiB, a PTE table per 2 MiB (9 bits a level)
    expect(j.pageTablesKb).toBe((1 + tables(27) + tables(18) + tables(9)) * 4);
    // every access is translated once, and once more after its fault
    expect(j.dtlbLoads + j.dtlbStores + j.itlbLoads).toBe(refs + j.pgfault);
    expect(j.dtlbLoadMisses + j.dtlbStoreMisses + j.itlbLoadMisses).toBe(j.pageWalks);
    expect([j.loads, j.stores, j.fetches]).toEqual([loads, stores, fetches]);
    expect(j.pgmajfault).toBe(0);
    expect(j.pswpin).toBe(0);
    expect(j.signal).toBeNull();
  });

  it("a trace that writes more than RAM ends with the OOM kill of the task at the access that found no page", () => {
    // 20000 page numbers (78 MiB) from page 0x100000, on a 64 MiB machine
    const f = file("big.txt", Array.from({ length: 20000 }, (_, i) => `${0x100000 + i}`).join("\n") + "\n");
    const r = mmsim(["replay", f, "--kernel", "--ram", "64MiB"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const m = /accesses +(\d+) {2}\(loads 0, stores \d+, instruction fetches 0\)\npgfault +(\d+)\n[^]*VmRSS +(\d+) kB\n[^]*\nout of memory at access (\d+) \(page 0x([0-9a-f]+)\): no free page and no swap, and reclaim is not built yet: the OOM kill ends the task \(\+\+\+ killed by SIGKILL \+\+\+\)\n$/.exec(r.stdout);
    expect(m).not.toBeNull();
    const [accesses, pgfault, rss, at, page] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4]), parseInt(m![5]!, 16)];
    expect(at).toBe(accesses);
    expect(pgfault).toBe(accesses + 1);
    expect(rss).toBe(accesses * 4);
    expect(page).toBe((0x100000 + at) * 4096);
    expect(JSON.parse(mmsim(["replay", f, "--kernel", "--ram", "64MiB", "--json"]).stdout).signal).toMatchObject({ name: "SIGKILL", oom: true, access: at });
  });

  it("--help explains --kernel: what is mapped, the access kinds, the machine flags", () => {
    const h = mmsim(["replay", "--help"]).stdout;
    expect(h).toContain("--kernel ");
    expect(h).toContain("--ram <size>");
    expect(h).toContain("private anonymous\nread-write VMA");
    expect(h).toContain("mmsim replay ls.lackey --kernel --ram 1GiB");
  });

  it("bad input is exit 2 naming the problem: a bad line, flags of the other mode, unmappable pages", () => {
    const bad = file("bad.lackey", "I  00401000,4\n Q 00601000,8\n");
    const cases: [string[], string][] = [
      [["replay", bad, "--kernel"], `mmsim: ${bad}:2: not a lackey line: " Q 00601000,8"`],
      [["replay", LS, "--kernel", "--frames", "16"], "--frames is for the replacement-only replay"],
      [["replay", LS, "--kernel", "--policy", "fifo"], "--policy is for the replacement-only replay"],
      [["replay", LS, "--ram", "1GiB", "--frames", "16"], "--ram describes the machine of a --kernel replay: add --kernel"],
      [["replay", LS, "--kernel", "--page-size", "8192"], "--kernel translates 4096-byte pages"],
      [["replay", file("zero.txt", "0\n1\n"), "--kernel"], "below vm.mmap_min_addr (4096); allow it with --sysctl vm.mmap_min_addr=0"],
      [["replay", LS, "--kernel", "--ram", "1KiB"], "--ram"],
    ];
    for (const [args, msg] of cases) {
      const r = mmsim(args);
      expect(r.stderr).toContain(msg);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
    }
    // page 0 maps once the sysctl allows it
    const z = mmsim(["replay", file("zero2.txt", "0\n1\n"), "--kernel", "--sysctl", "vm.mmap_min_addr=0", "--json"]);
    expect(z.status).toBe(0);
    expect(JSON.parse(z.stdout)).toMatchObject({ pages: 2, pgfault: 2, rssKb: 8 });
  });
});
