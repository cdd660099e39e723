/**
 * @mmsim/reclaim: the reclaim layer (LRU lists, kswapd, direct reclaim, swap, workingset,
 * compaction, the OOM killer) is not built yet (see the open issues). What exists: struct
 * scan_control, the control struct a reclaim run passes along its path.
 */
export const LAYER = "reclaim";
export { ScanControl } from "./scan-control";
export { ScanCounts } from "./scan-control";
export { DEF_PRIORITY } from "./scan-control";
export { SWAP_CLUSTER_MAX } from "./scan-control";
export { DEACTIVATE_ANON } from "./scan-control";
export { DEACTIVATE_FILE } from "./scan-control";
