import { Clock, Rng } from "@mmsim/base";
import { Ram } from "@mmsim/hardware";
import { GFP_KERNEL, PhysicalMemory } from "@mmsim/physical";
import { KernelAlloc } from "./src/index";
import type { KmemCache } from "./src/index";
const bytes = 256 * 1024 * 1024;
const ram = new Ram({ bytes });
const clock = new Clock();
const phys = PhysicalMemory.boot({ memory: [{ base: 0, size: bytes, nid: 0 }], nrCpus: 2, ram, clock, kernelImage: null });
const ka = KernelAlloc.boot({ phys, ram, clock, rng: new Rng(1) });
const k64 = ka.cache("kmalloc-64") as KmemCache;
const sl = ka.slub!;
ka.kfree(ka.kmalloc(64));
const TWO_32 = 4294967296, poLo = 0x80000000, poHiExt = 0xffff8880;
function m(name: string, n: number, f: () => void) {
  for (let r = 0; r < 4; r++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); if (r >= 2) console.log(name.padEnd(24), ((c.user + c.system) * 1000 / n).toFixed(1), "ns/op"); }
}
const N = 5e6;
m("ideal inline", N, () => {
  const fl = k64.cpuFreelist;
  for (let i = 0; i < N; i++) {
    const obj = fl[0];
    const lo = ram.readU32(obj + 32), hi = ram.readU32(obj + 36);
    fl[0] = lo === 0 && hi === 0 ? 0 : (hi - poHiExt) * TWO_32 + lo - poLo;
    // free
    const next = fl[0];
    const s = poLo + (next >>> 0);
    ram.writeU32(obj + 32, s >>> 0);
    ram.writeU32(obj + 36, (poHiExt + Math.floor(next / TWO_32) + (s >= TWO_32 ? 1 : 0)) >>> 0);
    fl[0] = obj;
  }
});
m("slub alloc+freeObject", N, () => { for (let i = 0; i < N; i++) sl.freeObject(sl.alloc(k64, GFP_KERNEL)); });
m("ka kmalloc+kfree", N, () => { for (let i = 0; i < N; i++) ka.kfree(ka.kmalloc(64, GFP_KERNEL)); });
m("ka kmem_cache pair", N, () => { for (let i = 0; i < N; i++) ka.kmemCacheFree(k64, ka.kmemCacheAlloc(k64, GFP_KERNEL)); });
