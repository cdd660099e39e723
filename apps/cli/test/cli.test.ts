import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mmsim } from "./run-cli";

const tmp = mkdtempSync(join(tmpdir(), "mmsim-cli-"));
function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe("mmsim --help and --version", () => {
  it("teaches: the top-level help lists the commands and starting examples", () => {
    const r = mmsim(["--help"]);
    expect(r.status).toBe(0);
    for (const cmd of ["boot", "run", "walk", "demo"]) expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, "m"));
    expect(r.stdout).toContain("mmsim walk 0x7f1234567abc");
    expect(r.stdout).toContain("Sizes take binary units");
  });

  it("prints the version from package.json", () => {
    const r = mmsim(["--version"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it("lists every scenario step in run --help", () => {
    const r = mmsim(["run", "--help"]);
    expect(r.stdout).toContain("  cat ");
    expect(r.stdout).toContain("  sysctl ");
  });
});

describe("mmsim boot", () => {
  it("prints a summary and the e820 map of the default 8 GiB machine", () => {
    const r = mmsim(["boot"]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Booted x86_64 machine: 8GiB RAM, 2 CPUs, 1 node, 4-level paging");
    expect(lines[1]).toBe("BIOS-provided physical RAM map:");
    expect(lines[2]).toBe("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable");
    expect(r.stdout).toContain("BIOS-e820: [mem 0x0000000100000000-0x000000023fffffff] usable\n");
  });

  it("prints the kernel log with printk timestamps with --dmesg", () => {
    const r = mmsim(["boot", "--ram", "1G", "--dmesg"]);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("[    0.000000] Linux version 6.18.0-mmsim (mmsim@mmsim) (mmsim simulator) #1 SMP PREEMPT_DYNAMIC");
    expect(r.stdout).toContain("[    0.000000] BIOS-provided physical RAM map:\n");
  });

  it("applies --sysctl and prints files with --cat", () => {
    const r = mmsim(["boot", "--ram", "1G", "--sysctl", "vm.watermark_scale_factor=25", "--cat", "/proc/sys/vm/watermark_scale_factor"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("25\n");
  });

  it.each([
    [["boot", "--ram", "8XB"], 'mmsim: --ram: invalid size "8XB": expected a number with an optional unit, like 4096, 0x1000, 512M or 4GiB\n'],
    [["boot", "--cpus", "0"], 'mmsim: invalid --cpus "0": expected a whole number from 1 to 64\n'],
    [["boot", "--ram", "16M"], "mmsim: --ram: expected a RAM size from 64MiB to 256GiB, got 16777216 bytes\n"],
    [["boot", "--sysctl", "nonsense"], 'mmsim: invalid --sysctl "nonsense": expected key=value, like vm.min_free_kbytes=20000\n'],
    [["boot", "--cat", "/proc/nope"], null],
    [["boot", "--frobnicate"], "mmsim: unknown option '--frobnicate'\n"],
    [["bot"], "mmsim: unknown command 'bot'; did you mean boot?\n"],
    [["boot", "--ram", "64M", "--nodes", "2"], "mmsim: --nodes: 2 nodes need at least 260MiB of RAM (128MiB of usable RAM each); 64MiB leaves 63MiB usable after the e820 holes, enough for 1 node\n"],
    [["boot", "--ram", "64M", "--swap", "4"], "mmsim: --swap: expected 0 (no swap) or a multiple of 4KiB of at least 40KiB (mkswap's 10 pages), got 4 bytes\n"],
    [["boot", "--ram", "64M", "--sysctl", "vm.frob=1"], null],
    [["slab", "kmalloc-64", "--ram", "64M", "--slub-debug", "X"], 'mmsim: --slub-debug: "X": flags must be letters from F Z P U T A O or -\n'],
    [["boot", "--config", "/nonexistent/m.yaml"], "mmsim: cannot read config file /nonexistent/m.yaml: no such file\n"],
    // parseGfp: a number above gfp_t's 32 bits used to lose its high bits in | (0x100000000 became 0)
    [["buddy", "--ram", "64M", "--ops", "alloc 0 GFP_KERNEL|0x100000000"], 'mmsim: --ops: GFP value "0x100000000" is out of range: a gfp_t is 32 bits, from 0 to 0xffffffff\n'],
  ])("rejects bad input %j with one line and exit 2", (args, expected) => {
    const r = mmsim(args as string[]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^mmsim: /);
    if (expected) expect(r.stderr).toBe(expected);
    expect(r.stderr).not.toContain("    at ");
  });

  it("reads a machine config file and names its line on error", () => {
    const good = file("m.yaml", "ram: 2GiB\ncpus: 4\n");
    expect(mmsim(["boot", "--config", good]).stdout.split("\n")[0]).toBe("Booted x86_64 machine: 2GiB RAM, 4 CPUs, 1 node, 4-level paging");
    const bad = file("bad.yaml", "ram: 2GiB\ncpus: lots\n");
    const r = mmsim(["boot", "--config", bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`mmsim: ${bad}:2: cpus: expected a whole number from 1 to 64, got "lots"\n`);
  });

  it("names the config file, line and field of a bad slub_debug or an unknown sysctl, never [object Object]", () => {
    const slub = file("slub.yaml", "ram: 64M\nslub_debug: {a: 1}\n");
    expect(mmsim(["boot", "--config", slub]).stderr).toBe(`mmsim: ${slub}:2: slub_debug: expected slub_debug flags like FZPU or "ZP,kmalloc-64" (or nothing for all), got a mapping\n`);
    const sysctl = file("sysctl.yaml", "ram: 64M\nsysctl:\n  vm.min_free_kbytes: 2048\n  vm.frob: 1\n");
    const r = mmsim(["boot", "--config", sysctl]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mmsim: ${sysctl.replace(/[.]/g, "\\.")}:4: sysctl\\.vm\\.frob: unknown sysctl; known: kernel\\.randomize_va_space, (vm\\.[a-z_]+, )*vm\\.lowmem_reserve_ratio, `));
  });

  // the kernel's InputError carries the key as given in where.field (Sysctl.resolve), so the
  // flag is named exactly as typed, in whatever spelling
  it.each(["vm.frob", "/proc/sys/vm/frob", "frob"])("names an unknown --sysctl %s exactly as typed, then the sorted known names", (key) => {
    const r = mmsim(["boot", "--ram", "64M", "--sysctl", `${key}=1`]);
    expect(r.status).toBe(2);
    const m = /^mmsim: --sysctl (.*)=1: unknown sysctl; known: ((?:(?:kernel|vm)\.[a-z_]+, )*vm\.[a-z_]+)\n$/.exec(r.stderr);
    expect(m?.[1]).toBe(key);
    const names = m![2]!.split(", ");
    expect(names).toEqual([...names].sort());
    for (const n of ["vm.lowmem_reserve_ratio", "vm.min_free_kbytes", "vm.numa_zonelist_order", "vm.percpu_pagelist_high_fraction", "vm.watermark_boost_factor", "vm.watermark_scale_factor"]) {
      expect(names).toContain(n);
    }
  });

  it("names the flag of a rejected --sysctl value by the spelling the user typed", () => {
    const r = mmsim(["boot", "--ram", "64M", "--sysctl", "vm/min_free_kbytes=abc"]);
    expect([r.status, r.stderr]).toEqual([2, 'mmsim: --sysctl vm/min_free_kbytes=abc: invalid value "abc": expected an integer in 0..2147483647\n']);
  });
});

describe("mmsim run", () => {
  it("runs a scenario, echoing each step", () => {
    const s = file("s.yaml", "machine: { ram: 1GiB }\nseed: 1\nsteps:\n  - sysctl: { vm.watermark_scale_factor: 20 }\n  - cat: /proc/sys/vm/watermark_scale_factor\n");
    const r = mmsim(["run", s]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("$ sysctl -w vm.watermark_scale_factor=20\nvm.watermark_scale_factor = 20\n$ cat /proc/sys/vm/watermark_scale_factor\n20\n");
  });

  it("prints JSON with --json and files after the run with --cat", () => {
    const s = file("j.yaml", "machine: { ram: 1GiB }\nsteps:\n  - cat: /proc/sys/vm/watermark_scale_factor\n");
    const r = mmsim(["run", s, "--json", "--seed", "9", "--cat", "/proc/sys/vm/watermark_scale_factor"]);
    const j = JSON.parse(r.stdout);
    expect(j.seed).toBe(9);
    expect(j.steps).toEqual([{ step: 1, line: 3, op: "cat", command: "cat /proc/sys/vm/watermark_scale_factor", output: "10\n" }]);
    expect(j.files).toEqual([{ path: "/proc/sys/vm/watermark_scale_factor", content: "10\n" }]);
  });

  it("stops before running anything when a later step is bad, naming file and line", () => {
    const s = file("bad-step.yaml", "steps:\n  - cat: /proc/buddyinfo\n  - sysctl: 5\n");
    const r = mmsim(["run", s]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`mmsim: ${s}:3: steps[1].sysctl: expected a mapping of sysctl names to values, got 5\n`);
  });

  it("names the file, line and field of a machine sysctl the kernel rejects at boot", () => {
    const s = file("sysctl-bad.yaml", "machine:\n  ram: 64M\n  sysctl:\n    vm.frob: 1\nsteps: []\n");
    const r = mmsim(["run", s]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^mmsim: ${s.replace(/[.]/g, "\\.")}:4: machine\\.sysctl\\.vm\\.frob: unknown sysctl; known: `));
    const step = file("sysctl-step.yaml", "machine: { ram: 64M }\nsteps:\n  - sysctl: { vm.frob: 1 }\n");
    expect(mmsim(["run", step]).stderr).toMatch(new RegExp(`^mmsim: ${step.replace(/[.]/g, "\\.")}:3: steps\\[0\\]\\.sysctl: vm\\.frob: unknown sysctl; known: kernel\\.randomize_va_space, (vm\\.[a-z_]+, )*vm\\.min_free_kbytes, `));
    const v = file("sysctl-value.yaml", "machine:\n  ram: 64M\n  sysctl:\n    min_free_kbytes: abc\nsteps: []\n");
    expect(mmsim(["run", v]).stderr).toBe(`mmsim: ${v}:4: machine.sysctl.min_free_kbytes: invalid value "abc": expected an integer in 0..2147483647\n`);
  });

  it("runs with --verify (every invariant after each step) and prints the same as without", () => {
    const s = file("verify.yaml", "machine: { ram: 64MiB }\nsteps:\n  - alloc_pages: { order: 3, as: a }\n  - kmalloc: { size: 100, as: p }\n  - kfree: { of: p }\n  - free_pages: { of: a }\n  - cat: /proc/buddyinfo\n");
    const plain = mmsim(["run", s]);
    const verified = mmsim(["run", s, "--verify"]);
    expect(verified.stderr).toBe("");
    expect(verified.status).toBe(0);
    expect(verified.stdout).toBe(plain.stdout);
    expect(verified.stdout).toContain("$ cat /proc/buddyinfo\nNode 0, zone      DMA ");
  });

  it("stops a scenario that frees a slab object twice before it runs, naming file and line", () => {
    const s = file("double-free.yaml", "machine: { ram: 64MiB }\nsteps:\n  - kmalloc: { size: 64, as: p }\n  - kfree: { of: p }\n  - kfree: { of: p }\n");
    const r = mmsim(["run", s]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^mmsim: ${s.replace(/[.]/g, "\\.")}:5: steps\\[2\\]\\.kfree\\.of: `));
  });

  it("repeats an anchored step 150 times (yaml's default allows 100) and refuses a file over 1 MiB", () => {
    const many = file("aliases.yaml", "machine: { ram: 64MiB }\nsteps:\n  - &s { cat: /proc/sys/vm/watermark_scale_factor }\n" + "  - *s\n".repeat(150));
    const r = mmsim(["run", many]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("$ cat /proc/sys/vm/watermark_scale_factor\n10\n".repeat(151));
    const big = file("big.yaml", "steps:\n" + "  - cat: /proc/buddyinfo\n".repeat(50_000));
    const b = mmsim(["run", big]);
    expect(b.status).toBe(2);
    expect(b.stderr).toBe(`mmsim: cannot read scenario ${big}: too large (1250007 bytes; mmsim reads files of at most 1MiB)\n`);
    const bomb = file("bomb.yaml", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + [1, 2, 3, 4, 5, 6].map((i) => `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(", ")}]\n`).join(""));
    expect(mmsim(["run", bomb]).stderr).toBe(`mmsim: ${bomb}:6: invalid YAML: aliases expand the document to more than 1000000 nodes (an alias bomb?)\n`);
  });

  it("names a missing scenario file", () => {
    const r = mmsim(["run", "/nonexistent/s.yaml"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("mmsim: cannot read scenario /nonexistent/s.yaml: no such file\n");
  });
});

describe("mmsim walk", () => {
  it("walks a user address through PGD, PUD, PMD and PTE, then hits the TLB", () => {
    const r = mmsim(["walk", "0x7f1234567abc"]);
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out.split("\n")[0]).toBe("Page walk of 00007f1234567abc (4-level paging, 48-bit virtual addresses)");
    // 0x7f1234567abc: VA[47:39] = 254, [38:30] = 72, [29:21] = 418, [20:12] = 359, offset 0xabc
    expect(out).toMatch(/^\s+VA\[47:39\]\s+VA\[38:30\]\s+VA\[29:21\]\s+VA\[20:12\]\s+VA\[11:0\]$/m);
    expect(out).toMatch(/^\s+PGD\s+PUD\s+PMD\s+PTE\s+offset$/m);
    expect(out).toMatch(/^\s+254\s+72\s+418\s+359\s+0xabc$/m);
    expect(out).toMatch(/^ {2}PGD index 254: entry at 0x[0-9a-f]{12} = 0x[0-9a-f]{16} {2}\[P RW US\b/m);
    expect(out).toMatch(/^ {2}PTE index 359: entry at 0x[0-9a-f]{12} = 0x8[0-9a-f]{15} {2}\[P RW US A( D)? NX\] → page/m);
    expect(out).toContain("1st access: TLB miss, page walk read 4 entries");
    expect(out).toContain("2nd access: TLB hit");
    expect(out).toContain("TLB counters: 1 hit, 1 miss");
  });

  it("walks five levels with --levels 5", () => {
    const out = mmsim(["walk", "0x7f1234567abc", "--levels", "5"]).stdout;
    expect(out).toMatch(/^\s+PGD\s+P4D\s+PUD\s+PMD\s+PTE\s+offset$/m);
    expect(out).toMatch(/^\s+0\s+254\s+72\s+418\s+359\s+0xabc$/m);
    expect(out).toContain("page walk read 5 entries");
  });

  it("rejects a non-canonical address", () => {
    const r = mmsim(["walk", "0x800000000000"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmsim: invalid virtual address "0x800000000000": expected a canonical 48-bit address/);
  });
});

describe("mmsim demo", () => {
  it("runs every act deterministically", () => {
    const a = mmsim(["demo"]);
    expect(a.status).toBe(0);
    expect(a.stdout).toContain("━━ Act 1. The machine and its memory map");
    expect(a.stdout).toContain("━━ Act 2. Virtual to physical: the page walk and the TLB");
    expect(a.stdout).toContain("━━ Act 3. Zones and the buddy allocator");
    expect(a.stdout).toContain("━━ Act 4. Kernel objects: SLUB, kmalloc and vmalloc");
    expect(a.stdout).toMatch(/DMA32 has \d+ free pages; \d+ of them are lone order-0 pages/);
    expect(a.stdout).toContain("  kmalloc( 100) → kmalloc-128  ksize 128");
    expect(mmsim(["demo"]).stdout).toBe(a.stdout);
  });

  it("runs one act with --act and rejects an act that does not exist", () => {
    expect(mmsim(["demo", "--act", "2"]).stdout).not.toContain("Act 1.");
    const r = mmsim(["demo", "--act", "99"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmsim: invalid --act "99": expected a number from 1 to \d+\n$/);
  });
});

describe("mmsim buddy", () => {
  it("shows an order-3 allocation splitting a larger block, and the exact merge back after free + drain", () => {
    const r = mmsim(["buddy", "--ram", "64M", "--zone", "DMA32", "--ops", "drain, alloc 3, free 1, drain"]);
    expect(r.status).toBe(0);
    const rows = r.stdout.split("\n").filter((l) => l.startsWith("  Node 0, zone DMA32")).map((l) => l.trim().split(/\s+/).slice(4, 15).map(Number));
    const [, drained, allocated, freed, merged] = rows;
    // expand(): one block of order h >= 3 leaves its list; one half of each order 3..h-1 joins
    const diff = allocated!.map((n, o) => n - drained![o]!);
    const h = diff.findIndex((d) => d === -1);
    expect(h).toBeGreaterThanOrEqual(3);
    expect(diff).toEqual(diff.map((_, o) => (o === h ? -1 : o >= 3 && o < h ? 1 : 0)));
    // an order-3 free goes to the per-CPU list first (orders <= PAGE_ALLOC_COSTLY_ORDER)...
    expect(freed).toEqual(allocated);
    expect(r.stdout).toMatch(/free \d+ pages, pcp 8$/m);
    // ...and once drained, __free_one_page merges the buddies back up to order h
    expect(merged).toEqual(drained);
    expect(r.stdout).toMatch(/^ {2}#1: pfn 0x[0-9a-f]+-0x[0-9a-f]+ \(order 3, DMA32\)$/m);
  });

  it("shows the free lists per migratetype with --migratetype", () => {
    const r = mmsim(["buddy", "--ram", "64M", "--migratetype", "--ops", "alloc 0"]);
    expect(r.stdout).toMatch(/^ {4}Unmovable\s+\d/m);
    expect(r.stdout).toMatch(/^ {4}Movable\s+\d/m);
  });

  it.each([
    [["buddy", "--ram", "64M", "--ops", "alloc 11"], 'mmsim: --ops: invalid operation "alloc 11": expected "alloc ORDER [GFP] [xN]" with ORDER from 0 to 10\n'],
    [["buddy", "--ram", "64M", "--ops", "free 1"], 'mmsim: --ops: invalid operation "free 1": there is no allocation #1 yet (nothing was allocated)\n'],
    [["buddy", "--ram", "64M", "--ops", "alloc 0, free 1, free 1"], 'mmsim: --ops: invalid operation "free 1": allocation #1 was already freed (by "free 1")\n'],
    // impossible zone modifiers are bad input named by their bits (physical's gfpCheck), never gfp_zone's BUG
    [["buddy", "--ram", "64M", "--ops", "alloc 0 __GFP_HIGHMEM|__GFP_DMA32"], 'mmsim: --ops: invalid operation "alloc 0 __GFP_HIGHMEM|__GFP_DMA32": gfp 0x6: __GFP_HIGHMEM and __GFP_DMA32 cannot be combined (GFP_ZONE_BAD in include/linux/gfp.h)\n'],
    [["buddy", "--ram", "64M", "--ops", "alloc 0 GFP_BOGUS"], 'mmsim: --ops: unknown GFP flag "GFP_BOGUS": expected names like GFP_KERNEL, GFP_ATOMIC, __GFP_ZERO joined by |\n'],
    [["buddy", "--ram", "64M", "--zone", "Normal", "--ops", "alloc 0"], 'mmsim: invalid --zone "Normal": this machine\'s populated zones are DMA, DMA32\n'],
    [["buddy", "--ram", "64M"], "mmsim: required option '--ops <list>' not specified\n"],
  ])("rejects %j with one line", (args, expected) => {
    const r = mmsim(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(expected);
  });
});

describe("mmsim slab", () => {
  it("shows the CPU slab of kmalloc-64 with the free-pointer chain through the freed object", () => {
    const r = mmsim(["slab", "kmalloc-64", "--ram", "1G", "--alloc", "3", "--free", "2"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^slab of kmalloc-64: pfn \d+, order 0, 64 objects of 64 bytes \(object 64, free pointer at \+32\), cpu-slab of CPU 0$/m);
    expect(r.stdout).toMatch(/^ {2}# {2}1 ffff888[0-9a-f]{9} cpu-free {2}-> #3$/m);
    expect(r.stdout).toMatch(/^cpu 0 freelist: #1 -> #3 -> #4 -> /m);
    expect(r.stdout).toMatch(/^kmalloc-64 +64 +64 +64 +64 +1 : tunables +0 +0 +0 : slabdata +1 +1 +0$/m);
    // the freed object's bytes at +32 hold the next free object's kernel address, little-endian
    const m = /^ {2}\+ {2}32 {2}((?:[0-9a-f]{2} ){8}) +freeptr = next free object at (ffff888[0-9a-f]{9})$/m.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(m![1]!.trim().split(" ").reverse().join("")).toBe(m![2]);
  });

  it("shows red zones and poison with --slub-debug", () => {
    const r = mmsim(["slab", "kmalloc-64", "--ram", "1G", "--slub-debug", "FZP", "--dump", "2"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}\+ {3}0 {2}(bb ){16} left-redzone$/m);
    expect(r.stdout).toMatch(/^ {2}\+ {2}64 {2}(6b ){16} object$/m);
    expect(r.stdout).toMatch(/(6b ){15}a5 /);
  });

  it.each([[[]], [["--slub-debug", "FZP"]]])("reports a double free from --free 1,1 as the kernel does and exits 2 (%j)", (extra) => {
    const r = mmsim(["slab", "kmalloc-64", "--ram", "64M", "--alloc", "3", "--free", "1,1", ...extra]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    // the slub_debug report of free_consistency_checks (mm/slub.c), then one line of mmsim's
    expect(lines[0]).toBe("=".repeat(77));
    expect(lines[1]).toBe("BUG kmalloc-64 (Not tainted): Object already free");
    expect(lines).toContain("WARNING: CPU: 0 PID: 0 at object_err");
    expect(lines.at(-2)).toMatch(/^FIX kmalloc-64: Object at 0xffff888[0-9a-f]{9} not freed$/);
    expect(lines.at(-1)).toMatch(/^mmsim: (double|bad) free of 0xffff888[0-9a-f]{9} in kmalloc-64: Object already free$/);
    expect(r.stderr).not.toContain("internal error");
  });

  it("names the cache it does not know", () => {
    const r = mmsim(["slab", "kmalloc-63"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmsim: no slab cache named "kmalloc-63" \(see \/proc\/slabinfo; e\.g\. kmalloc-/);
  });
});
