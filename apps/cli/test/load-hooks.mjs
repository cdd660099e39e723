// A Node module hook for host.test.ts: prints "LOAD <url>" on stderr for every module of the
// built CLI (dist/) that a run imports, so a test can see which commands' layers were loaded.
// Load it with: node --import ./load-hooks.mjs dist/cli.js ARGS
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
      import { writeSync } from "node:fs";
      export async function load(url, context, next) {
        if (url.includes("/apps/cli/dist/")) writeSync(2, "LOAD " + url + "\\n");
        return next(url, context);
      }`),
);
