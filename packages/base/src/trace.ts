// Tracepoints with Linux's names (mm_page_alloc, kmem_cache_alloc, mm_vmscan_kswapd_wake, ...).
// A layer holds the machine's TraceBus and emits through a guard, so that tracing costs one
// branch when off:
//
//     if (this.trace.on) this.trace.emit("mm_page_alloc", { pfn, order, gfp_flags });
//
// The bus timestamps events with the simulated Clock and hands them to its sinks. The kernel
// package turns them into trace_pipe text and Perfetto/Chrome JSON.
import type { Clock } from "./clock";

export type TraceFields = Record<string, number | string | boolean>;

export interface TraceEvent {
  /** nanoseconds of simulated time */
  ns: number;
  /** CPU the event happened on */
  cpu: number;
  name: string;
  fields: TraceFields;
}

export type TraceSink = (e: TraceEvent) => void;

export class TraceBus {
  /** true when at least one sink listens; check it before building an event's fields */
  on = false;
  /** the CPU events are attributed to; the kernel sets it when it switches CPUs */
  cpu = 0;
  private readonly sinks: TraceSink[] = [];
  private filter: ((name: string) => boolean) | null = null;

  private declare readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Adds a sink and turns tracing on. Returns a function that removes it. */
  subscribe(sink: TraceSink): () => void {
    this.sinks.push(sink);
    this.on = true;
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
      this.on = this.sinks.length > 0;
    };
  }

  /** Limits emission to events whose name passes `f` (like set_event); null clears it. */
  setFilter(f: ((name: string) => boolean) | null): void {
    this.filter = f;
  }

  emit(name: string, fields: TraceFields): void {
    if (!this.on || (this.filter && !this.filter(name))) return;
    const e: TraceEvent = { ns: this.clock.ns, cpu: this.cpu, name, fields };
    for (const s of this.sinks) s(e);
  }
}

/** Collects events into an array (for tests and exports). */
export function collect(bus: TraceBus): { events: TraceEvent[]; stop: () => void } {
  const events: TraceEvent[] = [];
  const stop = bus.subscribe((e) => events.push(e));
  return { events, stop };
}

/**
 * One event in the trace_pipe text format of Linux 6.x (kernel/trace/trace_output.c,
 * trace_print_context: "%16s-%-7d ", "[%03d] ", five latency flags, " %5lu.%06lu: "):
 *   "           mmsim-1       [000] .....    12.345678: mm_page_alloc: pfn=4096 order=0"
 * `task` is "comm-pid" as Linux shows it; time is truncated to microseconds, as ns2usecs does.
 */
export function formatTraceLine(e: TraceEvent, task = "mmsim-1"): string {
  const m = /^(.*)-(\d+)$/.exec(task);
  const who = m ? `${m[1]!.padStart(16)}-${m[2]!.padEnd(7)}` : task.padStart(24);
  const usecs = Math.floor(e.ns / 1000);
  const secs = `${Math.floor(usecs / 1e6)}.${String(usecs % 1e6).padStart(6, "0")}`;
  const fields = Object.entries(e.fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  return `${who} [${String(e.cpu).padStart(3, "0")}] ..... ${secs.padStart(12)}: ${e.name}: ${fields}`;
}
