// /proc/vmallocinfo (mm/vmalloc.c vmalloc_info_show): one line per busy area in address
// order, then one "unpurged vm_area" line per lazily freed area. Addresses print as %pK:
// raw (kptr_restrict=1 read by root; mmsim's default) or hashed to 32 bits as kptr_restrict=0
// shows unprivileged readers (mmsim's hash is a keyed integer mix, not Linux's siphash).
import { formatVa } from "@mmsim/base";
import type { Vmalloc } from "./vmalloc";
import { VM_ALLOC, VM_DMA_COHERENT, VM_IOREMAP, VM_MAP, VM_SPARSE, VM_USERMAP } from "./vmalloc";

export interface VmallocinfoOptions {
  vaBits: number;
  /** node of a pfn (page_to_nid) */
  nid: (pfn: number) => number;
  /** "raw" (default) or "hashed" with a 32-bit key */
  pointers?: "raw" | "hashed";
  hashKey?: number;
}

function hash32(v: number, key: number): number {
  let h = (Math.floor(v / 4294967296) ^ key) >>> 0;
  h = Math.imul(h ^ (v >>> 0), 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function pK(va: number, o: VmallocinfoOptions): string {
  if (o.pointers === "hashed") return "00000000" + hash32(va, o.hashKey ?? 0).toString(16).padStart(8, "0");
  return formatVa(va, o.vaBits);
}

/** The lines of /proc/vmallocinfo for `v`. */
export function formatVmallocinfo(v: Vmalloc, o: VmallocinfoOptions): string {
  let out = "";
  for (const vm of v.busy) {
    let line = `0x${pK(vm.addr, o)}-0x${pK(vm.addr + vm.size, o)} ${String(vm.size).padStart(7)}`;
    if (vm.caller) line += ` ${vm.caller}`;
    const nrPages = vm.flags & VM_ALLOC ? vm.pages.length : 0;
    if (nrPages) line += ` pages=${nrPages}`;
    if (vm.flags & VM_IOREMAP) line += " ioremap";
    if (vm.flags & VM_SPARSE) line += " sparse";
    if (vm.flags & VM_ALLOC) line += " vmalloc";
    if (vm.flags & VM_MAP) line += " vmap";
    if (vm.flags & VM_USERMAP) line += " user";
    if (vm.flags & VM_DMA_COHERENT) line += " dma-coherent";
    if (nrPages) {
      const counts: number[] = [];
      for (let i = 0; i < nrPages; i++) {
        const n = o.nid(vm.pages[i]);
        counts[n] = (counts[n] ?? 0) + 1;
      }
      counts.forEach((c, n) => {
        if (c) line += ` N${n}=${c}`;
      });
    }
    out += line + "\n";
  }
  for (const a of v.lazy) out += `0x${pK(a.start, o)}-0x${pK(a.end, o)} ${String(a.end - a.start).padStart(7)} unpurged vm_area\n`;
  return out;
}
