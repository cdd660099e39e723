// Act 3: physical memory — nodes, zones and the buddy allocator (seeds 000, 002, 003, 004).
import { Kernel, formatBuddySteps, largestFreeOrder, parseBuddyOps, runBuddyOps } from "@mmsim/kernel";
import { indent, type Act } from "./act";

export const buddyAct: Act = {
  title: "Zones and the buddy allocator",
  tryNext: ['mmsim buddy --ram 64M --ops "drain, alloc 3, free 1, drain"', "mmsim boot --cat /proc/zoneinfo"],
  run() {
    const k = Kernel.boot();
    const log = k.dmesg.texts();
    const from = log.indexOf("Zone ranges:");
    const memory = log.find((l) => l.startsWith("Memory: "));
    let s = "Linux splits each node's memory into zones by what devices can address: DMA (< 16 MiB),\n";
    s += "DMA32 (< 4 GiB) and Normal (the rest). The boot log says where they lie:\n\n";
    s += indent(log.slice(from, from + 4).join("\n")) + "\n" + indent(memory ?? "") + "\n\n";
    s += "Free pages sit in the buddy allocator: per zone, lists of free blocks of 2^order pages,\n";
    s += "order 0 to 10. /proc/buddyinfo counts the blocks on each list:\n\n";
    s += indent(k.cat("/proc/buddyinfo")) + "\n";
    s += "Allocating 8 pages (order 3) splits the smallest larger free block: one half of each size goes\n";
    s += "back on the lists below. Freeing it (once the per-CPU cache is drained) merges the buddies back:\n\n";
    const small = Kernel.boot({ ram: 64 * 1024 * 1024 });
    s += indent(formatBuddySteps(runBuddyOps(small, parseBuddyOps("drain, alloc 3, free 1, drain")), { zone: "DMA32" })) + "\n";
    s += "Fragmentation: allocate single pages until the allocator stops at the watermark, then\n";
    s += "free every other one. Half of them are free again, yet no two of them are buddies, so they\n";
    s += "cannot merge into anything larger than order 0:\n\n";
    const frag = Kernel.boot({ ram: 64 * 1024 * 1024 });
    const steps = runBuddyOps(frag, parseBuddyOps("alloc 0 x2600, free 1-2600/2, drain"));
    s += indent(formatBuddySteps(steps.slice(1), { zone: "DMA32" }));
    const z = frag.phys.nodes[0]!.zones.find((zz) => zz.name === "DMA32")!;
    const single = z.freeArea[0]!.nrFree;
    s += `\n  DMA32 has ${z.nrFreePages} free pages; ${single} of them are lone order-0 pages, and its largest free\n`;
    s += `  block is order ${largestFreeOrder(z)}. The unusable free space index says, per order, what share of the\n`;
    s += "  free memory cannot serve a request of that order (/sys/kernel/debug/extfrag/unusable_index):\n\n";
    s += indent(frag.cat("/sys/kernel/debug/extfrag/unusable_index"));
    return s;
  },
};
