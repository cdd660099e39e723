// Every scenario step, by YAML key. Each layer's steps are listed here in layer order.
import type { StepDef } from "./step";
import { catStep, sysctlStep } from "./steps-core";
import { allocPagesStep, freePagesStep } from "./steps-physical";
import { kfreeStep, kmallocStep, kmemCacheAllocStep, kmemCacheCreateStep, vfreeStep, vmallocStep } from "./steps-kernel-alloc";

export const STEPS: ReadonlyMap<string, StepDef> = new Map(
  ([
    catStep, sysctlStep, allocPagesStep, freePagesStep,
    kmemCacheCreateStep, kmemCacheAllocStep, kmallocStep, kfreeStep, vmallocStep, vfreeStep,
  ] as StepDef<never>[]).map((s) => [s.name, s as unknown as StepDef]),
);
