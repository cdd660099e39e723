// The @mmsim/base README example: sizes, addresses, a seeded Rng, vmstat counters, tracepoints
// and errors. Its output is deterministic (no host time, no Math.random).
import {
  Clock, Counters, InputError, Rng, TraceBus, collect, formatSize, formatTraceLine, formatVa,
  parseSize, parseVa, and64, hi32, lo32,
} from "@mmsim/base";

// Sizes: every suffix is binary, as in Linux's memparse().
const ram = parseSize("4GiB");
console.log(ram, formatSize(ram), formatSize(parseSize("1.5M")));

// Addresses above 2^32 need the 64-bit-safe helpers, never | & >>.
const directMap = parseVa("ffff888000000000"); // canonical 48-bit tail
console.log(directMap.toString(16), formatVa(directMap), hi32(directMap).toString(16), lo32(directMap));
console.log(and64(0x123456789abc, 0xfffffffff000).toString(16));

// A seeded Rng: the same seed gives the same stream in Node and in every browser.
const rng = new Rng(42);
console.log([rng.nextU32(), rng.nextInt(6), rng.range(1, 100)].join(" "));

// Counters with /proc/vmstat names; resolve the slot once, bump it on the hot path.
const vm = new Counters();
const pgfault = vm.id("pgfault");
for (let i = 0; i < 3; i++) vm.add(pgfault);
console.log(`pgfault ${vm.get("pgfault")}`);

// Tracepoints cost one branch when nobody listens.
const clock = new Clock();
const trace = new TraceBus(clock);
const { events, stop } = collect(trace);
clock.advanceCycles(3_000_000); // 1 ms at 3 GHz
if (trace.on) trace.emit("mm_page_alloc", { pfn: 4096, order: 0 });
stop();
console.log(formatTraceLine(events[0]));

// Bad input is an InputError that names the field and quotes the value.
try {
  parseSize("4QB", "machine.ram");
} catch (e) {
  if (e instanceof InputError) console.log(e.message);
}
