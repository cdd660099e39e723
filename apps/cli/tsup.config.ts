import { defineConfig } from "tsup";

// The CLI is one file for Node: workspace layers are bundled in (from their built dist),
// npm dependencies stay external.
export default defineConfig({
  entry: ["src/cli.ts"],
  format: ["esm"],
  platform: "node",
  target: "node20",
  clean: true,
  dts: false,
  sourcemap: true,
  noExternal: [/^@mmsim\//],
});
