import { defineProject } from "vitest/config";

export default defineProject({
  // resolve @mmsim/* to their TypeScript source (the "mmsim-source" export condition)
  resolve: { conditions: ["mmsim-source", "module", "browser", "development|production"] },
  ssr: { resolve: { conditions: ["mmsim-source", "module", "node", "development|production"] } },
  test: { name: "kernel-alloc", setupFiles: ["../../scripts/vitest-property-seed.ts"], include: ["src/**/*.test.ts", "conformance/**/*.test.ts", "test/**/*.test.ts"] },
});
