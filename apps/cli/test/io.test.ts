// mmsim io, run as the built binary: seed 001's three ways of sending a file to a socket, with
// the numbers of its arithmetic (64 KiB in 4 KiB chunks), --warm, --json, --help, and bad input
// (exit 2, one line naming the flag).
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

/** The table's rows as their first seven columns (method .. page faults) and the last (wire = file). */
function rows(stdout: string): string[][] {
  const lines = stdout.split("\n");
  const head = lines.findIndex((l) => l.startsWith("method "));
  return lines.slice(head + 1, head + 4).map((l) => {
    const c = l.split(/\s{2,}/);
    return [...c.slice(0, 7), c[c.length - 1]!];
  });
}

describe("mmsim io", () => {
  it("64 KiB in 4 KiB chunks, cold: 34/20/18 calls, 32/16/0 CPU copies, the disk's read-ahead and 16 skbs, 1/16/0 faults", () => {
    const r = mmsim(["io", "--size", "64KiB", "--chunk", "4KiB", "--ram", "1G"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("A 65536-byte file sent to a TCP socket in 4096-byte chunks, page cache cold:");
    // read()+write(): open + 16 reads + 16 writes + close; 2 CPU copies a chunk (131072 bytes);
    // DMA: 3 read-ahead requests (4, 8, 16 pages) + one skb a write; the buffer's first touch faults
    // mmap()+write(): open, mmap, 16 writes, munmap, close; one CPU copy a chunk; one read-around
    // request; each page faults (still under read when the copy reaches it)
    // sendfile(): open + 16 sendfiles + close; no CPU copy; no fault
    expect(rows(r.stdout)).toEqual([
      ["read()+write()", "34", "68", "32", "131072", "19 (3+16)", "1", "yes"],
      ["mmap()+write()", "20", "40", "16", "65536", "17 (1+16)", "16", "yes"],
      ["sendfile()", "18", "36", "0", "0", "19 (3+16)", "0", "yes"],
    ]);
  });

  it("--warm: no disk DMA, one fault for the whole mapping (fault-around); --json has the same runs", () => {
    const r = mmsim(["io", "--size", "64KiB", "--chunk", "4KiB", "--ram", "1G", "--warm", "--json"]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { size: number; chunk: number; warm: boolean; runs: Record<string, number | string | boolean>[] };
    expect([j.size, j.chunk, j.warm]).toEqual([65536, 4096, true]);
    expect(j.runs.map((x) => [x.method, x.syscalls, x.cpuCopies, x.dmaCopies, x.netDmaCopies, x.pageFaults, x.wireMatches])).toEqual([
      ["read-write", 34, 32, 16, 16, 1, true],
      ["mmap-write", 20, 16, 16, 16, 1, true],
      ["sendfile", 18, 0, 16, 16, 0, true],
    ]);
    // sendfile's program is 18 system calls of 250 cycles at 3 GHz: 1.5 µs
    expect(j.runs[2]!.programNs).toBeCloseTo(1500, 6);
  });

  it("--help teaches seed 001's six steps and what it leaves out", () => {
    const r = mmsim(["io", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: mmsim io [options]");
    expect(r.stdout).toContain("  2. the disk's DMA copies the file into the page cache\n");
    expect(r.stdout).toContain("  6. the NIC's DMA copies them to the card; write() returns");
    expect(r.stdout).toContain("MSG_SPLICE_PAGES");
    expect(r.stdout).toContain("--size <bytes>");
  });

  it("hostile input is exit 2 with one line naming the flag", () => {
    const bad: [string[], string][] = [
      [["--size", "0"], "mmsim: --size: expected a size from 1 byte to 256MiB, got 0\n"],
      [["--size", "300M"], "mmsim: --size: expected a size from 1 byte to 256MiB, got 300M\n"],
      [["--chunk", "128MiB"], "mmsim: --chunk: expected a size from 1 byte to 64MiB, got 128MiB\n"],
    ];
    for (const [args, err] of bad) expect(mmsim(["io", ...args])).toEqual({ status: 2, stdout: "", stderr: err });
    const junk = mmsim(["io", "--chunk", "lots"]);
    expect([junk.status, junk.stdout]).toEqual([2, ""]);
    expect(junk.stderr).toMatch(/^mmsim: --chunk: .+\n$/);
    const small = mmsim(["io", "--ram", "64M", "--size", "64MiB", "--chunk", "1MiB"]);
    expect([small.status, small.stdout]).toEqual([2, ""]);
    expect(small.stderr).toMatch(/^mmsim: --size: .*the machine is too small for this file \(try a larger --ram or a smaller --size\)\n$/);
  }, 60_000);
});
