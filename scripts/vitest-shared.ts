// Tests resolve every @mmsim package to its TypeScript source through the "mmsim-source"
// export condition, so a test never runs against a stale dist/.
export const sourceCondition = {
  resolve: { conditions: ["mmsim-source", "module", "browser", "development|production"] },
  ssr: { resolve: { conditions: ["mmsim-source", "module", "node", "development|production"] } },
};
