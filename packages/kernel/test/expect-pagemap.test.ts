// Scenario expect on /proc/<task>/pagemap: one page's entry by pagemap.rst's field names
// (Documentation/admin-guide/mm/pagemap.rst; fs/proc/task_mmu.c pagemap_read), its parse-time
// errors (unknown field, unaligned address, a value a one-bit field cannot hold) and run-time ones.
import { describe, expect, it } from "vitest";
import { explainFault, formatResults, loadScenario, runScenario, type Kernel } from "../src/index";
import { decodePagemapEntry, PAGEMAP_FIELDS, pagemapFieldValue } from "../src/proc-pid-pagemap";
import { virtualOf } from "../src/virtual-kernel";
import { inputError } from "./input-error";

const HEAD = "machine: { ram: 1GiB }\nsteps:\n";
/** buf: three pages; the first written, the second untouched, the third read (the zero page). */
const SETUP =
  "  - spawn: { name: app }\n" +
  "  - mmap: { task: app, length: 12KiB, prot: [read, write], flags: [private, anonymous], as: buf }\n" +
  "  - store: { task: app, addr: buf, length: 8 }\n" +
  "  - load: { task: app, addr: buf+8KiB, length: 8 }\n";

function run(steps: string, file = "p.yaml"): { kernel: Kernel; out: string } {
  const { kernel, results } = runScenario(loadScenario(HEAD + steps, file), { verify: true });
  return { kernel, out: formatResults(results) };
}

const pm = (at: string, field: string, equals: string | number) => `  - expect: { path: /proc/app/pagemap, at: ${at}, field: ${field}, equals: ${equals} }\n`;

describe("expect on /proc/<task>/pagemap", () => {
  it("reads the flag bits of a written page, an untouched page and the zero page", () => {
    const { out } = run(
      SETUP +
        pm("buf", "present", 1) + pm("buf", "exclusive", 1) + pm("buf", "file", 0) + pm("buf", "swapped", 0) +
        // CONFIG_MEM_SOFT_DIRTY is off on the reference machine (VmFlags has no "sd"): bit 55 stays clear
        pm("buf", "soft-dirty", 0) + pm("buf", "guard", 0) + pm("buf", "uffd-wp", 0) +
        pm("buf+4KiB", "present", 0) + pm("buf+4KiB", "pfn", 0) +
        // the shared zero page is pte_special: present, but no struct page says exclusive
        pm("buf+8KiB", "present", 1) + pm("buf+8KiB", "exclusive", 0),
    );
    expect(out).toBe(
      "$ spawn app\npid 1 on CPU 0\n" +
        "$ app: mmap(NULL, 12288, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) as buf\n= 0x7ffff7ffc000\n" +
        "$ app: store 8 bytes of 0xaa at buf\n" +
        "$ app: load 8 bytes at buf+0x2000\n7ffff7ffe000: 00 00 00 00 00 00 00 00\n" +
        [
          "buf present = 1", "buf exclusive = 1", "buf file = 0", "buf swapped = 0", "buf soft-dirty = 0", "buf guard = 0",
          "buf uffd-wp = 0", "buf+0x1000 present = 0", "buf+0x1000 pfn = 0", "buf+0x2000 present = 1", "buf+0x2000 exclusive = 0",
        ].map((e) => `$ expect /proc/app/pagemap at ${e}\nok\n`).join(""),
    );
  });

  it("follows fork and copy-on-write: shared pages are not exclusive until the child's write copies one", () => {
    const { out } = run(
      SETUP +
        "  - fork: { task: app, name: child }\n" +
        pm("buf", "exclusive", 0) +
        "  - expect: { path: /proc/child/pagemap, at: buf, field: exclusive, equals: 0 }\n" +
        "  - store: { task: child, addr: buf, length: 8, byte: 1 }\n" +
        pm("buf", "exclusive", 1) +
        "  - expect: { path: /proc/child/pagemap, at: buf, field: exclusive, equals: 1 }\n",
    );
    expect(out.match(/\nok\n/g)?.length).toBe(4);
  });

  it("pfn is the frame the page table maps (bits 0-54), in decimal or hex", () => {
    const { kernel } = run(SETUP);
    const app = virtualOf(kernel).byTaskName("app")!;
    const buf = 0x7ffff7ffc000;
    const pfn = explainFault(kernel, app, buf, "read").result!.pa / 4096;
    const zero = virtualOf(kernel).vmm.zeroPfn;
    expect(pfn).toBeGreaterThan(0);
    const hex = `0x${pfn.toString(16)}`;
    const { out } = run(SETUP + pm("buf", "pfn", pfn) + pm("buf", "pfn", `"${hex}"`) + pm("buf", "pfn", hex) + pm("buf+8KiB", "pfn", zero));
    // a quoted hex string prints as written; YAML reads a bare 0x number as an integer
    expect(out).toContain(`$ expect /proc/app/pagemap at buf pfn = ${pfn}\nok\n$ expect /proc/app/pagemap at buf pfn = ${hex}\nok\n$ expect /proc/app/pagemap at buf pfn = ${pfn}\nok\n`);
    expect(out).toContain(`$ expect /proc/app/pagemap at buf+0x2000 pfn = ${zero}\nok\n`);
    expect(inputError(() => run(SETUP + pm("buf", "pfn", `"0x${(pfn + 1).toString(16)}"`), "f.yaml"))).toBe(
      `f.yaml:7: steps[4].expect: expected pfn of the page at 0x7ffff7ffc000 to be 0x${(pfn + 1).toString(16)}, got 0x${pfn.toString(16)}`,
    );
    expect(inputError(() => run(SETUP + pm("buf", "pfn", 1), "f.yaml"))).toBe(`f.yaml:7: steps[4].expect: expected pfn of the page at 0x7ffff7ffc000 to be 1, got ${pfn}`);
  });

  it("a /proc/<pid>/pagemap path works as the task's name does", () => {
    const { out } = run(SETUP + "  - expect: { path: /proc/1/pagemap, at: buf, field: present, equals: 1 }\n");
    expect(out).toContain("$ expect /proc/1/pagemap at buf present = 1\nok\n");
  });

  it("a flag that differs stops the run at its line", () => {
    expect(inputError(() => run(SETUP + pm("buf+4KiB", "present", 1), "f.yaml"))).toBe(
      "f.yaml:7: steps[4].expect: expected present of the page at 0x7ffff7ffd000 to be 1, got 0",
    );
  });
});

