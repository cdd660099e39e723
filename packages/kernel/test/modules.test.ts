// The kernel's module seam (docs/design/kernel.md "Modules"): each layer registers its files,
// sysctls, steps and verify() from its module; the step registry is built from the modules;
// whatever stops a step names the scenario file and line; Kernel.verify() runs every module.
import { describe, expect, it } from "vitest";
import { Bug, GiB, KernelBug } from "@mmsim/base";
import { gfpCheck, parseGfp } from "@mmsim/physical";
import { inputError } from "./input-error";
import { Kernel, STEPS, formatResults, loadScenario, runScenario } from "../src/index";
import { buildStepRegistry } from "../src/scenario/registry";
import { KERNEL_MODULES } from "../src/modules/all";
import { physicalModule } from "../src/modules/physical";
import { kernelAllocModule } from "../src/modules/kernel-alloc";
import { virtualModule } from "../src/modules/virtual";
import { virtualOf } from "../src/virtual-kernel";
import { catStep } from "../src/scenario/steps-core";
import type { KernelModule } from "../src/module";

/** The Bug `f` throws; fails the test if it throws nothing or something else. */
function bug(f: () => unknown): Bug {
  try {
    f();
  } catch (e) {
    if (e instanceof Bug) return e;
    throw e;
  }
  throw new Error("expected a Bug");
}

describe("kernel modules", () => {
  it("boot in list order: core, physical, kernel-alloc, virtual, file, net, userland, exec; layer() returns what init returned", () => {
    expect(KERNEL_MODULES.map((m) => m.name)).toEqual(["core", "physical", "kernel-alloc", "virtual", "file", "net", "userland", "exec"]);
    const k = Kernel.boot({ ram: GiB });
    expect(k.layer(physicalModule)).toBe(k.phys);
    expect(k.layer(kernelAllocModule)).toBe(k.alloc);
    expect(k.layer(virtualModule)).toBe(virtualOf(k));
    const stranger: KernelModule<number> = { name: "stranger", init: () => 1 };
    expect(bug(() => k.layer(stranger)).message).toBe("Kernel.layer: module stranger is not part of this kernel");
  });

  it("each module registers its own files", () => {
    const files = Kernel.boot({ ram: GiB }).procfs.list();
    for (const f of ["/proc/meminfo", "/proc/vmstat", "/proc/buddyinfo", "/proc/zoneinfo", "/proc/slabinfo", "/proc/vmallocinfo", "/proc/sys/vm/min_free_kbytes", "/proc/sys/vm/max_map_count", "/proc/sys/kernel/randomize_va_space"]) expect(files).toContain(f);
  });

  it("the step registry is the modules' steps in module order", () => {
    expect([...STEPS.keys()]).toEqual(["cat", "sysctl", "alloc_pages", "free_pages", "kmem_cache_create", "kmem_cache_alloc", "kmalloc", "kfree", "vmalloc", "vfree",
      "spawn", "mmap", "munmap", "mprotect", "mremap", "brk", "madvise", "mlock", "thp", "fork", "store", "memset", "load", "expect", "kill", "exit",
      "open", "create", "read", "write", "pread", "pwrite", "lseek", "fsync", "fdatasync", "ftruncate", "truncate", "unlink", "close", "sync", "sleep",
      "socket", "sendfile",
      "malloc", "free", "calloc", "realloc", "mallopt", "malloc_trim", "exec"]);
  });

  it("every step's help example, in registry order (kill and exit last: they end the task the others use), is a scenario that runs with --verify", () => {
    const last = new Set(["kill", "exit"]);
    const steps = [...STEPS.values()];
    const ordered = [...steps.filter((d) => !last.has(d.name)), ...steps.filter((d) => last.has(d.name))];
    // mremap's example moved buf away; the file steps' examples read and write at buf, so map it again
    const remap = "- mmap: { task: app, addr: buf, length: 64KiB, prot: [read, write], flags: [private, anonymous, fixed] }";
    // sendfile's example sends src, a file the file steps' examples did not leave open
    const src = "- open: { task: app, path: /data/src, flags: [rdwr, creat], as: src }";
    const lines = ordered.flatMap((d) => (d.name === "open" ? [remap, d.example] : d.name === "sendfile" ? [src, d.example] : [d.example]));
    const text = "machine: { ram: 64MiB }\nsteps:\n" + lines.map((l) => `  ${l}\n`).join("");
    const out = formatResults(runScenario(loadScenario(text, "examples.yaml"), { verify: true }).results);
    expect(out).not.toMatch(/= -1 /);
  });

  it("two steps with one name are a Bug naming both modules", () => {
    const a: KernelModule = { name: "one", init: () => null, steps: [catStep] };
    const b: KernelModule = { name: "two", init: () => null, steps: [catStep] };
    expect(bug(() => buildStepRegistry([a, b])).message).toBe('buildStepRegistry: step "cat" is defined twice: by module one and by module two');
  });
});

