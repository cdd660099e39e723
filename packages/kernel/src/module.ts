// How a layer joins the kernel (ARCHITECTURE §1): one KernelModule per layer, listed once in
// modules/all.ts. Its init() runs at boot in list order and registers everything a user sees
// of the layer (/proc and /sys files, sysctls, slow-path hooks, counters); its steps extend
// the scenario language; its verify() is part of Kernel.verify(). Adding a layer is adding a
// module file and one line in the list: kernel.ts, meminfo.ts and the step registry stay as is.
import type { Kernel } from "./kernel";
import type { StepDef } from "./scenario/step";

/**
 * One layer as the kernel sees it. `L` is what init() returns (the layer's instance, or the
 * kernel's own state for kernel-side modules); other modules and steps reach it with
 * `kernel.layer(module)`.
 */
export interface KernelModule<L = unknown> {
  /** the layer's name, e.g. "physical"; unique in the module list */
  readonly name: string;
  /**
   * Brings the layer up on a booting kernel: builds its instance if the kernel did not, and
   * registers its files (kernel.procfs), sysctls (kernel.sysctl), hooks (kernel.phys.setHooks)
   * and counters (kernel.counters.id). Earlier modules are up already.
   */
  init(kernel: Kernel): L;
  /**
   * Runs at the end of boot (kernel_init, after free_initmem), before the boot-time sysctls:
   * for what Linux computes from the final totalram or free memory (init_user_reserve,
   * init_admin_reserve, vm_commit_limit's totalram_pages()).
   */
  kernelInit?(layer: L, kernel: Kernel): void;
  /**
   * The vmstat items this layer keeps itself rather than in the machine's Counters (values it
   * counts per zone or derives from its structures), as [name, value]. /proc/vmstat and
   * /proc/meminfo add them to the Counters value of the same name (global_node_page_state).
   * Meminfo also reads two values a layer may report here that /proc/vmstat does not print:
   * "vm_committed_as" (Committed_AS, pages) and "vm_commit_limit" (CommitLimit, pages).
   */
  vmstat?(layer: L, kernel: Kernel): Iterable<readonly [string, number]>;
  /** Checks every invariant of the layer (CONFIG_DEBUG_VM); throws Bug on the first broken one. */
  verify?(layer: L, kernel: Kernel): void;
  /** the scenario steps this layer adds; two steps of one name (in any modules) are a Bug */
  readonly steps?: readonly StepDef[];
}

/** The identity function that types a module literal (infers L from init). */
export function defineModule<L>(m: KernelModule<L>): KernelModule<L> {
  return m;
}
