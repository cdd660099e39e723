/**
 * @mmsim/kernel: the composition root of mmsim. Boots a simulated x86-64 Linux machine from a
 * config, wires the layers together, and exposes what a user sees: /proc and sysctl files,
 * the kernel log, and scenario files that drive the machine step by step.
 */
export { Kernel } from "./kernel";
export { UTS_RELEASE } from "./kernel";
export type { BootOptions } from "./kernel";
export { DEFAULT_MACHINE } from "./config";
export { parseMachineConfig } from "./config";
export { checkMachine } from "./config";
export { parseSysctlAssignment } from "./config";
export { MACHINE_FIELDS } from "./config";
export type { MachineConfig } from "./config";
export { Dmesg } from "./dmesg";
export { Procfs } from "./procfs";
export { Sysctl } from "./sysctl";
export { parseIntInRange } from "./sysctl";
export type { SysctlKnob } from "./sysctl";
export { loadScenario } from "./scenario/scenario";
export { runScenario } from "./scenario/scenario";
export { formatResults } from "./scenario/scenario";
export type { Scenario } from "./scenario/scenario";
export type { StepResult } from "./scenario/scenario";
export type { RunOptions } from "./scenario/scenario";
export { STEPS } from "./scenario/registry";
export { buildStepRegistry } from "./scenario/registry";
export type { StepDef } from "./scenario/step";
export type { Bindings } from "./scenario/step";
export type { BindingKind } from "./scenario/step";
export { Scope } from "./scenario/step";
export { RunContext } from "./scenario/step";
export type { KernelModule } from "./module";
export { defineModule } from "./module";
export { KERNEL_MODULES } from "./modules/all";
export { coreModule } from "./modules/core";
export type { CoreState } from "./modules/core";
export { physicalModule } from "./modules/physical";
export { kernelAllocModule } from "./modules/kernel-alloc";
export { globalVmstat } from "./vmstat";
export { MEMINFO_GAUGES } from "./vmstat";
export { YamlSource } from "./yaml-source";
export { explainWalk } from "./walk-explain";
export { formatWalk } from "./walk-explain";
export type { WalkExplanation } from "./walk-explain";
export { parseBuddyOps } from "./buddy-explain";
export { runBuddyOps } from "./buddy-explain";
export { formatBuddySteps } from "./buddy-explain";
export { largestFreeOrder } from "./buddy-explain";
export type { BuddyOp } from "./buddy-explain";
export type { BuddyStep } from "./buddy-explain";
export type { ZoneSnapshot } from "./buddy-explain";
export { explainSlab } from "./slab-explain";
export { formatSlab } from "./slab-explain";
export type { SlabExplanation } from "./slab-explain";
export type { SlabExplainOptions } from "./slab-explain";
