// The @mmsim/replay README example: Silberschatz's reference string in 3 frames, and the
// one-pass LRU curve (Mattson) that gives LRU's misses at every number of frames at once.
import { replayBytes } from "@mmsim/replay";

const refs = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
const trace = new TextEncoder().encode(refs.join("\n") + "\n");
const report = replayBytes(trace, {
  format: "text",
  jobs: [
    { policy: "fifo", frames: 3 },
    { policy: "lru", frames: 3 },
    { policy: "opt", frames: 3 },
  ],
  lruCurve: true,
});
for (const r of report.results) console.log(`${r.policy} in ${r.frames} frames: ${r.misses} misses of ${r.requests}`);
console.log(`LRU misses at 1..${report.pages} frames: ${Array.from(report.lruCurve).slice(1).join(" ")}`);
