#!/usr/bin/env node
// End-to-end test of the built docs site in Debian's headless Chromium (playwright-core).
// Needs a build first (`pnpm --filter @mmsim/docs build`). Prints one "N passed, N failed" line
// at the end and exits 1 on any failure. Screenshots of the live pages go to SCREENSHOT_DIR
// (default: the OS temp dir) as mmsim-docs-*.png.
import { run } from "./harness.mjs";
import "./site.e2e.mjs";
import "./page-walk.e2e.mjs";
import "./buddy.e2e.mjs";
import "./zones.e2e.mjs";
import "./slub.e2e.mjs";
import "./replacement.e2e.mjs";
import "./address-space.e2e.mjs";
import "./page-fault.e2e.mjs";
import "./fork-cow.e2e.mjs";
import "./page-cache.e2e.mjs";
import "./malloc.e2e.mjs";
import "./process-layout.e2e.mjs";
import "./read-write-mmap.e2e.mjs";

process.exitCode = await run();
