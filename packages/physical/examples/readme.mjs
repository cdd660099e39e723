// Boots a 64 MiB machine, allocates a few blocks and prints /proc/buddyinfo.
import { PhysicalMemory, GFP_KERNEL, GFP_DMA } from "@mmsim/physical";

const m = PhysicalMemory.boot({ memory: [{ base: 0, size: 64 * 2 ** 20, nid: 0 }], nrCpus: 1, kernelImage: null });
const a = m.allocPages(GFP_KERNEL, 3);
const b = m.allocPages(GFP_KERNEL | GFP_DMA, 0);
console.log(`order-3 block at pfn ${a}, DMA page at pfn ${b}`);
process.stdout.write(m.buddyinfo());
m.freePages(a, 3);
m.freePages(b, 0);
m.verify();
