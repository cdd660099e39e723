/**
 * @mmsim/kernel: the composition root of mmsim. Boots a simulated x86-64 Linux machine from a
 * config, wires the layers together, and exposes what a user sees: /proc and sysctl files,
 * the kernel log, and scenario files that drive the machine step by step.
 */
export { Kernel, UTS_RELEASE } from "./kernel";
export type { BootOptions } from "./kernel";
export { DEFAULT_MACHINE, parseMachineConfig, checkMachine, parseSysctlAssignment, MACHINE_FIELDS } from "./config";
export type { MachineConfig } from "./config";
export { Dmesg } from "./dmesg";
export { Procfs } from "./procfs";
export { Sysctl, parseIntInRange } from "./sysctl";
export type { SysctlKnob } from "./sysctl";
export { loadScenario, runScenario, formatResults } from "./scenario/scenario";
export type { Scenario, StepResult, RunOptions } from "./scenario/scenario";
export { STEPS } from "./scenario/registry";
export type { StepDef } from "./scenario/step";
export { YamlSource } from "./yaml-source";
export { explainWalk, formatWalk } from "./walk-explain";
export type { WalkExplanation } from "./walk-explain";
export { parseBuddyOps, runBuddyOps, formatBuddySteps, largestFreeOrder } from "./buddy-explain";
export type { BuddyOp, BuddyStep, ZoneSnapshot } from "./buddy-explain";
export { explainSlab, formatSlab } from "./slab-explain";
export type { SlabExplanation, SlabExplainOptions } from "./slab-explain";
