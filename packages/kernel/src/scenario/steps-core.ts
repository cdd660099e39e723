// The steps every machine has: cat a virtual file, write sysctls.
import { expectObject, expectString } from "../validate";
import type { StepDef } from "./step";

export const catStep: StepDef<{ path: string }> = {
  name: "cat",
  summary: "print a /proc, /proc/sys or /sys/kernel/debug file",
  example: "- cat: /proc/buddyinfo",
  parse(value, path) {
    return { path: expectString(value, path, "a file path like /proc/buddyinfo") };
  },
  describe: (a) => `cat ${a.path}`,
  run(a, ctx) {
    return ctx.kernel.cat(a.path);
  },
};

export const sysctlStep: StepDef<{ values: Record<string, string> }> = {
  name: "sysctl",
  summary: "write sysctls (all or none), printing each as sysctl -w does",
  example: "- sysctl: { vm.min_free_kbytes: 20000 }",
  parse(value, path) {
    const o = expectObject(value, path, "a mapping of sysctl names to values");
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(o)) values[k] = Array.isArray(v) ? v.join("\t") : String(v);
    return { values };
  },
  describe: (a) => `sysctl -w ${Object.entries(a.values).map(([k, v]) => `${k}=${v}`).join(" ")}`,
  run(a, ctx) {
    ctx.kernel.sysctl.set(a.values);
    return Object.keys(a.values)
      .map((k) => {
        const knob = ctx.kernel.sysctl.resolve(k);
        return `${knob.name} = ${knob.get()}\n`;
      })
      .join("");
  },
};
