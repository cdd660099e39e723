// Act 1: the machine — what the firmware hands Linux: RAM with holes (the e820 map).
import { formatSize } from "@mmsim/base";
import { Kernel } from "@mmsim/kernel";
import { indent, type Act } from "./act";

export const machineAct: Act = {
  title: "The machine and its memory map",
  tryNext: ["mmsim boot --ram 64G --nodes 2 --dmesg"],
  run() {
    const k = Kernel.boot();
    const c = k.config;
    const usable = k.hw.e820.filter((e) => e.type === "usable").reduce((s, e) => s + e.size, 0);
    let s = `A default mmsim machine: x86-64, ${formatSize(c.ram)} of RAM, ${c.cpus} CPUs, ${c.nodes} NUMA node.\n`;
    s += "Before Linux runs, the firmware reports which physical addresses are RAM (the e820 map).\n";
    s += "RAM does not sit in one piece: the legacy BIOS area below 1 MiB and the PCI hole below\n";
    s += "4 GiB are not usable, so part of the RAM is placed above 4 GiB:\n\n";
    s += indent(k.dmesg.texts().filter((l) => l.startsWith("BIOS-e820")).join("\n")) + "\n\n";
    s += `Usable: ${usable} bytes (${(usable / 2 ** 30).toFixed(2)} GiB) in ${k.hw.e820.filter((e) => e.type === "usable").length} ranges; `;
    s += `physical addresses run up to 0x${k.hw.ram.bytes.toString(16)}.\n`;
    s += `Simulated RAM is sparse: it holds real bytes, yet only ${k.hw.ram.backedFrames} frames use host memory so far.\n`;
    return s;
  },
};
