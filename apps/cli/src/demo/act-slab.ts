// Act 4: kernel memory — SLUB caches, kmalloc's size classes and vmalloc (seeds 002, 003).
import { Kernel, explainSlab, formatSlab } from "@mmsim/kernel";
import { indent, type Act } from "./act";

export const slabAct: Act = {
  title: "Kernel objects: SLUB, kmalloc and vmalloc",
  tryNext: ["mmsim slab kmalloc-64 --slub-debug FZP", "mmsim boot --cat /proc/slabinfo --cat /proc/vmallocinfo"],
  run() {
    const k = Kernel.boot();
    let s = "The buddy allocator hands out whole pages; the kernel's own objects are much smaller.\n";
    s += "SLUB carves pages into caches of equal-sized objects. kmalloc(size) rounds the size up to\n";
    s += "a size class (8, 16, 32, 64, 96, 128, 192, 256 ... 8192 bytes) and uses that class's cache:\n\n";
    for (const size of [20, 64, 100, 200, 3000]) {
      const pa = k.alloc.kmalloc(size, undefined, "demo");
      s += `  kmalloc(${String(size).padStart(4)}) → ${k.alloc.slab.cacheOf(pa)?.name.padEnd(12)} ksize ${k.alloc.ksize(pa)}\n`;
    }
    s += "\nEach cache shows up in /proc/slabinfo (objects, object size, objects per slab, pages per slab):\n\n";
    const info = k.cat("/proc/slabinfo").split("\n");
    s += indent([info[0], info[1], ...info.filter((l) => /^(kmalloc-(64|96|128|192|4k) |task_struct |vm_area_struct )/.test(l))].join("\n")) + "\n\n";
    s += "Inside a slab, the free objects form a chain: each free object stores the address of the\n";
    s += "next one in its own bytes. Allocate three kmalloc-64 objects and free the second:\n\n";
    const e = explainSlab(Kernel.boot(), "kmalloc-64", { alloc: 3, free: [2], dump: 2 });
    const lines = formatSlab(e).split("\n");
    const keep = lines.filter((l) => !/^ {2}# {0,2}\d+ /.test(l) || /^ {2}# {2}[0-4] /.test(l));
    s += indent(keep.join("\n").replace(/cpu 0 freelist: (#\d+ -> ){4}.*/, (m) => m.split(" -> ").slice(0, 5).join(" -> ") + " -> ...")) + "\n";
    s += "vmalloc gives virtually contiguous memory built from scattered pages, mapped in the\n";
    s += "vmalloc area of the kernel page table, with a guard page after each area:\n\n";
    const va = k.alloc.vmalloc(5 * 4096, undefined, "demo_vmalloc");
    const vinfo = k.cat("/proc/vmallocinfo").split("\n").filter((l) => l.includes("demo_vmalloc"));
    s += indent(vinfo.join("\n")) + "\n";
    s += `\n  (returned ${va.toString(16)} as a canonical tail; /proc/meminfo now shows VmallocUsed and Slab:)\n`;
    s += indent(k.cat("/proc/meminfo").split("\n").filter((l) => /^(Slab|SReclaimable|SUnreclaim|KernelStack|PageTables|VmallocUsed):/.test(l)).join("\n")) + "\n";
    return s;
  },
};
