// Virtual memory as a kernel module: builds the machine's VirtualMemory and tasks at boot,
// registers the sysctls of mm/mmap.c and mm/util.c (max_map_count, mmap_min_addr, the
// overcommit knobs, the reserves), reports Committed_AS and CommitLimit to /proc/meminfo, adds
// the task and address-space scenario steps, the transparent_hugepage sysfs files (enabled,
// defrag, use_zero_page: writable through the thp step), and checks every mm in Kernel.verify().
import { PAGE_SIZE } from "@mmsim/base";
import { verifyVirtual, type VirtualSysctls } from "@mmsim/virtual";
import { defineModule } from "../module";
import { parseIntInRange } from "../sysctl";
import { THP_SYSFS, VirtualKernel, totalramPages } from "../virtual-kernel";
import { globalVmstat } from "../vmstat";
import { expectStep, exitStep, killStep, spawnStep } from "../scenario/steps-task";
import { MM_STEPS } from "../scenario/steps-mm";
import { ACCESS_STEPS } from "../scenario/steps-access";

/** INT_MAX: the bound of proc_dointvec knobs. */
const INT_MAX = 2147483647;
/** The largest unsigned long mmsim can hold exactly (proc_doulongvec_minmax knobs). */
const ULONG_MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** init_user_reserve / init_admin_reserve (mm/util.c): min(free kB / 32, 128 MiB) and min(free kB / 32, 8 MiB), in kB. */
const USER_RESERVE_MAX_KB = 131072;
const ADMIN_RESERVE_MAX_KB = 8192;

/** A knob over a VirtualSysctls field, with proc_dointvec_minmax / proc_doulongvec_minmax bounds. */
interface Knob {
  name: string;
  key: keyof VirtualSysctls;
  min: number;
  max: number;
  /** what the knob's handler changes besides its own value */
  after?: (s: VirtualSysctls) => void;
}

const KNOBS: readonly Knob[] = [
  // mm/mmap.c: proc_dointvec_minmax, extra1 = SYSCTL_ZERO
  { name: "max_map_count", key: "maxMapCount", min: 0, max: INT_MAX },
  // security/min_addr.c mmap_min_addr_handler: proc_doulongvec_minmax without bounds
  { name: "mmap_min_addr", key: "mmapMinAddr", min: 0, max: ULONG_MAX_SAFE },
  // mm/util.c overcommit_policy_handler: 0..2 (OVERCOMMIT_GUESS, ALWAYS, NEVER)
  { name: "overcommit_memory", key: "overcommitMemory", min: 0, max: 2 },
  // overcommit_ratio_handler: proc_dointvec, then overcommit_kbytes = 0
  { name: "overcommit_ratio", key: "overcommitRatio", min: -INT_MAX - 1, max: INT_MAX, after: (s) => (s.overcommitKbytes = 0) },
  // overcommit_kbytes_handler: proc_doulongvec_minmax, then overcommit_ratio = 0
  { name: "overcommit_kbytes", key: "overcommitKbytes", min: 0, max: ULONG_MAX_SAFE, after: (s) => (s.overcommitRatio = 0) },
  { name: "admin_reserve_kbytes", key: "adminReserveKbytes", min: 0, max: ULONG_MAX_SAFE },
  { name: "user_reserve_kbytes", key: "userReserveKbytes", min: 0, max: ULONG_MAX_SAFE },
];

export const virtualModule = defineModule<VirtualKernel>({
  name: "virtual",
  init(k) {
    const v = new VirtualKernel(k);
    const s = v.vmm.sysctl;
    for (const knob of KNOBS) {
      k.sysctl.register({
        name: `vm.${knob.name}`,
        get: () => String(s[knob.key]),
        set: (text) => {
          s[knob.key] = parseIntInRange(text, knob.min, knob.max);
          knob.after?.(s);
        },
      });
    }
    if (v.vmm.thp) {
      for (const file of ["enabled", "defrag", "use_zero_page"] as const) k.procfs.register(`${THP_SYSFS}/${file}`, () => v.thpSysfsShow(file));
    }
    return v;
  },
  kernelInit(v, k) {
    // the final totalram_pages() (after free_initmem) for vm_commit_limit and OVERCOMMIT_GUESS,
    // and the reserves subsys_initcall computes from the free memory at that time
    v.vmm.totalramPages = totalramPages(k);
    const freeKb = (globalVmstat(k).get("nr_free_pages")! * PAGE_SIZE) / 1024;
    v.vmm.sysctl.userReserveKbytes = Math.min(Math.floor(freeKb / 32), USER_RESERVE_MAX_KB);
    v.vmm.sysctl.adminReserveKbytes = Math.min(Math.floor(freeKb / 32), ADMIN_RESERVE_MAX_KB);
  },
  vmstat(v) {
    return [
      ["vm_committed_as", v.vmm.committedAs],
      ["vm_commit_limit", v.vmm.vmCommitLimit()],
    ];
  },
  verify(v) {
    verifyVirtual(v.vmm, v.tasks.mms());
  },
  // in the order a scenario uses them (the help examples read as one scenario)
  steps: [spawnStep, ...MM_STEPS, ...ACCESS_STEPS, expectStep, killStep, exitStep],
});
