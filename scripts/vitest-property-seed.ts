// Vitest setup of every project: replays a property test's failing run. fast-check reports a
// failure with `{ seed: S, path: "P" }`; run the file again with MMSIM_PROPERTY_SEED=S (and
// MMSIM_PROPERTY_PATH=P to go straight to the shrunk counterexample):
//
//   MMSIM_PROPERTY_SEED=-1758206626 pnpm vitest run packages/hardware/test/ram.property.test.ts
//
// The seed becomes fast-check's global default, so it reaches every fc.assert that does not pass
// a seed of its own; the property tests that do (the kernel's, with a fixed default) read
// MMSIM_PROPERTY_SEED themselves. Without the variable nothing changes: each run draws a seed.
import fc from "fast-check";

const env = process.env;
const seedText = env.MMSIM_PROPERTY_SEED;
if (seedText !== undefined) {
  const seed = Number(seedText);
  if (!Number.isSafeInteger(seed) || seed < -(2 ** 31) || seed >= 2 ** 32) {
    throw new Error(`MMSIM_PROPERTY_SEED="${seedText}": expected the integer fast-check printed as the failing run's seed`);
  }
  const path = env.MMSIM_PROPERTY_PATH;
  if (path !== undefined && !/^\d+(:\d+)*$/.test(path)) {
    throw new Error(`MMSIM_PROPERTY_PATH="${path}": expected fast-check's path, numbers joined by ':' like "27:0:0"`);
  }
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed, ...(path === undefined ? {} : { path }) });
}
