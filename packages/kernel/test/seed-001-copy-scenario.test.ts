// examples/scenarios/seed-001-copy.yaml: the three ways of sending a file to a socket, each
// method's share of /sys/kernel/debug/mmsim/io exact, and the wire equal to the file three times.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatResults, loadScenario, netKernelOf, runScenario } from "../src/index";

const EXAMPLE = new URL("../../../examples/scenarios/seed-001-copy.yaml", import.meta.url);
const KiB = 1024;

/** The io file's values, by name, from each cat of it in the output. */
function ioDumps(out: string): Record<string, number>[] {
  return [...out.matchAll(/\$ cat \/sys\/kernel\/debug\/mmsim\/io\n((?:mmsim_\w+ \d+\n)+)/g)].map((m) =>
    Object.fromEntries(m[1]!.trim().split("\n").map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])])));
}

const NAMES = ["mmsim_syscalls", "mmsim_mode_switches", "mmsim_cpu_copies", "mmsim_cpu_copy_bytes", "mmsim_dma_copies", "mmsim_net_dma_copies", "mmsim_net_tx_bytes", "mmsim_net_tx_packets"];

describe("examples/scenarios/seed-001-copy.yaml", () => {
  it("runs with --verify; each method's counters are the arithmetic of its calls; the wire is the file, three times", () => {
    const { kernel, results } = runScenario(loadScenario(readFileSync(EXAMPLE, "utf8"), "seed-001-copy.yaml"), { verify: true });
    const out = formatResults(results);
    expect(out).not.toContain("FAILED");
    expect(out).not.toMatch(/= -1 /);
    const d = ioDumps(out);
    expect(d.length).toBe(4);
    const delta = (i: number) => NAMES.map((n) => d[i + 1]![n]! - d[i]![n]!);
    // read()+write(): open, 4 reads, 4 writes, close = 10 calls; 8 CPU copies of 4 KiB; DMA: the
    // disk's read-ahead (the first window, get_init_ra_size(1, 32) = 4 pages, is the whole file:
    // one request) and 4 skbs; each 4096-byte skb is 3 frames of at most 1448 bytes
    expect(delta(0)).toEqual([10, 20, 8, 32 * KiB, 1 + 4, 4, 16 * KiB, 12]);
    // mmap()+write(): open, 4 writes, close (mmap and munmap are not counted here); 4 CPU copies;
    // DMA: one read-around request for the 4 pages, 4 skbs
    expect(delta(1)).toEqual([6, 12, 4, 16 * KiB, 1 + 4, 4, 16 * KiB, 12]);
    // sendfile(): open, 4 sendfiles and one at EOF (0), close = 7 calls; no CPU copy; the same
    // read-ahead as read()
    expect(delta(2)).toEqual([7, 14, 0, 0, 1 + 4, 4, 16 * KiB, 12]);
    expect(out).toContain("$ app: sendfile(sock, c, NULL, 4096)\n= 0\n");
    const file = new Uint8Array(16 * KiB);
    for (let p = 0; p < 4; p++) file.fill(0x61 + p, p * 4 * KiB, (p + 1) * 4 * KiB);
    expect(netKernelOf(kernel).nic.wire()).toEqual(Uint8Array.from([...file, ...file, ...file]));
  });
});
