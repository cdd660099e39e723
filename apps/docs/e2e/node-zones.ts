// Boots the zones page's machines in Node with the page's model and prints, as JSON, what the
// page shows about nodes (fallback table, "Fallback order" boot lines, zonelists, boot zone
// lines), plus the fallback orders the physical layer builds for a distance matrix the page's
// node_load example uses (determinism check for e2e/zones.e2e.mjs).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-zones.ts '<json>'
// where <json> is { "machines": ["numa4", ...], "distance": [[10, 11, ...], ...] }.
import { PhysicalMemory } from "@mmsim/physical";
import { zonesView } from "../components/zones-model";

const MiB = 1024 * 1024;
const arg = JSON.parse(process.argv[2] ?? "{}") as { machines?: string[]; distance?: number[][] };

const machines: Record<string, unknown> = {};
for (const id of arg.machines ?? []) {
  const v = zonesView(id);
  machines[id] = { nodes: v.nodes, fallbackLog: v.fallbackLog, zonelists: v.zonelists, bootZoneLines: v.bootZoneLines };
}

// One 128 MiB node per row of the matrix, one CPU per node, no kernel image: only the
// zonelist build matters here.
let example: string[] = [];
if (arg.distance) {
  const n = arg.distance.length;
  const pm = PhysicalMemory.boot({
    memory: Array.from({ length: n }, (_, nid) => ({ base: nid * 128 * MiB, size: 128 * MiB, nid })),
    nrCpus: n,
    distance: arg.distance,
    kernelImage: null,
  });
  example = pm.bootLog().filter((l) => l.startsWith("Fallback order for Node "));
}
process.stdout.write(JSON.stringify({ machines, example }) + "\n");
