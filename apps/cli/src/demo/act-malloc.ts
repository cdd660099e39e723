// Act: glibc malloc on brk or mmap (seed 004's experiment). Small requests are carved from the
// main arena on [heap], grown by brk; a request of M_MMAP_THRESHOLD (128 KiB) or more gets a
// mapping of its own. Touching a block's first and last bytes faults in two pages, not all.
import { indent, type Act } from "./act";
import { Stepper } from "./stepper";

const SCENARIO = `machine: { ram: 1GiB, transparent_hugepage: madvise }
steps:
  - spawn: { name: test }
  - malloc: { task: test, size: 1024, as: stdout_buf }
  - store: { task: test, addr: stdout_buf, length: 14 }
  - malloc: { task: test, size: 4096, as: small }
  - store: { task: test, addr: small, length: 1, byte: 12 }
  - store: { task: test, addr: small+4095, length: 1, byte: 34 }
  - malloc: { task: test, size: 1575936, as: p0 }
  - store: { task: test, addr: p0, length: 1, byte: 12 }
  - store: { task: test, addr: p0+1575935, length: 1, byte: 34 }
  - malloc: { task: test, size: 8388999, as: p1 }
  - store: { task: test, addr: p1, length: 1, byte: 12 }
  - store: { task: test, addr: p1+8388998, length: 1, byte: 34 }
`;

/** The /proc/test/maps line of the VMA holding va, with Size and Rss from its smaps block. */
function vmaAt(m: Stepper, va: number): string {
  let header = "";
  let size = "";
  for (const line of m.kernel.cat("/proc/test/smaps").split("\n")) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (h) {
      if (size !== "") break;
      header = parseInt(h[1]!, 16) <= va && va < parseInt(h[2]!, 16) ? line : "";
      continue;
    }
    if (header === "") continue;
    if (line.startsWith("Size:")) size = line.slice(5).trim();
    else if (line.startsWith("Rss:")) return `  → ${header.trimEnd()}\n    Size ${size}, Rss ${line.slice(4).trim()}\n`;
  }
  return "  → (no VMA)\n";
}

export const mallocAct: Act = {
  title: "malloc: brk or mmap",
  tryNext: ["mmsim run examples/scenarios/seed-004-large.yaml", "mmsim run examples/scenarios/seed-004-small.yaml"],
  run() {
    const m = new Stepper(SCENARIO);
    let s = "glibc's malloc runs in the process, on top of two system calls. The first small request\n";
    s += "(stdio's 1 KiB buffer) finds no heap: sbrk grows the break by the request plus M_TOP_PAD\n";
    s += "(128 KiB), page-aligned, and the main arena carves chunks from that [heap]. Only touched\n";
    s += "pages are resident:\n\n";
    s += indent(m.run(3)) + vmaAt(m, m.addr("stdout_buf")) + "\n";
    s += "malloc(4096) fits in the same heap: no system call. Writing its first and last bytes\n";
    s += "touches one more page:\n\n";
    s += indent(m.run(3)) + vmaAt(m, m.addr("small")) + "\n";
    s += "malloc(1575936) is above M_MMAP_THRESHOLD (128 KiB): sysmalloc maps the chunk on its own\n";
    s += "(the request plus the chunk's overhead, page-aligned: 1540 kB). Two bytes written, two pages resident:\n\n";
    s += indent(m.run(3)) + vmaAt(m, m.addr("p0")) + "\n";
    s += "malloc(8388999) gets its own mapping too; mmap places it just below the first one and the\n";
    s += "two anonymous VMAs merge into one of 9736 kB (the seed's \"grew downward\"). These blocks\n";
    s += "are not in ZONE_HIGHMEM (x86-64 has none): they are simply above the mmap threshold.\n\n";
    s += indent(m.run(3)) + vmaAt(m, m.addr("p1"));
    return s;
  },
};
