// Act 2: the MMU — a 4-level page walk, then the TLB hit.
import { Kernel, explainWalk, formatWalk } from "@mmsim/kernel";
import { indent, type Act } from "./act";

export const walkAct: Act = {
  title: "Virtual to physical: the page walk and the TLB",
  tryNext: ["mmsim walk 0x7f1234567abc", "mmsim walk 0x7f1234567abc --levels 5"],
  run() {
    const k = Kernel.boot({ ram: 1024 * 1024 * 1024 });
    const w = explainWalk(k, "0x7f1234567abc");
    let s = "Every memory access uses a virtual address. The MMU translates it by walking page tables\n";
    s += "that live in RAM, 9 bits of the address per level; the TLB caches the result.\n\n";
    s += indent(formatWalk(w));
    return s;
  },
};
