// Tasks on an i386 machine (issue 16 item 5): the 3G/1G split, 2-level 32-bit tables or PAE, user
// pages from ZONE_HIGHMEM and page tables from lowmem, seed 001's arithmetic in /proc (the
// examples/scenarios/i386-page-tables.yaml and i386-pae-page-tables.yaml scenarios), and exec,
// which refuses the x86-64 built-in program with ENOEXEC as elf_check_arch does.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PAGING_32BIT, PAGING_IA32E, PAGING_PAE } from "@mmsim/hardware";
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE, ptePfn, sysMmap } from "@mmsim/virtual";
import { Kernel, formatResults, loadScenario, runScenario } from "../src/index";
import { virtualOf } from "../src/virtual-kernel";

const MiB = 1048576;

/** Runs an example with verify() after every step, as mmsim run --verify. */
function run(file: string): string {
  const text = readFileSync(new URL(`../../../examples/scenarios/${file}`, import.meta.url), "utf8");
  return formatResults(runScenario(loadScenario(text, file), { verify: true }).results);
}

describe("examples/scenarios/i386-page-tables.yaml and i386-pae-page-tables.yaml (seed 001)", () => {
  // pgtable-2level_types.h: 1024 4-byte PTEs per table, one table per 4 MiB; 3 GiB / 4 MiB = 768
  // tables, VmPTE 3072 kB, PageTables 3076 kB above the machine's (the pgd page is not in VmPTE).
  // pgtable-3level_types.h: 512 8-byte PTEs per table (2 MiB each), the four preallocated PMDs
  // count in VmPTE (mm_inc_nr_pmds in preallocate_pmds, arch/x86/mm/pgtable.c).
  for (const [file, vmpte, pageTables] of [["i386-page-tables.yaml", "3072 kB", "3344 kB"], ["i386-pae-page-tables.yaml", "3088 kB", "3360 kB"]] as const) {
    it(`${file}: every expectation holds under --verify (VmPTE ${vmpte}, PageTables ${pageTables})`, () => {
      const out = run(file);
      const expects = out.split("\n").filter((l) => l.startsWith("$ expect ")).length;
      expect(expects).toBe(7);
      expect(out.match(/^ok$/gm)?.length).toBe(expects);
      expect(out).toContain(`$ expect /proc/app/status VmPTE = ${vmpte}\nok\n`);
      expect(out).toContain(`$ expect /proc/meminfo PageTables = ${pageTables}\nok\n`);
      expect(out).toContain("$ app: store 1 bytes of 0xaa at 0x1000 and every 4194304 bytes after it, 768 times\n");
    });
  }
});

describe("an i386 machine", () => {
  it("has no THP (i386_defconfig): no sysfs files, min_free_kbytes from init_per_zone_wmark_min alone, transparent_hugepage refused", () => {
    const k = Kernel.boot({ arch: "i386", ram: 1024 * MiB });
    expect(() => k.procfs.read("/sys/kernel/mm/transparent_hugepage/enabled")).toThrow(/No such file/);
    // int_sqrt(lowmem_kbytes * 16) (mm/page_alloc.c), not khugepaged's set_recommended_min_free_kbytes
    const minFree = Number(k.procfs.read("/proc/sys/vm/min_free_kbytes"));
    expect(minFree).toBe(3752);
    expect(Kernel.boot({ ram: 1024 * MiB }).procfs.read("/proc/sys/vm/min_free_kbytes")).toBe("45056\n");
    expect(() => loadScenario("machine: { arch: i386, transparent_hugepage: always }\nsteps: []\n", "t.yaml")).toThrow(
      "machine.transparent_hugepage: expected nothing on i386 (i386_defconfig has no CONFIG_TRANSPARENT_HUGEPAGE)",
    );
  });
});

