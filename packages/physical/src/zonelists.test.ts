// Zonelist node order as Linux 6.18 builds it (mm/page_alloc.c: __build_all_zonelists zeroes
// node_load[] once, then build_zonelists() runs for every node in id order; each asks
// find_next_best_node() for the next node: itself first if it has memory, then the lowest
// (distance + [n < me] + [n has CPUs] × PENALTY_FOR_NODE_WITH_CPUS) × MAX_NUMNODES + node_load[n],
// lowest id on a tie; the first node of each new distance group gets node_load[n] += 1).
// Every expected order below is worked out by hand from those rules. "val" = the bracket
// before × MAX_NUMNODES, "load" = node_load[] when the pick is made.
import { describe, expect, it } from "vitest";
import { GiB, MiB } from "@mmsim/base";
import { GFP_KERNEL } from "./gfp";
import { PhysicalMemory } from "./page-alloc";
import { buildAllZonelists } from "./zonelists";
import { twoNodes } from "../test/machines";

/** 64 MiB per node: node 0 at 0 (DMA + DMA32), node k ≥ 1 at 4 GiB + (k - 1) GiB (Normal). */
function numa(memNids: number[], cpuToNode: number[], distance?: number[][]): PhysicalMemory {
  return PhysicalMemory.boot({
    memory: memNids.map((nid) => ({ base: nid === 0 ? 0 : 4 * GiB + (nid - 1) * GiB, size: 64 * MiB, nid })),
    nrCpus: cpuToNode.length,
    cpuToNode,
    distance,
    kernelImage: null,
  });
}

/** The node order of a node's ZONELIST_FALLBACK ("Fallback order for Node N:"). */
function nodeOrder(m: PhysicalMemory, nid: number): number[] {
  return [...new Set(m.nodes[nid].zonelistFallback.map((z) => z.nid))];
}

function zoneNames(zones: readonly { nid: number; name: string }[]): string[] {
  return zones.map((z) => `${z.nid}:${z.name}`);
}

/** SLIT with 10 on the diagonal and `remote(a, b)` elsewhere. */
function slit(n: number, remote: (a: number, b: number) => number): number[][] {
  return Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => (a === b ? 10 : remote(a, b))));
}

