// Replays slub-page actions in Node with the page's model and prints, as JSON, the CPU
// freelist and the slab headers after each one (determinism check for e2e/slub.e2e.mjs).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-slub.ts '<json>'
import { SlubDemo } from "../components/slub-model";

type Action = { cache: string; alloc: true } | { cache: string; freeLast: true };

const actions = JSON.parse(process.argv[2] ?? "[]") as Action[];
const demo = new SlubDemo();
const out = actions.map((a) => {
  if ("alloc" in a) demo.alloc(a.cache);
  else {
    const live = demo.view(a.cache).allocated;
    if (live.length) demo.free(a.cache, live[live.length - 1]);
  }
  const v = demo.view(a.cache);
  return { cpuFreelist: v.cpuFreelist, slabs: v.slabs.slice(0, 6).map((s) => `${s.where}:${s.headPfn}:${s.inuse}/${s.objects}`), slabinfo: v.slabinfo };
});
process.stdout.write(JSON.stringify(out) + "\n");