describe("binding kinds", () => {
  it("a name bound to one kind cannot be used as another, before anything runs", () => {
    expect(inputError(() => loadScenario("steps:\n  - kmalloc: { size: 64, as: p }\n  - free_pages: { of: p }\n", "k.yaml"))).toBe(
      'k.yaml:3: steps[1].free_pages.of: "p" is a slab object, expected a page allocation',
    );
    expect(inputError(() => loadScenario("steps:\n  - vmalloc: { size: 4096, as: v }\n  - kfree: { of: v }\n", "k.yaml"))).toBe(
      'k.yaml:3: steps[1].kfree.of: "v" is a vmalloc area, expected a slab object',
    );
  });
});

describe("errors inside a step name the scenario file and line", () => {
  it("a Bug raised by a step's run keeps its function and gains the file, line and step", () => {
    // the parse refuses a second free_pages of one name, so the step frees its page twice
    // behind the runner's back: a page double free is a broken invariant (__free_pages)
    const s = loadScenario("machine: { ram: 1GiB }\nsteps:\n  - alloc_pages: { order: 0, as: a }\n  - free_pages: { of: a }\n", "b.yaml");
    const free = s.steps[1]!;
    const real = free.def.run.bind(free.def);
    free.def = {
      ...free.def,
      run: (args, ctx) => {
        const al = ctx.lookup("a", "page allocation")!;
        const out = real(args, ctx);
        ctx.kernel.phys.freePages(al.pfn, 0);
        return out;
      },
    };
    const e = bug(() => runScenario(s));
    expect(e.fn).toBe("__free_pages");
    expect(e.message).toMatch(/^__free_pages: .* \(in b\.yaml:4: steps\[1\]\.free_pages\)$/);
  });

  it("a kernel BUG report (slab double free) stops the run as a KernelBug at the step's line, report kept", () => {
    // the parse refuses a second kfree of one name, so free the object behind the runner's back
    const s = loadScenario("machine: { ram: 1GiB }\nsteps:\n  - kmalloc: { size: 64, as: p }\n  - kfree: { of: p }\n", "df.yaml");
    const kfree = s.steps[1]!;
    const real = kfree.def.run.bind(kfree.def);
    kfree.def = { ...kfree.def, run: (args, ctx) => (ctx.kernel.alloc.kfree(ctx.lookup("p", "slab object")!), real(args, ctx)) };
    let caught: unknown;
    try {
      runScenario(s);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KernelBug);
    const kb = caught as KernelBug;
    expect(kb.message).toMatch(/^df\.yaml:4: steps\[1\]\.kfree: double free/);
    expect(kb.report.length).toBeGreaterThan(0);
  });
});

