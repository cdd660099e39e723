import { defineConfig } from "vitest/config";

// One run covers every package, the CLI (against its built binary) and the repo-level tests
// (layering lint rule, pack-and-install). The docs e2e runs apart, in real Chromium.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/cli", "tests"],
  },
});
