// The demo's page-cache and malloc acts, run as the built binary: delayed writes and the
// flusher's expiry, a cache hit, drop_caches, the read-ahead window ramp, and seed 004's numbers.
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

describe("mmsim demo: page cache and malloc acts", () => {
  it("page cache: write dirties, the flusher writes back at dirty_expire_centisecs, re-read hits, drop_caches, read-ahead ramps", () => {
    const r = mmsim(["demo", "--act", "8"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("━━ Act 8. The page cache and write-back");
    // 64 dirty pages, none written yet
    expect(r.stdout).toContain("→ after write: Cached 256 kB, Dirty 256 kB, Writeback 0 kB, pgpgin 0, pgpgout 0\n");
    // wb_workfn every 5 s writes an inode dirtied 30 s ago (dirty_expire_centisecs 3000, mm/page-writeback.c)
    expect(r.stdout).toContain("→ at 29 s: Cached 256 kB, Dirty 256 kB, Writeback 0 kB, pgpgin 0, pgpgout 0\n");
    // the sleeps end 22 µs after 30 s (the write's CPU copy of 256 KiB at 4 bytes a cycle), when the
    // SSD has written the first page (20 µs + 4 KiB at 3.4 GB/s)
    expect(r.stdout).toContain("→ at 30 s: Cached 256 kB, Dirty 0 kB, Writeback 252 kB, pgpgin 0, pgpgout 256\n");
    expect(r.stdout).toContain("→ 10 ms later: Cached 256 kB, Dirty 0 kB, Writeback 0 kB, pgpgin 0, pgpgout 256\n");
    expect(r.stdout).toContain("→ re-read: Cached 256 kB, Dirty 0 kB, Writeback 0 kB, pgpgin 0, pgpgout 256\n");
    expect(r.stdout).toContain("→ dropped: Cached 0 kB, Dirty 0 kB, Writeback 0 kB, pgpgin 0, pgpgout 256\n");
    // mm/readahead.c: get_init_ra_size(4, 32) = 8 with async_size 8 - 4; then get_next_ra_size x2 (16, 32)
    expect(r.stdout).toContain(
      "→ read-ahead window: start 0, size 8 pages, async_size 4; pgpgin 32 kB\n" +
        "  $ app: read(log, buf, 16384)\n  = 16384\n  → read-ahead window: start 8, size 16 pages, async_size 16; pgpgin 96 kB\n" +
        "  $ app: read(log, buf, 16384)\n  = 16384\n  → read-ahead window: start 24, size 32 pages, async_size 32; pgpgin 224 kB\n",
    );
  });

  it("malloc: small blocks share a 132 kB [heap], large ones get mappings of 1540 kB then 9736 kB (seed 004)", () => {
    const r = mmsim(["demo", "--act", "9"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("━━ Act 9. malloc: brk or mmap");
    const vmas = [...r.stdout.matchAll(/→ ([0-9a-f]+)-([0-9a-f]+) rw-p 00000000 00:00 0 *(\S*)\n {4}Size (\d+) kB, Rss (\d+) kB\n/g)].map((x) => [x[3], x[4], x[5]]);
    // seed 004: [heap] 132 kB with Rss 4 then 8 kB; mmapped blocks 1540 kB (Rss 8) then merged 9736 kB (Rss 16)
    expect(vmas).toEqual([["[heap]", "132", "4"], ["[heap]", "132", "8"], ["", "1540", "8"], ["", "9736", "16"]]);
    const ends = [...r.stdout.matchAll(/→ ([0-9a-f]+)-([0-9a-f]+) rw-p/g)].map((x) => [x[1], x[2]]);
    // the second mapping ends where the first one did: it grew downward
    expect(ends[3]![1]).toBe(ends[2]![1]);
    expect(parseInt(ends[2]![0]!, 16) - parseInt(ends[3]![0]!, 16)).toBe((9736 - 1540) * 1024);
  });

  it("is deterministic and listed last", () => {
    expect(mmsim(["demo", "--act", "9"]).stdout).toBe(mmsim(["demo", "--act", "9"]).stdout);
    expect(mmsim(["demo", "--list"]).stdout).toMatch(/\n8\. The page cache and write-back\n9\. malloc: brk or mmap\n10\. /);
  });
});
