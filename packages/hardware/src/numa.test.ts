import { describe, expect, it } from "vitest";
import { GiB, InputError } from "@mmsim/base";
import { buildE820, e820Usable } from "./e820";
import { LOCAL_DISTANCE, NumaDistance, REMOTE_DISTANCE, SECTION_SIZE, splitNodes } from "./numa";

describe("splitNodes", () => {
  it("one node spans all usable memory, holes included", () => {
    expect(splitNodes(e820Usable(buildE820({ ramBytes: 2 * GiB })), 1)).toEqual([{ nid: 0, start: 0, end: 2 * GiB - 0x20000 }]);
  });

  it("splits an 8 GiB machine into two 4 GiB-ish nodes on section boundaries; node 0 spans the hole", () => {
    expect(splitNodes(e820Usable(buildE820({ ramBytes: 8 * GiB })), 2)).toEqual([
      { nid: 0, start: 0, end: 5 * GiB },
      { nid: 1, start: 5 * GiB, end: 9 * GiB },
    ]);
  });

  it("gives 4 nodes of a 64 GiB machine contiguous, section-aligned ranges of nearly equal memory", () => {
    const usable = e820Usable(buildE820({ ramBytes: 64 * GiB }));
    const nodes = splitNodes(usable, 4);
    expect(nodes.map((n) => n.nid)).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 4; i++) {
      expect(nodes[i].start % SECTION_SIZE).toBe(0);
      if (i > 0) expect(nodes[i].start).toBe(nodes[i - 1].end);
      const mem = usable.reduce((s, r) => s + Math.max(0, Math.min(r.addr + r.size, nodes[i].end) - Math.max(r.addr, nodes[i].start)), 0);
      expect(Math.abs(mem - 16 * GiB)).toBeLessThanOrEqual(2 * SECTION_SIZE);
    }
    expect(nodes[3].end).toBe(65 * GiB);
  });

  it("refuses more nodes than sections", () => {
    expect(() => splitNodes([{ addr: 0, size: SECTION_SIZE }], 2)).toThrow(/splitNodes/);
  });
});

describe("NumaDistance", () => {
  it("defaults to LOCAL_DISTANCE 10 on the diagonal and REMOTE_DISTANCE 20 elsewhere (include/linux/topology.h)", () => {
    const d = new NumaDistance(3);
    expect([LOCAL_DISTANCE, REMOTE_DISTANCE]).toEqual([10, 20]);
    expect(d.toMatrix()).toEqual([[10, 20, 20], [20, 10, 20], [20, 20, 10]]);
  });

  it("accepts an asymmetric custom SLIT and rejects a bad diagonal or a remote distance <= 10", () => {
    expect(new NumaDistance(2, [[10, 21], [31, 10]]).distance(1, 0)).toBe(31);
    expect(() => new NumaDistance(2, [[11, 20], [20, 10]])).toThrow(InputError);
    expect(() => new NumaDistance(2, [[10, 10], [20, 10]])).toThrow(/distance\[0\]\[1\]: remote distance must exceed 10/);
    expect(() => new NumaDistance(2, [[10, 20]])).toThrow(/2x2/);
  });
});
