/**
 * @mmsim/kernel: not built yet (see the open issues). The package exists so the layer graph is
 * visible and enforced from day one.
 */
export const LAYER = "kernel";
