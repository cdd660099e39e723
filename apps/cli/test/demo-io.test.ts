// The demo's act on sending a file to a socket (seed 001), run as the built binary: the three
// methods' counters cold and warm, and its place after the others.
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

/** The rows of the act's tables as their first seven columns. */
function rows(stdout: string): string[][] {
  return stdout.split("\n").filter((l) => /^ {2}(read|mmap|sendfile)\(\)/.test(l)).map((l) => l.trim().split(/\s{2,}/).slice(0, 7));
}

describe("mmsim demo: sending a file", () => {
  it("read()+write() vs mmap()+write() vs sendfile(), cold then warm: calls, switches, CPU copies, DMA, faults", () => {
    const r = mmsim(["demo", "--act", "10"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("━━ Act 10. Sending a file: read/write vs mmap vs sendfile");
    expect(rows(r.stdout)).toEqual([
      ["read()+write()", "34", "68", "32", "131072", "19 (3+16)", "1"],
      ["mmap()+write()", "20", "40", "16", "65536", "17 (1+16)", "16"],
      ["sendfile()", "18", "36", "0", "0", "19 (3+16)", "0"],
      ["read()+write()", "34", "68", "32", "131072", "16 (0+16)", "1"],
      ["mmap()+write()", "20", "40", "16", "65536", "16 (0+16)", "1"],
      ["sendfile()", "18", "36", "0", "0", "16 (0+16)", "0"],
    ]);
    expect(r.stdout).toContain("Try next: mmsim io --size 64KiB --warm   mmsim run examples/scenarios/seed-001-copy.yaml");
  });

  it("is the last act", () => {
    expect(mmsim(["demo", "--list"]).stdout).toMatch(/\n9\. malloc: brk or mmap\n10\. Sending a file: read\/write vs mmap vs sendfile\n$/);
  });
});
