// The allocation-failure report (mm/page_alloc.c warn_alloc, mm/show_mem.c __show_mem /
// show_free_areas). Stack dumps are not modelled; counters owned by higher layers print 0.
import { formatGfp } from "./gfp";
import { MAX_PAGE_ORDER, MIGRATE_TYPES } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";

const TYPE_LETTERS = ["U", "M", "E", "H", "C", "I"];

/** warn_alloc(): prints the failure line, then show_mem's zone dump, into the kernel log. */
export function warnAlloc(m: PhysicalMemory, gfp: number, order: number): void {
  m.printk(`${m.comm}: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}(${formatGfp(gfp)}), nodemask=(null)`);
  for (const line of showFreeAreas(m)) m.printk(line);
}

/** show_free_areas(): the Mem-Info block (zone lines, lowmem_reserve, free blocks per order). */
export function showFreeAreas(m: PhysicalMemory): string[] {
  const out: string[] = ["Mem-Info:"];
  const zones = m.zones();
  const free = zones.reduce((s, z) => s + z.nrFreePages, 0);
  const pcp = zones.reduce((s, z) => s + z.pcpCount, 0);
  const cma = zones.reduce((s, z) => s + z.nrFreeCma, 0);
  out.push("active_anon:0 inactive_anon:0 isolated_anon:0", " active_file:0 inactive_file:0 isolated_file:0", " unevictable:0 dirty:0 writeback:0", " slab_reclaimable:0 slab_unreclaimable:0", " mapped:0 shmem:0 pagetables:0", " sec_pagetables:0 bounce:0", " kernel_misc_reclaimable:0", ` free:${free} free_pcp:${pcp} free_cma:${cma}`);
  for (const z of zones) {
    if (!z.populated) continue;
    const K = (n: number): number => n * 4;
    out.push(
      `Node ${z.nid} ${z.name} free:${K(z.nrFreePages)}kB boost:${K(z.watermarkBoost)}kB min:${K(z.watermark[0])}kB low:${K(z.watermark[1])}kB high:${K(z.watermark[2])}kB ` +
        `reserved_highatomic:${K(z.nrReservedHighatomic)}KB free_highatomic:${K(z.nrFreeHighatomic)}KB active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB writepending:0kB zspages:0kB ` +
        `present:${K(z.presentPages)}kB managed:${K(z.managedPages)}kB mlocked:0kB bounce:0kB free_pcp:${K(z.pcpCount)}kB local_pcp:${K(z.thisCpuPcp.count)}kB free_cma:${K(z.nrFreeCma)}kB`,
    );
    out.push("lowmem_reserve[]:" + z.lowmemReserve.map((r) => ` ${r}`).join(""));
  }
  for (const z of zones) {
    if (!z.populated) continue;
    let line = `Node ${z.nid} ${z.name}: `;
    let total = 0;
    for (let o = 0; o <= MAX_PAGE_ORDER; o++) {
      const a = z.freeArea[o];
      line += `${a.nrFree}*${4 << o}kB `;
      total += a.nrFree << o;
      const types = [];
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) if (a.count[mt]) types.push(TYPE_LETTERS[mt]);
      if (a.nrFree) line += `(${types.join("")}) `;
    }
    out.push(line + `= ${total * 4}kB`);
  }
  return out;
}
