import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// The CLI for Node: the bin (dist/cli.js) and the program it runs (dist/program.js, which tests
// import to run mmsim in-process). Workspace layers are bundled in (from their built dist),
// npm dependencies stay external.
export default defineConfig({
  entry: ["src/cli.ts", "src/program.ts"],
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  dts: false,
  sourcemap: true,
  noExternal: [/^@mmsim\//],
  define: { __MMSIM_VERSION__: JSON.stringify(version) },
});
