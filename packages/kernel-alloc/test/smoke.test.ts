import { test } from "vitest";
import { KernelAlloc } from "../src/kernel-alloc";
import { testMachine } from "./machine";

test("smoke boot", () => {
  const m = testMachine();
  const ka = KernelAlloc.boot({ phys: m.phys, ram: m.ram, rng: m.rng, clock: m.clock });
  ka.verify();
  const st = ka.allocKernelStack();
  const p = ka.kmalloc(100);
  console.log(ka.slabinfo().split("\n").slice(0, 30).join("\n"));
  console.log(ka.vmallocinfo(), ka.meminfo(), p.toString(16), st.toString(16), ka.ksize(p));
  const kb = KernelAlloc.boot({ phys: testMachine().phys, ram: testMachine().ram, allocator: "slab" });
  void kb;
});
