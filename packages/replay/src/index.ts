/**
 * @mmsim/replay: memory traces replayed through page-replacement policies with exact counts.
 * Streaming, browser-safe readers (valgrind lackey, text, libCacheSim oracleGeneral, mmsim's
 * binary format) and a replacement-only engine: fifo, lru, clock, opt, arc, 2q, lru-linux,
 * s3fifo, sieve, and the exact LRU miss-ratio curve for every size in one pass (Mattson).
 */
export { Replay, replayBytes } from "./replay";
export type { ReplayConfig, ReplayJob, ReplayReport, ReplayResult } from "./replay";
export { KeyIndex } from "./key-index";
export { TraceParser, LineParser, TRACE_FORMATS, BATCH_REQUESTS, pageShiftOf } from "./trace";
export { REF_LOAD } from "./trace";
export { REF_STORE } from "./trace";
export { REF_MODIFY } from "./trace";
export { REF_FETCH } from "./trace";
export type { TraceFormat, TraceOptions, BatchSink } from "./trace";
export { createTraceParser, detectFormat } from "./formats";
export { LackeyParser } from "./trace-lackey";
export { TextParser } from "./trace-text";
export { OracleParser, encodeOracle, encodeOracleRange, ORACLE_RECORD_BYTES } from "./trace-oracle";
export { MmsimParser, MmsimEncoder, MMSIM_MAGIC, MMSIM_HEADER_BYTES } from "./trace-mmsim";
export { Policy, POLICY_NAMES } from "./policy";
export type { PolicyName, PolicyOptions } from "./policy";
export { createPolicy } from "./policies";
export { FifoPolicy, LruPolicy } from "./lru";
export { ClockPolicy, SievePolicy } from "./clock";
export { ArcPolicy } from "./arc";
export { TwoQPolicy } from "./two-q";
export { S3FifoPolicy } from "./s3fifo";
export { LruLinuxPolicy, inactiveRatio, intSqrt } from "./lru-linux";
export { OptPolicy, nextUses } from "./opt";
export { MattsonLru } from "./mattson";
export { IdLists } from "./list";
export { formatReplay, replayJson, curveSizes, missRatio } from "./report";
export type { ReplaySummary } from "./report";
export { missRatioSvg } from "./plot-svg";
export type { MissCurve } from "./plot-svg";
