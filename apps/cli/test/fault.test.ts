// mmsim fault, run as the built binary: the narration of one fault, its JSON, its help (the
// built-in process's layout) and bad input (exit 2, one line).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FAULT_DEMO_LAYOUT } from "@mmsim/kernel";
import { mmsimInProcess } from "./in-process";
import { mmsim } from "./run-cli";

describe("mmsim fault", () => {
  it("narrates a first write: error code, the tables allocated, do_anonymous_page, the counters", () => {
    const r = mmsim(["fault", "0x7f1234561000", "--write"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Page fault of fault-demo (pid 1, CPU 0): user write at 00007f1234561000 (4-level paging)");
    expect(r.stdout).toContain("  error code 0x6: P=0 W=1 U=1 RSVD=0 I=0  (user write access in user mode, not-present page)\n  CR2 = 0x7f1234561000\n");
    expect(r.stdout).toContain("do_user_addr_fault: find_vma → 7f1234560000-7f1234570000 rw-p 00000000 00:00 0\n");
    expect(lines.filter((l) => / was empty → (pud|pmd|pte)_alloc: a new (PUD|PMD|PTE) table at pfn \d+/.test(l))).toHaveLength(3);
    expect(r.stdout).toMatch(/\ndo_anonymous_page: a write to an empty PTE: a new zeroed page, pfn \d+ \(refcount 1, mapcount 1\)/);
    expect(r.stdout).toContain("\npgfault: 2 → 3 (+1)\nnr_page_table_pages: 7 → 10 (+3)\nPageTables: 28 kB → 40 kB\nfault-demo RssAnon: 8 kB → 12 kB\n");
  });

  it("--after-fork: the child's write to [heap] is a copy-on-write fault", () => {
    const r = mmsim(["fault", "0x555555559000", "--write", "--after-fork"]);
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("Page fault of fault-demo (pid 2, CPU 1): user write at 0000555555559000 (4-level paging)");
    expect(r.stdout).toContain("error code 0x7: P=1 W=1 U=1 RSVD=0 I=0  (user write access in user mode, permissions violation)");
    expect(r.stdout).toMatch(/do_wp_page: a write to a read-only PTE of a shared page: wp_page_copy copies pfn \d+ into a new page, pfn \d+ \(refcount 1, mapcount 1\), and points the PTE at the copy \(ptep_clear_flush\); the old page keeps refcount 1, mapcount 1/);
  });

  it("a write to the read-only VMA ends in SIGSEGV with SEGV_ACCERR", () => {
    const r = mmsim(["fault", "0x7f1234571000", "--write"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("  access_error: a write to a VMA without VM_WRITE → bad_area_access_error: SIGSEGV with SEGV_ACCERR\n--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x7f1234571000} ---\n+++ killed by SIGSEGV +++\n");
  });

  it("--arch i386: the first write under an empty page-directory entry allocates one PTE table (2-level paging); --pae only the PTE table under a PMD", () => {
    const r = mmsim(["fault", "--arch", "i386", "0xb7f01000", "--write"]);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("Page fault of fault-demo (pid 1, CPU 0): user write at b7f01000 (i386 32-bit paging, 2 levels)");
    expect(r.stdout).toContain("#PF 1: the MMU's walk stopped at the PGD entry\n");
    expect(lines.filter((l) => /^ {2}PGD index {2}735: was empty → pte_alloc: a new PTE table at pfn \d+, entry 0x[0-9a-f]{8} {2}\[P RW US A D\]$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^ {2}PTE index {2}769: 0x00000000 → 0x[0-9a-f]{8} {2}\[P RW US A D\] pfn \d+$/.test(l))).toHaveLength(1);
    expect(r.stdout).toContain("\npgfault: 2 → 3 (+1)\nnr_page_table_pages: 3 → 4 (+1)\nPageTables: 12 kB → 16 kB\nfault-demo RssAnon: 8 kB → 12 kB\n");
    const p = mmsim(["fault", "--arch", "i386", "--pae", "0xb7f01000", "--write", "--json"]);
    const e = JSON.parse(p.stdout);
    expect([e.arch, e.pae, e.levels, e.rounds[0].hwWalk.map((st: { name: string }) => st.name)]).toEqual(["i386", true, 3, ["PGD", "PMD"]]);
  });

  it("--arch i386 --help lists the 32-bit layout; bad --arch, --pae and --levels combinations are exit 2", () => {
    expect(mmsim(["fault", "--help"]).stdout).toContain("With --arch i386 (TASK_SIZE 0xc0000000; the mmap area has a page-directory entry of its own):\n  00400000-00404000 r-xp  16 KiB  text\n");
    for (const [args, msg] of [
      [["fault", "--arch", "arm64", "0x1000"], 'mmsim: invalid --arch "arm64": expected x86_64 or i386\n'],
      [["fault", "--pae", "0x1000"], "mmsim: --pae needs --arch i386\n"],
      [["fault", "--arch", "i386", "--levels", "5", "0x1000"], "mmsim: --levels is for x86_64; i386 paging has 2 levels, or 3 with --pae\n"],
      [["fault", "--arch", "i386", "0x7f1234561000"], 'mmsim: invalid virtual address "0x7f1234561000": expected a 32-bit address in hex, like 0xb7f01000 (an i386 task\'s addresses are below 4 GiB)\n'],
    ] as const) {
      const r = mmsim([...args]);
      expect([r.status, r.stdout, r.stderr], args.join(" ")).toEqual([2, "", msg]);
    }
  });

  it("--json prints the explanation as data", () => {
    const r = mmsim(["fault", "0x7f1234561000", "--json", "--levels", "5"]);
    const e = JSON.parse(r.stdout);
    expect([e.access, e.levels, e.rounds.length, e.rounds[0].path]).toEqual(["read", 5, 1, "zero-page"]);
    expect(e.result.pa).toBe(e.zeroPfn * 4096);
  });

  it("--help lists the built-in process's layout", () => {
    const r = mmsim(["fault", "--help"]);
    expect(r.stdout).toContain("  555555554000-555555558000 r-xp  16 KiB  text\n");
    expect(r.stdout).toContain("  555555559000-555555561000 rw-p  32 KiB  [heap]  (4 KiB written at start: present)\n");
    expect(r.stdout).toContain("  7ffffffde000-7ffffffff000 rw-p 132 KiB  [stack]  (4 KiB written at start: present)\n");
  });

  it("bad input is exit 2 with one line: not hex, non-canonical, --write with --exec", () => {
    for (const [args, msg] of [
      [["fault", "main"], 'mmsim: invalid virtual address "main": expected a canonical 48-bit address in hex'],
      [["fault", "0x800000000000"], 'mmsim: invalid virtual address "0x800000000000": expected a canonical 48-bit address in hex'],
      [["fault", "0x1000", "--write", "--exec"], "mmsim: --write and --exec exclude each other"],
    ] as const) {
      const r = mmsim([...args]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.startsWith(msg), r.stderr).toBe(true);
      expect(r.stderr.split("\n")).toHaveLength(2);
    }
  });

  it("a scenario's cat of /proc/<task>/pagemap is an input error at its line: a binary file", async () => {
    const yaml = "machine: { ram: 1GiB }\nsteps:\n  - spawn: { name: app }\n  - cat: /proc/app/pagemap\n";
    const r = await mmsimInProcess(["run", "p.yaml"], { "p.yaml": yaml });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("mmsim: p.yaml:4: steps[1].cat: cat: /proc/app/pagemap: a binary file (one 64-bit entry per virtual page, 8 bytes at offset vaddr / 4096 * 8); cat prints text files only\n");
  });

  it("never fails inside mmsim: any address and access ends in a narration (exit 0) or an input error (exit 2)", async () => {
    // addresses in and around every region of the built-in process, and anywhere at all
    const near = fc.tuple(fc.constantFrom(...FAULT_DEMO_LAYOUT), fc.integer({ min: -0x3000, max: 0x3000 }), fc.boolean()).map(
      ([r, d, end]) => (end ? r.end : r.start) + d,
    );
    const va = fc.oneof(near.filter((v) => v >= 0).map((v) => "0x" + v.toString(16)), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => "0x" + v.toString(16)));
    const flags = fc.subarray(["--write", "--exec", "--after-fork", "--json"]);
    let runs = 0;
    const byPath = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(va, flags, fc.constantFrom("4", "5"), async (a, f, levels) => {
        runs++;
        const r = await mmsimInProcess(["fault", a, ...f, "--levels", levels]);
        expect([0, 2], `${a} ${f.join(" ")}: ${r.stderr}`).toContain(r.status);
        if (r.status === 0 && f.includes("--json")) {
          for (const round of JSON.parse(r.stdout).rounds) byPath.set(round.path, (byPath.get(round.path) ?? 0) + 1);
        }
        if (r.status === 2) expect(r.stderr).toMatch(/^mmsim: (invalid virtual address|--write and --exec exclude each other)/);
      }),
      { numRuns: 120, seed: 16 },
    );
    console.log(`mmsim fault: ${runs} command lines; fault paths seen: ${[...byPath].map(([p, n]) => `${p} ${n}`).join(", ")}`);
    expect(byPath.size).toBeGreaterThanOrEqual(4);
  });
});