describe("buildAllZonelists (mm/page_alloc.c build_zonelists, find_next_best_node)", () => {
  it("two nodes with CPUs: each node lists itself, then the other", () => {
    // node 0: 0 first; node 1 val 20+0+1 = 21 → 0 1, load[1] = 1.
    // node 1: 1 first; node 0 val 20+1+1 = 22 → 1 0, load[0] = 1.
    const m = twoNodes();
    expect(zoneNames(m.nodes[0].zonelistFallback)).toEqual(["0:DMA32", "0:DMA", "1:Normal"]);
    expect(zoneNames(m.nodes[1].zonelistFallback)).toEqual(["1:Normal", "0:DMA32", "0:DMA"]);
    expect(zoneNames(m.nodes[0].zonelistNoFallback)).toEqual(["0:DMA32", "0:DMA"]);
    expect(zoneNames(m.nodes[1].zonelistNoFallback)).toEqual(["1:Normal"]);
  });

  it("four nodes at equal distance 20, all with CPUs, rotate to the next node up instead of sorting by id", () => {
    // Every remote val is 21 (above me) or 22 (below me: "penalize nodes under us").
    //   node 0: 0 | 1,2,3 all 21 load 0 → 1 (load[1]=1: opens the 20 group), 2, 3   → 0 1 2 3
    //   node 1: 1 | 2,3 are 21 load 0, 0 is 22 → 2 (load[2]=1), 3, 0              → 1 2 3 0
    //   node 2: 2 | 3 is 21 → 3 (load[3]=1); then 0 (22, load 0) before 1 (22, 1)   → 2 3 0 1
    //   node 3: 3 | 0,1,2 all 22, loads 0,1,1 → 0 (load[0]=1); 1 and 2 tie → 1, 2   → 3 0 1 2
    // A sort by (distance, id) would give 1 0 2 3, 2 0 1 3 and 3 0 1 2.
    const m = numa([0, 1, 2, 3], [0, 1, 2, 3]);
    expect([0, 1, 2, 3].map((nid) => nodeOrder(m, nid))).toEqual([
      [0, 1, 2, 3],
      [1, 2, 3, 0],
      [2, 3, 0, 1],
      [3, 0, 1, 2],
    ]);
    expect(zoneNames(m.nodes[2].zonelistFallback)).toEqual(["2:Normal", "3:Normal", "0:DMA32", "0:DMA", "1:Normal"]);
    // build_zonelists() prints each order at boot, "%d " per node (hence the trailing space)
    expect(m.bootLog().filter((l) => l.startsWith("Fallback order"))).toEqual([
      "Fallback order for Node 0: 0 1 2 3 ",
      "Fallback order for Node 1: 1 2 3 0 ",
      "Fallback order for Node 2: 2 3 0 1 ",
      "Fallback order for Node 3: 3 0 1 2 ",
    ]);
  });

  it("a 2-socket SLIT (10/16/22) keeps the socket together and lets node_load pick the remote socket's node", () => {
    // Nodes 0,1 on socket A, 2,3 on socket B: 16 within a socket, 22 across; all have CPUs.
    //   node 0: 0 | 1 val 17 → 1 (load[1]=1); 2,3 val 23 load 0 → 2 (load[2]=1), 3     → 0 1 2 3
    //   node 1: 1 | 0 val 18 → 0 (load[0]=1); 2 val 23 load 1, 3 val 23 load 0 → 3
    //           (load[3]=1), then 2                                                    → 1 0 3 2
    //   node 2: 2 | 3 val 17 → 3 (load[3]=2); 0,1 val 24 load 1,1 → 0 (load[0]=2), 1  → 2 3 0 1
    //   node 3: 3 | 2 val 18 → 2 (load[2]=2); 0 val 24 load 2, 1 val 24 load 1 → 1
    //           (load[1]=2), then 0                                                    → 3 2 1 0
    // Nodes 1 and 3 differ from a (distance, id) sort (1 0 2 3 and 3 2 0 1): node_load[] set by
    // the builds before them decides which node of the far socket comes first.
    const socket = (n: number): number => (n < 2 ? 0 : 1);
    const distance = slit(4, (a, b) => (socket(a) === socket(b) ? 16 : 22));
    const m = numa([0, 1, 2, 3], [0, 1, 2, 3], distance);
    expect([0, 1, 2, 3].map((nid) => nodeOrder(m, nid))).toEqual([
      [0, 1, 2, 3],
      [1, 0, 3, 2],
      [2, 3, 0, 1],
      [3, 2, 1, 0],
    ]);
    expect(zoneNames(m.nodes[1].zonelistFallback)).toEqual(["1:Normal", "0:DMA32", "0:DMA", "3:Normal", "2:Normal"]);
    // node_load[] is zeroed at the start of every build_all_zonelists(): a rebuild is identical.
    expect(buildAllZonelists(m.nodes, m.distance, m.boot.cpuToNode)).toEqual([
      [0, 1, 2, 3],
      [1, 0, 3, 2],
      [2, 3, 0, 1],
      [3, 2, 1, 0],
    ]);
  });

  it("a memory-only node without CPUs comes right after the local node (headless preference)", () => {
    // CPUs on nodes 0 and 1 only; node 2 is headless; all remote distances 20.
    //   node 0: 0 | 1 val 21, 2 val 20 (no CPU penalty) → 2 (load[2]=1), 1          → 0 2 1
    //   node 1: 1 | 0 val 22, 2 val 20 → 2 (load[2]=2), 0                            → 1 2 0
    //   node 2: 2 | 0 val 22 load 0, 1 val 22 load 0 → 0 (load[0]=1), 1              → 2 0 1
    const m = numa([0, 1, 2], [0, 1]);
    expect([0, 1, 2].map((nid) => nodeOrder(m, nid))).toEqual([
      [0, 2, 1],
      [1, 2, 0],
      [2, 0, 1],
    ]);
    expect(zoneNames(m.nodes[0].zonelistFallback)).toEqual(["0:DMA32", "0:DMA", "2:Normal", "1:Normal"]);
  });

  it("a node without memory is in no zonelist, and its own list starts at the next node up", () => {
    // Memory on nodes 0 and 2; node 1 has a CPU but no memory (not N_MEMORY).
    //   node 0: 0 | 2 val 21 → 2 (load[2]=1)                                         → 0 2
    //   node 1: not in N_MEMORY, so not first; 0 val 22, 2 val 21 → 2 (load[2]=2), 0 → 2 0
    //   node 2: 2 | 0 val 22 → 0 (load[0]=1)                                         → 2 0
    // (a distance-then-id sort would have given node 1 the order 0 2)
    const m = numa([0, 2], [0, 1, 2]);
    expect([0, 1, 2].map((nid) => nodeOrder(m, nid))).toEqual([[0, 2], [2, 0], [2, 0]]);
    expect(zoneNames(m.nodes[1].zonelistFallback)).toEqual(["2:Normal", "0:DMA32", "0:DMA"]);
    expect(m.nodes[1].zonelistNoFallback).toEqual([]);
    // Since 6.8 a memoryless node skips itself entirely ("Fallback order for Node 1: 2 0").
    expect(buildAllZonelists(m.nodes, m.distance, m.boot.cpuToNode)).toEqual([[0, 2], [2, 0], [2, 0]]);
    expect(m.bootLines.filter((l) => l.startsWith("Built "))).toEqual(["Built 2 zonelists, mobility grouping on.  Total pages: 32768"]);
    // The order-0 fast path only trusts a node's own first zone: node 1 goes the full way to
    // node 2, node 0 stays local.
    expect(m.pageZone(m.allocPages(GFP_KERNEL, 0, 1))!.nid).toBe(2);
    expect(m.pageZone(m.allocPages(GFP_KERNEL, 0, 0))!.nid).toBe(0);
    m.verify();
  });
});
