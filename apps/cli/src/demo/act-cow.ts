// Act: fork and copy-on-write. dup_mmap shares every private page between parent and child,
// write-protected; the first write copies (wp_page_copy), a write to a page held alone
// reuses it (wp_page_reuse). Refcounts and mapcounts come from the struct page arrays.
import { virtualOf } from "@mmsim/kernel";
import { indent, type Act } from "./act";
import { Stepper } from "./stepper";

const SCENARIO = `machine: { ram: 1GiB }
steps:
  - spawn: { name: parent }
  - mmap: { task: parent, length: 8KiB, prot: [read, write], flags: [private, anonymous], as: buf }
  - store: { task: parent, addr: buf, length: 8KiB, byte: 0x11 }
  - fork: { task: parent, name: child }
  - store: { task: child, addr: buf, length: 8, byte: 0x22 }
  - store: { task: parent, addr: buf, length: 8, byte: 0x33 }
  - load: { task: parent, addr: buf, length: 8 }
  - load: { task: child, addr: buf, length: 8 }
`;

export const cowAct: Act = {
  title: "fork and copy-on-write",
  tryNext: ["mmsim fault 0x555555559000 --write --after-fork", "mmsim run --help"],
  run() {
    const m = new Stepper(SCENARIO);
    const pages = virtualOf(m.kernel).vmm.pages;
    const table = () => {
      const buf = m.addr("buf");
      let t = `  ${"task".padEnd(7)} ${"page".padEnd(6)} ${"pfn".padStart(6)} ${"refcount".padStart(9)} ${"mapcount".padStart(9)}\n`;
      for (const task of ["parent", "child"]) {
        if (!m.kernel.procfs.has(`/proc/${task}/pagemap`)) continue;
        for (let i = 0; i < 2; i++) {
          const pfn = m.pfn(task, buf + i * 4096);
          const idx = pages.idx(pfn);
          t += `  ${task.padEnd(7)} buf+${i * 4}K ${String(pfn).padStart(6)} ${String(pages.refcount[idx]).padStart(9)} ${String(pages.mapcount[idx]! + 1).padStart(9)}\n`;
        }
      }
      for (const task of ["parent", "child"]) {
        if (m.kernel.procfs.has(`/proc/${task}/smaps_rollup`)) t += `  ${task}: Rss ${m.field(`/proc/${task}/smaps_rollup`, "Rss")}, Pss ${m.field(`/proc/${task}/smaps_rollup`, "Pss")}\n`;
      }
      return t;
    };
    let s = "The parent writes two pages, then forks. dup_mmap copies its VMAs and page tables, not its\n";
    s += "pages: both processes map the same frames, write-protected, each with two references:\n\n";
    s += indent(m.run(4)) + "\n" + indent(table()) + "\n";
    s += "Pss splits a shared page between its mappers. The child writes: the page is shared, so\n";
    s += "do_wp_page copies it (wp_page_copy) and the child's PTE points at the copy:\n\n";
    s += indent(m.run(1)) + "\n" + indent(table()) + "\n";
    s += "The parent writes the same page: it now holds it alone (refcount 1), so do_wp_page makes\n";
    s += `its PTE writable again without a copy (wp_page_reuse; pgreuse ${m.field("/proc/vmstat", "pgreuse")} → `;
    const run = m.run(1);
    s += `${m.field("/proc/vmstat", "pgreuse")}). Each sees its own bytes:\n\n`;
    s += indent(run + m.run(2)) + "\n" + indent(table());
    return s;
  },
};
