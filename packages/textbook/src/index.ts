/**
 * @mmsim/textbook: the textbook front ends. OSTEP's virtual-memory homework simulators
 * (relocation, segmentation, malloc, paging-linear-translate, paging-multilevel-translate,
 * paging-policy) byte for byte, on CPython's random and optparse; and the CS:APP cache lab's
 * reference simulator csim-ref on @mmsim/hardware's CPU cache model.
 */
export { runOstep } from "./ostep/index";
export { ostepScriptName } from "./ostep/index";
export { OSTEP_SCRIPTS } from "./ostep/index";
export type { OstepEnv } from "./ostep/common";
export type { ProgramResult } from "./py-io";
export { PyRandom } from "./py-random";
export { PyException } from "./py-random";
export { fmtF } from "./py-format";
export { pyIntBig } from "./py-format";
export { runCsim } from "./csim";
export { csimUsage } from "./csim";
export type { CsimResult } from "./csim";
