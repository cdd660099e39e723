// The README example for @mmsim/hardware: build a machine, map a page in simulated RAM,
// translate through the MMU (a TLB miss and walk, then a hit), and take a page fault.
import {
  ACCESS_READ, ACCESS_WRITE, PAGE_SHARED, WalkResult,
  createHardware, decodeEntry, describeErrorCode, formatE820, formatEntry, mapPage,
} from "@mmsim/hardware";

const hw = createHardware({ ramBytes: 8 * 2 ** 30, cpus: 1 });
for (const line of formatE820(hw.e820)) console.log(line);

// Page tables live in simulated RAM; here a bump allocator hands out (zeroed) table pages.
let nextTablePfn = 0x1000;
const allocTable = () => nextTablePfn++;
const cpu = hw.cpus[0];
cpu.writeCr3(allocTable() * 4096, 1);
const va = 0x7f1234567000;
mapPage(hw.ram, cpu.cr3, va, 0x200000, 4096, PAGE_SHARED, 4, allocTable);
hw.ram.writeU64(0x200abc - 4, 42);

cpu.mode = "user";
const out = new WalkResult();
out.record = true;
hw.mmu.translate(cpu, va + 0xab8, ACCESS_WRITE, out);
for (const s of out.steps) {
  console.log(`${s.name.padEnd(3)} VA[${s.vaHi}:${s.vaLo}] index ${String(s.index).padStart(3)}  ${formatEntry(s.lo, s.hi)}  ${decodeEntry(s.lo, s.hi, s.level).join(" ")}`);
}
console.log(`pa 0x${out.pa.toString(16)} holds ${hw.ram.readU64(out.pa)}; TLB hit: ${out.tlbHit}`);
hw.mmu.translate(cpu, va + 0xab8, ACCESS_READ, out);
console.log(`again: TLB hit: ${out.tlbHit}; dTLB hits ${cpu.dtlbHits}, misses ${cpu.dtlbMisses}; ${cpu.cycles} cycles`);

if (!hw.mmu.translate(cpu, 0x1000, ACCESS_READ, out)) {
  for (const line of describeErrorCode(out.errorCode)) console.log(line);
}
console.log(`RAM: ${hw.ram.backedFrames} of ${hw.ram.maxPfn} frames hold host memory`);
