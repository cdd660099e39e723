// exec as a kernel module: the sysctl kernel.randomize_va_space (mm/memory.c, proc_dointvec:
// any int; default 2: 0 none, non-zero stack, mmap base, vDSO and PIE, above 1 the break), the
// exec scenario step, and the userland's exec hook (the old image's malloc state is dropped).
// The program files are made on the first exec, not at boot.
import { defineModule } from "../module";
import { ExecKernel } from "../exec/exec";
import { execStep } from "../exec/steps-exec";
import { parseIntInRange } from "../sysctl";
import { Userland } from "../userland/userland";
import { fileModule } from "./file";

/** proc_dointvec's range: an int. */
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

export const execModule = defineModule<ExecKernel>({
  name: "exec",
  init(k) {
    const ex = new ExecKernel(k, k.layer(fileModule).fs);
    for (const [, layer] of k.moduleLayers()) if (layer instanceof Userland) ex.onExec((t) => layer.exec(t));
    k.sysctl.register({
      name: "kernel.randomize_va_space",
      get: () => String(ex.randomizeVaSpace),
      set: (text) => {
        ex.randomizeVaSpace = parseIntInRange(text, INT_MIN, INT_MAX);
      },
    });
    return ex;
  },
  steps: [execStep],
});
