// Replays a list of buddy-page actions in Node with the same model the page uses and prints,
// as JSON, the buddyinfo, zone table and log after each one. The e2e test clicks the same
// actions in the browser and compares (determinism: same inputs, same output).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-buddy.ts '<json>'
import { BuddyDemo } from "../components/buddy-model";

type Action = { alloc: string; order: number } | { free: number } | { drain: true } | { fragment: true } | { reset: true };

const actions = JSON.parse(process.argv[2] ?? "[]") as Action[];
let demo = new BuddyDemo();
const out = actions.map((a) => {
  if ("alloc" in a) demo.alloc(a.alloc, a.order);
  else if ("free" in a) demo.free(a.free);
  else if ("drain" in a) demo.drain();
  else if ("fragment" in a) {
    demo = new BuddyDemo();
    demo.fragment();
  } else demo = new BuddyDemo();
  const v = demo.view();
  return { buddyinfo: v.buddyinfo, zones: v.zones, log: v.log.slice(-8), allocated: v.allocated.length };
});
process.stdout.write(JSON.stringify(out) + "\n");
