// examples/scenarios/page-cache.yaml: Cached, Dirty and Writeback moving in /proc/meminfo as
// seed 000 describes (delayed writes, the flusher's 30 s expiry, a dropped cache read back).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, runScenario } from "../src/index";

const EXAMPLE = new URL("../../../examples/scenarios/page-cache.yaml", import.meta.url);

/** The value of a meminfo line in a `cat /proc/meminfo` block of the output, by occurrence. */
function meminfoField(out: string, field: string, nth: number): string {
  return [...out.matchAll(new RegExp(`^${field}:\\s+(\\d+ kB)$`, "gm"))][nth]![1]!;
}

describe("examples/scenarios/page-cache.yaml", () => {
  it("runs with --verify: dirty for 30 s, then under write-back, then clean cache; a dropped cache is read back by DMA", () => {
    const out = formatResults(runScenario(loadScenario(readFileSync(EXAMPLE, "utf8"), "page-cache.yaml"), { verify: true }).results);
    expect(out).not.toContain("FAILED");
    expect(out.match(/^ok$/gm)!.length).toBe(10);
    expect(out).toContain("$ app: open(\"/data/log\", O_WRONLY|O_CREAT|O_TRUNC, 0644) as log\n= 3\n$ app: write(log, buf, 1048576)\n= 1048576\n");
    // the cat 155 µs after the flusher's wake-up at 30 s (jiffy 7500; the file was dirtied in
    // jiffy 0): 68 µs of system calls and faults, plus the write's CPU copy of 1 MiB at 4 bytes a
    // cycle (87 µs, COPY_BYTES_PER_CYCLE); all 256 pages went under write-back, and the SSD model
    // has completed 7 of them (20 µs + 4 KiB at 3.4 GB/s each), so 249 pages = 996 kB are in flight
    expect([meminfoField(out, "Cached", 0), meminfoField(out, "Dirty", 0), meminfoField(out, "Writeback", 0)]).toEqual(["1024 kB", "0 kB", "996 kB"]);
    expect(out).toContain("$ app: read(in, buf, 1048576)\n= 0\n");
  });
});


describe("examples/scenarios/page-cache-throttle.yaml", () => {
  it("a writer of 8 MiB with dirty_bytes 1 MiB is paused at the limit: Dirty + Writeback end at 1 MiB", () => {
    const text = readFileSync(new URL("../../../examples/scenarios/page-cache-throttle.yaml", import.meta.url), "utf8");
    const out = formatResults(runScenario(loadScenario(text, "page-cache-throttle.yaml"), { verify: true }).results);
    expect(out.match(/^ok$/gm)!.length).toBe(3);
    // balance_dirty_pages (mm/page-writeback.c): above the freerun ceiling the writer is paused to
    // run at dirty_ratelimit x pos_ratio (14 sleeps); 8 MiB went out in 15 runs of contiguous
    // blocks before the fsync
    expect(out).toContain("mmsim_syscalls 2\nmmsim_mode_switches 4\nmmsim_cpu_copies 1\nmmsim_cpu_copy_bytes 8388608\nmmsim_dma_copies 15\nmmsim_dma_copy_bytes 8355840\nmmsim_dirty_throttled 14\n");
    expect([meminfoField(out, "Cached", 0), meminfoField(out, "Dirty", 0), meminfoField(out, "Writeback", 0)]).toEqual(["8192 kB", "32 kB", "544 kB"]);
  });
});
