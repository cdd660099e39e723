// Every scenario step, by YAML key, gathered from the kernel's modules: each layer lists its
// steps in its module, so adding a step is adding it to a steps file and its module. Two steps
// with one name are a Bug naming both modules.
import { BUG } from "@mmsim/base";
import type { KernelModule } from "../module";
import { KERNEL_MODULES } from "../modules/all";
import type { StepDef } from "./step";

/** The steps of `modules`, by name, in module order. Two steps with one name are a Bug. */
export function buildStepRegistry(modules: readonly KernelModule[]): ReadonlyMap<string, StepDef> {
  const steps = new Map<string, StepDef>();
  const owner = new Map<string, string>();
  for (const m of modules) {
    for (const s of m.steps ?? []) {
      const first = owner.get(s.name);
      if (first !== undefined) BUG("buildStepRegistry", `step "${s.name}" is defined twice: by module ${first} and by module ${m.name}`);
      owner.set(s.name, m.name);
      steps.set(s.name, s as StepDef);
    }
  }
  return steps;
}

export const STEPS: ReadonlyMap<string, StepDef> = buildStepRegistry(KERNEL_MODULES);
