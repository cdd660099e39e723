import { defineProject } from "vitest/config";

// CLI tests run the built binary (dist/cli.js), as a user would.
export default defineProject({
  test: { name: "cli", setupFiles: ["../../scripts/vitest-property-seed.ts"], include: ["test/**/*.test.ts"], testTimeout: 30_000 },
});
