// Zonelists as Linux 6.18 builds them at boot (mm/page_alloc.c build_all_zonelists →
// build_zonelists: find_next_best_node with node_load[], build_zonelists_in_node_order,
// build_thisnode_zonelists, build_zonerefs_node). Not modelled: memory-hotplug rebuilds,
// numa_mem for memoryless nodes (local_memory_node), zone-order lists (removed in 4.14), and
// the "Fallback order for Node N:" pr_info lines (the orders are returned instead).
import { MAX_NUMNODES } from "./page-flags";
import type { Pglist, Zone } from "./mmzone";

/*
 * Every node gets two zonelists. ZONELIST_NOFALLBACK holds its own zones only (for
 * __GFP_THISNODE); ZONELIST_FALLBACK holds the zones of every node with memory (N_MEMORY),
 * node by node, each node's zones highest first. The node order comes from repeatedly asking
 * find_next_best_node() for the cheapest node not yet used:
 *
 *   - the node itself comes first, if it has memory;
 *   - otherwise the lowest   distance(me, n) + (n < me) + (n has CPUs ? 1 : 0)
 *     scaled by MAX_NUMNODES, plus node_load[n] as a tie-break, lowest id on a full tie.
 *
 * "(n < me)" prefers the next node up over the one below ("penalize nodes under us"); the CPU
 * penalty (PENALTY_FOR_NODE_WITH_CPUS, 1 on x86) prefers headless memory nodes, whose memory
 * nobody allocates locally. node_load[] is one array for the whole build: it is zeroed once
 * when the build starts (__build_all_zonelists) and every node's build adds 1 to the first
 * node of each new distance group it appends, so nodes built later spread their fallback over
 * the nodes that earlier builds have not yet put in front. With four nodes that all have CPUs
 * and remote distance 20, built in id order:
 *
 *   build   order          node_load[0..3] after
 *   node 0  0 | 1 2 3      0 1 0 0     1 opens the distance-20 group
 *   node 1  1 | 2 3 0      0 1 1 0     0 is under 1: it goes last
 *   node 2  2 | 3 0 1      0 1 1 1
 *   node 3  3 | 0 1 2      1 1 1 1
 *
 * Every node id that has memory or CPUs, and every node below the highest such id (the
 * simulator's Pglists, standing in for Linux's possible nodes), is built in id order, so a
 * memoryless node's build still bumps node_load[] for the nodes after it. A zone is listed
 * when it has managed pages (Linux: populated_zone, present pages).
 */

/** include/linux/topology.h LOCAL_DISTANCE / REMOTE_DISTANCE: node_distance() without a SLIT entry. */
const LOCAL_DISTANCE = 10;
const REMOTE_DISTANCE = 20;
/** include/linux/topology.h default, which x86 keeps (ia64 used 255). */
const PENALTY_FOR_NODE_WITH_CPUS = 1;
/** find_next_best_node()'s starting minimum (INT_MAX). */
const INT_MAX = 2 ** 31 - 1;

/** What find_next_best_node() reads: N_MEMORY, cpumask_of_node(), node_distance(), node_load[]. */
interface BuildState {
  readonly hasMemory: readonly boolean[];
  readonly hasCpus: readonly boolean[];
  readonly distance: readonly (readonly number[])[];
  readonly nodeLoad: number[];
}

function nodeDistance(s: BuildState, from: number, to: number): number {
  return s.distance[from]?.[to] ?? (from === to ? LOCAL_DISTANCE : REMOTE_DISTANCE);
}

/**
 * find_next_best_node(): the next node for `node`'s fallback list, marked in `used`.
 * Returns -1 (NUMA_NO_NODE) when every node with memory is used.
 */
function findNextBestNode(s: BuildState, node: number, used: boolean[]): number {
  if (!used[node] && s.hasMemory[node]) {
    used[node] = true;
    return node;
  }
  let best = -1;
  let minVal = INT_MAX;
  for (let n = 0; n < s.hasMemory.length; n++) {
    if (!s.hasMemory[n] || used[n]) continue;
    let val = nodeDistance(s, node, n);
    if (n < node) val += 1;
    if (s.hasCpus[n]) val += PENALTY_FOR_NODE_WITH_CPUS;
    val = val * MAX_NUMNODES + s.nodeLoad[n];
    if (val < minVal) {
      minVal = val;
      best = n;
    }
  }
  if (best >= 0) used[best] = true;
  return best;
}

/**
 * build_zonelists()'s node loop: the fallback node order of `local`, adding 1 to node_load[]
 * of each node that opens a new distance group. Returns [] when no node has memory.
 */
function fallbackNodeOrder(s: BuildState, local: number): number[] {
  const used = new Array<boolean>(s.hasMemory.length).fill(false);
  const order: number[] = [];
  let prev = local;
  for (let node = findNextBestNode(s, local, used); node >= 0; node = findNextBestNode(s, local, used)) {
    if (nodeDistance(s, local, node) !== nodeDistance(s, local, prev)) s.nodeLoad[node] += 1;
    order.push(node);
    prev = node;
  }
  return order;
}

/** build_zonerefs_node(): a node's zones with managed pages, highest zone first. */
function zonerefsNode(node: Pglist): Zone[] {
  const out: Zone[] = [];
  for (let t = node.zones.length - 1; t >= 0; t--) if (node.zones[t].managedPages > 0) out.push(node.zones[t]);
  return out;
}

/**
 * build_all_zonelists() at boot: zeroes node_load[], then for every node in id order sets
 * zonelistFallback (build_zonelists_in_node_order over the order find_next_best_node gives)
 * and zonelistNoFallback (build_thisnode_zonelists). `cpuToNode` says which nodes have CPUs;
 * missing SLIT entries count as 10 local / 20 remote. Returns each node id's fallback node
 * order (what Linux prints as "Fallback order for Node N:"), ids with CPUs but no Pglist
 * included. Never fails; a node with nothing to fall back to gets an empty list.
 */
export function buildAllZonelists(nodes: readonly Pglist[], distance: readonly (readonly number[])[], cpuToNode: readonly number[]): number[][] {
  let nrNodeIds = nodes.length;
  for (const nid of cpuToNode) if (nid >= nrNodeIds && nid < MAX_NUMNODES) nrNodeIds = nid + 1;
  const hasMemory = new Array<boolean>(nrNodeIds).fill(false);
  const hasCpus = new Array<boolean>(nrNodeIds).fill(false);
  for (const node of nodes) hasMemory[node.nid] = node.nodePresentPages > 0;
  for (const nid of cpuToNode) if (nid >= 0 && nid < nrNodeIds) hasCpus[nid] = true;
  const s: BuildState = { hasMemory, hasCpus, distance, nodeLoad: new Array<number>(nrNodeIds).fill(0) };

  const orders: number[][] = [];
  for (let nid = 0; nid < nrNodeIds; nid++) {
    orders.push(fallbackNodeOrder(s, nid));
    const node = nodes[nid];
    if (node === undefined) continue;
    node.zonelistFallback = orders[nid].flatMap((n) => zonerefsNode(nodes[n]));
    node.zonelistNoFallback = zonerefsNode(node);
  }
  return orders;
}
