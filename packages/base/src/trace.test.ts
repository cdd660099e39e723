import { describe, expect, it } from "vitest";
import { Clock } from "./clock";
import { TraceBus, collect, formatTraceLine } from "./trace";
import type { TraceEvent } from "./trace";

describe("TraceBus", () => {
  it("is off with no sinks, and emit then calls nothing and records nothing", () => {
    const bus = new TraceBus(new Clock());
    expect(bus.on).toBe(false);
    let built = 0;
    const fields = () => {
      built++;
      return { pfn: 1 };
    };
    // the one-branch contract: callers guard with `if (bus.on)` and build no fields when off
    if (bus.on) bus.emit("mm_page_alloc", fields());
    expect(built).toBe(0);
    // an unguarded emit with no sinks is a no-op too
    expect(() => bus.emit("mm_page_alloc", { pfn: 1 })).not.toThrow();
    const late = collect(bus);
    expect(late.events).toEqual([]);
  });

  it("subscribe turns it on and delivers events stamped with the clock and the current CPU", () => {
    const clock = new Clock();
    const bus = new TraceBus(clock);
    const { events } = collect(bus);
    expect(bus.on).toBe(true);
    clock.advanceNs(1500);
    bus.cpu = 3;
    bus.emit("mm_page_alloc", { pfn: 4096, order: 0 });
    expect(events).toEqual([{ ns: 1500, cpu: 3, name: "mm_page_alloc", fields: { pfn: 4096, order: 0 } }]);
  });

  it("unsubscribing the last sink turns `on` off; another sink keeps it on", () => {
    const bus = new TraceBus(new Clock());
    const a: string[] = [];
    const b: string[] = [];
    const stopA = bus.subscribe((e) => a.push(e.name));
    const stopB = bus.subscribe((e) => b.push(e.name));
    bus.emit("x", {});
    stopA();
    expect(bus.on).toBe(true);
    bus.emit("y", {});
    stopB();
    expect(bus.on).toBe(false);
    bus.emit("z", {});
    expect(a).toEqual(["x"]);
    expect(b).toEqual(["x", "y"]);
    stopA(); // removing twice is harmless
    expect(bus.on).toBe(false);
  });

  it("a filter limits emission by name (like set_event) and null clears it", () => {
    const bus = new TraceBus(new Clock());
    const { events, stop } = collect(bus);
    bus.setFilter((n) => n.startsWith("mm_page_"));
    bus.emit("mm_page_alloc", {});
    bus.emit("kmem_cache_alloc", {});
    bus.emit("mm_page_free", {});
    bus.setFilter(null);
    bus.emit("kmem_cache_free", {});
    stop();
    expect(events.map((e) => e.name)).toEqual(["mm_page_alloc", "mm_page_free", "kmem_cache_free"]);
  });

  it("keeps separate sinks per bus (state lives in instances)", () => {
    const a = new TraceBus(new Clock());
    const b = new TraceBus(new Clock());
    collect(a);
    expect(b.on).toBe(false);
  });
});

describe("formatTraceLine", () => {
  const ev = (ns: number, cpu = 0): TraceEvent => ({ ns, cpu, name: "mm_page_alloc", fields: { pfn: 4096, order: 0 } });

  // kernel/trace/trace_output.c trace_print_context(): "%16s-%-7d ", "[%03d] ", the five
  // latency flags, then " %5lu.%06lu: " from ns2usecs() (microseconds, truncated).
  it("prints the trace_pipe layout of Linux 6.x", () => {
    expect(formatTraceLine(ev(12_345_678_000))).toBe(
      "           mmsim-1       [000] .....    12.345678: mm_page_alloc: pfn=4096 order=0",
    );
    expect(formatTraceLine(ev(0, 1), "kswapd0-57")).toBe(
      "         kswapd0-57      [001] .....     0.000000: mm_page_alloc: pfn=4096 order=0",
    );
  });

  it("truncates to microseconds and widens past five digits of seconds", () => {
    expect(formatTraceLine(ev(1_999_999_999))).toContain(" .....     1.999999: ");
    expect(formatTraceLine(ev(123_456_000_001_000))).toContain(" ..... 123456.000001: ");
  });

  it("prints a task name without a pid right-aligned in 24 columns", () => {
    expect(formatTraceLine({ ns: 0, cpu: 12, name: "mark_victim", fields: { pid: 7 } }, "<idle>")).toBe(
      "                  <idle> [012] .....     0.000000: mark_victim: pid=7",
    );
  });
});
