// The one build recipe every library package uses: ESM + .d.ts + source maps, browser-safe
// (platform "neutral"), lower @mmsim layers kept external. Change the build here, once.
import { defineConfig, type Options } from "tsup";

export function packageConfig(extra: Partial<Options> = {}) {
  return defineConfig({
    entry: ["src/index.ts"],
    format: ["esm"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "es2022",
    platform: "neutral",
    external: [/^@mmsim\//],
    ...extra,
  });
}