describe("Kernel.verify and runScenario({ verify: true })", () => {
  it("verify() passes on a booted machine and runs every module's verify", () => {
    const k = Kernel.boot({ ram: GiB });
    const seen: string[] = [];
    for (const [m, layer] of k.moduleLayers()) {
      if (m.verify === undefined) continue; // exec keeps no state of its own to check
      const v = m.verify.bind(m);
      (m as { verify?: unknown }).verify = (l: unknown, kk: Kernel) => (seen.push(m.name), v(l, kk));
      try {
        k.verify();
      } finally {
        (m as { verify?: unknown }).verify = v;
      }
      expect(layer).toBeDefined();
    }
    expect(seen).toEqual(["core", "physical", "kernel-alloc", "virtual", "file", "net", "userland"]);
  });

  it("verify() catches a gauge that went negative and counters that disagree", () => {
    const k = Kernel.boot({ ram: GiB });
    k.counters.add(k.counters.id("nr_anon_pages"), -1);
    expect(bug(() => k.verify()).message).toBe("Kernel.verify: counter nr_anon_pages is -1: a gauge must be a whole number >= 0");
    k.counters.add(k.counters.id("nr_anon_pages"), 1);
    k.counters.add(k.counters.id("nr_active_anon"), 3);
    expect(bug(() => k.verify()).message).toBe("Kernel.verify: nr_zone_active_anon 0 != nr_active_anon 3: the zone and node LRU counters count the same pages");
    k.counters.add(k.counters.id("nr_zone_active_anon"), 3);
    k.counters.add(k.counters.id("nr_dirty"), 2);
    expect(bug(() => k.verify()).message).toBe("Kernel.verify: nr_zone_write_pending 0 != nr_dirty + nr_writeback 2");
    k.counters.add(k.counters.id("nr_zone_write_pending"), 2);
    // the file module recounts the page cache: no page is dirty behind that count
    expect(bug(() => k.verify()).message).toBe("verifyFileSystem: counters nr_file_pages/nr_dirty/nr_writeback 0/2/0, recount 0/0/0");
    k.counters.add(k.counters.id("nr_dirty"), -2);
    k.counters.add(k.counters.id("nr_zone_write_pending"), -2);
    k.verify();
  });

  it("runScenario with verify checks after every step and names the step that broke an invariant", () => {
    const s = loadScenario("machine: { ram: 1GiB }\nsteps:\n  - cat: /proc/buddyinfo\n  - cat: /proc/meminfo\n", "v.yaml");
    expect(runScenario(s, { verify: true }).results).toHaveLength(2);
    const cat = s.steps[1]!;
    const real = cat.def.run.bind(cat.def);
    cat.def = { ...cat.def, run: (args, ctx) => (ctx.kernel.counters.add(ctx.kernel.counters.id("nr_mlock"), -2), real(args, ctx)) };
    expect(bug(() => runScenario(s, { verify: true })).message).toBe(
      "Kernel.verify: counter nr_mlock is -2: a gauge must be a whole number >= 0 (in v.yaml:4: steps[1].cat)",
    );
    expect(runScenario(s).results).toHaveLength(2); // without verify nothing checks
  });
});

describe("GFP masks in steps are checked before anything runs", () => {
  it("names the file, line, field and the conflicting bits (gfpCheck, GFP_ZONE_BAD of include/linux/gfp.h)", () => {
    for (const [step, mask] of [
      ["alloc_pages: { order: 0", "__GFP_HIGHMEM|__GFP_DMA32"],
      ["kmalloc: { size: 64", "GFP_KERNEL|__GFP_DMA|__GFP_DMA32"],
      ["kmem_cache_alloc: { cache: dentry", "__GFP_DMA|__GFP_DMA32|__GFP_MOVABLE"],
    ] as const) {
      const text = `machine: { ram: 1GiB }\nsteps:\n  - cat: /proc/buddyinfo\n  - ${step}, gfp: "${mask}" }\n`;
      const name = step.slice(0, step.indexOf(":"));
      const problem = gfpCheck(parseGfp(mask));
      expect(problem).not.toBeNull();
      expect(inputError(() => loadScenario(text, "g.yaml"))).toBe(`g.yaml:4: steps[1].${name}.gfp: ${mask}: ${problem}`);
    }
  });

  it("spells out which bits conflict", () => {
    expect(inputError(() => loadScenario('steps:\n  - alloc_pages: { order: 0, gfp: "__GFP_HIGHMEM|__GFP_DMA32" }\n', "g.yaml"))).toMatch(
      /^g\.yaml:2: steps\[0\]\.alloc_pages\.gfp: __GFP_HIGHMEM\|__GFP_DMA32: gfp 0x[0-9a-f]+: .*__GFP_HIGHMEM.*__GFP_DMA32.* cannot be combined/,
    );
  });
});
