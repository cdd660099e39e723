// mmsim replay, run as the built binary: exact counts on a real lackey trace (libCacheSim's
// numbers, see packages/replay/conformance), the one-pass LRU curve, sweeps over worker
// threads, conversions that round-trip, the SVG plot, and every kind of bad input -> exit 2
// with the line or byte offset.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

const LS = fileURLToPath(new URL("../../../packages/replay/conformance/fixtures/ls-usr-share-doc.lackey.gz", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "mmsim-replay-"));
const file = (name: string, data: string | Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
};

describe("mmsim replay", () => {
  it("prints exact counts per policy and size, equal to libCacheSim's on the ls trace", () => {
    const r = mmsim(["replay", LS, "--policy", "fifo,lru,opt", "--frames", "16,64", "--threads", "1"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        `${LS} (lackey, 4096-byte pages): 3226880 requests, 314 distinct pages`,
        "policy  frames  requests     hits  misses  cold  miss-ratio",
        "fifo        16   3226880  3035609  191271   314    0.059274",
        "fifo        64   3226880  3224970    1910   314    0.000592",
        "lru         16   3226880  3062373  164507   314    0.050980",
        "lru         64   3226880  3225719    1161   314    0.000360",
        "opt         16   3226880  3168282   58598   314    0.018159",
        "opt         64   3226880  3226141     739   314    0.000229",
        "",
      ].join("\n"),
    );
  });

  it("runs a sweep in worker threads with the same counts, in the order asked, and a progress bar on request", () => {
    const args = ["replay", LS, "-p", "arc,2q,s3fifo,sieve,clock", "-f", "20,100", "--json"];
    const one = mmsim([...args, "--threads", "1"]);
    const two = mmsim([...args, "--threads", "2", "--progress"]);
    expect(two.status).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stderr).toContain("replay [");
    const j = JSON.parse(two.stdout) as { results: { policy: string; frames: number; misses: number }[] };
    // libCacheSim aa0fc409: ARC 67884 / 639, TwoQ 61532 / 727, S3FIFO 49927 / 669, Sieve 63686 / 684, Clock 75865 / 665
    expect(j.results.map((x) => `${x.policy}@${x.frames}=${x.misses}`)).toEqual([
      "arc@20=67884", "arc@100=639", "2q@20=61532", "2q@100=727", "s3fifo@20=49927", "s3fifo@100=669",
      "sieve@20=63686", "sieve@100=684", "clock@20=75865", "clock@100=665",
    ]);
  }, 60_000);

  it("computes LRU's misses at every size with --frames all, equal to single runs", () => {
    const r = mmsim(["replay", LS, "--frames", "all", "--json"]);
    const j = JSON.parse(r.stdout) as { pages: number; lruCurve: { frames: number[]; misses: number[] } };
    expect(j.lruCurve.frames).toHaveLength(314);
    // libCacheSim's LRU at 4, 32, 128 and 300 frames
    expect([4, 32, 128, 300].map((f) => j.lruCurve.misses[f - 1])).toEqual([359599, 5711, 444, 314]);
    const text = mmsim(["replay", LS, "--frames", "all"]).stdout.split("\n");
    expect(text[2]).toBe("lru          1   3226880  1376941  1849939   314    0.573290");
    expect(text.at(-2)).toMatch(/^\(exact LRU misses at every size from 1 to 314 frames in one pass/);
  });

  it("converts to text, mmsim and oracleGeneral, and each replays to the same counts", () => {
    const counts = (f: string) => JSON.parse(mmsim(["replay", f, "-p", "lru,opt", "-f", "32", "--json", "--threads", "1"]).stdout).results;
    const want = counts(LS);
    for (const to of ["text", "mmsim", "oracle"]) {
      const out = join(tmp, `ls.${to}`);
      const c = mmsim(["replay", LS, "--convert", to, "-o", out]);
      expect(c.stderr).toBe(`mmsim: wrote 3226880 requests (314 distinct pages) to ${out} (${to})\n`);
      expect([to, counts(out)]).toEqual([to, want]);
    }
    expect(readFileSync(join(tmp, "ls.mmsim")).subarray(0, 8).toString()).toBe("MMSIMTR1");
    expect(readFileSync(join(tmp, "ls.oracle")).length).toBe(3226880 * 24);
  }, 60_000);

  it("reads zstd traces (Silberschatz's string: FIFO 15, LRU 12, OPT 9 in 3 frames) and names a truncated one", () => {
    const zst = fileURLToPath(new URL("../../../packages/replay/conformance/fixtures/silberschatz.txt.zst", import.meta.url));
    const r = mmsim(["replay", zst, "-p", "fifo,lru,opt", "-f", "3", "--json"]);
    expect(JSON.parse(r.stdout).results.map((x: { misses: number }) => x.misses)).toEqual([15, 12, 9]);
    const cut = file("cut.txt.zst", readFileSync(zst).subarray(0, 20));
    const c = mmsim(["replay", cut, "-f", "3"]);
    expect([c.status, c.stderr]).toEqual([2, `mmsim: ${cut}: truncated or corrupt zstd file (unexpected EOF) after 0 uncompressed bytes\n`]);
  });

  it("draws the policies' miss-ratio curves in one SVG", () => {
    const svg = join(tmp, "c.svg");
    expect(mmsim(["replay", LS, "-p", "lru,fifo", "-f", "8,16,32", "--plot", svg, "--threads", "1"]).status).toBe(0);
    const s = readFileSync(svg, "utf8");
    expect(s.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(s.match(/<polyline /g)).toHaveLength(2);
    expect(s).toContain(">lru</text>");
    expect(s).toContain(">fifo</text>");
  });

  it("has a demo act working out the textbook strings and a scan-polluted workload", () => {
    const d = mmsim(["demo", "--act", "5"]);
    expect(d.status).toBe(0);
    expect(d.stdout).toContain("FIFO 15 misses, LRU 12, OPT (Belady's MIN: evict the page used farthest ahead) 9");
    expect(d.stdout).toContain("under FIFO: 9 misses in 3 frames, 10 in 4.");
    expect(d.stdout).toMatch(/^ {2}opt +\d+ +\d+ +\d+$/m);
  });

  it("teaches every format with an example in --help", () => {
    const h = mmsim(["replay", "--help"]).stdout;
    for (const s of ["lackey", "I  0401ab70,3", "text", "0x7ffd1", "oracle", "--convert oracle", "mmsim", "MMSIMTR1", "--frames all"]) expect(h).toContain(s);
  });

  it.each([
    [["replay", "/nonexistent/t.lackey", "-f", "4"], "mmsim: cannot read trace /nonexistent/t.lackey: no such file"],
    // with --format the trace's first bytes are not read to detect it: the file is checked all the same (the fuzz found "")
    [["replay", "/nonexistent/t.lackey", "-f", "4", "--format", "mmsim"], "mmsim: cannot read trace /nonexistent/t.lackey: no such file"],
    [["replay", "", "-f", "45", "--format", "mmsim"], 'mmsim: cannot read trace "": an empty file name'],
    [["replay", "/", "-f", "4", "--format", "text", "--kernel"], "mmsim: cannot read trace /: is a directory"],
    [["replay", "LS", "-f", "0"], 'mmsim: invalid --frames "0": expected a whole number >= 1'],
    [["replay", "LS", "-f", "8,x"], 'mmsim: invalid --frames "x": expected a whole number >= 1'],
    [["replay", "LS"], 'mmsim: missing --frames: give numbers of page frames (e.g. --frames 16,64) or "all"'],
    [["replay", "LS", "-f", "4", "-p", "lfu"], 'mmsim: invalid --policy "lfu": expected fifo, lru, clock, opt, arc, 2q, lru-linux, s3fifo, sieve'],
    [["replay", "LS", "-f", "all", "-p", "fifo"], "mmsim: --frames all computes LRU's curve in one pass: use it with --policy lru"],
    [["replay", "LS", "-f", "4", "--page-size", "3000"], "mmsim: invalid page size 3000: expected a power of two from 1 to 1G"],
    [["replay", "LS", "-f", "4", "--clock-use", "2"], 'mmsim: invalid --clock-use "2": expected 0 or 1'],
    [["replay", "LS", "-f", "4", "-p", "2q", "--kin", "1.5"], "mmsim: invalid 2Q Kin share 1.5: expected a fraction of the frames between 0 and 1"],
    [["replay", "LS", "-f", "4", "--format", "csv"], 'mmsim: invalid --format "csv": expected one of lackey, text, oracle, mmsim'],
    [["replay", "LS", "--convert", "csv", "-o", "x"], 'mmsim: invalid --convert "csv": expected text, mmsim or oracle'],
  ])("rejects %j with exit 2", (args, message) => {
    const r = mmsim(args.map((a) => (a === "LS" ? LS : a)));
    expect([r.status, r.stderr, r.stdout]).toEqual([2, message + "\n", ""]);
  });

  it("names the line of a bad lackey or text line, the offset of a truncated binary record, a truncated gzip", () => {
    const lackey = file("bad.lackey", "I  0401ab70,3\n L 0401ab70,4\n Q 0401ab70,4\n");
    expect(mmsim(["replay", lackey, "-f", "4"]).stderr).toBe(`mmsim: ${lackey}:3: not a lackey line: " Q 0401ab70,4" (expected "I  ADDR,SIZE" or " L|S|M ADDR,SIZE")\n`);
    const text = file("bad.txt", "1\n2\n3\nfour\n");
    const r = mmsim(["replay", text, "-f", "4", "--format", "text"]);
    expect([r.status, r.stderr]).toEqual([2, `mmsim: ${text}:4: not a page number or address: "four" (expected one decimal or 0x-hex number per line)\n`]);
    const oracle = file("t.oracleGeneral", new Uint8Array(24 * 3 + 10).fill(1));
    expect(mmsim(["replay", oracle, "-f", "4", "--format", "oracle"]).stderr).toBe(`mmsim: ${oracle}: truncated oracleGeneral record at byte offset 72: 10 of 24 bytes\n`);
    const gz = gzipSync(Buffer.from("1\n2\n3\n".repeat(10000)));
    const cut = file("cut.txt.gz", gz.subarray(0, gz.length - 12));
    const g = mmsim(["replay", cut, "-f", "4"]);
    // zlib hands on what it could inflate before the cut (58 315 of 60 000 bytes on Node 20)
    expect(g.status).toBe(2);
    expect(g.stderr).toMatch(new RegExp(`^mmsim: ${cut}: truncated or corrupt gzip file \\(unexpected end of file\\) after \\d+ uncompressed bytes\n$`));
    const mmt = file("t.mmt", Buffer.concat([Buffer.from("MMSIMTR1"), Buffer.alloc(8), Buffer.from([0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0])]));
    expect(mmsim(["replay", mmt, "-f", "4"]).stderr).toBe(`mmsim: ${mmt}: truncated mmsim trace record at byte offset 28: 2 bytes left over\n`);
  });
});
