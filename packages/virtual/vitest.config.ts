import { defineProject } from "vitest/config";
import { sourceCondition } from "../../scripts/vitest-shared";

export default defineProject({
  ...sourceCondition,
  test: { name: "virtual", include: ["src/**/*.test.ts", "conformance/**/*.test.ts", "test/**/*.test.ts"] },
});
