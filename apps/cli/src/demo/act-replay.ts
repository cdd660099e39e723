// Act: page replacement. The textbook reference strings worked out by the replay engine, then
// a scan-polluted workload where the policies part ways; counts are exact (mmsim replay).
import { Rng } from "@mmsim/base";
import { replayBytes, type PolicyName } from "@mmsim/replay";
import { indent, type Act } from "./act";

/** Silberschatz, Operating System Concepts, section 10.4: the reference string of its figures. */
const SILBERSCHATZ = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
/** Belady, Nelson & Shedler (1969): FIFO misses more with 4 frames than with 3. */
const BELADY = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

const text = (refs: number[]) => new TextEncoder().encode(refs.join("\n") + "\n");

function misses(refs: number[], policies: PolicyName[], frames: number[]): Map<string, number> {
  const jobs = policies.flatMap((policy) => frames.map((f) => ({ policy, frames: f })));
  const r = replayBytes(text(refs), { format: "text", jobs });
  return new Map(r.results.map((x) => [`${x.policy}@${x.frames}`, x.misses]));
}

/** 20 000 references: a hot set of 48 pages, with a 400-page sequential scan every 2 000. */
function scanWorkload(): number[] {
  const rng = new Rng(18);
  const refs: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    if (i % 2000 === 0) for (let p = 0; p < 400; p++) refs.push(1000 + p);
    refs.push(rng.nextInt(48));
  }
  return refs;
}

export const replayAct: Act = {
  title: "Page replacement: which page goes when the frames are full",
  tryNext: ["mmsim replay TRACE --policy lru,arc,s3fifo --frames 16,64,256 --plot curves.svg", "mmsim replay --help"],
  run() {
    const s = misses(SILBERSCHATZ, ["fifo", "lru", "opt"], [3]);
    const b = misses(BELADY, ["fifo"], [3, 4]);
    let out = "Silberschatz's reference string 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1 in 3 frames:\n";
    out += indent(`FIFO ${s.get("fifo@3")} misses, LRU ${s.get("lru@3")}, OPT (Belady's MIN: evict the page used farthest ahead) ${s.get("opt@3")}\n`);
    out += `Belady's anomaly, 1 2 3 4 1 2 5 1 2 3 4 5 under FIFO: ${b.get("fifo@3")} misses in 3 frames, ${b.get("fifo@4")} in 4.\n\n`;
    const policies: PolicyName[] = ["fifo", "lru", "clock", "lru-linux", "arc", "2q", "s3fifo", "opt"];
    const frames = [32, 64, 128];
    const refs = scanWorkload();
    const m = misses(refs, policies, frames);
    out += `A hot set of 48 pages, polluted every 2000 references by a 400-page scan (${refs.length} references):\n`;
    const rows = [["policy", ...frames.map((f) => `${f} frames`)], ...policies.map((p) => [p, ...frames.map((f) => `${m.get(`${p}@${f}`)}`)])];
    for (const r of rows) out += "  " + r.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(11))).join("") + "\n";
    out += "A scan can flush the hot set from a policy that trusts recency alone; policies that want a\n";
    out += "second use before a page counts as hot (ARC, S3-FIFO, Linux's active list) keep more of it.\n";
    out += "OPT, which knows the future, is the bound no policy beats.\n";
    return out;
  },
};
