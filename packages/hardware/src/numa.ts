// NUMA nodes as firmware describes them (ACPI SRAT memory affinity, SLIT distances) for a
// machine split into equal nodes, as QEMU's "-numa node,memdev=..." does. Models node ranges
// and the distance table; does not model CPUs' node affinity (the kernel assigns CPUs
// round-robin) or memory tiers.
import { BUG, InputError, MiB } from "@mmsim/base";

/** include/linux/topology.h */
export const LOCAL_DISTANCE = 10;
export const REMOTE_DISTANCE = 20;
/** Nodes are split on memory-section boundaries: SECTION_SIZE_BITS = 27 on x86-64 (128 MiB). */
export const SECTION_SIZE = 128 * MiB;

export interface NumaNode {
  nid: number;
  /** first physical address of the node */
  start: number;
  /** one past its last byte (exclusive); may span holes */
  end: number;
}

export interface MemRange {
  addr: number;
  size: number;
}

/**
 * Splits the usable ranges into `nrNodes` nodes with as equal an amount of usable memory each
 * as section (128 MiB) boundaries allow; the last node takes the remainder. Node ranges are
 * contiguous and may include holes (node 0 spans the PCI hole on a large machine). More nodes
 * than sections is a Bug.
 */
export function splitNodes(usable: readonly MemRange[], nrNodes: number): NumaNode[] {
  if (!Number.isInteger(nrNodes) || nrNodes < 1) BUG("splitNodes", `nrNodes ${nrNodes} must be a positive integer`);
  const ranges = [...usable].sort((a, b) => a.addr - b.addr);
  if (ranges.length === 0) BUG("splitNodes", "no usable memory");
  const total = ranges.reduce((s, r) => s + r.size, 0);
  const lastEnd = ranges[ranges.length - 1].addr + ranges[ranges.length - 1].size;
  if (nrNodes === 1) return [{ nid: 0, start: 0, end: lastEnd }];
  const share = Math.floor(total / nrNodes / SECTION_SIZE) * SECTION_SIZE;
  if (share === 0) BUG("splitNodes", `${nrNodes} nodes need at least ${nrNodes} sections of usable memory`);
  const nodes: NumaNode[] = [];
  let start = 0;
  let seen = 0; // usable bytes below `cursor`
  let ri = 0;
  for (let nid = 0; nid < nrNodes - 1; nid++) {
    const target = (nid + 1) * share;
    // find the address below which `target` usable bytes lie, rounded up to a section
    while (ri < ranges.length && seen + ranges[ri].size < target) seen += ranges[ri++].size;
    if (ri >= ranges.length) BUG("splitNodes", "ran out of memory while splitting");
    const addr = ranges[ri].addr + (target - seen);
    const end = Math.ceil(addr / SECTION_SIZE) * SECTION_SIZE;
    nodes.push({ nid, start, end });
    start = end;
  }
  nodes.push({ nid: nrNodes - 1, start, end: Math.max(lastEnd, start + SECTION_SIZE) });
  return nodes;
}

/** The SLIT: node-to-node distances, LOCAL_DISTANCE on the diagonal. */
export class NumaDistance {
  private readonly table: Uint8Array;

  /**
   * Builds the table for `nrNodes` nodes: 10 local, 20 remote by default, or `matrix`. A custom
   * matrix is checked the way Linux's ACPI slit_valid() checks firmware's: the diagonal must be
   * LOCAL_DISTANCE, other entries greater than it and at most 255; symmetry is not required.
   * A bad matrix throws InputError naming the entry.
   */
  constructor(readonly nrNodes: number, matrix?: readonly (readonly number[])[]) {
    this.table = new Uint8Array(nrNodes * nrNodes);
    for (let a = 0; a < nrNodes; a++) {
      for (let b = 0; b < nrNodes; b++) {
        let d = a === b ? LOCAL_DISTANCE : REMOTE_DISTANCE;
        if (matrix) {
          if (matrix.length !== nrNodes || matrix[a]?.length !== nrNodes) {
            throw new InputError(`expected a ${nrNodes}x${nrNodes} matrix`, { field: "distance" });
          }
          d = matrix[a][b];
          const field = `distance[${a}][${b}]`;
          if (!Number.isInteger(d) || d > 255) throw new InputError(`${d} is not an integer distance up to 255`, { field });
          if (a === b && d !== LOCAL_DISTANCE) throw new InputError(`local distance must be ${LOCAL_DISTANCE}, got ${d}`, { field });
          if (a !== b && d <= LOCAL_DISTANCE) throw new InputError(`remote distance must exceed ${LOCAL_DISTANCE}, got ${d}`, { field });
        }
        this.table[a * nrNodes + b] = d;
      }
    }
  }

  /** node_distance(a, b). */
  distance(a: number, b: number): number {
    if (a < 0 || b < 0 || a >= this.nrNodes || b >= this.nrNodes) BUG("NumaDistance.distance", `node ${a} or ${b} out of range`);
    return this.table[a * this.nrNodes + b];
  }

  /** The table as rows (for PhysicalConfig.distance and /sys/devices/system/node/nodeN/distance). */
  toMatrix(): number[][] {
    const rows: number[][] = [];
    for (let a = 0; a < this.nrNodes; a++) rows.push(Array.from(this.table.subarray(a * this.nrNodes, (a + 1) * this.nrNodes)));
    return rows;
  }
}