describe("an i386 task", () => {
  it("status prints THP_enabled 0 (i386_defconfig has no CONFIG_TRANSPARENT_HUGEPAGE) and a 32-bit untag_mask (mm_untag_mask's -1UL, fs/proc/array.c)", () => {
    const line = (k: Kernel, f: string) => k.procfs.read(`/proc/${virtualOf(k).spawn("app").pid}/status`).split("\n").find((l) => l.startsWith(f));
    expect([line(Kernel.boot({ arch: "i386", ram: 512 * MiB }), "THP_enabled"), line(Kernel.boot({ arch: "i386", ram: 512 * MiB }), "untag_mask")])
      .toEqual(["THP_enabled:\t0", "untag_mask:\t0xffffffff"]);
    expect([line(Kernel.boot({ ram: 512 * MiB }), "THP_enabled"), line(Kernel.boot({ ram: 512 * MiB }), "untag_mask")])
      .toEqual(["THP_enabled:\t1", "untag_mask:\t0xffffffffffffffff"]);
  });

  it("runs in the CPU's 32-bit paging mode with TASK_SIZE 0xc0000000, mmap_base 0xb8000000 and brk at ELF_ET_DYN_BASE 0x400000", () => {
    for (const [pae, mode] of [[false, PAGING_32BIT], [true, PAGING_PAE]] as const) {
      const k = Kernel.boot({ arch: "i386", pae, ram: 512 * MiB });
      expect(k.hw.cpus.map((c) => c.pagingFormat)).toEqual([mode, mode]);
      const vk = virtualOf(k);
      const t = vk.spawn("app");
      if (typeof t === "number") throw new Error(`spawn: ${t}`);
      const mm = t.mm!;
      expect([mm.taskSize, mm.mmapBase, mm.brk]).toEqual([0xc0000000, 0xb8000000, 0x400000]);
      expect(sysMmap(vk.vmm, mm, 0, 64 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBe(0xb8000000 - 64 * MiB);
      expect(sysMmap(vk.vmm, mm, 0, 3 * 1024 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0)).toBe(-12);
      k.verify();
    }
    expect(Kernel.boot({ ram: 512 * MiB }).hw.cpus[0]!.pagingFormat).toBe(PAGING_IA32E);
  });

  it("gets its pages from ZONE_HIGHMEM (GFP_HIGHUSER_MOVABLE) and its page tables from lowmem (no CONFIG_HIGHPTE)", () => {
    const k = Kernel.boot({ arch: "i386", ram: 1024 * MiB });
    const vk = virtualOf(k);
    const t = vk.spawn("app");
    if (typeof t === "number") throw new Error(`spawn: ${t}`);
    const mm = t.mm!;
    const a = sysMmap(vk.vmm, mm, 0, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    expect(vk.vmm.store(mm, k.hw.cpus[t.cpu]!, a, new Uint8Array([1]))).toBeNull();
    const page = ptePfn(vk.vmm, mm, a);
    expect(k.phys.pageZone(page)?.name).toBe("HighMem");
    const pde = k.hw.ram.readU32(mm.pgd + Math.floor(a / (4 * MiB)) * 4);
    expect(k.phys.pageZone(pde >>> 12)?.name).toBe("Normal");
    expect(k.phys.pageZone(mm.pgd / 4096)?.name).toBe("Normal");
    k.verify();
  });

  it("smaps and pagemap read 4-byte PTEs: two private dirty pages, then half of each after fork", () => {
    const text = "machine: { arch: i386, ram: 512MiB }\nsteps:\n  - spawn: { name: app }\n" +
      "  - mmap: { task: app, length: 64KiB, prot: [read, write], flags: [private, anonymous], as: buf }\n" +
      "  - store: { task: app, addr: buf, length: 8KiB }\n  - load: { task: app, addr: buf+16KiB, length: 8 }\n" +
      "  - expect: { path: /proc/app/smaps, at: buf, field: Private_Dirty, equals: 8 kB }\n" +
      "  - expect: { path: /proc/app/smaps, at: buf, field: Anonymous, equals: 8 kB }\n" +
      "  - expect: { path: /proc/app/pagemap, at: buf+4KiB, field: present, equals: 1 }\n" +
      "  - expect: { path: /proc/app/pagemap, at: buf+8KiB, field: present, equals: 0 }\n" +
      "  - fork: { task: app, name: child }\n" +
      "  - expect: { path: /proc/child/smaps, at: buf, field: Pss, equals: 4 kB }\n" +
      "  - expect: { path: /proc/child/smaps, at: buf, field: Shared_Dirty, equals: 8 kB }\n";
    const out = formatResults(runScenario(loadScenario(text, "s.yaml"), { verify: true }).results);
    expect(out).toContain("= 0xb7ff0000\n");
    expect(out.match(/^ok$/gm)?.length).toBe(6);
  });

  it("shares anonymous memory (shmem) across fork: the child's fault maps both pages around it", () => {
    const text = "machine: { arch: i386, ram: 512MiB }\nsteps:\n  - spawn: { name: app }\n" +
      "  - mmap: { task: app, length: 64KiB, prot: [read, write], flags: [shared, anonymous], as: buf }\n" +
      "  - store: { task: app, addr: buf, length: 8KiB }\n  - fork: { task: app, name: child }\n" +
      "  - load: { task: child, addr: buf+4KiB, length: 8 }\n" +
      "  - expect: { path: /proc/child/smaps, at: buf, field: Rss, equals: 8 kB }\n";
    const out = formatResults(runScenario(loadScenario(text, "sh.yaml"), { verify: true }).results);
    expect(out).toContain("b7ff1000: aa aa aa aa aa aa aa aa\n");
    expect(out).toMatch(/Rss = 8 kB\nok\n$/);
  });

  it("maps a file as on x86-64 (examples/scenarios/file-mmap.yaml): only the addresses, VmPTE, THP_enabled, untag_mask and SigQ differ", () => {
    const text = readFileSync(new URL("../../../examples/scenarios/file-mmap.yaml", import.meta.url), "utf8");
    const x86 = formatResults(runScenario(loadScenario(text, "f.yaml"), { verify: true }).results).split("\n");
    const i386 = formatResults(runScenario(loadScenario(text.replace(/^machine: \{/m, "machine: { arch: i386,"), "f.yaml"), { verify: true }).results).split("\n");
    expect(i386.length).toBe(x86.length);
    const diff = x86.flatMap((l, i) => (l === i386[i] ? [] : [[l, i386[i]]]));
    // a hint-less mmap lands below mmap_base: 0x7ffff7fff000 on x86-64, 0xb8000000 on i386; the
    // tables: pgd + pud + pmd + pte on x86-64 (VmPTE leaves the pgd out), three 4 MiB PTE tables on i386;
    // no THP and 32-bit longs on i386
    expect(diff.filter(([a]) => !a!.startsWith("SigQ:"))).toEqual([
      ["= 0x7ffff7fef000", "= 0xb7ff0000"], ["7ffff7fef000: 7a", "b7ff0000: 7a"], ["7ffff7fef000: 61", "b7ff0000: 61"],
      ["VmPTE:\t      28 kB", "VmPTE:\t      12 kB"], ["THP_enabled:\t1", "THP_enabled:\t0"], ["untag_mask:\t0xffffffffffffffff", "untag_mask:\t0xffffffff"],
    ]);
  });

  it("exec is ENOEXEC: the built-in program is an x86-64 ELF (EM_X86_64), which an i386 kernel's elf_check_arch refuses", () => {
    const out = formatResults(runScenario(loadScenario("machine: { arch: i386, ram: 512MiB }\nsteps:\n  - spawn: { name: app }\n  - exec: { task: app }\n  - expect: { errno: ENOEXEC }\n", "x.yaml"), { verify: true }).results);
    expect(out).toContain("= -1 ENOEXEC\n");
    expect(out).toMatch(/\$ expect errno ENOEXEC\nok\n$/);
  });
});
