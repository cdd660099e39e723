import { describe, expect, it } from "vitest";
import { Clock, DEFAULT_CPU_HZ } from "./clock";

describe("Clock", () => {
  it("starts at 0 ns at 3 GHz by default", () => {
    const c = new Clock();
    expect(c.ns).toBe(0);
    expect(c.cpuHz).toBe(DEFAULT_CPU_HZ);
    expect(DEFAULT_CPU_HZ).toBe(3e9);
  });

  it("advances by nanoseconds and by cycles at its frequency", () => {
    const c = new Clock();
    c.advanceNs(250);
    c.advanceCycles(3000); // 3000 cycles at 3 GHz = 1000 ns
    expect(c.ns).toBe(1250);
    const slow = new Clock(1e9);
    slow.advanceCycles(7);
    expect(slow.ns).toBe(7);
    const odd = new Clock(2_400_000_000);
    odd.advanceCycles(12);
    expect(odd.ns).toBe(5);
  });

  it("reports seconds and jiffies at HZ=250 (4 ms per jiffy)", () => {
    const c = new Clock();
    c.advanceNs(3_999_999);
    expect(c.jiffies).toBe(0);
    c.advanceNs(1);
    expect(c.jiffies).toBe(1);
    c.advanceNs(996_000_000);
    expect(c.seconds).toBe(1);
    expect(c.jiffies).toBe(250);
  });

  it("keeps separate time per instance", () => {
    const a = new Clock();
    const b = new Clock();
    a.advanceNs(10);
    expect(b.ns).toBe(0);
  });
});
