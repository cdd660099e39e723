// The simulated userland as a kernel module: each task's C library (glibc's malloc on brk and
// mmap), its scenario steps (malloc, free, calloc, realloc, mallopt, malloc_trim), and the
// arena invariants of every live process in Kernel.verify().
import { defineModule } from "../module";
import { verifyMalloc } from "../userland/malloc-verify";
import { MALLOC_STEPS } from "../userland/steps-malloc";
import { Userland } from "../userland/userland";

export const userlandModule = defineModule<Userland>({
  name: "userland",
  init(k) {
    return new Userland(k);
  },
  verify(u) {
    for (const m of u.live()) verifyMalloc(m);
  },
  steps: MALLOC_STEPS,
});