describe("expect on pagemap: input errors", () => {
  const parseCases: [string, string][] = [
    [pm("buf", "dirty", 1), `x.yaml:7: steps[4].expect.field: expected a pagemap field (${PAGEMAP_FIELDS.join(", ")}), got "dirty"`],
    ["  - expect: { path: /proc/app/pagemap, at: buf, equals: 1 }\n", `x.yaml:7: steps[4].expect.field: expected a pagemap field (${PAGEMAP_FIELDS.join(", ")}), got nothing`],
    [pm("buf+100", "present", 1), "x.yaml:7: steps[4].expect.at: expected a page-aligned address (pagemap has one entry per 4096-byte page), got buf+0x64"],
    [pm("0x7ffff7ffc010", "present", 1), "x.yaml:7: steps[4].expect.at: expected a page-aligned address (pagemap has one entry per 4096-byte page), got 0x7ffff7ffc010"],
    ["  - expect: { path: /proc/app/pagemap, field: present, equals: 1 }\n", "x.yaml:7: steps[4].expect.at: missing: expected the address of the page whose entry to read, like buf+4KiB"],
    [pm("buf", "present", 2), 'x.yaml:7: steps[4].expect.equals: expected 0 or 1 (present is one bit), got 2'],
    [pm("buf", "pfn", -1), "x.yaml:7: steps[4].expect.equals: expected a whole number from 0 to 9007199254740991, got -1"],
    [pm("buf", "pfn", '"0x20000000000000"'), 'x.yaml:7: steps[4].expect.equals: expected a whole number from 0 to 9007199254740991, got "0x20000000000000"'],
  ];
  for (const [step, message] of parseCases) {
    it(message.slice(message.indexOf("expect.") + 7), () => {
      // before anything runs: loadScenario alone reports it
      expect(inputError(() => loadScenario(HEAD + SETUP + step, "x.yaml"))).toBe(message);
    });
  }

  it("an unaligned address bound at run time (malloc's pointer) is reported at the step's line", () => {
    const s = "  - spawn: { name: app }\n  - malloc: { task: app, size: 100, as: p }\n" +
      "  - expect: { path: /proc/app/pagemap, at: p, field: present, equals: 1 }\n";
    expect(inputError(() => run(s, "m.yaml"))).toMatch(/^m\.yaml:5: steps\[2\]\.expect: \/proc\/app\/pagemap: 0x[0-9a-f]+ is not page-aligned \(pagemap has one entry per 4096-byte page\)$/);
  });

  it("past the user address space (TASK_SIZE) there is no entry; an exited task has no pagemap", () => {
    expect(inputError(() => run(SETUP + pm("0x800000000000", "present", 0), "t.yaml"))).toBe(
      "t.yaml:7: steps[4].expect: /proc/app/pagemap has no entry at 0x800000000000: past the end of the user address space",
    );
    expect(inputError(() => run(SETUP + pm("buf-0x800000000000", "present", 0), "t.yaml"))).toBe(
      "t.yaml:7: steps[4].expect: /proc/app/pagemap: the address is below 0 (-0x8004000)",
    );
    const gone = SETUP + "  - exit: { task: app }\n" + pm("buf", "present", 0);
    expect(inputError(() => run(gone, "t.yaml"))).toMatch(/^t\.yaml:8: steps\[5\]\.expect: cat: \/proc\/app\/pagemap: No such file or directory/);
  });
});

describe("pagemapFieldValue", () => {
  it("names each bit as pagemap.rst does, and splits a swap entry into type (bits 0-4) and offset (5-54)", () => {
    const bit = (n: number) => 1n << BigInt(n);
    const cases: [bigint, string][] = [[bit(63), "present"], [bit(62), "swapped"], [bit(61), "file"], [bit(58), "guard"],
      [bit(57), "uffd-wp"], [bit(56), "exclusive"], [bit(55), "soft-dirty"]];
    for (const [e, name] of cases) {
      for (const f of PAGEMAP_FIELDS) {
        if (f === "pfn" || f === "swap-type" || f === "swap-offset") expect(pagemapFieldValue(decodePagemapEntry(e), f)).toBe(0);
        else expect([f, pagemapFieldValue(decodePagemapEntry(e), f)]).toEqual([f, f === name ? 1 : 0]);
      }
    }
    // swap type 3, offset 2^40 + 5: above 32 bits
    const swap = bit(62) | ((1n << 40n) + 5n) << 5n | 3n;
    const d = decodePagemapEntry(swap);
    expect([pagemapFieldValue(d, "swap-type"), pagemapFieldValue(d, "swap-offset"), pagemapFieldValue(d, "swapped")]).toEqual([3, 2 ** 40 + 5, 1]);
    expect(pagemapFieldValue(decodePagemapEntry(bit(63) | (2n ** 55n - 1n)), "pfn")).toBe(2 ** 55 - 1);
  });
});
