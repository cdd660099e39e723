// The demo's virtual-memory acts, run as the built binary: demand paging and fork/COW, with
// the numbers Linux would show (Rss, pgfault, refcounts and mapcounts, Pss, pgreuse).
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

describe("mmsim demo: virtual memory acts", () => {
  it("demand paging: mmap moves nothing, three stores fault three pages in, a load maps the zero page", () => {
    const r = mmsim(["demo", "--act", "6"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("━━ Act 6. Demand paging: mmap reserves, the first touch allocates");
    expect(r.stdout).toMatch(/→ after mmap: Rss 0 kB, pgfault 0, PageTables (\d+) kB\n/);
    const pt = (what: string) => Number(new RegExp(`→ after ${what}: .*PageTables (\\d+) kB`).exec(r.stdout)![1]);
    // the first store allocates a PUD, a PMD and a PTE table below the mm's pgd
    expect(pt("the store") - pt("mmap")).toBe(12);
    expect(r.stdout).toMatch(/→ after the store: Rss 12 kB, pgfault 3, /);
    expect(r.stdout).toMatch(/→ after the load: Rss 12 kB, pgfault 4, /);
    expect(r.stdout).toMatch(/ {2}buf\+ 0KiB {2}pfn \d+: its own page\n {2}buf\+ 4KiB {2}pfn \d+: its own page\n {2}buf\+ 8KiB {2}pfn \d+: its own page\n {2}buf\+12KiB {2}pfn \d+: the shared zero page\n {2}buf\+16KiB {2}not present \(never touched\)\n/);
  });

  it("fork and COW: shared pages have refcount and mapcount 2, the child's write copies, the parent's reuses", () => {
    const r = mmsim(["demo", "--act", "7"]);
    expect(r.status).toBe(0);
    const tables = r.stdout.split("task    page      pfn").slice(1).map((t) =>
      t.split("\n").slice(1, 5).map((l) => l.trim().split(/\s+/)),
    );
    expect(tables).toHaveLength(3);
    const [forked, copied, reused] = tables;
    // after fork: each page mapped by both, two references
    expect(forked!.map((row) => [row[0], row[1], row[3], row[4]])).toEqual([
      ["parent", "buf+0K", "2", "2"], ["parent", "buf+4K", "2", "2"], ["child", "buf+0K", "2", "2"], ["child", "buf+4K", "2", "2"],
    ]);
    expect(forked![0]![2]).toBe(forked![2]![2]);
    // the child's write: a new frame for the child, the old one left to the parent alone
    expect(copied!.map((row) => [row[3], row[4]])).toEqual([["1", "1"], ["2", "2"], ["1", "1"], ["2", "2"]]);
    expect(copied![0]![2]).toBe(forked![0]![2]);
    expect(copied![2]![2]).not.toBe(forked![0]![2]);
    expect(reused).toEqual(copied);
    expect(r.stdout).toContain("    parent: Rss 8 kB, Pss 4 kB\n    child: Rss 8 kB, Pss 4 kB\n");
    expect(r.stdout).toContain("    parent: Rss 8 kB, Pss 6 kB\n    child: Rss 8 kB, Pss 6 kB\n");
    expect(r.stdout).toContain("(wp_page_reuse; pgreuse 0 → 1)");
    expect(r.stdout).toContain("  7ffff7ffd000: 33 33 33 33 33 33 33 33\n  $ child: load 8 bytes at buf\n  7ffff7ffd000: 22 22 22 22 22 22 22 22\n");
  });

  it("the acts are listed after the others", () => {
    expect(mmsim(["demo", "--list"]).stdout).toMatch(/\n6\. Demand paging: mmap reserves, the first touch allocates\n7\. fork and copy-on-write\n8\. /);
  });
});
