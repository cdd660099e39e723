// Prints, as JSON, the WalkViews the page-walk model computes in Node for the cases given as a
// JSON argument ([{ va, levels, access }]). The e2e test compares them with what the browser
// renders for the same inputs (determinism: same inputs, same output, in Node and in the page).
// Run with: node --conditions=mmsim-source --import tsx e2e/node-page-walk.ts '<json>'
import { PageWalkDemo } from "../components/page-walk-model";
import type { AccessKind } from "../components/page-walk-model";
import type { PagingLevels } from "@mmsim/hardware";

interface Case {
  va: string;
  levels: PagingLevels;
  access: AccessKind;
}

const cases = JSON.parse(process.argv[2] ?? "[]") as Case[];
const views = cases.map((c) => new PageWalkDemo(c.levels).walk(c.va, c.access));
process.stdout.write(JSON.stringify(views) + "\n");
