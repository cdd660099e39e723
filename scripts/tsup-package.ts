// The one build recipe every library package uses: ESM + .d.ts + source maps, browser-safe
// (platform "neutral"), lower @mmsim layers kept external. Change the build here, once.
// Members tagged @internal (fields that a fast path of another layer reads) are stripped from
// the published .d.ts (stripInternal): they exist at run time but are not API.
import { defineConfig, type Options } from "tsup";

export function packageConfig(extra: Partial<Options> = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm"],
    dts: { compilerOptions: { stripInternal: true } },
    clean: true,
    sourcemap: true,
    target: "es2022",
    platform: "neutral",
    external: [/^@mmsim\//],
    ...extra,
  });
}
