// mmsim's counts equal libCacheSim's, exactly, on two real valgrind lackey traces: every
// policy libCacheSim also has (lru, fifo, clock, opt = Belady, arc, 2q = TwoQ, s3fifo, sieve)
// at 13 cache sizes each. The fixture holds libCacheSim's output (commit, build and command
// lines inside it), since CI cannot build libCacheSim; the traces are replayed here from the
// gzipped lackey files, streamed in the chunks node:zlib gives, through the lackey reader.
import { createReadStream, readFileSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Replay, type PolicyName } from "../src/index";

interface Fixture {
  libCacheSim: { commit: string };
  traces: { file: string; pageSize: number; requests: number; pages: number; counts: { libCacheSim: string; policy: PolicyName; frames: number; requests: number; misses: number }[] }[];
}

const dir = new URL("./fixtures/", import.meta.url);
const fixture = JSON.parse(readFileSync(new URL("libcachesim-counts.json", dir), "utf8")) as Fixture;

async function replayGz(file: string, pageSize: number, jobs: { policy: PolicyName; frames: number }[]) {
  const r = new Replay({ format: "lackey", pageSize, jobs, lruCurve: true });
  for await (const chunk of createReadStream(new URL(file, dir)).pipe(createGunzip())) r.push(chunk as Uint8Array);
  return r.finish();
}

describe("counts equal libCacheSim's", () => {
  it("records the libCacheSim commit the counts come from", () => {
    expect(fixture.libCacheSim.commit).toBe("aa0fc40914b2b786f4b9f4dafb099f8f332b216a");
    expect(fixture.traces.map((t) => t.counts.length)).toEqual([104, 104]);
  });

  for (const trace of fixture.traces) {
    it(`on ${trace.file}: ${trace.requests} requests, ${trace.pages} pages, 8 policies x 13 sizes`, async () => {
      const jobs = trace.counts.map((c) => ({ policy: c.policy, frames: c.frames }));
      const report = await replayGz(trace.file, trace.pageSize, jobs);
      expect([report.requests, report.pages]).toEqual([trace.requests, trace.pages]);
      const got = report.results.map((r) => `${r.policy} ${r.frames} ${r.requests} ${r.misses}`);
      const want = trace.counts.map((c) => `${c.policy} ${c.frames} ${c.requests} ${c.misses}`);
      expect(got).toEqual(want);
      // the one-pass LRU curve agrees with libCacheSim's LRU at every recorded size
      for (const c of trace.counts.filter((c) => c.policy === "lru")) expect([c.frames, report.lruCurve![Math.min(c.frames, report.pages)]]).toEqual([c.frames, c.misses]);
    }, 120_000);
  }
});
