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
    [["boot", "--ram", "16M"], "mmsim: --ram: expected a RAM size from 32MiB to 256GiB, got 16777216 bytes\n"],
    [["boot", "--sysctl", "nonsense"], 'mmsim: invalid --sysctl "nonsense": expected key=value, like vm.min_free_kbytes=20000\n'],
    [["boot", "--cat", "/proc/nope"], null],
    [["boot", "--frobnicate"], "mmsim: unknown option '--frobnicate'\n"],
    [["bot"], "mmsim: unknown command 'bot'; did you mean boot?\n"],
    [["boot", "--config", "/nonexistent/m.yaml"], "mmsim: cannot read config file /nonexistent/m.yaml: no such file\n"],
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
    expect(out).toMatch(/^  PGD index 254: entry at 0x[0-9a-f]{12} = 0x[0-9a-f]{16}  \[P RW US\b/m);
    expect(out).toMatch(/^  PTE index 359: entry at 0x[0-9a-f]{12} = 0x8[0-9a-f]{15}  \[P RW US A( D)? NX\] → page/m);
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
    expect(mmsim(["demo"]).stdout).toBe(a.stdout);
  });

  it("runs one act with --act and rejects an act that does not exist", () => {
    expect(mmsim(["demo", "--act", "2"]).stdout).not.toContain("Act 1.");
    const r = mmsim(["demo", "--act", "99"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmsim: invalid --act "99": expected a number from 1 to \d+\n$/);
  });
});
