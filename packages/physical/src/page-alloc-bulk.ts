// The PCP half of alloc_pages_bulk_node() (mm/page_alloc.c alloc_pages_bulk_noprof): one
// zone_watermark_fast() check against low + nrPages on the zones of the preferred node, then
// pages straight off this CPU's PCP list, statistics counted once. PhysicalMemory.allocPagesBulk
// fills the rest page by page. A function of the machine `m`; not part of the package API.
import { gfpMigratetype, __GFP_THISNODE, __GFP_ZERO, GFP_ZONEMASK } from "./gfp";
import { ALLOC_WMARK_LOW } from "./alloc-flags";
import { WMARK_LOW } from "./mmzone";
import type { Zone } from "./mmzone";
import type { PhysicalMemory } from "./page-alloc";
import { rmqueuePcplistInner } from "./pcp";
import { allocFlagsNofragment, prepNewPage } from "./get-page";
import { zoneWatermarkFast } from "./watermarks";

const ZONEMASK = GFP_ZONEMASK;
const THISNODE = __GFP_THISNODE;
const ZERO = __GFP_ZERO;

/** The PCP half of alloc_pages_bulk: returns how many pages it put in out[0..). */
export function bulkFromPcp(m: PhysicalMemory, gfp: number, nid: number, nrPages: number, out: Int32Array | number[]): number {
  const highestIdx = m.gfpZoneTable[gfp & ZONEMASK];
  const node = m.nodes[nid];
  if (highestIdx < 0 || node === undefined) return 0; // allocPages() reports it
  const zonelist = gfp & THISNODE ? node.zonelistNoFallback : node.zonelistFallback;
  let preferred: Zone | null = null;
  for (let k = 0; k < zonelist.length && preferred === null; k++) if (zonelist[k].idx <= highestIdx) preferred = zonelist[k];
  if (preferred === null) return 0;
  const allocFlags = ALLOC_WMARK_LOW | allocFlagsNofragment(m, preferred, gfp);
  // An allowed zone of the preferred node above low + nrPages; otherwise the single-page path.
  let zone: Zone | null = null;
  for (let k = 0; k < zonelist.length; k++) {
    const z = zonelist[k];
    if (z.idx > highestIdx || !z.managedPages) continue;
    if (m.nodes.length > 1 && z !== preferred && z.nid !== preferred.nid) break;
    if (zoneWatermarkFast(z, 0, z.wmark(WMARK_LOW) + nrPages, highestIdx, allocFlags)) {
      zone = z;
      break;
    }
  }
  if (zone === null) return 0;
  const mt = gfpMigratetype(gfp);
  const pcp = zone.thisCpuPcp;
  const p = m.pages;
  let n = 0;
  while (n < nrPages) {
    const i = rmqueuePcplistInner(m, zone, pcp, 0, mt, allocFlags);
    if (i < 0) break;
    p.refcount[i] = 1;
    if (gfp & ZERO || m.trace.on) prepNewPage(m, i, 0, gfp, mt);
    out[n++] = p.pfn(i);
  }
  // __count_zid_vm_events(PGALLOC) and zone_statistics() once for the batch
  zone.countAlloc(0, n, zone.nid === m.localNid);
  if (zone.nid !== preferred.nid) {
    zone.numaMiss += n;
    preferred.numaForeign += n;
  }
  return n;
}
