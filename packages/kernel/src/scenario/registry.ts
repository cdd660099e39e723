// Every scenario step, by YAML key. Each layer's steps are listed here in layer order.
import type { StepDef } from "./step";
import { catStep, sysctlStep } from "./steps-core";

export const STEPS: ReadonlyMap<string, StepDef> = new Map(
  ([catStep, sysctlStep] as StepDef<never>[]).map((s) => [s.name, s as unknown as StepDef]),
);
