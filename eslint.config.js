// Lint for the whole monorepo, run once from the root (`pnpm lint`).
// Besides the recommended rules it enforces the architecture (ARCHITECTURE.md §1, §3):
//   - a package under packages/ imports only @mmsim packages below it in LAYERS, or, for a
//     package beside the stack (SIDE_PACKAGES), only the layers its allow list names;
//   - nothing under packages/*/src touches Node APIs (they must run in a browser);
//   - nothing under packages/*/src reads wall-clock time, Math.random or timers (determinism).
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";
import { builtinModules } from "node:module";

/** Bottom to top. A package may import only the ones before it. */
export const LAYERS = ["base", "hardware", "physical", "kernel-alloc", "virtual", "reclaim", "kernel"];

/**
 * Packages beside the linear stack, each with the only @mmsim packages it may import. Nothing
 * in the stack imports them, and they import no other side package.
 */
export const SIDE_PACKAGES = { replay: ["base"], textbook: ["base", "hardware"] };

/** Every package directory, and the @mmsim packages each one may import. */
export function allowedImports(pkg) {
  if (pkg in SIDE_PACKAGES) return SIDE_PACKAGES[pkg];
  return LAYERS.slice(0, LAYERS.indexOf(pkg));
}

const nodeBuiltins = [...new Set(builtinModules.map((m) => m.replace(/^node:/, "")))];

function layerRules(layer) {
  const allowed = allowedImports(layer);
  const higher = [...LAYERS, ...Object.keys(SIDE_PACKAGES)].filter((l) => l !== layer && !allowed.includes(l)).map((l) => `@mmsim/${l}`);
  const self = `@mmsim/${layer}`;
  const why = layer in SIDE_PACKAGES ? `may import only ${allowed.map((l) => `@mmsim/${l}`).join(" and ")}` : "may import only lower layers";
  return {
    files: [`packages/${layer}/src/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            ...higher.map((name) => ({ name, message: `${self} ${why} (layering: ${LAYERS.join(" < ")}).` })),
            ...nodeBuiltins.map((name) => ({ name, message: `packages must stay browser-safe: no Node builtin '${name}' outside apps/.` })),
          ],
          patterns: [
            { group: ["node:*"], message: "packages must stay browser-safe: no node:* imports outside apps/." },
            ...higher.map((name) => ({ group: [`${name}/*`], message: `${self} ${why}.` })),
          ],
        },
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "use the seeded Rng from @mmsim/base (determinism)." },
        { object: "Date", property: "now", message: "use the simulated Clock from @mmsim/base (determinism)." },
        { object: "performance", property: "now", message: "use the simulated Clock from @mmsim/base (determinism)." },
      ],
      "no-restricted-globals": [
        "error",
        { name: "setTimeout", message: "packages run on simulated time: no host timers." },
        { name: "setInterval", message: "packages run on simulated time: no host timers." },
        { name: "process", message: "packages must stay browser-safe: no process." },
        { name: "Buffer", message: "packages must stay browser-safe: use Uint8Array." },
      ],
    },
  };
}

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/.turbo/**",
      "**/.vitepress/cache/**",
      "**/.vitepress/dist/**",
      "**/bench/results*.json",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.browser, ...globals.node } } },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  ...[...LAYERS, ...Object.keys(SIDE_PACKAGES)].map(layerRules),
);
