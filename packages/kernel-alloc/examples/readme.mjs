// The README example: boot a 64 MiB, 2-CPU machine, use kmalloc, a cache of our own and
// vmalloc, and print what Linux would show. Run from packages/kernel-alloc with
//   node --conditions=mmsim-source --import tsx examples/readme.mjs
// (or plain `node examples/readme.mjs` after `pnpm build`).
import { Ram } from "@mmsim/hardware";
import { PhysicalMemory } from "@mmsim/physical";
import { KernelAlloc, kmallocClassOf, renderSlabView, slabView } from "@mmsim/kernel-alloc";

const bytes = 64 * 1024 * 1024;
const ram = new Ram({ bytes });
const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, kernelImage: null });
const ka = KernelAlloc.boot({ phys, ram, nrCpus: 2 });

// kmalloc(100) lands in kmalloc-128.
const p = ka.kmalloc(100);
console.log(kmallocClassOf(100).cache, "ksize =", ka.ksize(p));

// A cache of our own: 3 objects allocated, the middle one freed again.
const cache = ka.kmemCacheCreate("my_struct", 200);
const objs = [ka.kmemCacheAlloc(cache), ka.kmemCacheAlloc(cache), ka.kmemCacheAlloc(cache)];
ka.kmemCacheFree(cache, objs[1]);
console.log(renderSlabView(slabView(ka.slub, cache)).split("\n").slice(0, 6).join("\n"));

// A kernel stack and a 40 KiB vmalloc area, as /proc/vmallocinfo shows them.
ka.allocKernelStack();
ka.vmalloc(40 * 1024, undefined, "my_driver_init+0x2a/0x80");
process.stdout.write(ka.vmallocinfo());

const mi = ka.meminfo();
console.log(`Slab: ${mi.Slab} kB  KernelStack: ${mi.KernelStack} kB  PageTables: ${mi.PageTables} kB  VmallocUsed: ${mi.VmallocUsed} kB`);
