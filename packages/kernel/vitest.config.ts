import { defineProject } from "vitest/config";
import { sourceCondition } from "../../scripts/vitest-shared";

export default defineProject({
  ...sourceCondition,
  test: { name: "kernel", include: ["src/**/*.test.ts", "conformance/**/*.test.ts", "test/**/*.test.ts"] },
});
