import { describe, expect, it } from "vitest";
import { GiB } from "@mmsim/base";
import { createHardware } from "./machine";
import { mapPage } from "./map";
import { PAGE_SHARED } from "./pgtable";
import { ACCESS_WRITE, WalkResult } from "./walk";

describe("createHardware", () => {
  it("builds an 8 GiB, 2-node, 2-CPU machine with a disk and a swap device", () => {
    const hw = createHardware({ ramBytes: 8 * GiB, cpus: 2, nodes: 2, disks: [{ bytes: 10 * GiB }], swap: [2 * GiB] });
    expect(hw.ram.bytes).toBe(9 * GiB);
    expect(hw.ram.backedFrames).toBe(0);
    expect(hw.numa.nodes.map((n) => [n.start / GiB, n.end / GiB])).toEqual([[0, 5], [5, 9]]);
    expect(hw.cpus.map((c) => c.id)).toEqual([0, 1]);
    expect(hw.devices.map((d) => [d.name, d.bytes / GiB])).toEqual([["vda", 10], ["vdb", 2]]);
    expect(hw.swapDevices.map((d) => d.name)).toEqual(["vdb"]);
    expect([hw.levels, hw.layout.vaBits]).toEqual([4, 48]);
  });

  it("runs a translation end to end and advances the machine clock", () => {
    const hw = createHardware({ ramBytes: 1 * GiB, cpus: 1, pagingLevels: 5 });
    let next = 0x1000;
    const cpu = hw.cpus[0];
    cpu.writeCr3(0x1000 * 4096, 1);
    mapPage(hw.ram, cpu.cr3, 0x7f0000000000, 0x200000, 4096, PAGE_SHARED, 5, () => ++next);
    cpu.mode = "user";
    const out = new WalkResult();
    expect(hw.mmu.translate(cpu, 0x7f0000000008, ACCESS_WRITE, out)).toBe(true);
    expect([out.pa, out.entriesRead, cpu.cycles]).toEqual([0x200008, 5, 125]);
    expect(hw.clock.ns).toBeCloseTo(125 / 3, 9);
  });

  it("throws a Bug for impossible configs", () => {
    expect(() => createHardware({ ramBytes: 1 * GiB, cpus: 0 })).toThrow(/createHardware/);
    expect(() => createHardware({ ramBytes: 1 * GiB, cpus: 1, pagingLevels: 3 as 4 })).toThrow(/pagingLevels/);
  });
});
