// Act: demand paging. mmap only makes a VMA; each first touch of a page is a page fault that
// allocates it (do_anonymous_page), and a first read maps the shared zero page instead.
import { virtualOf } from "@mmsim/kernel";
import { indent, type Act } from "./act";
import { Stepper } from "./stepper";

const SCENARIO = `machine: { ram: 1GiB }
steps:
  - spawn: { name: app }
  - mmap: { task: app, length: 40KiB, prot: [read, write], flags: [private, anonymous], as: buf }
  - cat: /proc/app/maps
  - store: { task: app, addr: buf, length: 12KiB }
  - load: { task: app, addr: buf+12KiB, length: 16 }
`;

export const pagingAct: Act = {
  title: "Demand paging: mmap reserves, the first touch allocates",
  tryNext: ["mmsim fault 0x7f1234561000 --write", "mmsim fault 0x7f1234561000", "mmsim run examples/scenarios/mprotect.yaml"],
  run() {
    const m = new Stepper(SCENARIO);
    const k = m.kernel;
    const state = (what: string) =>
      `  → ${what}: Rss ${m.field("/proc/app/smaps_rollup", "Rss")}, pgfault ${m.field("/proc/vmstat", "pgfault")}, PageTables ${m.field("/proc/meminfo", "PageTables")}\n`;
    let s = "A process asks for 40 KiB. mmap() only records the range as a VMA in the process's\n";
    s += "mm_struct: no page is allocated, no page-table entry is written.\n\n";
    s += indent(m.run(3)) + state("after mmap") + "\n";
    s += "The process writes its first 12 KiB. Each first touch of a page faults: the MMU finds no\n";
    s += "PTE, handle_mm_fault allocates the missing page tables and do_anonymous_page a zeroed page:\n\n";
    s += indent(m.run(1)) + state("after the store") + "\n";
    s += "Reading an untouched page faults too, but Linux maps the shared zero page read-only and\n";
    s += "allocates nothing: Rss does not move. A later write there faults again and gets a page.\n\n";
    s += indent(m.run(1)) + state("after the load") + "\n";
    const buf = m.addr("buf");
    s += "/proc/app/pagemap (one 64-bit entry per page) shows where each page of buf lives:\n\n";
    const zero = virtualOf(k).vmm.zeroPfn;
    for (let i = 0; i < 5; i++) {
      const pfn = m.pfn("app", buf + i * 4096);
      const what = pfn < 0 ? "not present (never touched)" : pfn === zero ? `pfn ${pfn}: the shared zero page` : `pfn ${pfn}: its own page`;
      s += `  buf+${String(i * 4).padStart(2)}KiB  ${what}\n`;
    }
    return s;
  },
};
